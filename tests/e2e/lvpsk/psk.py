"""Helpers for the TLS-PSK migration tests (``virsh migrate --tls-psk``).

What the harness itself does not need but every PSK test does:

* ``PskHosts``        - ``TwoHosts`` whose hosts get extra qemu.conf lines
                        (``migrate_psk_length``, ``migrate_tls_force`` ...)
                        and their own libvirtd log filters; the
                        ``psk_hosts`` fixture starts them and, on teardown,
                        applies the same "nothing left" checks as
                        ``make_hosts``.
* ``PskGuest``        - ``Guest`` plus an optional incompressible filler in
                        RAM (so that ``--bandwidth 1`` makes a migration last
                        seconds) and an optional small raw disk carrying its
                        own pattern (for ``--copy-storage-all``).
* ``leftovers()``     - the PSK "nothing left" check: no ``<uuid>`` key
                        directory under either host's base directory, no
                        ``objlibvirt_migrate_tls0`` (or any tls-creds) object
                        in the running QEMU, ``tls-creds`` empty in
                        ``query-migrate-parameters``, no guest/QEMU on the
                        other host.
* ``server_hellos()`` - TLS ServerHello version and cipher suite of every
                        stream in a capture (pcap reader of the evidence
                        tool): 0x1301 = TLS_AES_128_GCM_SHA256, 0x1303 =
                        TLS_CHACHA20_POLY1305_SHA256.
* ``BgMigration``     - ``virsh migrate`` in the background (started and
                        stopped by PID, every wait bounded).
* secrets             - ``define_secret()`` on a host.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import time
import uuid as uuidlib
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import pytest

from . import evidence, pcap
from .guest import Guest, make_pattern
from .harness import (HarnessError, Host, Prefix, TwoHosts, run, stop_all,
                      wait_for)

CREDS_ID = "objlibvirt_migrate_tls0"
PSK_PRIORITY = "NORMAL:-CHACHA20-POLY1305"
KEY_FILE = "keys.psk"
LENGTH_MIN, LENGTH_DEFAULT, LENGTH_MAX = 16, 32, 64
# Everything the qemu driver and the JSON code log at debug level.
DEBUG_FILTERS = "1:qemu 1:util.json"

TLS_AES_128_GCM_SHA256 = 0x1301
TLS_AES_256_GCM_SHA384 = 0x1302
TLS_CHACHA20_POLY1305_SHA256 = 0x1303
CIPHER_NAMES = {
    0x1301: "TLS_AES_128_GCM_SHA256",
    0x1302: "TLS_AES_256_GCM_SHA384",
    0x1303: "TLS_CHACHA20_POLY1305_SHA256",
}
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                     r"[0-9a-f]{12}$", re.I)

FILLER_ADDR = 0x2000000        # 32 MiB, above the pattern at 16 MiB


# -- hosts -------------------------------------------------------------------

class PskHosts(TwoHosts):
    """TwoHosts with per-host extra qemu.conf lines and log filters."""

    def __init__(self, prefix: Prefix, qemu_conf_a: Sequence[str] = (),
                 qemu_conf_b: Sequence[str] = (),
                 log_filters: str = DEBUG_FILTERS, restartable: bool = False,
                 before_start: Optional[Callable[["PskHosts"], None]] = None,
                 **kw):
        """restartable: hosts whose libvirtd ``Host.restart_libvirtd()`` can
        restart; before_start(th): called once the configuration is
        written, before any libvirtd starts (e.g. to plant files)."""
        super().__init__(prefix, **kw)
        self.extra_conf = {"a": list(qemu_conf_a), "b": list(qemu_conf_b)}
        self.before_start = before_start
        for h in self.hosts:
            h.debug_filters = log_filters
            h.restartable = restartable

    def configure(self, h) -> None:
        super().configure(h)
        extra = self.extra_conf[h.name]
        if extra:
            with open(h.outer("etc", "qemu.conf"), "a") as f:
                f.write("\n".join(extra) + "\n")

    def before_daemons(self) -> None:
        if self.before_start is not None:
            self.before_start(self)


@pytest.fixture
def psk_hosts(request, e2e_env, pki):
    """Factory: ``psk_hosts(qemu_user="root", qemu_conf=[...],
    qemu_conf_a=[...], qemu_conf_b=[...], prefix_b=None, with_pki=False,
    restartable=False, before_start=None)``.

    ``qemu_conf`` goes to both hosts.  Teardown stops the hosts by PID and
    fails the test on any leftover (processes, mounts, files), like
    ``make_hosts``.
    """
    started: List[PskHosts] = []

    def factory(qemu_user: str = "root", qemu_conf: Sequence[str] = (),
                qemu_conf_a: Sequence[str] = (),
                qemu_conf_b: Sequence[str] = (), prefix_b=None,
                with_pki: bool = False,
                log_filters: str = DEBUG_FILTERS, restartable: bool = False,
                before_start=None) -> PskHosts:
        if prefix_b is not None:
            if isinstance(prefix_b, str):
                prefix_b = Prefix(prefix_b)
            prefix_b = e2e_env.add(prefix_b)
        th = PskHosts(e2e_env.prefix,
                      qemu_conf_a=list(qemu_conf) + list(qemu_conf_a),
                      qemu_conf_b=list(qemu_conf) + list(qemu_conf_b),
                      log_filters=log_filters, qemu_user=qemu_user,
                      pki=pki if with_pki else None, prefix_b=prefix_b,
                      restartable=restartable, before_start=before_start)
        started.append(th)
        th.start()
        return th

    yield factory

    rep = getattr(request.node, "rep_call", None)
    problems = stop_all(started, e2e_env, rep is not None and rep.failed)
    assert not problems, "left behind:\n  " + "\n  ".join(problems)


def require_psk_support(prefix: Prefix) -> None:
    """Fail (not skip) clearly when the build's virsh lacks --tls-psk."""
    p = run([prefix.virsh, "migrate", "--help"], env=prefix.env(),
            check=False)
    for opt in ("--tls-psk", "--tls-psk-secret-uuid"):
        if opt not in p.stdout:
            raise AssertionError("%s: virsh migrate does not offer %s"
                                 % (prefix.virsh, opt))


