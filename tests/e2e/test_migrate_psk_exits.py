"""Exit paths of a --tls-psk migration's key directory not covered elsewhere.

* Start-up sweep (``qemuMigrationPskSweep``): stale ``<base>/<uuid>/``
  directories planted while a host's libvirtd is not running - before the
  host's first start, and while its libvirtd is stopped for a restart - are
  removed when they hold only ``keys.psk`` / ``keys.psk.tmp`` /
  ``dh-params.pem`` and their UUID is no known domain's; a UUID directory
  with an unrelated file, a non-UUID directory, a non-canonical (upper-case)
  UUID name, a symlink named like a UUID (and its target) and the directory
  of a running domain are left untouched.
* QEMU killed (SIGKILL by PID) during a throttled ``--tls-psk`` migration,
  on the destination and on the source: the migration fails and within a
  bounded wait neither host has the ``<uuid>`` directory; where the guest
  still runs, no creds object and ``tls-creds`` empty.
* libvirtd killed (SIGKILL by PID) and started again in the same namespaces
  (QEMU keeps running) during a throttled ``--tls-psk`` migration, on the
  source and on the destination: the guest ends up running on exactly one
  host with its RAM, and after recovery no ``<uuid>`` directory, no creds
  object, ``tls-creds`` empty.

Each case first shows the state it then expects gone (key directory present
while migrating, planted directories present before the daemon starts).
"""

import os
import re
import signal
import stat
import time
import uuid as uuidlib

import pytest

from lvpsk.harness import wait_for
from lvpsk.psk import (KEY_FILE, BgMigration, LogWindow,  # noqa: F401
                       PskGuest, base_dir, creds_objects, key_path, leftovers,
                       psk_hosts, require_psk_support, uuid_dirs, wait_clean,
                       wait_migration_active)

pytestmark = [pytest.mark.e2e, pytest.mark.migration]

THROTTLE = ["--tls-psk", "--bandwidth", "1"]
FILLER_MIB = 8          # at 1 MiB/s the migration lasts > 8 s
CLEAN_TIMEOUT = 10      # as wait_clean() for a failed migration
RECOVERY_TIMEOUT = 30   # after a libvirtd restart


@pytest.fixture(autouse=True)
def _psk_build(prefix):
    require_psk_support(prefix)


# -- sweep -------------------------------------------------------------------

def _write(path, data, mode=0o600):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def plant_key_dir(path, files=(KEY_FILE,), extra=()):
    """A key directory as the module writes it: 0700, files 0600,
    ``keys.psk`` = ``qemu:<hex>``; ``extra`` files are unrelated text."""
    os.mkdir(path, 0o700)
    os.chmod(path, 0o700)
    for n in files:
        if n == "dh-params.pem":
            data = b"-----BEGIN DH PARAMETERS-----\nstale\n" \
                   b"-----END DH PARAMETERS-----\n"
        else:
            data = b"qemu:" + os.urandom(32).hex().encode()
        _write(os.path.join(path, n), data)
    for n in extra:
        _write(os.path.join(path, n), b"not a key: lvpsk sweep test\n", 0o644)


def tree(path):
    """rel path -> (type+mode, uid, content or link target), not following
    symlinks; the whole state the sweep must leave alone."""
    out = {}
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        return {".": (st.st_mode, st.st_uid, os.readlink(path))}
    out["."] = (st.st_mode, st.st_uid, None)
    if stat.S_ISDIR(st.st_mode):
        for root, dnames, fnames in os.walk(path):
            for n in dnames + fnames:
                p = os.path.join(root, n)
                s = os.lstat(p)
                data = None
                if stat.S_ISREG(s.st_mode):
                    with open(p, "rb") as f:
                        data = f.read()
                out[os.path.relpath(p, path)] = (s.st_mode, s.st_uid, data)
    return out


