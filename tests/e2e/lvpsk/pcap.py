"""Minimal classic-pcap reader and TCP stream reassembly (stdlib only).

Only what the evidence tool needs: classic pcap files as written by
``tcpdump -w`` (both byte orders, micro- and nanosecond variants), link
types Ethernet, Linux cooked (v1, v2), BSD loopback/null and raw IP,
IPv4 and IPv6, TCP.  Streams are keyed by direction
(src, sport, dst, dport) and reassembled by sequence number; holes left
by dropped packets are recorded, not papered over.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Tuple

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229

_MAGICS = {
    0xA1B2C3D4: ("<", 1_000_000),
    0xA1B23C4D: ("<", 1_000_000_000),
}


class PcapError(Exception):
    pass


@dataclass
class Packet:
    ts: float
    src: str
    sport: int
    dst: str
    dport: int
    seq: int
    flags: int
    payload: bytes


def _read_header(data: bytes) -> Tuple[str, int, int]:
    if len(data) < 24:
        raise PcapError("file too short for a pcap header")
    for endian in ("<", ">"):
        (magic,) = struct.unpack(endian + "I", data[:4])
        if magic in _MAGICS:
            _, tsdiv = _MAGICS[magic]
            _vmaj, _vmin, _tz, _sig, _snap, linktype = struct.unpack(
                endian + "HHiIII", data[4:24])
            return endian, tsdiv, linktype & 0x0FFFFFFF
    raise PcapError("not a classic pcap file (pcapng is not supported)")


def _ip_str(raw: bytes) -> str:
    if len(raw) == 4:
        return ".".join(str(b) for b in raw)
    return ":".join("%x" % v for v in struct.unpack(">8H", raw))


def _l3_offset(linktype: int, frame: bytes) -> Optional[Tuple[int, int]]:
    """Return (offset of the IP header, IP version) or None."""
    if linktype == LINKTYPE_ETHERNET:
        if len(frame) < 14:
            return None
        off = 12
        etype = struct.unpack(">H", frame[off:off + 2])[0]
        off += 2
        while etype in (0x8100, 0x88A8) and len(frame) >= off + 4:
            etype = struct.unpack(">H", frame[off + 2:off + 4])[0]
            off += 4
        return {0x0800: (off, 4), 0x86DD: (off, 6)}.get(etype)
    if linktype == LINKTYPE_LINUX_SLL:
        if len(frame) < 16:
            return None
        etype = struct.unpack(">H", frame[14:16])[0]
        return {0x0800: (16, 4), 0x86DD: (16, 6)}.get(etype)
    if linktype == LINKTYPE_LINUX_SLL2:
        if len(frame) < 20:
            return None
        etype = struct.unpack(">H", frame[0:2])[0]
        return {0x0800: (20, 4), 0x86DD: (20, 6)}.get(etype)
    if linktype == LINKTYPE_NULL:
        if len(frame) < 4:
            return None
        fam = struct.unpack("<I", frame[:4])[0]
        if fam > 0xFFFF:
            fam = struct.unpack(">I", frame[:4])[0]
        if fam == 2:
            return (4, 4)
        if fam in (10, 24, 28, 30):
            return (4, 6)
        return None
    if linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6):
        if not frame:
            return None
        return (0, frame[0] >> 4)
    raise PcapError("unsupported link type %d" % linktype)


def _parse_tcp(linktype: int, frame: bytes, ts: float) -> Optional[Packet]:
    l3 = _l3_offset(linktype, frame)
    if l3 is None:
        return None
    off, ver = l3
    if ver == 4:
        if len(frame) < off + 20:
            return None
        vihl = frame[off]
        ihl = (vihl & 0x0F) * 4
        total = struct.unpack(">H", frame[off + 2:off + 4])[0]
        proto = frame[off + 9]
        frag = struct.unpack(">H", frame[off + 6:off + 8])[0]
        if proto != 6 or (frag & 0x1FFF) != 0:
            return None
        src = _ip_str(frame[off + 12:off + 16])
        dst = _ip_str(frame[off + 16:off + 20])
        end = off + total if total else len(frame)
        tcp = off + ihl
    elif ver == 6:
        if len(frame) < off + 40:
            return None
        plen = struct.unpack(">H", frame[off + 4:off + 6])[0]
        nxt = frame[off + 6]
        if nxt != 6:
            return None  # extension headers: not used on loopback here
        src = _ip_str(frame[off + 8:off + 24])
        dst = _ip_str(frame[off + 24:off + 40])
        end = off + 40 + plen
        tcp = off + 40
    else:
        return None
    end = min(end, len(frame))
    if end < tcp + 20:
        return None
    sport, dport, seq, _ack, doff_flags = struct.unpack(
        ">HHIIH", frame[tcp:tcp + 14])
    doff = (doff_flags >> 12) * 4
    flags = doff_flags & 0x01FF
    payload = frame[tcp + doff:end]
    return Packet(ts, src, sport, dst, dport, seq, flags, payload)


def read_packets(path: str) -> Iterator[Packet]:
    """Yield the TCP packets of a classic pcap file (truncated tail ok)."""
    with open(path, "rb") as f:
        data = f.read()
    endian, tsdiv, linktype = _read_header(data)
    pos = 24
    rec = struct.Struct(endian + "IIII")
    while pos + 16 <= len(data):
        sec, frac, incl, _orig = rec.unpack_from(data, pos)
        pos += 16
        frame = data[pos:pos + incl]
        pos += incl
        if len(frame) < incl:
            break  # capture cut short mid-record
        pkt = _parse_tcp(linktype, frame, sec + frac / tsdiv)
        if pkt is not None:
            yield pkt


TCP_SYN = 0x002
TCP_FIN = 0x001
TCP_RST = 0x004


@dataclass
class Stream:
    """One direction of one TCP connection, reassembled."""
    src: str
    sport: int
    dst: str
    dport: int
    packets: int = 0
    syn_seen: bool = False
    data: bytes = b""
    holes: int = 0
    hole_bytes: int = 0
    first_ts: float = 0.0
    last_ts: float = 0.0
    _isn: Optional[int] = None
    _segs: List[Tuple[int, bytes]] = field(default_factory=list)

    @property
    def key(self) -> Tuple[str, int, str, int]:
        return (self.src, self.sport, self.dst, self.dport)

    def label(self) -> str:
        return "%s:%d->%s:%d" % self.key

    def _add(self, pkt: Packet) -> None:
        if self.packets == 0:
            self.first_ts = pkt.ts
        self.packets += 1
        self.last_ts = pkt.ts
        if pkt.flags & TCP_SYN:
            self.syn_seen = True
            self._isn = (pkt.seq + 1) & 0xFFFFFFFF
            return
        if pkt.payload:
            self._segs.append((pkt.seq, pkt.payload))

    def _assemble(self) -> None:
        if not self._segs:
            return
        base = self._isn
        if base is None:
            # Capture started mid-stream: take the earliest segment.
            base = self._segs[0][0]
            for seq, _ in self._segs:
                if ((seq - base) & 0xFFFFFFFF) > 0x80000000:
                    base = seq
        # Relative offsets, unwrapped against 32-bit sequence wraparound.
        rel = []
        for seq, payload in self._segs:
            off = (seq - base) & 0xFFFFFFFF
            if off >= 0x80000000:
                # Before the base (retransmission of SYN-era data): skip.
                continue
            rel.append((off, payload))
        rel.sort(key=lambda x: x[0])
        out = bytearray()
        for off, payload in rel:
            cur = len(out)
            if off > cur:
                self.holes += 1
                self.hole_bytes += off - cur
                out.extend(b"\0" * (off - cur))
                cur = off
            end = off + len(payload)
            if end > cur:
                out.extend(payload[cur - off:])
        self.data = bytes(out)
        self._segs = []


def reassemble(path: str) -> List[Stream]:
    """Read a pcap and return its TCP streams (one per direction)."""
    streams: Dict[Tuple[str, int, str, int], Stream] = {}
    for pkt in read_packets(path):
        key = (pkt.src, pkt.sport, pkt.dst, pkt.dport)
        st = streams.get(key)
        if st is None:
            st = streams[key] = Stream(*key)
        st._add(pkt)
    for st in streams.values():
        st._assemble()
    return sorted(streams.values(), key=lambda s: (s.first_ts, s.key))


def write_pcap(path: str, frames: List[Tuple[float, bytes]],
               linktype: int = LINKTYPE_ETHERNET) -> None:
    """Write frames to a classic pcap (used by the unit tests)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144,
                            linktype))
        for ts, frame in frames:
            sec = int(ts)
            usec = int(round((ts - sec) * 1_000_000))
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            f.write(frame)


def build_tcp_frame(src: str, sport: int, dst: str, dport: int, seq: int,
                    flags: int, payload: bytes) -> bytes:
    """An Ethernet/IPv4/TCP frame (checksums zero), for synthetic pcaps."""
    tcp = struct.pack(">HHIIHHHH", sport, dport, seq & 0xFFFFFFFF, 0,
                      (5 << 12) | flags, 65535, 0, 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000,
                     64, 6, 0, bytes(int(x) for x in src.split(".")),
                     bytes(int(x) for x in dst.split(".")))
    eth = b"\0" * 12 + b"\x08\x00"
    return eth + ip + tcp
