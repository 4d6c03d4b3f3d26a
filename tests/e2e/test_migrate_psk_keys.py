"""The generated key while a --tls-psk migration runs, and where it must not be.

Each case throttles a P2P migration (``--bandwidth 1``, a guest with 6 MiB
of incompressible RAM filler), looks at both hosts while it runs, then
lifts the throttle (``migrate-setspeed``) and lets it finish:

* destination: ``<base>/<uuid>/keys.psk`` mode 0600 owned by the QEMU user
  (directory closed to others), content ``qemu:`` + hex of
  ``migrate_psk_length`` bytes (16, default 32, 64);
* source: its key file is gone once the migration runs;
* both QEMUs hold ``objlibvirt_migrate_tls0`` (tls-creds-psk; endpoint
  client on the source, server on the destination, dir = the key directory,
  priority ``NORMAL:-CHACHA20-POLY1305``) and ``tls-creds`` names it;
* the key (hex either case, base64, raw) is in no libvirtd log (debug level,
  ``log_filters="1:qemu 1:util.json"``), QEMU log, domain status XML or
  process command line on either host - during and after;
* afterwards: encrypted with AES-128-GCM, RAM intact on the destination,
  nothing left (no key directory, no object, tls-creds empty).
"""

import os
import re
import stat

import pytest

from lvpsk.harness import QEMU_USER, qemu_ids, wait_for
from lvpsk.psk import (CREDS_ID, LENGTH_DEFAULT, LENGTH_MAX,  # noqa: F401
                       LENGTH_MIN, PSK_PRIORITY, BgMigration, PskGuest,
                       assert_encrypted, assert_nothing_left, base_dir_inner,
                       cmdlines, creds_objects, find_key, key_forms,
                       key_path, log_files, LogWindow, migrate_parameters,
                       leftovers, monitor_commands, psk_hosts, uuid_dirs,
                       qom_get, require_psk_support, set_speed, status_xmls,
                       wait_migration_active)

pytestmark = [pytest.mark.e2e, pytest.mark.migration]


@pytest.fixture(autouse=True)
def _psk_build(prefix):
    require_psk_support(prefix)


def check_creds(host, dom, dom_uuid):
    """The source QEMU, live (the source allows queries while migrating)."""
    objs = creds_objects(host, dom)
    assert objs == {CREDS_ID: "child<tls-creds-psk>"}, \
        "host %s: creds objects %s" % (host.name, objs)
    path = "/objects/" + CREDS_ID
    assert qom_get(host, dom, path, "endpoint") == "client"
    assert qom_get(host, dom, path, "dir") == \
        os.path.join(base_dir_inner(host), dom_uuid)
    assert qom_get(host, dom, path, "priority") == PSK_PRIORITY
    params = migrate_parameters(host, dom)
    assert params.get("tls-creds") == CREDS_ID, \
        "host %s: tls-creds %r" % (host.name, params.get("tls-creds"))


def check_creds_logged(window, host, endpoint, dom_uuid):
    """libvirt blocks every query job on an incoming domain, so the
    destination's object is checked in the QMP traffic libvirtd logs."""
    adds = [c["arguments"] for c in monitor_commands(window.read())
            if c.get("execute") == "object-add"
            and c["arguments"].get("id") == CREDS_ID]
    assert len(adds) == 1, "host %s: object-add %s: %s" % (host.name,
                                                          CREDS_ID, adds)
    a = adds[0]
    assert a.get("qom-type") == "tls-creds-psk", a
    assert a.get("endpoint") == endpoint, a
    assert a.get("dir") == os.path.join(base_dir_inner(host), dom_uuid), a
    assert a.get("priority") == PSK_PRIORITY, a
    assert ("username" in a) == (endpoint == "client"), a
    sets = [c["arguments"] for c in monitor_commands(window.read())
            if c.get("execute") == "migrate-set-parameters"
            and c["arguments"].get("tls-creds") == CREDS_ID]
    assert sets, "host %s never set tls-creds to %s" % (host.name, CREDS_ID)


def assert_no_key(key, hosts, where):
    paths = []
    for h in hosts:
        paths += log_files(h) + status_xmls(h)
    hits = find_key(key, paths)
    assert not hits, "key material %s: %s" % (where, hits)
    forms = key_forms(key)
    for pid, cmd in cmdlines(hosts).items():
        for name, form in forms.items():
            assert form not in cmd, "key (%s) on the command line of pid %d" \
                % (name, pid)


