"""Mixed versions: host A on our build, host B on Debian's packaged libvirt.

Later suites (e.g. --tls-psk against an unpatched peer) build on this; the
baseline checks that plain and x509 migration work both ways between them.
"""

import pytest

from test_migrate_plain import round_trip

pytestmark = [pytest.mark.e2e, pytest.mark.migration]


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_build_to_debian_round_trip(make_hosts, guest, debian_prefix, tls):
    th = make_hosts(prefix_b=debian_prefix)
    assert th.b.prefix.path == "/usr" and th.a.prefix.path != "/usr"
    for v in round_trip(th, guest, "p2p", tls=tls, transport="tcp"):
        assert v.kind == ("encrypted" if tls else "plain"), v.summary()