# -- guests ------------------------------------------------------------------

class PskGuest(Guest):
    """A Guest with optional RAM filler and an optional raw disk.

    ``filler_mib``: incompressible random bytes loaded at 32 MiB (the same
    file on every host), so that a migration at ``--bandwidth 1`` lasts
    about that many seconds.  ``disk_mib``: a raw virtio disk at
    ``<base>/guest/disk.raw`` whose first 4 KiB are zero (not bootable) and
    whose next bytes are ``disk_pattern``.
    """

    def __init__(self, name: str = "e2e-psk", filler_mib: int = 0,
                 disk_mib: int = 0, **kw):
        super().__init__(name=name, **kw)
        self.filler_mib = filler_mib
        self.disk_mib = disk_mib
        self.disk_pattern = make_pattern(b"lvpsk-e2e-disk:" + os.urandom(16),
                                         256 * 1024) if disk_mib else b""
        self.filler = os.urandom(filler_mib << 20) if filler_mib else b""

    def xml(self, host: Host) -> str:
        x = super().xml(host)
        if self.filler:
            arg = "loader,file=%s,addr=0x%x,force-raw=on" % (
                host.inner("guest", "filler.bin"), FILLER_ADDR)
            x = x.replace("  </qemu:commandline>",
                          "    <qemu:arg value='-device'/>\n"
                          "    <qemu:arg value='%s'/>\n"
                          "  </qemu:commandline>" % arg)
        if self.disk_mib:
            disk = ("    <disk type='file' device='disk'>\n"
                    "      <driver name='qemu' type='raw'/>\n"
                    "      <source file='%s'/>\n"
                    "      <target dev='vda' bus='virtio'/>\n"
                    "    </disk>\n" % host.inner("guest", "disk.raw"))
            x = x.replace("  <devices>\n", "  <devices>\n" + disk)
        return x

    def disk_image(self) -> bytes:
        size = self.disk_mib << 20
        data = b"\0" * 4096 + self.disk_pattern
        return data + b"\0" * (size - len(data))

    def place_patterns(self, origin: Host, others) -> None:
        others = list(others)
        super().place_patterns(origin, others)
        for h in [origin] + others:
            if self.filler:
                p = h.outer("guest", "filler.bin")
                with open(p, "wb") as f:
                    f.write(self.filler)
                os.chmod(p, 0o644)
            if self.disk_mib:
                # The origin's disk carries the pattern; elsewhere a zeroed
                # file of the same size, as a copy-storage target.
                p = h.outer("guest", "disk.raw")
                with open(p, "wb") as f:
                    if h is origin:
                        f.write(self.disk_image())
                    else:
                        f.truncate(self.disk_mib << 20)
                uid = h.qemu_uid
                os.chown(p, uid, os.stat(h.outer("guest")).st_gid)
                os.chmod(p, 0o660)

    def read_disk(self, host: Host) -> bytes:
        with open(host.outer("guest", "disk.raw"), "rb") as f:
            return f.read()


