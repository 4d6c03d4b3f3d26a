"""Two libvirt hosts on one machine, each in its own mount+PID namespace.

Python API (used by the pytest fixtures and by the demo):

* ``Prefix(path)``  - a libvirt installation (Debian's ``/usr`` or a private
  prefix) and the directories derived from it.
* ``Environment``   - once per session: root check, the ``libvirt-qemu``
  user, mount points, and a snapshot of the prefix's libvirt directories
  so that ``assert_clean()`` can prove nothing was left behind.
* ``Host``          - one libvirtd in ``unshare --mount --pid --fork
  --kill-child`` with per-host etc/run/lib/log/cache directories bind
  mounted over the prefix's, its own host_uuid, loopback address,
  migration port range and TCP port.
* ``TwoHosts``      - hosts A (127.0.0.2) and B (127.0.0.3) under one
  ``/tmp/lvpsk-e2e.XXXXXX`` base, plus ``migrate()`` and ``capture()``.

Processes are started and stopped by PID only; every wait has a bound.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from . import evidence

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..",
                                    ".."))
DEFAULT_PREFIX = os.path.join(REPO, "build", "prefix")
QEMU_USER = "libvirt-qemu"
QEMU_GROUP = "libvirt-qemu"
HOST_DIRS = ("etc", "run", "lib", "log", "cache", "guest")
DEFAULT_TMP_PREFIX = "lvpsk-e2e."


def tmp_prefix() -> str:
    """Prefix of the harness's ``/tmp`` base directories.

    ``LVPSK_E2E_TMP_PREFIX`` (default ``lvpsk-e2e.``) lets a run keep out of
    the way of another run of the suite on the same machine: the leftover
    check only watches ``/tmp`` names that contain this run's prefix (without
    its trailing punctuation), so pick one that does not contain the other
    run's (e.g. ``lvpskx.`` next to the default).
    """
    p = os.environ.get("LVPSK_E2E_TMP_PREFIX", DEFAULT_TMP_PREFIX)
    if not p or "/" in p:
        raise ValueError("LVPSK_E2E_TMP_PREFIX must be a plain name prefix")
    return p


def tmp_watch_key() -> str:
    """What the leftover check looks for in /tmp names (default
    ``lvpsk-e2e``)."""
    return tmp_prefix().rstrip("._-") or tmp_prefix()


class HarnessError(Exception):
    pass


def wait_for(pred, timeout: float, interval: float = 0.1,
             what: str = "condition"):
    """Poll ``pred`` until it returns a true value; bounded by timeout."""
    deadline = time.monotonic() + timeout
    while True:
        val = pred()
        if val:
            return val
        if time.monotonic() >= deadline:
            raise HarnessError("timed out after %.0fs waiting for %s"
                               % (timeout, what))
        time.sleep(interval)


def run(cmd: Sequence[str], timeout: float = 60, check: bool = True,
        env: Optional[Dict[str, str]] = None, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run(list(cmd), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout, env=env, **kw)
    if check and p.returncode != 0:
        raise HarnessError("command failed (%d): %s\nstdout: %s\nstderr: %s"
                           % (p.returncode, " ".join(cmd), p.stdout.strip(),
                              p.stderr.strip()))
    return p


class Prefix:
    """A libvirt install prefix and its derived directories."""

    def __init__(self, path: Optional[str] = None):
        path = path or os.environ.get("LIBVIRT_PREFIX") or DEFAULT_PREFIX
        self.path = os.path.abspath(path)
        if self.path == "/usr":
            self.sysconfdir = "/etc"
            self.localstatedir = "/var"
            self.runstatedir = "/run"
        else:
            self.sysconfdir = os.path.join(self.path, "etc")
            self.localstatedir = os.path.join(self.path, "var")
            self.runstatedir = os.path.join(self.localstatedir, "run")
        self.libvirtd = os.path.join(self.path, "sbin", "libvirtd")
        self.virsh = os.path.join(self.path, "bin", "virsh")

    @property
    def is_system(self) -> bool:
        return self.path == "/usr"

    def mount_targets(self) -> Dict[str, str]:
        """Per-host directory name -> the prefix directory it covers."""
        return {
            "etc": os.path.join(self.sysconfdir, "libvirt"),
            "run": os.path.join(self.runstatedir, "libvirt"),
            "lib": os.path.join(self.localstatedir, "lib", "libvirt"),
            "log": os.path.join(self.localstatedir, "log", "libvirt"),
            "cache": os.path.join(self.localstatedir, "cache", "libvirt"),
        }

    def env(self) -> Dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("LIBVIRT_", "VIRSH_"))}
        env["LC_ALL"] = "C"
        env["PATH"] = os.path.join(self.path, "bin") + ":" + \
            os.path.join(self.path, "sbin") + ":/usr/sbin:/usr/bin:/sbin:/bin"
        if not self.is_system:
            libdirs = [d for d in (
                os.path.join(self.path, "lib", "x86_64-linux-gnu"),
                os.path.join(self.path, "lib64"),
                os.path.join(self.path, "lib")) if os.path.isdir(d)]
            if libdirs:
                env["LD_LIBRARY_PATH"] = ":".join(libdirs)
        return env

    def check(self) -> None:
        for b in (self.libvirtd, self.virsh):
            if not os.access(b, os.X_OK):
                raise HarnessError("%s not found: build/install libvirt into "
                                   "%s or set LIBVIRT_PREFIX=/usr"
                                   % (b, self.path))

    def __repr__(self) -> str:
        return "Prefix(%s)" % self.path


def _snapshot(dirs: Sequence[str]) -> Dict[str, Tuple[int, int]]:
    out: Dict[str, Tuple[int, int]] = {}
    for d in dirs:
        if not os.path.lexists(d):
            continue
        for root, dnames, fnames in os.walk(d):
            for n in dnames + fnames:
                p = os.path.join(root, n)
                try:
                    st = os.lstat(p)
                except FileNotFoundError:
                    continue
                out[p] = (st.st_mode, st.st_size)
    return out


def _mountinfo() -> List[str]:
    with open("/proc/self/mountinfo") as f:
        return f.read().splitlines()


def _procs_in_ns(kind: str, ns: str) -> List[int]:
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.readlink("/proc/%s/ns/%s" % (d, kind)) == ns:
                pids.append(int(d))
        except OSError:
            pass
    return pids


def _children(pid: int) -> List[int]:
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _global_watch() -> List[str]:
    """Names in shared places that a stray libvirt/QEMU would create."""
    names = []
    for d, keys in (("/dev/shm", ("libvirt", "qemu")),
                    ("/run", ("libvirt", "qemu")),
                    ("/tmp", (tmp_watch_key(),))):
        try:
            for n in os.listdir(d):
                if any(k in n for k in keys):
                    names.append(os.path.join(d, n))
        except OSError:
            pass
    return sorted(set(names))


class Environment:
    """Session-wide preparation and the 'nothing left' baseline.

    Holds one or more prefixes (``add()`` one more later, e.g. Debian's
    ``/usr`` next to our build for mixed-version tests).
    """

    def __init__(self, prefix: Prefix):
        self.prefix = prefix
        self.prefixes: List[Prefix] = []
        self.created_dirs: List[str] = []
        self.baseline: Dict[str, Tuple[int, int]] = {}
        self.baseline_global: List[str] = []
        self.baseline_mounts: List[str] = []

    def _targets(self) -> List[str]:
        return [t for p in self.prefixes for t in p.mount_targets().values()]

    def setup(self) -> "Environment":
        if os.geteuid() != 0:
            raise HarnessError("the e2e harness must run as root")
        for tool in ("unshare", "nsenter", "mount", "tcpdump", "certtool",
                     "timeout"):
            if shutil.which(tool) is None:
                raise HarnessError("missing tool: %s" % tool)
        ensure_qemu_user()
        self.baseline_global = _global_watch()
        self.baseline_mounts = _mountinfo()
        self.add(self.prefix)
        return self

    def add(self, prefix: Prefix) -> Prefix:
        """Prepare another prefix (idempotent); returns the known instance."""
        for p in self.prefixes:
            if p.path == prefix.path:
                return p
        prefix.check()
        for target in prefix.mount_targets().values():
            missing = []
            d = target
            while not os.path.isdir(d):
                missing.append(d)
                d = os.path.dirname(d)
            for m in reversed(missing):
                os.mkdir(m, 0o755)
                self.created_dirs.append(m)
        self.prefixes.append(prefix)
        self.baseline.update(_snapshot(list(prefix.mount_targets().values())))
        self.baseline_global = sorted(set(self.baseline_global) |
                                      set(_global_watch()))
        return prefix

    def leftovers(self) -> List[str]:
        problems = []
        now = _snapshot(self._targets())
        for p in sorted(set(now) - set(self.baseline)):
            problems.append("new file under the prefix: %s" % p)
        for p in sorted(set(self.baseline) - set(now)):
            problems.append("file removed under the prefix: %s" % p)
        for p in sorted(set(_global_watch()) - set(self.baseline_global)):
            problems.append("new file: %s" % p)
        for m in sorted(set(_mountinfo()) - set(self.baseline_mounts)):
            problems.append("new mount: %s" % m)
        return problems

    def assert_clean(self) -> None:
        problems = self.leftovers()
        if problems:
            raise AssertionError("left behind:\n  " + "\n  ".join(problems))

    def teardown(self) -> None:
        for d in reversed(self.created_dirs):
            try:
                os.rmdir(d)
            except OSError:
                pass
        self.created_dirs = []


def ensure_qemu_user() -> None:
    """libvirtd refuses to start without its built-in QEMU user."""
    try:
        grp.getgrnam(QEMU_GROUP)
    except KeyError:
        run(["groupadd", "--system", QEMU_GROUP])
    try:
        pwd.getpwnam(QEMU_USER)
    except KeyError:
        run(["useradd", "--system", "--gid", QEMU_GROUP, "--no-create-home",
             "--home-dir", "/var/lib/libvirt", "--shell", "/usr/sbin/nologin",
             QEMU_USER])


def qemu_ids(user: str) -> Tuple[int, int]:
    if user == "root":
        return 0, 0
    pw = pwd.getpwnam(user)
    return pw.pw_uid, pw.pw_gid


@dataclass
class HostSpec:
    name: str
    addr: str
    port_min: int
    port_max: int
    tcp_port: int


def default_specs() -> Tuple[HostSpec, HostSpec]:
    base = int(os.environ.get("LVPSK_E2E_PORT_BASE", "49152"))
    tcp = int(os.environ.get("LVPSK_E2E_TCP_BASE", "16561"))
    return (HostSpec("a", "127.0.0.2", base, base + 15, tcp),
            HostSpec("b", "127.0.0.3", base + 16, base + 31, tcp + 1))


INIT_SCRIPT = r'''
set -eu
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
    mount --bind "$1" "$2"
    shift 2
done
shift
"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null || true' TERM INT
rc=0
while kill -0 "$child" 2>/dev/null; do
    wait "$child" && rc=0 || rc=$?
done
exit "$rc"
'''

# Like INIT_SCRIPT, but libvirtd can be restarted inside the same namespaces
# (QEMU processes, reparented to this init, keep running): when libvirtd
# exits while $LVPSK_RESTART_FILE exists, the init waits (at most 120 s)
# while $LVPSK_HOLD_FILE exists, removes the restart file and starts
# libvirtd again.  SIGTERM still ends everything, as with INIT_SCRIPT.
RESTARTABLE_INIT_SCRIPT = r'''
set -eu
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
    mount --bind "$1" "$2"
    shift 2
done
shift
stopping=0
child=
on_term() {
    stopping=1
    if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; fi
}
trap on_term TERM INT
while :; do
    "$@" &
    child=$!
    rc=0
    while kill -0 "$child" 2>/dev/null; do
        wait "$child" && rc=0 || rc=$?
    done
    child=
    if [ "$stopping" = 1 ] || [ ! -e "$LVPSK_RESTART_FILE" ]; then
        exit "$rc"
    fi
    n=0
    while [ -e "$LVPSK_HOLD_FILE" ] && [ "$stopping" = 0 ] &&
          [ "$n" -lt 1200 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    rm -f "$LVPSK_RESTART_FILE"
    if [ "$stopping" = 1 ]; then
        exit "$rc"
    fi
    echo "lvpsk-e2e-init: restarting libvirtd (previous exit status $rc)" >&2
done
'''


class Host:
    """One libvirt host: a mount+PID namespace running libvirtd."""

    def __init__(self, spec: HostSpec, prefix: Prefix, base: str,
                 qemu_user: str = "root", host_uuid: Optional[str] = None,
                 debug_filters: str = "1:qemu.qemu_migration "
                                      "1:qemu.qemu_migration_params "
                                      "1:qemu.qemu_migration_cookie"):
        self.spec = spec
        self.name = spec.name
        self.addr = spec.addr
        self.prefix = prefix
        self.base = base
        self.dir = os.path.join(base, spec.name)
        self.qemu_user = qemu_user
        self.host_uuid = host_uuid or str(uuid.uuid4())
        self.debug_filters = debug_filters
        self.proc: Optional[subprocess.Popen] = None
        self.stopped = False
        self.init_pid: Optional[int] = None
        self.pid_ns: Optional[str] = None
        self.mnt_ns: Optional[str] = None
        self.console_log = os.path.join(base, "%s-console.log" % spec.name)
        self._console = None
        # restartable: run RESTARTABLE_INIT_SCRIPT so that restart_libvirtd()
        # works; set before start().
        self.restartable = False
        self.restart_file = os.path.join(self.dir, "libvirtd.restart")
        self.hold_file = os.path.join(self.dir, "libvirtd.hold")

    # -- paths --------------------------------------------------------------
    def outer(self, kind: str, *rel: str) -> str:
        """Path, seen from the root namespace, of a per-host file."""
        return os.path.join(self.dir, kind, *rel)

    def inner(self, kind: str, *rel: str) -> str:
        """The same file as libvirtd and QEMU inside the host see it."""
        return os.path.join(self.mounts()[kind], *rel)

    def mounts(self) -> Dict[str, str]:
        """Per-host directory name -> where it is mounted in the host.

        ``guest`` is mounted at the same path (``<base>/guest``) in every
        host whatever its prefix, so a guest's file paths (the RAM pattern
        loaded by QEMU) survive migration between different prefixes while
        each host still sees its own file.
        """
        m = dict(self.prefix.mount_targets())
        m["guest"] = os.path.join(self.base, "guest")
        return m

    @property
    def socket(self) -> str:
        return self.outer("run", "libvirt-sock")

    @property
    def uri(self) -> str:
        return "qemu+unix:///system?socket=%s" % self.socket

    @property
    def tcp_uri(self) -> str:
        return "qemu+tcp://%s:%d/system" % (self.addr, self.spec.tcp_port)

    def uri_for(self, transport: str) -> str:
        return {"unix": self.uri, "tcp": self.tcp_uri}[transport]

    @property
    def pki_dir_inner(self) -> str:
        return self.inner("etc", "e2e-pki")

    # -- configuration ------------------------------------------------------
    def write_config(self) -> None:
        uid, gid = qemu_ids(self.qemu_user)
        for k in HOST_DIRS:
            os.makedirs(self.outer(k), mode=0o755, exist_ok=True)
            os.chmod(self.outer(k), 0o755)
        os.makedirs(self.outer("etc", "e2e-pki"), mode=0o755, exist_ok=True)
        # Guest files: QEMU reads (loader) and writes (pmemsave) there.
        os.makedirs(self.inner("guest"), mode=0o755, exist_ok=True)
        os.chown(self.outer("guest"), uid, gid)
        libvirtd_conf = "\n".join([
            'host_uuid = "%s"' % self.host_uuid,
            'listen_tls = 0',
            'listen_tcp = 1',
            'listen_addr = "%s"' % self.addr,
            'tcp_port = "%d"' % self.spec.tcp_port,
            'auth_tcp = "none"',
            'auth_unix_ro = "none"',
            'auth_unix_rw = "none"',
            'unix_sock_rw_perms = "0700"',
            'log_filters = "%s"' % self.debug_filters,
            'log_outputs = "1:file:%s"' % self.inner("log", "libvirtd.log"),
            '',
        ])
        with open(self.outer("etc", "libvirtd.conf"), "w") as f:
            f.write(libvirtd_conf)
        qemu_conf = "\n".join([
            'user = "%s"' % self.qemu_user,
            'group = "%s"' % ("root" if self.qemu_user == "root"
                              else QEMU_GROUP),
            'dynamic_ownership = %d' % (0 if self.qemu_user == "root" else 1),
            'remember_owner = 0',
            'security_driver = "none"',
            'namespaces = [ ]',
            'cgroup_controllers = [ ]',
            'stdio_handler = "file"',
            'migration_address = "%s"' % self.addr,
            'migration_host = "%s"' % self.addr,
            'migration_port_min = %d' % self.spec.port_min,
            'migration_port_max = %d' % self.spec.port_max,
            'migrate_tls_x509_cert_dir = "%s"' % self.pki_dir_inner,
            'migrate_tls_x509_verify = 1',
            '',
        ])
        with open(self.outer("etc", "qemu.conf"), "w") as f:
            f.write(qemu_conf)

    def install_pki(self, pki: "Pki") -> None:
        """Copy the migration x509 files in; keys readable by QEMU's group."""
        _, gid = qemu_ids(self.qemu_user)
        d = self.outer("etc", "e2e-pki")
        for name, src in pki.files_for(self.addr).items():
            dst = os.path.join(d, name)
            shutil.copyfile(src, dst)
            if name.endswith("-key.pem"):
                os.chown(dst, 0, gid)
                os.chmod(dst, 0o640)
            else:
                os.chmod(dst, 0o644)

    # -- lifecycle ----------------------------------------------------------
    def start(self) -> "Host":
        """Launch; call wait_ready() afterwards (lets hosts boot together)."""
        if self.proc is not None:
            raise HarnessError("host %s already started" % self.name)
        script = RESTARTABLE_INIT_SCRIPT if self.restartable else INIT_SCRIPT
        args = ["unshare", "--mount", "--propagation", "private", "--pid",
                "--fork", "--mount-proc", "--kill-child",
                "bash", "-c", script, "lvpsk-e2e-init-%s" % self.name]
        for kind, target in self.mounts().items():
            args += [self.outer(kind), target]
        if self.hide_kvm():
            stub = os.path.join(self.dir, "no-kvm")
            with open(stub, "w"):
                pass
            os.chmod(stub, 0o600)
            args += [stub, "/dev/kvm"]
        args += ["--", self.prefix.libvirtd, "--listen",
                 "--config", self.inner("etc", "libvirtd.conf"),
                 "--pid-file", self.inner("run", "libvirtd.pid")]
        self._console = open(self.console_log, "ab")
        env = self.prefix.env()
        if self.restartable:
            env["LVPSK_RESTART_FILE"] = self.restart_file
            env["LVPSK_HOLD_FILE"] = self.hold_file
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=self._console,
                                     stderr=subprocess.STDOUT,
                                     env=env)
        return self

    def libvirtd_pid(self) -> Optional[int]:
        """PID of the libvirtd the host's init runs (not QEMU, which is
        reparented to the init too)."""
        if self.init_pid is None:
            return None
        for pid in _children(self.init_pid):
            try:
                with open("/proc/%d/comm" % pid) as f:
                    comm = f.read().strip()
                with open("/proc/%d/stat" % pid) as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if comm == "libvirtd" and state != "Z":
                return pid
        return None

    def restart_libvirtd(self, sig: int = signal.SIGKILL,
                         while_stopped=None, timeout: float = 60) -> int:
        """Kill this host's libvirtd by PID with ``sig`` and start it again
        in the same namespaces; QEMU processes keep running.

        ``while_stopped()`` (optional) runs after the old daemon is gone and
        before the new one starts.  Needs ``restartable`` set before
        ``start()``.  Returns the new libvirtd's PID once it answers on its
        unix socket and on TCP.  Every wait is bounded by ``timeout``.
        """
        if not self.restartable:
            raise HarnessError("host %s was not started restartable"
                               % self.name)
        if self.proc is None or self.stopped or self.proc.poll() is not None:
            raise HarnessError("host %s is not running" % self.name)
        old = wait_for(self.libvirtd_pid, timeout, 0.1,
                       "libvirtd on host %s" % self.name)
        with open(self.hold_file, "w"):
            pass
        with open(self.restart_file, "w"):
            pass
        try:
            os.kill(old, sig)
            wait_for(lambda: self.libvirtd_pid() != old, timeout, 0.05,
                     "libvirtd %d on host %s to exit" % (old, self.name))
            if self.proc.poll() is not None:
                raise HarnessError("host %s's init exited with libvirtd:\n%s"
                                   % (self.name, self.diagnostics()))
            if while_stopped is not None:
                while_stopped()
        finally:
            try:
                os.unlink(self.hold_file)
            except FileNotFoundError:
                pass
        wait_for(lambda: self.libvirtd_pid() not in (None, old),
                 timeout, 0.05, "a new libvirtd on host %s" % self.name)
        new = self.libvirtd_pid()
        try:
            wait_for(lambda: self.virsh("uri", check=False,
                                        timeout=15).returncode == 0,
                     timeout, 0.1, "restarted libvirtd on host %s" % self.name)
            wait_for(lambda: self.virsh("uri", uri=self.tcp_uri, check=False,
                                        timeout=15).returncode == 0,
                     timeout, 0.1, "restarted libvirtd TCP on host %s"
                     % self.name)
        except HarnessError as e:
            raise HarnessError("%s\n%s" % (e, self.diagnostics()))
        if os.path.exists(self.restart_file):
            raise HarnessError("host %s: init did not consume %s"
                               % (self.name, self.restart_file))
        return new

    def hide_kvm(self) -> bool:
        """Cover /dev/kvm when the QEMU user cannot open it.

        libvirt 9.0 checks /dev/kvm with access() as the QEMU user, while its
        capability probe still gets KVM here (containers with a root-only
        /dev/kvm): the cached capabilities are then invalidated on every
        lookup and each domain start re-probes QEMU for seconds.  An
        unusable stub makes both agree: no KVM, TCG only, as the tests
        require anyway.
        """
        if self.qemu_user == "root" or not os.path.exists("/dev/kvm"):
            return False
        uid, gid = qemu_ids(self.qemu_user)
        st = os.stat("/dev/kvm")
        if st.st_uid == uid and st.st_mode & 0o600 == 0o600:
            return False
        groups = os.getgrouplist(self.qemu_user, gid)
        if st.st_gid in groups and st.st_mode & 0o060 == 0o060:
            return False
        return st.st_mode & 0o006 != 0o006

    def _init_pid(self) -> Optional[int]:
        kids = _children(self.proc.pid) if self.proc else []
        return kids[0] if kids else None

    def wait_ready(self, timeout: float = 60) -> "Host":
        assert self.proc is not None

        def ready():
            if self.proc.poll() is not None:
                raise HarnessError("host %s exited (rc %s) while starting:\n%s"
                                   % (self.name, self.proc.returncode,
                                      self.diagnostics()))
            if self.init_pid is None:
                self.init_pid = self._init_pid()
                if self.init_pid is not None:
                    try:
                        self.pid_ns = os.readlink("/proc/%d/ns/pid"
                                                  % self.init_pid)
                        self.mnt_ns = os.readlink("/proc/%d/ns/mnt"
                                                  % self.init_pid)
                    except OSError:
                        self.init_pid = None
            if not os.path.exists(self.socket):
                return False
            return self.virsh("uri", check=False, timeout=15).returncode == 0

        try:
            wait_for(ready, timeout, 0.1, "libvirtd on host %s" % self.name)
        except HarnessError as e:
            raise HarnessError("%s\n%s" % (e, self.diagnostics()))
        if self.pid_ns is None:
            raise HarnessError("could not find host %s's namespaces"
                               % self.name)
        wait_for(lambda: self.virsh("uri", uri=self.tcp_uri, check=False,
                                    timeout=15).returncode == 0,
                 timeout, 0.1, "libvirtd TCP on host %s" % self.name)
        return self

    def processes(self) -> List[int]:
        if self.pid_ns is None:
            return []
        return _procs_in_ns("pid", self.pid_ns)

    def stop(self, grace: float = 15) -> List[str]:
        """Stop by PID; return a list of leftovers (empty when clean)."""
        problems: List[str] = []
        if self.proc is None or self.stopped:
            return problems
        self.stopped = True
        if self.proc.poll() is None:
            init = self.init_pid or self._init_pid()
            if init is not None:
                try:
                    os.kill(init, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                problems_note = "host %s: libvirtd ignored SIGTERM for %.0fs" \
                    % (self.name, grace)
                try:
                    os.kill(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    problems.append("host %s: unshare pid %d did not die"
                                    % (self.name, self.proc.pid))
                # Not a leftover by itself, but worth seeing.
                print(problems_note)
        if self._console:
            self._console.close()
            self._console = None
        if self.pid_ns:
            try:
                wait_for(lambda: not self.processes(), 10, 0.1,
                         "host %s's processes to exit" % self.name)
            except HarnessError:
                problems.append("host %s: processes left in %s: %s"
                                % (self.name, self.pid_ns, self.processes()))
        if self.mnt_ns:
            left = _procs_in_ns("mnt", self.mnt_ns)
            if left:
                problems.append("host %s: mount namespace %s still used by %s"
                                % (self.name, self.mnt_ns, left))
        for line in _mountinfo():
            if self.dir in line:
                problems.append("host %s: mount visible in root namespace: %s"
                                % (self.name, line))
        return problems

    # -- control ------------------------------------------------------------
    def virsh(self, *args: str, uri: Optional[str] = None, timeout: float = 60,
              check: bool = True) -> subprocess.CompletedProcess:
        cmd = [self.prefix.virsh, "-q", "-c", uri or self.uri] + list(args)
        return run(cmd, timeout=timeout, check=check, env=self.prefix.env())

    def inside(self, *cmd: str, timeout: float = 30,
               check: bool = True) -> subprocess.CompletedProcess:
        """Run a command in this host's mount namespace (nsenter by PID)."""
        if self.init_pid is None:
            raise HarnessError("host %s is not running" % self.name)
        return run(["nsenter", "--target", str(self.init_pid), "--mount",
                    "--"] + list(cmd), timeout=timeout, check=check)

    @property
    def qemu_uid(self) -> int:
        return qemu_ids(self.qemu_user)[0]

    def qemu_pids(self) -> List[int]:
        out = []
        for pid in self.processes():
            try:
                with open("/proc/%d/comm" % pid) as f:
                    if f.read().startswith("qemu-system"):
                        out.append(pid)
            except OSError:
                pass
        return out

    def qemu_uids(self) -> List[int]:
        uids = []
        for pid in self.qemu_pids():
            try:
                with open("/proc/%d/status" % pid) as f:
                    for line in f:
                        if line.startswith("Uid:"):
                            uids.append(int(line.split()[2]))  # effective
            except OSError:
                pass
        return uids

    def domains(self) -> List[str]:
        out = self.virsh("list", "--all", "--name").stdout
        return [l.strip() for l in out.splitlines() if l.strip()]

    def domstate(self, name: str) -> str:
        p = self.virsh("domstate", name, check=False)
        return p.stdout.strip() if p.returncode == 0 else ""

    def diagnostics(self, lines: int = 40) -> str:
        out = ["--- host %s (%s, dir %s, qemu user %s)"
               % (self.name, self.addr, self.dir, self.qemu_user)]
        logs = [self.console_log, self.outer("log", "libvirtd.log")]
        qlog = self.outer("log", "qemu")
        if os.path.isdir(qlog):
            logs += [os.path.join(qlog, n) for n in sorted(os.listdir(qlog))]
        for p in logs:
            try:
                with open(p, errors="replace") as f:
                    tail = f.read().splitlines()[-lines:]
            except OSError:
                continue
            out.append("--- %s (last %d lines)" % (p, len(tail)))
            out += tail
        return "\n".join(out)


class Pki:
    """A CA plus a server certificate per host address and a client one."""

    def __init__(self, workdir: str, addrs: Sequence[str]):
        self.dir = workdir
        self.addrs = list(addrs)

    def _certtool(self, *args: str) -> None:
        run(["certtool"] + list(args), timeout=60)

    def _tmpl(self, name: str, lines: Sequence[str]) -> str:
        p = os.path.join(self.dir, name + ".tmpl")
        with open(p, "w") as f:
            f.write("\n".join(lines) + "\n")
        return p

    def _key(self, name: str) -> str:
        p = os.path.join(self.dir, name + "-key.pem")
        self._certtool("--generate-privkey", "--key-type=rsa", "--bits=2048",
                       "--outfile", p)
        return p

    def make(self) -> "Pki":
        os.makedirs(self.dir, mode=0o755, exist_ok=True)
        ca_key = self._key("ca")
        ca = os.path.join(self.dir, "ca-cert.pem")
        self._certtool("--generate-self-signed", "--load-privkey", ca_key,
                       "--template", self._tmpl("ca", [
                           'cn = "lvpsk e2e test CA"', "ca",
                           "cert_signing_key", "expiration_days = 3"]),
                       "--outfile", ca)
        for addr in self.addrs:
            key = self._key("server-%s" % addr)
            self._certtool("--generate-certificate", "--load-privkey", key,
                           "--load-ca-certificate", ca,
                           "--load-ca-privkey", ca_key,
                           "--template", self._tmpl("server-%s" % addr, [
                               'cn = "%s"' % addr, "ip_address = %s" % addr,
                               "tls_www_server", "encryption_key",
                               "signing_key", "expiration_days = 3"]),
                           "--outfile", os.path.join(
                               self.dir, "server-%s-cert.pem" % addr))
        key = self._key("client")
        self._certtool("--generate-certificate", "--load-privkey", key,
                       "--load-ca-certificate", ca,
                       "--load-ca-privkey", ca_key,
                       "--template", self._tmpl("client", [
                           'cn = "lvpsk e2e migration client"',
                           "tls_www_client", "encryption_key", "signing_key",
                           "expiration_days = 3"]),
                       "--outfile", os.path.join(self.dir, "client-cert.pem"))
        return self

    def files_for(self, addr: str) -> Dict[str, str]:
        j = lambda n: os.path.join(self.dir, n)  # noqa: E731
        return {
            "ca-cert.pem": j("ca-cert.pem"),
            "server-cert.pem": j("server-%s-cert.pem" % addr),
            "server-key.pem": j("server-%s-key.pem" % addr),
            "client-cert.pem": j("client-cert.pem"),
            "client-key.pem": j("client-key.pem"),
        }


class MigrationError(HarnessError):
    pass


class TwoHosts:
    """Hosts A and B sharing one temporary base directory."""

    def __init__(self, prefix: Prefix, qemu_user: str = "root",
                 pki: Optional[Pki] = None,
                 specs: Optional[Tuple[HostSpec, HostSpec]] = None,
                 base: Optional[str] = None,
                 prefix_b: Optional[Prefix] = None):
        """Host A runs ``prefix``; host B runs ``prefix_b`` (default: same),
        e.g. our build on A and Debian's unpatched ``/usr`` on B."""
        self.prefix = prefix
        self.base = base or tempfile.mkdtemp(prefix=tmp_prefix(), dir="/tmp")
        os.chmod(self.base, 0o755)
        specs = specs or default_specs()
        self.a = Host(specs[0], prefix, self.base, qemu_user)
        self.b = Host(specs[1], prefix_b or prefix, self.base, qemu_user)
        self.pki = pki
        self.workdir = os.path.join(self.base, "work")
        os.makedirs(self.workdir, mode=0o755)

    @property
    def hosts(self) -> List[Host]:
        return [self.a, self.b]

    def other(self, h: Host) -> Host:
        return self.b if h is self.a else self.a

    def configure(self, h: Host) -> None:
        """Write host h's configuration; subclasses add to it."""
        h.write_config()
        if self.pki is not None:
            h.install_pki(self.pki)

    def before_daemons(self) -> None:
        """Called once every host is configured, before any daemon starts."""

    def start(self, timeout: float = 90) -> "TwoHosts":
        for h in self.hosts:
            self.configure(h)
        try:
            self.before_daemons()
            for h in self.hosts:
                h.start()
            for h in self.hosts:
                h.wait_ready(timeout)
        except BaseException:
            self.stop(remove=True)
            raise
        return self

    def stop(self, remove: bool = True) -> List[str]:
        problems: List[str] = []
        for h in self.hosts:
            problems += h.stop()
        if remove and os.path.lexists(self.base):
            try:
                shutil.rmtree(self.base)
            except OSError as e:
                problems.append("could not remove %s: %s" % (self.base, e))
            if os.path.lexists(self.base):
                problems.append("base dir still exists: %s" % self.base)
        return problems

    def diagnostics(self) -> str:
        return "\n".join(h.diagnostics() for h in self.hosts)

    # -- migration ----------------------------------------------------------
    def migrate(self, dom: str, src: Host, dst: Host, mode: str = "p2p",
                tls: bool = False, transport: str = "unix",
                extra: Sequence[str] = (), timeout: float = 120
                ) -> subprocess.CompletedProcess:
        """virsh migrate --live in 'p2p' or 'client' (client-managed) mode."""
        args = ["migrate", "--live"]
        if mode == "p2p":
            args.append("--p2p")
        elif mode != "client":
            raise ValueError("mode must be 'p2p' or 'client'")
        if tls:
            args.append("--tls")
        args += list(extra)
        args += [dom, dst.uri_for(transport)]
        t0 = time.monotonic()
        try:
            p = src.virsh(*args, check=False, timeout=timeout)
        except subprocess.TimeoutExpired:
            src.virsh("domjobabort", dom, check=False, timeout=30)
            raise MigrationError("migration of %s %s->%s timed out after %ss"
                                 % (dom, src.name, dst.name, timeout))
        p.elapsed = time.monotonic() - t0  # type: ignore[attr-defined]
        if p.returncode != 0:
            raise MigrationError("migration %s->%s (%s%s) failed: %s"
                                 % (src.name, dst.name, mode,
                                    ", tls" if tls else "",
                                    (p.stderr or p.stdout).strip()))
        return p

    def capture_bpf(self) -> str:
        parts = []
        for h in self.hosts:
            rng = "portrange %d-%d" % (h.spec.port_min, h.spec.port_max)
            parts.append("(src host %s and src %s)" % (h.addr, rng))
            parts.append("(dst host %s and dst %s)" % (h.addr, rng))
        return "tcp and (%s)" % " or ".join(parts)

    def capture(self, name: str, pattern: Optional[bytes] = None,
                timeout: float = 120, max_packets: int = 200000
                ) -> evidence.Capture:
        lo = min(h.spec.port_min for h in self.hosts)
        hi = max(h.spec.port_max for h in self.hosts)
        cap = evidence.Capture(os.path.join(self.workdir, name + ".pcap"),
                               lo, hi, pattern=pattern, timeout=timeout,
                               max_packets=max_packets)
        cap.bpf = self.capture_bpf  # type: ignore[assignment]
        return cap


def stop_all(started: Sequence["TwoHosts"], env: Environment,
             call_failed: bool) -> List[str]:
    """Stop every TwoHosts a test started (printing their diagnostics when
    the test failed) and return everything left behind."""
    problems: List[str] = []
    for th in started:
        if call_failed:
            print(th.diagnostics())
        problems += th.stop()
    return problems + env.leftovers()
