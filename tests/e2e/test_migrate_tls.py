"""Baseline: native x509 --tls migration A->B->A, P2P and client-managed.

Certificates come from the session's certtool-made CA (server certificates
carry the host's migration address as IP SAN).  The evidence tool must say
ENCRYPTED for every hop.
"""

import pytest

from lvpsk.harness import QEMU_USER
from test_migrate_plain import round_trip

pytestmark = [pytest.mark.e2e, pytest.mark.migration, pytest.mark.tls]

CASES = [
    pytest.param("p2p", "root", id="p2p-root"),
    pytest.param("client", "root", id="client-root"),
    pytest.param("p2p", QEMU_USER, id="p2p-nonroot", marks=pytest.mark.nonroot),
    pytest.param("client", QEMU_USER, id="client-nonroot",
                 marks=pytest.mark.nonroot),
]


@pytest.mark.parametrize("mode,qemu_user", CASES)
def test_tls_migration_round_trip(make_hosts, guest, mode, qemu_user):
    th = make_hosts(qemu_user=qemu_user)
    transport = "tcp" if mode == "p2p" else "unix"
    for v in round_trip(th, guest, mode, tls=True, transport=transport):
        assert v.kind == "encrypted", v.summary()
        assert v.pattern_chunks_found == 0
        assert all(s.tls for s in v.streams if s.bytes), v.summary()


def test_tls_refused_without_certificates(make_hosts, guest):
    """--tls with no x509 files must fail, not fall back to plain."""
    th = make_hosts(with_pki=False)
    guest.start(th.a, [th.b])
    with th.capture("no-certs", pattern=guest.pattern) as cap:
        with pytest.raises(Exception) as ei:
            th.migrate(guest.name, th.a, th.b, mode="p2p", tls=True)
    assert "migration" in str(ei.value)
    assert cap.verdict.pattern_chunks_found == 0
    guest.check_ram(th.a)