# -- QMP through libvirt -----------------------------------------------------

def qmp(host: Host, dom: str, execute: str, arguments: Optional[Dict] = None,
        timeout: float = 30):
    cmd = {"execute": execute}
    if arguments is not None:
        cmd["arguments"] = arguments
    p = host.virsh("qemu-monitor-command", dom, json.dumps(cmd),
                   timeout=timeout)
    reply = json.loads(p.stdout)
    if "return" not in reply:
        raise HarnessError("QMP %s on %s: %s" % (execute, host.name, reply))
    return reply["return"]


def objects(host: Host, dom: str) -> Dict[str, str]:
    """Children of /objects in the guest's QEMU: name -> QOM type."""
    return {o["name"]: o["type"]
            for o in qmp(host, dom, "qom-list", {"path": "/objects"})}


def creds_objects(host: Host, dom: str) -> Dict[str, str]:
    return {n: t for n, t in objects(host, dom).items()
            if n == CREDS_ID or "tls-creds" in t}


def qom_get(host: Host, dom: str, path: str, prop: str):
    return qmp(host, dom, "qom-get", {"path": path, "property": prop})


def migrate_parameters(host: Host, dom: str) -> Dict:
    return qmp(host, dom, "query-migrate-parameters")


def query_migrate(host: Host, dom: str) -> Dict:
    return qmp(host, dom, "query-migrate")


# -- key directory -----------------------------------------------------------

def base_dir(host: Host) -> str:
    """The default migrate_base_psk_dir (the driver's state dir), outside."""
    return host.outer("run", "qemu")


def base_dir_inner(host: Host) -> str:
    return host.inner("run", "qemu")


def uuid_dirs(host: Host) -> List[str]:
    d = base_dir(host)
    try:
        names = os.listdir(d)
    except FileNotFoundError:
        return []
    return sorted(os.path.join(d, n) for n in names if UUID_RE.match(n))


def key_path(host: Host, dom_uuid: str) -> str:
    return os.path.join(base_dir(host), dom_uuid, KEY_FILE)


def leftovers(th: TwoHosts, guest: Guest, running_on: Host) -> List[str]:
    """The PSK 'nothing left' check; the guest must run on running_on."""
    problems = []
    for h in th.hosts:
        for d in uuid_dirs(h):
            try:
                content = sorted(os.listdir(d))
            except OSError:
                content = []
            problems.append("host %s: key directory left: %s %s"
                            % (h.name, d, content))
    state = running_on.domstate(guest.name)
    if state != "running":
        problems.append("host %s: guest is %r, not running"
                        % (running_on.name, state or "absent"))
        return problems
    creds = creds_objects(running_on, guest.name)
    if creds:
        problems.append("host %s: creds objects left in QEMU: %s"
                        % (running_on.name, creds))
    params = migrate_parameters(running_on, guest.name)
    if params.get("tls-creds", "") != "":
        problems.append("host %s: tls-creds is %r"
                        % (running_on.name, params.get("tls-creds")))
    other = th.other(running_on)
    if guest.name in other.domains():
        problems.append("host %s: still has the guest (%s)"
                        % (other.name, other.domstate(guest.name)))
    if other.qemu_pids():
        problems.append("host %s: QEMU processes left: %s"
                        % (other.name, other.qemu_pids()))
    return problems