CASES = [
    pytest.param(LENGTH_MIN, "root", id="len16-root"),
    pytest.param(None, "root", id="default-root"),
    pytest.param(LENGTH_MAX, "root", id="len64-root"),
    pytest.param(None, QEMU_USER, id="default-nonroot",
                 marks=pytest.mark.nonroot),
]


@pytest.mark.parametrize("length,qemu_user", CASES)
def test_key_file_during_migration(psk_hosts, length, qemu_user):
    conf = [] if length is None else ["migrate_psk_length = %d" % length]
    th = psk_hosts(qemu_user=qemu_user, qemu_conf=conf)
    nbytes = length or LENGTH_DEFAULT
    uid, gid = qemu_ids(qemu_user)
    g = PskGuest(filler_mib=6)
    g.start(th.a, [th.b])
    kp_a, kp_b = key_path(th.a, g.uuid), key_path(th.b, g.uuid)
    log_a, log_b = LogWindow(th.a), LogWindow(th.b)
    with th.capture("keys", pattern=g.pattern) as cap:
        with BgMigration(th.a, g.name, th.b, "p2p",
                         extra=["--tls-psk", "--bandwidth", "1"]) as bg:
            wait_for(lambda: os.path.exists(kp_b) or not bg.running(),
                     30, 0.05, "the destination's key file")
            wait_migration_active(bg)

            # The source's key file is gone once the migration runs.
            assert not os.path.exists(kp_a), \
                "source key file still there while migrating: %s %s" % (
                    kp_a, oct(os.stat(kp_a).st_mode))

            # The destination's key directory and file; the "nothing left"
            # check sees them (it is not vacuous).
            d = os.path.dirname(kp_b)
            assert uuid_dirs(th.b) == [d], uuid_dirs(th.b)
            assert any("key directory left" in p
                       for p in leftovers(th, g, th.a)), "check is blind"
            dst = os.lstat(d)
            assert stat.S_ISDIR(dst.st_mode)
            assert (dst.st_uid, dst.st_gid) == (uid, gid), \
                "key dir owned by %d:%d" % (dst.st_uid, dst.st_gid)
            assert dst.st_mode & 0o077 == 0, \
                "key dir mode %o" % (dst.st_mode & 0o7777)
            st = os.lstat(kp_b)
            assert stat.S_ISREG(st.st_mode)
            assert st.st_mode & 0o7777 == 0o600, oct(st.st_mode)
            assert (st.st_uid, st.st_gid) == (uid, gid), \
                "keys.psk owned by %d:%d, QEMU runs as %d:%d" % (
                    st.st_uid, st.st_gid, uid, gid)
            with open(kp_b, "rb") as f:
                content = f.read()
            m = re.fullmatch(rb"qemu:([0-9a-fA-F]+)\n?", content)
            assert m, "keys.psk is not 'qemu:<hex>' (%d bytes)" % len(content)
            assert len(m.group(1)) == 2 * nbytes, \
                "key of %d hex digits, expected %d" % (len(m.group(1)),
                                                       2 * nbytes)
            key = bytes.fromhex(m.group(1).decode())
            assert len(set(key)) > 4, "the key does not look random"

            # QEMU objects on both sides.
            check_creds(th.a, g.name, g.uuid)
            check_creds_logged(log_b, th.b, "server", g.uuid)
            check_creds_logged(log_a, th.a, "client", g.uuid)

            assert_no_key(key, th.hosts, "while migrating")
            assert bg.running(), "the throttle did not hold the migration"
            set_speed(th.a, g.name)
            r = bg.wait(90)
    assert r.returncode == 0, (r.stderr or r.stdout)
    print("migration in %.1fs" % r.elapsed)
    assert_encrypted(cap)
    g.check_ram(th.b)
    assert_nothing_left(th, g, th.b)
    assert not os.path.exists(kp_a) and not os.path.exists(kp_b)

    # The logs are at debug level and saw the migration ...
    for h in th.hosts:
        with open(h.outer("log", "libvirtd.log"), errors="replace") as f:
            text = f.read()
        assert "<qemu-migration" in text and "tls-creds" in text, \
            "host %s's log does not show the migration at debug level" \
            % h.name
    # ... and hold no key material, nor do the status XMLs (the guest's, on
    # the destination now) or any command line.
    assert_no_key(key, th.hosts, "after the migration")
    assert any(g.name in p for p in status_xmls(th.b))
