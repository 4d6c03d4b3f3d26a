"""Unit tests of the evidence tool on synthetic captures (no root)."""

import os

import pytest

from lvpsk import evidence, pcap
from lvpsk.guest import make_pattern

pytestmark = pytest.mark.unit

SRC = ("127.0.0.1", 40000)
DST = ("127.0.0.3", 49168)


def _stream_frames(payload_chunks, isn=1000, syn=True, order=None,
                   dup=False, src=SRC, dst=DST, t0=1.0):
    frames = []
    t = t0
    if syn:
        frames.append((t, pcap.build_tcp_frame(src[0], src[1], dst[0], dst[1],
                                               isn, pcap.TCP_SYN, b"")))
    segs = []
    seq = isn + 1
    for c in payload_chunks:
        segs.append((seq, c))
        seq += len(c)
    idx = list(range(len(segs)))
    if order == "reverse":
        idx.reverse()
    for i in idx:
        t += 0.001
        s, c = segs[i]
        frames.append((t, pcap.build_tcp_frame(src[0], src[1], dst[0], dst[1],
                                               s, 0x018, c)))
        if dup:
            frames.append((t, pcap.build_tcp_frame(
                src[0], src[1], dst[0], dst[1], s, 0x018, c)))
    return frames


def _chunks(data, n=1400):
    return [data[i:i + n] for i in range(0, len(data), n)]


def _tls_records(body, n=20):
    out = bytearray(b"\x16\x03\x01" + (100).to_bytes(2, "big") + os.urandom(100))
    out += b"\x14\x03\x03\x00\x01\x01"
    for _ in range(n):
        rec = os.urandom(len(body) // n + 17)
        out += b"\x17\x03\x03" + len(rec).to_bytes(2, "big") + rec
    return bytes(out)


@pytest.fixture
def pattern():
    return make_pattern(b"unit", 64 * 1024)


def _write(tmp_path, frames, name="c.pcap"):
    p = str(tmp_path / name)
    pcap.write_pcap(p, frames)
    return p


def test_plain_stream_with_magic_names_and_pattern(tmp_path, pattern):
    data = (b"QEVM\x00\x00\x00\x03" + b"\x06pc.ram" + b"\0" * 100 +
            pattern + b"\0" * 5000)
    p = _write(tmp_path, _stream_frames(_chunks(data)))
    v = evidence.analyze(p, pattern)
    assert v.kind == evidence.PLAIN
    s = v.streams[0]
    assert s.starts_with_qevm and "pc.ram" in s.ram_block_names
    assert v.pattern_chunks_found == v.pattern_chunks_total == 16
    assert s.holes == 0 and s.bytes == len(data)


def test_pattern_alone_is_plain(tmp_path, pattern):
    data = os.urandom(3000) + pattern[4096:12288] + os.urandom(3000)
    p = _write(tmp_path, _stream_frames(_chunks(data)))
    v = evidence.analyze(p, pattern)
    assert v.kind == evidence.PLAIN
    assert v.pattern_chunks_found == 2


def test_tls_stream_is_encrypted(tmp_path, pattern):
    data = _tls_records(b"x" * 200000)
    back = b"\x16\x03\x03\x00\x10" + os.urandom(16)
    frames = _stream_frames(_chunks(data)) + _stream_frames(
        [back], src=DST, dst=SRC, isn=5, t0=1.5)
    p = _write(tmp_path, frames)
    v = evidence.analyze(p, pattern)
    assert v.kind == evidence.ENCRYPTED, v.summary()
    assert all(s.tls for s in v.streams)


def test_tls_stream_leaking_the_pattern_is_plain(tmp_path, pattern):
    data = _tls_records(b"x" * 200000)
    data = data[:5000] + pattern[:8192] + data[5000:]
    p = _write(tmp_path, _stream_frames(_chunks(data)))
    v = evidence.analyze(p, pattern)
    assert v.kind == evidence.PLAIN


def test_too_little_tls_is_inconclusive(tmp_path, pattern):
    data = b"\x16\x03\x01\x00\x10" + os.urandom(16)
    p = _write(tmp_path, _stream_frames([data]))
    v = evidence.analyze(p, pattern)
    assert v.kind == evidence.INCONCLUSIVE


def test_unknown_bytes_are_inconclusive(tmp_path):
    p = _write(tmp_path, _stream_frames(_chunks(os.urandom(50000))))
    assert evidence.analyze(p).kind == evidence.INCONCLUSIVE


def test_empty_capture_is_inconclusive(tmp_path):
    p = _write(tmp_path, [])
    v = evidence.analyze(p)
    assert v.kind == evidence.INCONCLUSIVE
    assert "no TCP payload" in v.reasons[0]


def test_reassembly_out_of_order_duplicates_and_wraparound(tmp_path):
    data = os.urandom(100000)
    frames = _stream_frames(_chunks(data, 999), isn=0xFFFFFF00,
                            order="reverse", dup=True)
    p = _write(tmp_path, frames)
    (s,) = pcap.reassemble(p)
    assert s.data == data and s.holes == 0


def test_reassembly_records_holes(tmp_path):
    data = os.urandom(10000)
    frames = _stream_frames(_chunks(data, 1000))
    del frames[3]
    p = _write(tmp_path, frames)
    (s,) = pcap.reassemble(p)
    assert s.holes == 1 and s.hole_bytes == 1000
    assert len(s.data) == len(data)


def test_midstream_capture_without_syn(tmp_path):
    data = b"QEVM" + os.urandom(5000)
    p = _write(tmp_path, _stream_frames(_chunks(data), syn=False))
    v = evidence.analyze(p)
    assert v.kind == evidence.PLAIN


def test_cli_analyze(tmp_path, pattern, capsys):
    data = b"QEVM" + pattern
    p = _write(tmp_path, _stream_frames(_chunks(data)))
    pf = tmp_path / "pattern.bin"
    pf.write_bytes(pattern)
    rc = evidence.main(["analyze", p, "--pattern", str(pf)])
    out = capsys.readouterr().out
    assert rc == 0 and "PLAIN" in out
