"""Baseline: plain live migration A->B->A, P2P and client-managed.

The evidence tool must say PLAIN for every hop (it can tell), and the
destination's guest RAM must hold the origin's pattern (not its own decoy).
"""

import pytest

from lvpsk.harness import QEMU_USER

pytestmark = [pytest.mark.e2e, pytest.mark.migration, pytest.mark.plain]

CASES = [
    pytest.param("p2p", "root", id="p2p-root"),
    pytest.param("client", "root", id="client-root"),
    pytest.param("p2p", QEMU_USER, id="p2p-nonroot", marks=pytest.mark.nonroot),
    pytest.param("client", QEMU_USER, id="client-nonroot",
                 marks=pytest.mark.nonroot),
]


def round_trip(th, guest, mode, tls, transport):
    """Migrate A->B->A, capturing each hop; return the verdicts."""
    verdicts = []
    guest.start(th.a, [th.b])
    guest.check_ram(th.a)
    for n, (src, dst) in enumerate(((th.a, th.b), (th.b, th.a))):
        with th.capture("hop%d-%s-%s" % (n, src.name, dst.name),
                        pattern=guest.pattern) as cap:
            th.migrate(guest.name, src, dst, mode=mode, tls=tls,
                       transport=transport)
        v = cap.verdict
        print(v.summary())
        verdicts.append(v)
        assert guest.name not in src.domains(), \
            "guest still on %s after migration" % src.name
        guest.check_ram(dst)
        uids = dst.qemu_uids()
        assert uids and all(u == dst.qemu_uid for u in uids), uids
    return verdicts


@pytest.mark.parametrize("mode,qemu_user", CASES)
def test_plain_migration_round_trip(make_hosts, guest, mode, qemu_user):
    th = make_hosts(qemu_user=qemu_user)
    # P2P: the source daemon reaches the destination over qemu+tcp;
    # client-managed: virsh talks to both over their unix sockets.
    transport = "tcp" if mode == "p2p" else "unix"
    for v in round_trip(th, guest, mode, tls=False, transport=transport):
        assert v.kind == "plain", v.summary()
        assert v.pattern_chunks_found == v.pattern_chunks_total, v.summary()
        assert any(s.starts_with_qevm for s in v.streams), v.summary()