class SweepPlants:
    """The planted entries of one host's base directory."""

    def __init__(self, host, workdir, in_use_uuid=None):
        self.host = host
        self.base = base_dir(host)
        self.workdir = workdir
        self.in_use_uuid = in_use_uuid
        u = lambda: str(uuidlib.uuid4())  # noqa: E731
        self.removed = {
            "stale keys.psk": os.path.join(self.base, u()),
            "stale keys.psk.tmp + dh-params.pem": os.path.join(self.base, u()),
        }
        self.kept = {
            "uuid dir with an unrelated file": os.path.join(self.base, u()),
            "non-uuid dir with keys.psk": os.path.join(self.base,
                                                       "not-a-uuid-psk"),
            "upper-case (non-canonical) uuid dir":
                os.path.join(self.base, u().upper()),
            "symlink named like a uuid": os.path.join(self.base, u()),
            "symlink target": os.path.join(workdir, "sweep-link-target"),
        }
        if in_use_uuid:
            self.kept["running domain's uuid dir"] = \
                os.path.join(self.base, in_use_uuid)
        self.before = {}

    def plant(self):
        os.makedirs(self.base, mode=0o755, exist_ok=True)
        r, k = self.removed, self.kept
        plant_key_dir(r["stale keys.psk"])
        plant_key_dir(r["stale keys.psk.tmp + dh-params.pem"],
                      files=("keys.psk.tmp", "dh-params.pem"))
        plant_key_dir(k["uuid dir with an unrelated file"],
                      extra=("unrelated.txt",))
        plant_key_dir(k["non-uuid dir with keys.psk"])
        plant_key_dir(k["upper-case (non-canonical) uuid dir"])
        plant_key_dir(k["symlink target"])
        os.symlink(k["symlink target"], k["symlink named like a uuid"])
        if self.in_use_uuid:
            plant_key_dir(k["running domain's uuid dir"])
        for what, p in list(r.items()) + list(k.items()):
            assert os.path.lexists(p), "%s not planted: %s" % (what, p)
        self.before = {what: tree(p) for what, p in k.items()}
        print("planted in %s: %s" % (self.base, sorted(os.listdir(self.base))))

    def check(self):
        problems = []
        for what, p in self.removed.items():
            if os.path.lexists(p):
                problems.append("%s not swept: %s %s" % (
                    what, p, sorted(os.listdir(p))))
        for what, p in self.kept.items():
            if not os.path.lexists(p):
                problems.append("%s removed: %s" % (what, p))
                continue
            now = tree(p)
            if now != self.before[what]:
                problems.append("%s changed: %s: %s -> %s" % (
                    what, p, sorted(self.before[what]), sorted(now)))
        assert not problems, "sweep of %s on host %s:\n  %s" % (
            self.base, self.host.name, "\n  ".join(problems))

    def cleanup(self):
        for what, p in self.kept.items():
            if what == "running domain's uuid dir":
                continue
            if os.path.islink(p):
                os.unlink(p)
            elif os.path.isdir(p):
                for n in os.listdir(p):
                    os.unlink(os.path.join(p, n))
                os.rmdir(p)


def test_sweep_at_first_start(psk_hosts):
    """Entries planted in host A's base directory before its libvirtd ever
    started."""
    plants = {}

    def before_start(th):
        plants["a"] = SweepPlants(th.a, th.workdir)
        plants["a"].plant()

    th = psk_hosts(before_start=before_start)
    p = plants["a"]
    p.check()
    p.cleanup()
    assert uuid_dirs(th.a) == [] and uuid_dirs(th.b) == []


def test_sweep_at_restart(psk_hosts):
    """Entries planted while host A's libvirtd is down (killed by PID, the
    namespace and the guest's QEMU kept), including a key directory named
    after the guest running there: the sweep keeps that one, and stopping
    the guest (qemuProcessStop) then removes it."""
    th = psk_hosts(restartable=True)
    g = PskGuest()
    g.start(th.a, [th.b])
    qemu = th.a.qemu_pids()
    assert len(qemu) == 1, qemu
    p = SweepPlants(th.a, th.workdir, in_use_uuid=g.uuid)
    th.a.restart_libvirtd(while_stopped=p.plant)
    assert th.a.qemu_pids() == qemu, "QEMU did not survive the restart"
    assert th.a.domstate(g.name) == "running"
    p.check()
    g.check_ram(th.a)
    own = p.kept["running domain's uuid dir"]
    assert os.path.isdir(own)
    th.a.virsh("destroy", g.name, timeout=60)
    wait_for(lambda: not os.path.lexists(own), CLEAN_TIMEOUT, 0.1,
             "qemuProcessStop to remove %s" % own)
    p.cleanup()
    assert uuid_dirs(th.a) == [] and uuid_dirs(th.b) == []


