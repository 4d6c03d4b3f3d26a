"""Evidence tool: was a migration stream plain or encrypted?

``capture_migration()`` runs tcpdump on the loopback interface for the
migration port range, bounded by a packet count and a wall-clock timeout
(GNU ``timeout`` kills it even if this process dies).  ``analyze()``
reassembles the TCP streams and decides:

* plain        - any stream starts with QEMU's migration magic ``QEVM``
                 (or the multifd magic), or carries a RAM block name
                 (``pc.ram`` ...), or a chunk of the guest's RAM pattern;
* encrypted    - every stream with payload is a sequence of well-formed TLS
                 records starting with a handshake (for NBD: right after
                 the clear-text negotiation up to NBD_OPT_STARTTLS), enough bytes went by to
                 have carried the guest's RAM pattern, and none of the plain
                 markers appear anywhere;
* inconclusive - nothing captured, or streams that are neither.

Command line (root)::

    python3 -m lvpsk.evidence analyze FILE.pcap [--pattern FILE]
    python3 -m lvpsk.evidence capture --ports 49152-49215 --out F.pcap \
        [--pattern FILE] [--timeout 60] [--count 200000] -- CMD ARGS...
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import List, Optional, Sequence

from . import pcap

QEMU_VM_FILE_MAGIC = b"QEVM"
MULTIFD_MAGIC = (0x11223344).to_bytes(4, "big")
RAM_BLOCK_NAMES = (
    b"pc.ram", b"pc.bios", b"pc.rom", b"/rom@etc/acpi/tables",
    b"/rom@etc/table-loader", b"/rom@etc/acpi/rsdp",
)
PATTERN_CHUNK = 64
# NBD (the --copy-storage-* stream): with TLS, QEMU negotiates in clear up
# to NBD_OPT_STARTTLS and its ACK, then runs TLS on the same connection.
NBD_MAGIC = b"NBDMAGIC"
NBD_IHAVEOPT = b"IHAVEOPT"
NBD_OPT_STARTTLS = 5
NBD_REP_MAGIC = 0x0003E889045565A9
NBD_REP_ACK = 1
PAGE = 4096

PLAIN = "plain"
ENCRYPTED = "encrypted"
INCONCLUSIVE = "inconclusive"


@dataclass
class StreamReport:
    label: str
    packets: int
    bytes: int
    holes: int
    hole_bytes: int
    starts_with_qevm: bool = False
    starts_with_multifd: bool = False
    ram_block_names: List[str] = field(default_factory=list)
    pattern_chunks: int = 0
    tls: bool = False
    tls_records_checked: int = 0
    head_hex: str = ""
    nbd_starttls: bool = False


@dataclass
class Verdict:
    kind: str
    reasons: List[str]
    streams: List[StreamReport]
    pcap: str = ""
    packets: int = 0
    bytes: int = 0
    pattern_chunks_total: int = 0
    pattern_chunks_found: int = 0
    tcpdump_stats: str = ""

    @property
    def plain(self) -> bool:
        return self.kind == PLAIN

    @property
    def encrypted(self) -> bool:
        return self.kind == ENCRYPTED

    def summary(self) -> str:
        lines = ["evidence verdict: %s" % self.kind.upper()]
        lines += ["  - %s" % r for r in self.reasons]
        lines.append("  capture: %s (%d TCP packets, %d payload bytes)"
                     % (self.pcap or "-", self.packets, self.bytes))
        if self.tcpdump_stats:
            lines.append("  tcpdump: %s" % self.tcpdump_stats)
        if self.pattern_chunks_total:
            lines.append("  guest RAM pattern: %d/%d chunks seen on the wire"
                         % (self.pattern_chunks_found,
                            self.pattern_chunks_total))
        for s in self.streams:
            kind = ("NBD+TLS" if s.tls and s.nbd_starttls else
                    "TLS" if s.tls else
                    "QEVM" if s.starts_with_qevm else
                    "multifd" if s.starts_with_multifd else "?")
            lines.append(
                "  stream %s: %d pkts, %d bytes, %s, names=%s, pattern=%d, "
                "holes=%d, head=%s" % (
                    s.label, s.packets, s.bytes, kind,
                    ",".join(s.ram_block_names) or "-", s.pattern_chunks,
                    s.holes, s.head_hex))
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def tls_walk(data: bytes, max_records: int = 64):
    """Walk TLS records from the start of ``data``.

    Returns (records walked, ok).  ok is False if a record header is not a
    TLS record header; running out of data is fine.
    """
    pos = 0
    n = 0
    while pos + 5 <= len(data) and n < max_records:
        ctype = data[pos]
        vmaj = data[pos + 1]
        vmin = data[pos + 2]
        length = int.from_bytes(data[pos + 3:pos + 5], "big")
        if ctype not in (20, 21, 22, 23) or vmaj != 3 or vmin > 4 \
                or length == 0 or length > 16384 + 2048:
            return n, False
        if n == 0 and ctype != 22:
            return 0, False
        pos += 5 + length
        n += 1
    return n, n > 0


def nbd_starttls_offset(data: bytes) -> Optional[int]:
    """Where TLS starts in an NBD stream that opened with NBD_OPT_STARTTLS.

    Server side: NBDMAGIC IHAVEOPT flags(2), then the option reply (magic,
    option 5, NBD_REP_ACK, length 0).  Client side: flags(4) IHAVEOPT,
    option 5, length 0.  None for anything else (plain NBD included).
    """
    be = lambda b: int.from_bytes(b, "big")  # noqa: E731
    if data[:16] == NBD_MAGIC + NBD_IHAVEOPT and len(data) >= 38:
        if be(data[18:26]) == NBD_REP_MAGIC and \
                be(data[26:30]) == NBD_OPT_STARTTLS and \
                be(data[30:34]) == NBD_REP_ACK and be(data[34:38]) == 0:
            return 38
        return None
    if data[4:12] == NBD_IHAVEOPT and len(data) >= 20 and \
            be(data[12:16]) == NBD_OPT_STARTTLS and be(data[16:20]) == 0:
        return 20
    return None


def tls_start(data: bytes) -> int:
    """Offset of the first TLS record: 0, or after an NBD STARTTLS."""
    off = nbd_starttls_offset(data)
    return off if off is not None else 0


def pattern_chunks(pattern: Optional[bytes]) -> List[bytes]:
    """A 64-byte probe from the start of every page of the pattern."""
    if not pattern:
        return []
    return [pattern[off:off + PATTERN_CHUNK]
            for off in range(0, len(pattern) - PATTERN_CHUNK + 1, PAGE)]


def analyze(path: str, pattern: Optional[bytes] = None,
            tcpdump_stats: str = "") -> Verdict:
    streams = pcap.reassemble(path)
    chunks = pattern_chunks(pattern)
    found_chunks = set()
    reports: List[StreamReport] = []
    for st in streams:
        data = st.data
        rep = StreamReport(label=st.label(), packets=st.packets,
                           bytes=len(data), holes=st.holes,
                           hole_bytes=st.hole_bytes,
                           head_hex=data[:8].hex())
        if data:
            rep.starts_with_qevm = data[:4] == QEMU_VM_FILE_MAGIC
            rep.starts_with_multifd = data[:4] == MULTIFD_MAGIC
            rep.ram_block_names = [n.decode() for n in RAM_BLOCK_NAMES
                                   if n in data]
            for i, c in enumerate(chunks):
                if c in data:
                    rep.pattern_chunks += 1
                    found_chunks.add(i)
            off = nbd_starttls_offset(data)
            rep.nbd_starttls = off is not None
            rep.tls_records_checked, rep.tls = tls_walk(data[off or 0:])
        reports.append(rep)

    total = sum(r.bytes for r in reports)
    v = Verdict(kind=INCONCLUSIVE, reasons=[], streams=reports, pcap=path,
                packets=sum(s.packets for s in streams), bytes=total,
                pattern_chunks_total=len(chunks),
                pattern_chunks_found=len(found_chunks),
                tcpdump_stats=tcpdump_stats)
    with_data = [r for r in reports if r.bytes]
    if not with_data:
        v.reasons.append("no TCP payload captured on the migration ports")
        return v

    plain = []
    for r in with_data:
        if r.starts_with_qevm:
            plain.append("%s starts with QEMU migration magic QEVM" % r.label)
        if r.starts_with_multifd:
            plain.append("%s starts with the multifd magic" % r.label)
        if r.ram_block_names:
            plain.append("%s carries RAM block names %s"
                         % (r.label, ",".join(r.ram_block_names)))
        if r.pattern_chunks:
            plain.append("%s carries %d chunks of the guest RAM pattern"
                         % (r.label, r.pattern_chunks))
    if plain:
        v.kind = PLAIN
        v.reasons = plain
        return v

    not_tls = [r for r in with_data if not r.tls]
    if not_tls:
        v.reasons.append("streams neither plain nor TLS: %s"
                         % ", ".join(r.label for r in not_tls))
        return v
    need = max(len(pattern or b""), PAGE)
    if total < need:
        v.reasons.append("only %d bytes of TLS seen, fewer than the %d "
                         "bytes of guest RAM pattern" % (total, need))
        return v
    v.kind = ENCRYPTED
    v.reasons.append("all %d streams with payload are TLS record sequences "
                     "(%d bytes)" % (len(with_data), total))
    v.reasons.append("no QEVM magic, no RAM block names%s in any stream"
                     % (", no guest RAM pattern" if chunks else ""))
    return v


class Capture:
    """tcpdump on loopback for a port range, bounded by time and count."""

    def __init__(self, out: str, port_min: int, port_max: int,
                 pattern: Optional[bytes] = None, timeout: float = 120,
                 max_packets: int = 200000, iface: str = "lo",
                 host_filter: Optional[Sequence[str]] = None):
        self.out = out
        self.port_min = port_min
        self.port_max = port_max
        self.pattern = pattern
        self.timeout = timeout
        self.max_packets = max_packets
        self.iface = iface
        self.host_filter = list(host_filter or [])
        self.proc: Optional[subprocess.Popen] = None
        self._stderr: List[str] = []
        self._ready = threading.Event()
        self._reader: Optional[threading.Thread] = None
        self.verdict: Optional[Verdict] = None

    def bpf(self) -> str:
        f = "tcp portrange %d-%d" % (self.port_min, self.port_max)
        if self.host_filter:
            f += " and (%s)" % " or ".join("host %s" % h
                                           for h in self.host_filter)
        return f

    def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr.append(line.rstrip("\n"))
            if "listening on" in line:
                self._ready.set()
        self._ready.set()

    def start(self, ready_timeout: float = 15) -> "Capture":
        cmd = ["timeout", "--signal=INT", "--kill-after=5",
               "%d" % int(self.timeout),
               "tcpdump", "-i", self.iface, "-n", "-U", "-s", "0",
               "-B", "32768", "-Z", "root", "-c", str(self.max_packets),
               "-w", self.out, self.bpf()]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        if not self._ready.wait(ready_timeout) or self.proc.poll() is not None:
            self.stop()
            raise RuntimeError("tcpdump did not start: %s"
                               % " | ".join(self._stderr))
        return self

    def stop(self, grace: float = 10) -> Verdict:
        if self.proc is not None and self.proc.poll() is None:
            # Give the kernel a moment to deliver the last segments.
            time.sleep(0.3)
            try:
                os.kill(self.proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if self._reader is not None:
            self._reader.join(5)
        stats = "; ".join(l for l in self._stderr
                          if re.search(r"packets (captured|received|dropped)",
                                       l))
        if os.path.exists(self.out) and os.path.getsize(self.out) >= 24:
            self.verdict = analyze(self.out, self.pattern, stats)
        else:
            self.verdict = Verdict(kind=INCONCLUSIVE,
                                   reasons=["tcpdump wrote no capture: %s"
                                            % " | ".join(self._stderr)],
                                   streams=[], pcap=self.out,
                                   tcpdump_stats=stats)
        return self.verdict

    def __enter__(self) -> "Capture":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def capture_migration(out: str, port_min: int, port_max: int,
                      pattern: Optional[bytes] = None, timeout: float = 120,
                      max_packets: int = 200000, **kw) -> Capture:
    """Context manager; after the block, ``.verdict`` holds the Verdict."""
    return Capture(out, port_min, port_max, pattern=pattern, timeout=timeout,
                   max_packets=max_packets, **kw)


def _ports(s: str):
    a, _, b = s.partition("-")
    return int(a), int(b or a)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="lvpsk.evidence",
                                 description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("analyze", help="decide from an existing pcap")
    a.add_argument("pcap")
    a.add_argument("--pattern", help="file with the guest RAM pattern")
    a.add_argument("--json", action="store_true")
    c = sub.add_parser("capture", help="capture while running a command")
    c.add_argument("--ports", required=True, help="MIN-MAX")
    c.add_argument("--out", required=True)
    c.add_argument("--pattern")
    c.add_argument("--timeout", type=float, default=120)
    c.add_argument("--count", type=int, default=200000)
    c.add_argument("--json", action="store_true")
    c.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    pattern = None
    if args.pattern:
        with open(args.pattern, "rb") as f:
            pattern = f.read()
    if args.cmd == "analyze":
        v = analyze(args.pcap, pattern)
    else:
        lo, hi = _ports(args.ports)
        cmd = [x for x in args.command if x != "--"]
        cap = Capture(args.out, lo, hi, pattern=pattern,
                      timeout=args.timeout, max_packets=args.count)
        cap.start()
        rc = 0
        try:
            if cmd:
                rc = subprocess.run(cmd, timeout=args.timeout).returncode
        finally:
            v = cap.stop()
        if rc != 0:
            print("command failed with exit code %d" % rc, file=sys.stderr)
    print(v.to_json() if args.json else v.summary())
    return {PLAIN: 0, ENCRYPTED: 0}.get(v.kind, 2)


if __name__ == "__main__":
    sys.exit(main())
