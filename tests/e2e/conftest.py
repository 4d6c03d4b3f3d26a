"""pytest fixtures for the e2e suite (see lvpsk/ for the harness API).

Fixtures for reuse by later suites:

* ``prefix``      - the libvirt under test (env LIBVIRT_PREFIX, default
                    <repo>/build/prefix; ``/usr`` = Debian's packages).
* ``e2e_env``     - session preparation + the "nothing left" baseline.
* ``pki``         - x509 CA, per-host server and a client certificate.
* ``make_hosts``  - factory: ``make_hosts(qemu_user="root",
                    with_pki=True, prefix_b=None)`` returns
                    started ``TwoHosts``; on teardown it stops them by PID
                    and fails the test if any process, mount or file is left.
* ``hosts``       - ``make_hosts()`` with QEMU as root.
* ``guest``       - a fresh ``Guest`` (not started).
* ``debian_prefix`` - Debian's packaged libvirt (/usr); skips if absent.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lvpsk.guest import Guest  # noqa: E402
from lvpsk.harness import (Environment, Pki, Prefix, TwoHosts,  # noqa: E402
                           default_specs, stop_all)

QEMU_USERS = ["root", "libvirt-qemu"]


def pytest_configure(config):
    for m in ("e2e: needs root, brings up libvirt hosts",
              "migration: performs live migrations",
              "tls: x509 --tls migrations",
              "plain: unencrypted migrations",
              "nonroot: QEMU runs as libvirt-qemu with dynamic ownership",
              "unit: pure Python, no root, no daemons"):
        config.addinivalue_line("markers", m)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture(scope="session")
def prefix():
    return Prefix()


@pytest.fixture(scope="session")
def e2e_env(prefix):
    env = Environment(prefix).setup()
    yield env
    problems = env.leftovers()
    env.teardown()
    assert not problems, "left behind by the session:\n" + "\n".join(problems)


@pytest.fixture(scope="session")
def pki(tmp_path_factory, e2e_env):
    d = tmp_path_factory.mktemp("pki")
    return Pki(str(d), [s.addr for s in default_specs()]).make()


@pytest.fixture
def make_hosts(request, e2e_env, pki):
    started = []

    def factory(qemu_user="root", with_pki=True, prefix_b=None):
        """prefix_b: a Prefix (or path) for host B, e.g. "/usr"."""
        if prefix_b is not None:
            if isinstance(prefix_b, str):
                prefix_b = Prefix(prefix_b)
            prefix_b = e2e_env.add(prefix_b)
        th = TwoHosts(e2e_env.prefix, qemu_user=qemu_user,
                      pki=pki if with_pki else None, prefix_b=prefix_b)
        started.append(th)
        th.start()
        return th

    yield factory

    rep = getattr(request.node, "rep_call", None)
    problems = stop_all(started, e2e_env, rep is not None and rep.failed)
    assert not problems, "left behind:\n  " + "\n  ".join(problems)


@pytest.fixture
def hosts(make_hosts):
    return make_hosts()


@pytest.fixture
def guest():
    return Guest()


@pytest.fixture(scope="session")
def debian_prefix(prefix):
    """Debian's unpatched libvirt in /usr, for mixed-version tests."""
    p = Prefix("/usr")
    if not (os.access(p.libvirtd, os.X_OK) and os.access(p.virsh, os.X_OK)):
        pytest.skip("Debian's libvirt (scripts/deps/e2e-debian-libvirt.txt) "
                    "is not installed")
    if p.path == prefix.path:
        pytest.skip("the prefix under test is already /usr")
    return p
