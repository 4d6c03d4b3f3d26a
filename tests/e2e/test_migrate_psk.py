"""TLS-PSK live migration (``virsh migrate --tls-psk``) that must succeed.

Every hop: the migration succeeds, the evidence tool says ENCRYPTED, every
TLS session negotiated TLS 1.3 with AES-128-GCM (ServerHello decoded from
the capture), the guest runs on the destination only with the origin's RAM
pattern, and neither host keeps a ``<uuid>`` key directory, a creds object
or a ``tls-creds`` migration parameter.
"""

import os
import re

import pytest

from lvpsk.harness import QEMU_USER, wait_for
from lvpsk.psk import (BgMigration, PskGuest, assert_encrypted,  # noqa: F401
                       assert_nothing_left, define_secret, key_path,
                       LogWindow, new_uuid, psk_hosts, wait_clean,
                       require_psk_support, try_migrate,
                       wait_migration_active)

pytestmark = [pytest.mark.e2e, pytest.mark.migration]


@pytest.fixture(autouse=True)
def _psk_build(prefix):
    require_psk_support(prefix)


def decoy_old_origin(guest, old):
    """After the guest left ``old``, put the decoy in old's loader file, so
    that a migration back proves the RAM came over the wire again."""
    with open(old.outer("guest", "pattern.bin"), "wb") as f:
        f.write(guest.decoy)


def psk_hop(th, guest, src, dst, mode, extra=(), tag="hop",
            min_handshakes=1, pattern=None, timeout=90, psk_flag=True):
    """One --tls-psk migration with every success check.  psk_flag=False
    leaves --tls-psk out (implied by --tls-psk-secret-uuid in extra)."""
    flags = ["--tls-psk"] if psk_flag else []
    with th.capture("%s-%s-%s" % (tag, src.name, dst.name),
                    pattern=pattern or guest.pattern) as cap:
        p = try_migrate(th, guest.name, src, dst, mode,
                        extra=flags + list(extra), timeout=timeout)
    assert p.returncode == 0, "migration %s->%s (%s, %s) failed: %s" % (
        src.name, dst.name, mode, " ".join(extra),
        (p.stderr or p.stdout).strip())
    print("%s %s->%s in %.1fs" % (mode, src.name, dst.name, p.elapsed))
    assert_encrypted(cap, min_handshakes)
    assert guest.name not in src.domains(), \
        "guest still on %s after migration" % src.name
    guest.check_ram(dst)
    uids = dst.qemu_uids()
    assert uids and all(u == dst.qemu_uid for u in uids), uids
    assert_nothing_left(th, guest, dst)
    decoy_old_origin(guest, src)
    return cap


CASES = [
    pytest.param("p2p", "root", id="p2p-root"),
    pytest.param("client", "root", id="client-root"),
    pytest.param("p2p", QEMU_USER, id="p2p-nonroot", marks=pytest.mark.nonroot),
    pytest.param("client", QEMU_USER, id="client-nonroot",
                 marks=pytest.mark.nonroot),
]


@pytest.mark.parametrize("mode,qemu_user", CASES)
def test_psk_round_trip(psk_hosts, mode, qemu_user):
    """--tls-psk A->B->A, generated key, P2P (qemu+tcp) or client-managed
    (unix sockets), QEMU as root or as libvirt-qemu."""
    th = psk_hosts(qemu_user=qemu_user)
    g = PskGuest()
    g.start(th.a, [th.b])
    assert_nothing_left(th, g, th.a)
    psk_hop(th, g, th.a, th.b, mode, tag="there")
    psk_hop(th, g, th.b, th.a, mode, tag="back")


SECRET_CASES = [
    pytest.param("p2p", "tls", False, id="p2p-usage-tls"),
    pytest.param("client", None, False, id="client-usage-none"),
    # Key material belongs in private secrets (value not readable through
    # the API); libvirt itself must still be able to use them.
    pytest.param("p2p", "tls", True, id="p2p-usage-tls-private"),
    pytest.param("client", None, True, id="client-usage-none-private"),
]


@pytest.mark.parametrize("mode,usage,private", SECRET_CASES)
def test_psk_secret_round_trip(psk_hosts, mode, usage, private):
    """--tls-psk-secret-uuid: the key comes from a libvirt secret with the
    same UUID and value on both hosts; no key travels in the cookie."""
    th = psk_hosts()
    sec = new_uuid()
    value = os.urandom(32)
    for h in th.hosts:
        define_secret(h, sec, value, usage=usage, private=private)
    g = PskGuest()
    g.start(th.a, [th.b])
    logs = [LogWindow(h) for h in th.hosts]
    psk_hop(th, g, th.a, th.b, mode, tag="secret-there",
            extra=["--tls-psk-secret-uuid", sec])
    # --tls-psk-secret-uuid alone implies --tls-psk.
    psk_hop(th, g, th.b, th.a, mode, tag="secret-back",
            extra=["--tls-psk-secret-uuid", sec], psk_flag=False)
    for h, w in zip(th.hosts, logs):
        text = w.read()
        # The debug log shows the cookies (so the next check can bite) ...
        assert "<qemu-migration" in text, \
            "host %s's log shows no migration cookie" % h.name
        # ... and none carries a key: nothing is generated in secret mode.
        assert "<migration-key" not in text, \
            "host %s: a <migration-key> element travelled in secret mode" \
            % h.name
        for form in (value.hex(), value.hex().upper()):
            assert form not in text, "secret value in host %s's log" % h.name