def assert_nothing_left(th: TwoHosts, guest: Guest, running_on: Host) -> None:
    problems = leftovers(th, guest, running_on)
    assert not problems, "left behind:\n  " + "\n  ".join(problems)


def wait_clean(th: TwoHosts, guest: Guest, running_on: Host,
               timeout: float = 10) -> float:
    """After a failed migration: poll (bounded) until nothing is left, then
    assert it.  Returns the seconds it took (printed when not immediate)."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    while leftovers(th, guest, running_on) and time.monotonic() < deadline:
        time.sleep(0.2)
    took = time.monotonic() - t0
    if took > 0.1:
        print("cleanup completed only after %.1fs" % took)
    assert_nothing_left(th, guest, running_on)
    return took


# -- key material ------------------------------------------------------------

def key_forms(key: bytes) -> Dict[str, bytes]:
    """Encodings in which key bytes could leak into a text file."""
    forms = {
        "hex": key.hex().encode(),
        "HEX": key.hex().upper().encode(),
        "base64": base64.b64encode(key).rstrip(b"="),
        "raw": key,
    }
    return {k: v for k, v in forms.items() if len(v) >= 8}


def find_key(key: bytes, paths: Sequence[str]) -> List[str]:
    """'path: form' for every file that holds the key in some form."""
    hits = []
    for p in paths:
        try:
            with open(p, "rb") as f:
                data = f.read()
        except (FileNotFoundError, IsADirectoryError):
            continue
        for name, form in key_forms(key).items():
            if form in data:
                hits.append("%s: %s" % (p, name))
    return hits


def log_files(host: Host) -> List[str]:
    out = [host.outer("log", "libvirtd.log"), host.console_log]
    qlog = host.outer("log", "qemu")
    if os.path.isdir(qlog):
        out += [os.path.join(qlog, n) for n in sorted(os.listdir(qlog))]
    return out


def status_xmls(host: Host) -> List[str]:
    d = base_dir(host)
    try:
        return [os.path.join(d, n) for n in sorted(os.listdir(d))
                if n.endswith(".xml")]
    except FileNotFoundError:
        return []


def cmdlines(hosts: Sequence[Host]) -> Dict[int, bytes]:
    out = {}
    for h in hosts:
        for pid in h.processes():
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    out[pid] = f.read()
            except OSError:
                pass
    return out


class LogWindow:
    """Bytes appended to a host's libvirtd.log since creation."""

    def __init__(self, host: Host):
        self.path = host.outer("log", "libvirtd.log")
        self.start = os.path.getsize(self.path)

    def read(self) -> str:
        with open(self.path, "rb") as f:
            f.seek(self.start)
            return f.read().decode("utf-8", "replace")


MONITOR_SEND_RE = re.compile(r"QEMU_MONITOR_SEND_MSG: mon=\S+ msg=(\{.*\})\s*$",
                             re.M)


def monitor_commands(log_text: str) -> List[Dict]:
    """QMP commands libvirtd sent, from its debug log (qemu.qemu_monitor)."""
    out = []
    for m in MONITOR_SEND_RE.finditer(log_text):
        try:
            out.append(json.loads(m.group(1)))
        except ValueError:
            pass
    return out


# -- secrets -----------------------------------------------------------------

