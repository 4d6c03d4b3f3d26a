"""--tls-psk requests that must be refused, and migrate_tls_force.

A refused migration must fail with a clear error (no key material in it),
leave the guest running on the source with its RAM intact, and leave
nothing on either host: no ``<uuid>`` key directory, no creds object, no
``tls-creds`` migration parameter, no guest or QEMU on the destination.
"""

import os
import re

import pytest

from lvpsk.psk import (PskGuest, define_secret,  # noqa: F401
                       new_uuid, psk_hosts,
                       require_psk_support, try_migrate, wait_clean)
from test_migrate_psk import psk_hop

pytestmark = [pytest.mark.e2e, pytest.mark.migration]


@pytest.fixture(autouse=True)
def _psk_build(prefix):
    require_psk_support(prefix)


def refused(th, g, mode, extra, secrets=()):
    """Run a migration that must fail; return its error text."""
    with th.capture("refused", pattern=g.pattern) as cap:
        p = try_migrate(th, g.name, th.a, th.b, mode, extra=extra,
                        timeout=60)
    err = (p.stderr or p.stdout).strip()
    print("%s %s: rc %d in %.1fs: %s" % (mode, " ".join(extra), p.returncode,
                                         p.elapsed, err))
    assert p.returncode != 0, "migration with %s succeeded" % " ".join(extra)
    assert err, "no error message"
    for v in secrets:
        if len(v) >= 4:
            assert v.hex() not in err.lower(), "secret value in the error"
    assert cap.verdict.pattern_chunks_found == 0, cap.verdict.summary()
    assert not cap.verdict.plain, cap.verdict.summary()
    g.check_ram(th.a)
    wait_clean(th, g, th.a)
    return err


@pytest.mark.parametrize("mode", ["p2p", "client"])
def test_tls_and_tls_psk_refused(psk_hosts, mode):
    th = psk_hosts(with_pki=True)
    g = PskGuest()
    g.start(th.a, [th.b])
    err = refused(th, g, mode, ["--tls", "--tls-psk"])
    assert re.search(r"tls", err, re.I), err


SHORT = os.urandom(15)
# (case, value on A, value on B); None = no secret with that UUID on the
# host, "unset" = a secret without a value.  libvirt's API refuses to store
# an empty value (virSecretSetValue: "value ... must not be NULL"), so a
# secret without a value is the empty case.  The secrets are not private,
# so that the error is about the value, not about reading it.
SECRET_CASES = [
    pytest.param("missing", None, None, id="missing-on-both"),
    pytest.param("missing-dst", os.urandom(32), None,
                 id="missing-on-destination"),
    pytest.param("unset", "unset", "unset", id="defined-without-value"),
    pytest.param("short", SHORT, SHORT, id="15-byte-value"),
]


@pytest.mark.parametrize("case,va,vb", SECRET_CASES)
def test_bad_secret_refused(psk_hosts, case, va, vb):
    th = psk_hosts()
    sec = new_uuid()
    for h, v in ((th.a, va), (th.b, vb)):
        if v is not None:
            define_secret(h, sec, None if v == "unset" else v, private=False)
    g = PskGuest()
    g.start(th.a, [th.b])
    err = refused(th, g, "p2p", ["--tls-psk-secret-uuid", sec],
                  secrets=[v for v in (va, vb) if isinstance(v, bytes)])
    assert re.search(r"secret|%s" % sec, err, re.I), \
        "error does not name the secret: %s" % err
    # The same guest still migrates with a generated key afterwards.
    psk_hop(th, g, th.a, th.b, "p2p", tag="after-%s" % case)


def test_secret_value_at_lower_bound_accepted(psk_hosts):
    """A 16-byte secret value (the minimum) works, in contrast to 15."""
    th = psk_hosts()
    sec = new_uuid()
    value = os.urandom(16)
    for h in th.hosts:
        define_secret(h, sec, value, private=False)
    g = PskGuest()
    g.start(th.a, [th.b])
    psk_hop(th, g, th.a, th.b, "p2p", tag="secret16",
            extra=["--tls-psk-secret-uuid", sec])


def test_tls_force_refuses_plain_accepts_psk(psk_hosts):
    """migrate_tls_force = 1 on both hosts: a plain migration is refused,
    a --tls-psk migration succeeds (no certificates are installed)."""
    th = psk_hosts(qemu_conf=["migrate_tls_force = 1"])
    g = PskGuest()
    g.start(th.a, [th.b])
    with th.capture("forced-plain", pattern=g.pattern) as cap:
        p = try_migrate(th, g.name, th.a, th.b, "p2p", timeout=60)
    err = (p.stderr or p.stdout).strip()
    print("plain under migrate_tls_force: rc %d: %s" % (p.returncode, err))
    assert p.returncode != 0, "plain migration accepted with tls_force"
    assert re.search(r"tls", err, re.I), err
    assert cap.verdict.pattern_chunks_found == 0, cap.verdict.summary()
    g.check_ram(th.a)
    wait_clean(th, g, th.a)
    psk_hop(th, g, th.a, th.b, "p2p", tag="forced-psk")
    psk_hop(th, g, th.b, th.a, "client", tag="forced-psk-back")


@pytest.mark.parametrize("mode", ["p2p", "client"])
def test_unpatched_destination_refuses_psk(psk_hosts, debian_prefix, mode):
    """Destination on Debian's unpatched libvirt 9.0.0: --tls-psk refused
    (unknown flag) with a clear error, the guest stays on the source."""
    th = psk_hosts(prefix_b=debian_prefix)
    assert th.b.prefix.path == "/usr" and th.a.prefix.path != "/usr"
    g = PskGuest()
    g.start(th.a, [th.b])
    err = refused(th, g, mode, ["--tls-psk"])
    assert re.search(r"unsupported flags|psk", err, re.I), err
    assert th.b.domains() == []
