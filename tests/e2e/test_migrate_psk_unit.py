"""Unit tests (no root) of the TLS ServerHello decoder used by the PSK tests
to tell which cipher suite a migration negotiated."""

import os

import pytest

from lvpsk import pcap, psk

pytestmark = pytest.mark.unit


def server_hello(cipher, version=0x0304, hrr=False, sid=32):
    """A TLS 1.3 style ServerHello handshake message."""
    random_ = psk.HRR_RANDOM if hrr else os.urandom(32)
    exts = b""
    if version:
        exts += (43).to_bytes(2, "big") + b"\x00\x02" + version.to_bytes(2, "big")
    # key_share, an unrelated extension before/after does not matter
    exts = b"\x00\x33\x00\x04\x00\x1d\x00\x00" + exts
    body = (b"\x03\x03" + random_ + bytes([sid]) + os.urandom(sid)
            + cipher.to_bytes(2, "big") + b"\x00"
            + len(exts).to_bytes(2, "big") + exts)
    return b"\x02" + len(body).to_bytes(3, "big") + body


def record(ctype, payload):
    return bytes([ctype, 3, 3]) + len(payload).to_bytes(2, "big") + payload


@pytest.mark.parametrize("cipher", [0x1301, 0x1302, 0x1303])
def test_parse_server_hello_cipher(cipher):
    data = record(22, server_hello(cipher)) + record(20, b"\x01") + \
        record(23, os.urandom(300))
    info = psk.parse_server_hello(data)
    assert info == {"legacy_version": 0x0303, "cipher": cipher,
                    "version": 0x0304, "hello_retry": False}


def test_parse_server_hello_split_over_records_and_hrr():
    hs = server_hello(0x1303, hrr=True)
    data = record(22, hs[:20]) + record(22, hs[20:])
    info = psk.parse_server_hello(data)
    assert info["cipher"] == 0x1303 and info["hello_retry"]


def test_parse_server_hello_rejects_other_streams():
    assert psk.parse_server_hello(b"QEVM\x00\x00\x00\x03") is None
    client_hello = b"\x01\x00\x00\x04" + os.urandom(4)
    assert psk.parse_server_hello(record(22, client_hello)) is None
    assert psk.parse_server_hello(record(23, os.urandom(64))) is None
    assert psk.parse_server_hello(b"") is None


def test_parse_tls12_server_hello_without_supported_versions():
    info = psk.parse_server_hello(record(22, server_hello(0xc02f, version=0)))
    assert info["version"] == 0x0303 and info["cipher"] == 0xc02f


def _capture(tmp_path, cipher):
    """Client hello one way, server hello the other, in a pcap."""
    cli, srv = ("127.0.0.2", 40000), ("127.0.0.3", 49168)
    ch = record(22, b"\x01\x00\x00\x04" + os.urandom(4))
    sh = record(22, server_hello(cipher)) + record(23, os.urandom(2000))
    frames = []
    for (s, d, isn, payload) in ((cli, srv, 100, ch), (srv, cli, 900, sh)):
        frames.append((1.0, pcap.build_tcp_frame(s[0], s[1], d[0], d[1], isn,
                                                 pcap.TCP_SYN, b"")))
        off = isn + 1
        for i in range(0, len(payload), 1000):
            frames.append((1.1, pcap.build_tcp_frame(
                s[0], s[1], d[0], d[1], off + i, 0x018,
                payload[i:i + 1000])))
    path = str(tmp_path / "hello.pcap")
    pcap.write_pcap(path, frames)
    return path


class _Cap:
    def __init__(self, out):
        self.out = out


def test_assert_aes_gcm_on_capture(tmp_path):
    path = _capture(tmp_path, 0x1301)
    hellos = psk.server_hellos(path)
    assert [h.cipher_name for h in hellos] == ["TLS_AES_128_GCM_SHA256"]
    assert hellos[0].stream == "127.0.0.3:49168->127.0.0.2:40000"
    psk.assert_aes_gcm(_Cap(path))