def define_secret(host: Host, secret_uuid: str, value: Optional[bytes],
                  usage: Optional[str] = "tls", private: bool = True,
                  workdir: Optional[str] = None) -> None:
    """A secret with that UUID (private by default, as key material should
    be: its value cannot be read back through the API); ``value`` None
    leaves it without a value."""
    workdir = workdir or host.outer("guest")
    usage_xml = ""
    if usage == "tls":
        usage_xml = ("  <usage type='tls'><name>lvpsk-e2e-%s</name></usage>\n"
                     % secret_uuid)
    xml = os.path.join(workdir, "secret-%s-%s.xml" % (host.name, secret_uuid))
    with open(xml, "w") as f:
        f.write("<secret ephemeral='no' private='%s'>\n"
                "  <uuid>%s</uuid>\n%s</secret>\n"
                % ("yes" if private else "no", secret_uuid, usage_xml))
    host.virsh("secret-define", xml)
    os.unlink(xml)
    if value is None:
        return
    val = os.path.join(workdir, "secret-%s-%s.bin" % (host.name, secret_uuid))
    fd = os.open(val, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(value)
    try:
        host.virsh("secret-set-value", "--secret", secret_uuid, "--file", val,
                   "--plain")
    finally:
        os.unlink(val)


def new_uuid() -> str:
    return str(uuidlib.uuid4())


# -- TLS ServerHello ---------------------------------------------------------

@dataclass
class ServerHello:
    stream: str
    legacy_version: int
    cipher: int
    version: int            # from supported_versions, else legacy_version
    hello_retry: bool

    @property
    def cipher_name(self) -> str:
        return CIPHER_NAMES.get(self.cipher, "0x%04x" % self.cipher)


HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891"
                           "c2a211167abb8c5e079e09e2c8a8339c")


def parse_server_hello(data: bytes) -> Optional[Dict]:
    """Decode the ServerHello at the start of a server->client TLS stream.

    Returns None when the stream does not start with a handshake record
    holding a ServerHello.  Handshake messages may span records.
    """
    hs = bytearray()
    pos = 0
    while pos + 5 <= len(data) and len(hs) < 4 + 65536:
        ctype, length = data[pos], int.from_bytes(data[pos + 3:pos + 5], "big")
        if ctype != 22:
            break
        hs += data[pos + 5:pos + 5 + length]
        pos += 5 + length
        if len(hs) >= 4 and len(hs) >= 4 + int.from_bytes(hs[1:4], "big"):
            break
    if len(hs) < 4 or hs[0] != 2:
        return None
    body = bytes(hs[4:4 + int.from_bytes(hs[1:4], "big")])
    if len(body) < 2 + 32 + 1:
        return None
    legacy = int.from_bytes(body[0:2], "big")
    random_ = body[2:34]
    sid_len = body[34]
    p = 35 + sid_len
    if len(body) < p + 3:
        return None
    cipher = int.from_bytes(body[p:p + 2], "big")
    p += 3                                   # cipher suite + compression
    version = legacy
    if len(body) >= p + 2:
        ext_end = p + 2 + int.from_bytes(body[p:p + 2], "big")
        p += 2
        while p + 4 <= min(ext_end, len(body)):
            etype = int.from_bytes(body[p:p + 2], "big")
            elen = int.from_bytes(body[p + 2:p + 4], "big")
            if etype == 43 and elen == 2:    # supported_versions
                version = int.from_bytes(body[p + 4:p + 6], "big")
            p += 4 + elen
    return {"legacy_version": legacy, "cipher": cipher, "version": version,
            "hello_retry": random_ == HRR_RANDOM}


def server_hellos(path: str) -> List[ServerHello]:
    out = []
    for st in pcap.reassemble(path):
        info = parse_server_hello(st.data[evidence.tls_start(st.data):])
        if info is not None:
            out.append(ServerHello(stream=st.label(), **info))
    return out


def client_hello_streams(path: str) -> List[str]:
    """Streams that start with a TLS handshake record holding a ClientHello."""
    out = []
    for st in pcap.reassemble(path):
        d = st.data[evidence.tls_start(st.data):]
        if len(d) > 5 and d[0] == 22 and d[5] == 1:
            out.append(st.label())
    return out


def assert_aes_gcm(cap, min_handshakes: int = 1) -> List[ServerHello]:
    """Every TLS session of the capture negotiated TLS 1.3 AES-128-GCM."""
    hellos = [h for h in server_hellos(cap.out) if not h.hello_retry]
    clients = client_hello_streams(cap.out)
    desc = "; ".join("%s %s v=0x%04x" % (h.stream, h.cipher_name, h.version)
                     for h in hellos)
    print("TLS ServerHellos: " + (desc or "none"))
    assert len(hellos) >= min_handshakes, \
        "expected >= %d TLS ServerHellos in %s, found %d (%s)" % (
            min_handshakes, cap.out, len(hellos), desc)
    assert len(hellos) >= len(clients), \
        "ClientHellos %s but only %d ServerHellos" % (clients, len(hellos))
    for h in hellos:
        assert h.version == 0x0304, "not TLS 1.3: " + desc
        assert h.cipher == TLS_AES_128_GCM_SHA256, \
            "negotiated %s, not AES-128-GCM: %s" % (h.cipher_name, desc)
    return hellos