@pytest.mark.parametrize("mode", ["p2p", "client"])
def test_psk_secret_mismatch_fails_cleanly(psk_hosts, mode):
    """Different secret values on the two hosts: the TLS handshake fails,
    the guest keeps running on the source, nothing is left anywhere."""
    th = psk_hosts()
    sec = new_uuid()
    va, vb = os.urandom(32), os.urandom(32)
    define_secret(th.a, sec, va, private=False)
    define_secret(th.b, sec, vb, private=False)
    g = PskGuest()
    g.start(th.a, [th.b])
    with th.capture("mismatch", pattern=g.pattern) as cap:
        p = try_migrate(th, g.name, th.a, th.b, mode,
                        extra=["--tls-psk-secret-uuid", sec], timeout=90)
    err = (p.stderr or p.stdout).strip()
    print("rc %d in %.1fs: %s" % (p.returncode, p.elapsed, err))
    assert p.returncode != 0, "migration with mismatched keys succeeded"
    # The keys were accepted on both sides; it is the handshake that fails.
    assert re.search(r"TLS|handshake", err), err
    for v in (va, vb):
        assert v.hex() not in err.lower(), "key material in the error"
    v = cap.verdict
    assert v.pattern_chunks_found == 0 and not v.plain, v.summary()
    g.check_ram(th.a)
    wait_clean(th, g, th.a)


def test_psk_postcopy(psk_hosts):
    """--tls-psk --postcopy, switched to post-copy while throttled."""
    th = psk_hosts()
    g = PskGuest(filler_mib=8)
    g.start(th.a, [th.b])
    log_a = LogWindow(th.a)
    with th.capture("postcopy", pattern=g.pattern) as cap:
        with BgMigration(th.a, g.name, th.b, "p2p",
                         extra=["--tls-psk", "--postcopy",
                                "--bandwidth", "1"]) as bg:
            wait_migration_active(bg)
            th.a.virsh("migrate-postcopy", g.name, timeout=30)
            r = bg.wait(90)
    assert r.returncode == 0, (r.stderr or r.stdout)
    print("post-copy migration in %.1fs" % r.elapsed)
    text = log_a.read()
    assert "postcopy-active" in text, \
        "the source never reported the post-copy phase"
    assert_encrypted(cap)
    g.check_ram(th.b)
    assert_nothing_left(th, g, th.b)


def test_psk_parallel(psk_hosts):
    """--tls-psk --parallel with 3 channels: main + 3 multifd TLS sessions
    (the destination re-reads keys.psk for each)."""
    th = psk_hosts()
    g = PskGuest(filler_mib=4)
    g.start(th.a, [th.b])
    cap = psk_hop(th, g, th.a, th.b, "p2p", tag="parallel",
                  extra=["--parallel", "--parallel-connections", "3"],
                  min_handshakes=4)
    clients = [s for s in cap.verdict.streams
               if s.bytes and s.label.split("->")[1].startswith(th.b.addr)]
    assert len(clients) >= 4, cap.verdict.summary()
    psk_hop(th, g, th.b, th.a, "client", tag="parallel-back",
            extra=["--parallel", "--parallel-connections", "2"],
            min_handshakes=3)


def test_psk_copy_storage_all(psk_hosts):
    """--tls-psk --copy-storage-all: the NBD storage stream is TLS too, and
    the destination's disk ends up with the source's content."""
    th = psk_hosts()
    g = PskGuest(disk_mib=4)
    g.start(th.a, [th.b])
    image = g.disk_image()
    assert g.read_disk(th.b) != image
    cap = psk_hop(th, g, th.a, th.b, "p2p", tag="storage",
                  extra=["--copy-storage-all"],
                  pattern=g.pattern + g.disk_pattern, min_handshakes=2)
    # Main migration stream and the NBD connection: two TLS sessions.
    assert len(cap.verdict.streams) >= 4, cap.verdict.summary()
    assert g.read_disk(th.b) == image, "destination disk differs"


def test_psk_abort_then_migrate(psk_hosts):
    """domjobabort during a throttled --tls-psk migration: the guest stays on
    the source, both hosts are cleaned up, the next migration succeeds."""
    th = psk_hosts()
    g = PskGuest(filler_mib=8)
    g.start(th.a, [th.b])
    with th.capture("abort", pattern=g.pattern) as cap:
        with BgMigration(th.a, g.name, th.b, "p2p",
                         extra=["--tls-psk", "--bandwidth", "1"]) as bg:
            wait_for(lambda: os.path.exists(key_path(th.b, g.uuid))
                     or not bg.running(), 30, 0.05,
                     "the destination's key file")
            wait_migration_active(bg)
            assert os.path.isdir(os.path.dirname(key_path(th.b, g.uuid)))
            th.a.virsh("domjobabort", g.name, timeout=30)
            r = bg.wait(60)
    err = (r.stderr or r.stdout).strip()
    print("aborted migration: rc %d: %s" % (r.returncode, err))
    assert r.returncode != 0, "the aborted migration reported success"
    assert re.search(r"cancel|abort", err, re.I), err
    assert cap.verdict.pattern_chunks_found == 0, cap.verdict.summary()
    g.check_ram(th.a)
    wait_clean(th, g, th.a)
    psk_hop(th, g, th.a, th.b, "p2p", tag="after-abort")