# -- helpers for the migration cases -----------------------------------------

def start_throttled(th, g, mode="p2p"):
    """A throttled --tls-psk migration A->B (P2P or client-managed), seen
    running with the destination's key directory in place (the 'nothing
    left' check sees it)."""
    bg = BgMigration(th.a, g.name, th.b, mode, extra=THROTTLE)
    try:
        kp_b = key_path(th.b, g.uuid)
        wait_for(lambda: os.path.exists(kp_b) or not bg.running(), 30, 0.05,
                 "the destination's key file")
        wait_migration_active(bg)
        assert bg.running(), "the throttle did not hold the migration"
        d = os.path.dirname(kp_b)
        assert uuid_dirs(th.b) == [d], uuid_dirs(th.b)
        assert any("key directory left" in x
                   for x in leftovers(th, g, th.a)), \
            "the 'nothing left' check is blind to %s" % d
        print("while migrating: A %s, B %s" % (uuid_dirs(th.a),
                                               uuid_dirs(th.b)))
    except BaseException:
        bg.kill()
        raise
    return bg


def gone_everywhere(th, g):
    """Problems while the guest should be gone from both hosts."""
    problems = []
    for h in th.hosts:
        for d in uuid_dirs(h):
            problems.append("host %s: key directory left: %s" % (h.name, d))
        if g.name in h.domains():
            problems.append("host %s: guest still %s"
                            % (h.name, h.domstate(g.name)))
        if h.qemu_pids():
            problems.append("host %s: QEMU left: %s"
                            % (h.name, h.qemu_pids()))
    return problems


def wait_until(problems_fn, timeout):
    t0 = time.monotonic()
    deadline = t0 + timeout
    problems = problems_fn()
    while problems and time.monotonic() < deadline:
        time.sleep(0.2)
        problems = problems_fn()
    print("settled after %.1fs" % (time.monotonic() - t0))
    return problems


# -- QEMU killed --------------------------------------------------------------

@pytest.mark.parametrize("victim", ["destination", "source"])
def test_qemu_killed_during_migration(psk_hosts, victim):
    th = psk_hosts()
    g = PskGuest(filler_mib=FILLER_MIB)
    g.start(th.a, [th.b])
    with start_throttled(th, g) as bg:
        host = th.b if victim == "destination" else th.a
        pids = host.qemu_pids()
        assert len(pids) == 1, "host %s QEMU: %s" % (host.name, pids)
        print("SIGKILL to %s QEMU pid %d on host %s"
              % (victim, pids[0], host.name))
        os.kill(pids[0], signal.SIGKILL)
        r = bg.wait(60)
    err = (r.stderr or r.stdout).strip()
    print("migration: rc %d after %.1fs: %s" % (r.returncode, r.elapsed, err))
    assert r.returncode != 0, "the migration reported success"
    if victim == "destination":
        # The guest keeps running on the source, RAM intact, nothing left.
        wait_clean(th, g, th.a, timeout=CLEAN_TIMEOUT)
        g.check_ram(th.a)
        assert creds_objects(th.a, g.name) == {}
    else:
        problems = wait_until(lambda: gone_everywhere(th, g), CLEAN_TIMEOUT)
        assert not problems, "after the source QEMU died:\n  " + \
            "\n  ".join(problems)


# -- libvirtd restarted -------------------------------------------------------

def running_hosts(th, g):
    return [h for h in th.hosts if h.domstate(g.name) == "running"]