def assert_encrypted(cap, min_handshakes: int = 1) -> None:
    v = cap.verdict
    print(v.summary())
    assert v.kind == "encrypted", v.summary()
    assert v.pattern_chunks_found == 0, v.summary()
    assert all(s.tls for s in v.streams if s.bytes), v.summary()
    assert_aes_gcm(cap, min_handshakes)


# -- migrations --------------------------------------------------------------

def migrate_args(dom: str, dst: Host, mode: str = "p2p",
                 transport: Optional[str] = None,
                 extra: Sequence[str] = ()) -> List[str]:
    transport = transport or ("tcp" if mode == "p2p" else "unix")
    args = ["migrate", "--live"]
    if mode == "p2p":
        args.append("--p2p")
    elif mode != "client":
        raise ValueError("mode must be 'p2p' or 'client'")
    return args + list(extra) + [dom, dst.uri_for(transport)]


def try_migrate(th: TwoHosts, dom: str, src: Host, dst: Host,
                mode: str = "p2p", extra: Sequence[str] = (),
                timeout: float = 90) -> subprocess.CompletedProcess:
    """virsh migrate, returning the result whether it failed or not."""
    args = migrate_args(dom, dst, mode, extra=extra)
    t0 = time.monotonic()
    try:
        p = src.virsh(*args, check=False, timeout=timeout)
    except subprocess.TimeoutExpired:
        src.virsh("domjobabort", dom, check=False, timeout=30)
        raise AssertionError("virsh %s timed out after %ss" %
                             (" ".join(args), timeout))
    p.elapsed = time.monotonic() - t0  # type: ignore[attr-defined]
    return p


class BgMigration:
    """``virsh migrate`` running in the background (by PID only)."""

    def __init__(self, src: Host, dom: str, dst: Host, mode: str = "p2p",
                 extra: Sequence[str] = ()):
        self.src = src
        self.dom = dom
        self.args = migrate_args(dom, dst, mode, extra=extra)
        cmd = [src.prefix.virsh, "-q", "-c", src.uri] + self.args
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     env=src.prefix.env())
        self.result: Optional[subprocess.CompletedProcess] = None

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait(self, timeout: float = 90) -> subprocess.CompletedProcess:
        if self.result is not None:
            return self.result
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("virsh %s still running after %ss"
                                 % (" ".join(self.args), timeout))
        self.result = subprocess.CompletedProcess(self.proc.args,
                                                  self.proc.returncode,
                                                  out, err)
        self.result.elapsed = time.monotonic() - self.t0  # type: ignore
        return self.result

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.src.virsh("domjobabort", self.dom, check=False, timeout=30)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        if self.result is None:
            out, err = self.proc.communicate()
            self.result = subprocess.CompletedProcess(
                self.proc.args, self.proc.returncode, out, err)

    def __enter__(self) -> "BgMigration":
        return self

    def __exit__(self, *exc) -> None:
        self.kill()


def wait_migration_active(bg: BgMigration, timeout: float = 30) -> None:
    """Until the source QEMU reports its outgoing migration 'active'."""
    def active():
        if not bg.running():
            r = bg.wait(5)
            raise AssertionError("migration ended before it was seen "
                                 "running (rc %d): %s"
                                 % (r.returncode, (r.stderr or r.stdout)))
        p = bg.src.virsh("qemu-monitor-command", bg.dom,
                         '{"execute":"query-migrate"}', check=False,
                         timeout=15)
        if p.returncode != 0:
            return False
        st = json.loads(p.stdout).get("return", {}).get("status")
        return st in ("active", "postcopy-active")
    wait_for(active, timeout, 0.1, "the migration of %s to run" % bg.dom)


def set_speed(src: Host, dom: str, mib: int = 100000) -> None:
    src.virsh("migrate-setspeed", dom, str(mib), timeout=30)