def test_assert_aes_gcm_fails_on_chacha(tmp_path):
    path = _capture(tmp_path, 0x1303)
    with pytest.raises(AssertionError, match="CHACHA20"):
        psk.assert_aes_gcm(_Cap(path))


def test_assert_aes_gcm_needs_handshakes(tmp_path):
    path = _capture(tmp_path, 0x1301)
    with pytest.raises(AssertionError, match="ServerHellos"):
        psk.assert_aes_gcm(_Cap(path), min_handshakes=2)


def test_key_forms_and_find_key(tmp_path):
    key = bytes(range(16, 48))
    f = tmp_path / "log"
    f.write_bytes(b"noise " + key.hex().upper().encode() + b" noise")
    assert psk.find_key(key, [str(f)]) == ["%s: HEX" % f]
    f.write_bytes(b"<migration-key>(redacted)</migration-key>")
    assert psk.find_key(key, [str(f), str(tmp_path / "missing")]) == []


# -- NBD STARTTLS in the evidence tool (the --copy-storage-all stream) -------

NBD_CLIENT_STARTTLS = (b"\x00\x00\x00\x03IHAVEOPT" + (5).to_bytes(4, "big")
                       + (0).to_bytes(4, "big"))
NBD_SERVER_STARTTLS = (b"NBDMAGICIHAVEOPT\x00\x03"
                       + (0x0003E889045565A9).to_bytes(8, "big")
                       + (5).to_bytes(4, "big") + (1).to_bytes(4, "big")
                       + (0).to_bytes(4, "big"))


def _nbd_capture(tmp_path, client, server):
    cli, srv = ("127.0.0.2", 40001), ("127.0.0.3", 49169)
    frames = []
    for (s, d, isn, payload) in ((cli, srv, 100, client),
                                 (srv, cli, 900, server)):
        frames.append((1.0, pcap.build_tcp_frame(s[0], s[1], d[0], d[1], isn,
                                                 pcap.TCP_SYN, b"")))
        for i in range(0, len(payload), 1400):
            frames.append((1.1, pcap.build_tcp_frame(
                s[0], s[1], d[0], d[1], isn + 1 + i, 0x018,
                payload[i:i + 1400])))
    path = str(tmp_path / "nbd.pcap")
    pcap.write_pcap(path, frames)
    return path


def test_nbd_starttls_then_tls_is_encrypted(tmp_path):
    from lvpsk import evidence
    pattern = os.urandom(64 * 1024)
    ch = record(22, b"\x01\x00\x00\x04" + os.urandom(4))
    client = NBD_CLIENT_STARTTLS + ch + b"".join(
        record(23, os.urandom(16000)) for _ in range(8))
    server = NBD_SERVER_STARTTLS + record(22, server_hello(0x1301)) + \
        record(23, os.urandom(100))
    path = _nbd_capture(tmp_path, client, server)
    v = evidence.analyze(path, pattern)
    assert v.kind == "encrypted", v.summary()
    assert all(s.nbd_starttls for s in v.streams)
    assert "NBD+TLS" in v.summary()
    hellos = psk.server_hellos(path)
    assert [h.cipher for h in hellos] == [0x1301]
    assert psk.client_hello_streams(path) == ["127.0.0.2:40001->127.0.0.3:49169"]


def test_plain_nbd_is_not_encrypted(tmp_path):
    from lvpsk import evidence
    disk = os.urandom(64 * 1024)
    go = (b"\x00\x00\x00\x03IHAVEOPT" + (7).to_bytes(4, "big")
          + (10).to_bytes(4, "big") + b"\x00" * 10)
    server = b"NBDMAGICIHAVEOPT\x00\x03" + os.urandom(40)
    path = _nbd_capture(tmp_path, go + disk, server)
    v = evidence.analyze(path, disk)
    assert v.kind == "plain", v.summary()
    path = _nbd_capture(tmp_path, go + os.urandom(64 * 1024), server)
    v = evidence.analyze(path, disk)
    assert v.kind == "inconclusive", v.summary()
    assert not any(s.nbd_starttls for s in v.streams)