def recovered(th, g):
    """Problems until the guest runs on exactly one host with nothing
    left."""
    run_on = running_hosts(th, g)
    if len(run_on) != 1:
        return ["guest running on %s; states: %s" % (
            [h.name for h in run_on],
            {h.name: h.domstate(g.name) or "absent" for h in th.hosts})] + \
            ["host %s: key directory %s" % (h.name, d)
             for h in th.hosts for d in uuid_dirs(h)]
    return leftovers(th, g, run_on[0])


RECOVERY_LOG_RE = re.compile(r"qemuProcessRecoverMigration|"
                             r"qemuProcessReconnect[^A]|[Ss]weep|TLS-PSK|"
                             r"qemuProcessStop:|qemuMigrationPsk")

RESTART_CASES = [
    pytest.param("source", "p2p", id="source-p2p"),
    pytest.param("destination", "p2p", id="destination-p2p"),
    pytest.param("source", "client", id="source-client"),
    pytest.param("destination", "client", id="destination-client"),
]


@pytest.mark.parametrize("victim,mode", RESTART_CASES)
def test_libvirtd_restart_during_migration(psk_hosts, victim, mode):
    """libvirtd of the source or the destination killed by PID (SIGKILL)
    mid-migration and started again in the same namespaces.

    Its QEMU must outlive the daemon - except the destination's in P2P
    mode: there the source daemon cancels the migration as soon as its
    connection to the destination daemon drops, and the destination QEMU
    then exits on the broken stream (it may or may not still run when the
    new daemon starts; both are exit paths of the key directory).  The key
    directory is still there while the daemon is down, so the new daemon
    (recovery, reconnect failure or stop) has to remove it."""
    th = psk_hosts(restartable=True)
    g = PskGuest(filler_mib=FILLER_MIB)
    g.start(th.a, [th.b])
    host = th.a if victim == "source" else th.b
    with start_throttled(th, g, mode) as bg:
        qemu = host.qemu_pids()
        assert len(qemu) == 1, "host %s QEMU: %s" % (host.name, qemu)
        seen = {}

        def while_stopped():
            # The daemon is down, its QEMU and the key directories are not.
            seen["qemu"] = host.qemu_pids()
            if victim == "source":
                # The source removes its key directory right after QEMU
                # read the key; put it back, as a crash before that removal
                # would have left it: the sweep keeps it (known domain), the
                # migration recovery has to remove it.
                src_dir = os.path.join(base_dir(th.a), g.uuid)
                if not os.path.lexists(src_dir):
                    plant_key_dir(src_dir)
            seen["dirs"] = {h.name: uuid_dirs(h) for h in th.hosts}

        old = host.libvirtd_pid()
        window = LogWindow(host)
        t0 = time.monotonic()
        new = host.restart_libvirtd(while_stopped=while_stopped)
        print("libvirtd on %s (%s): %d -> %d in %.1fs; while down: %s"
              % (host.name, victim, old, new, time.monotonic() - t0, seen))
        if (victim, mode) != ("destination", "p2p"):
            assert seen["qemu"] == qemu, \
                "QEMU %s did not outlive libvirtd: %s" % (qemu, seen["qemu"])
        for h in th.hosts:
            assert seen["dirs"][h.name] == [
                os.path.dirname(key_path(h, g.uuid))] or \
                (h is th.a and victim == "destination"), seen
        r = bg.wait(90)
    err = (r.stderr or r.stdout).strip()
    print("migration: rc %d after %.1fs: %s" % (r.returncode, r.elapsed, err))
    problems = wait_until(lambda: recovered(th, g), RECOVERY_TIMEOUT)
    print("restarted daemon's log (%s):\n  %s" % (host.name, "\n  ".join(
        line[:200] for line in window.read().splitlines()
        if RECOVERY_LOG_RE.search(line))))
    assert not problems, "after restarting the %s's libvirtd:\n  %s" % (
        victim, "\n  ".join(problems))
    (run_on,) = running_hosts(th, g)
    print("guest runs on host %s" % run_on.name)
    if r.returncode == 0:
        assert run_on is th.b, "migration succeeded, guest on %s" % run_on.name
    g.check_ram(run_on)
    assert creds_objects(run_on, g.name) == {}
