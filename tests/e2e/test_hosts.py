"""The two-host harness itself: isolation, control plane, cleanup."""

import os
import re

import pytest

from lvpsk.harness import TwoHosts

pytestmark = pytest.mark.e2e


def _host_uuid(h, uri=None):
    caps = h.virsh("capabilities", uri=uri).stdout
    return re.search(r"<host>\s*<uuid>([^<]+)</uuid>", caps).group(1)


def test_two_hosts_are_separate_and_reachable(hosts):
    a, b = hosts.a, hosts.b
    # Control plane over unix sockets and over qemu+tcp on loopback.
    for h in (a, b):
        assert h.virsh("uri").stdout.strip().startswith("qemu+unix://")
        assert _host_uuid(h) == h.host_uuid
        assert _host_uuid(h, uri=h.tcp_uri) == h.host_uuid
        assert h.socket.startswith(hosts.base) and len(h.socket) < 108
    assert a.host_uuid != b.host_uuid
    # Own PID and mount namespaces, different from ours and each other.
    assert a.pid_ns != b.pid_ns and a.mnt_ns != b.mnt_ns
    assert a.pid_ns != os.readlink("/proc/self/ns/pid")
    assert a.mnt_ns != os.readlink("/proc/self/ns/mnt")
    for h in (a, b):
        assert h.processes(), "no process in host %s's namespace" % h.name
        # libvirtd wrote its pid file into the per-host run directory.
        assert os.path.exists(h.outer("run", "libvirtd.pid"))
        assert os.path.exists(h.outer("log", "libvirtd.log"))
    # Inside each namespace the prefix's qemu.conf is that host's own.
    for h in (a, b):
        conf = h.inside("cat", h.inner("etc", "qemu.conf")).stdout
        assert 'migration_host = "%s"' % h.addr in conf


def test_stop_leaves_nothing(make_hosts, e2e_env, guest):
    th = make_hosts()
    base = th.base
    guest.start(th.a, [th.b])       # a running QEMU must go too
    assert th.a.qemu_pids()
    pids = th.a.processes() + th.b.processes()
    assert pids
    problems = th.stop()
    assert problems == []
    assert not os.path.exists(base)
    for p in pids:
        assert not os.path.exists("/proc/%d" % p)
    assert e2e_env.leftovers() == []


def test_guest_runs_with_pattern_on_origin(hosts, guest):
    guest.start(hosts.a, [hosts.b])
    guest.check_ram(hosts.a)
    assert hosts.b.domains() == []
    # B's copy of the loader file is the decoy, not the pattern.
    with open(hosts.b.outer("guest", "pattern.bin"), "rb") as f:
        assert f.read() == guest.decoy


@pytest.mark.nonroot
def test_nonroot_qemu_runs_as_libvirt_qemu(make_hosts, guest):
    th = make_hosts(qemu_user="libvirt-qemu")
    guest.start(th.a, [th.b])
    uids = th.a.qemu_uids()
    assert uids and all(u == th.a.qemu_uid for u in uids), uids
    guest.check_ram(th.a)


def test_leftover_check_sees_stray_files(e2e_env):
    """The 'nothing left' check is not vacuous."""
    target = e2e_env.prefix.mount_targets()["lib"]
    stray = os.path.join(target, "lvpsk-e2e-stray")
    with open(stray, "w"):
        pass
    try:
        assert any(stray in p for p in e2e_env.leftovers())
    finally:
        os.unlink(stray)
    assert e2e_env.leftovers() == []
