"""The product demo: two hosts, a guest, one live migration, the evidence.

    python3 -m lvpsk.demo [--mode p2p|client] [--nonroot] [VIRSH FLAGS]

Brings up hosts A and B from the libvirt prefix (LIBVIRT_PREFIX, default
<repo>/build/prefix), starts the pattern guest on A, migrates it to B with
``virsh migrate --live`` plus the given flags (none = plain; ``--tls`` =
native x509) while capturing the migration ports, prints the evidence
verdict, checks the guest's RAM on B, shows what is on disk on both hosts,
then tears everything down and checks that nothing is left.
"""

from __future__ import annotations

import argparse
import os
import pwd
import grp
import stat
import sys
import tempfile
import threading
import time
import shutil

from .evidence import ENCRYPTED, PLAIN
from .guest import Guest
from .harness import (QEMU_USER, Environment, Pki, Prefix, TwoHosts,
                      default_specs)


def say(msg: str = "") -> None:
    print(msg, flush=True)


def _owner(st: os.stat_result) -> str:
    try:
        u = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        u = str(st.st_uid)
    try:
        g = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        g = str(st.st_gid)
    return "%s:%s" % (u, g)


def show_disk(th: TwoHosts, max_lines: int = 60) -> None:
    """List each host's per-host directories as the host sees them."""
    for h in th.hosts:
        say("  host %s (%s):" % (h.name, h.addr))
        lines = []
        for kind in ("etc", "run", "lib", "guest"):
            top = h.outer(kind)
            for root, dirs, files in os.walk(top):
                dirs.sort()
                # Skip bulky, uninteresting trees.
                dirs[:] = [d for d in dirs
                           if d not in ("capabilities", "nwfilter", "hooks")]
                for n in sorted(files):
                    p = os.path.join(root, n)
                    try:
                        st = os.lstat(p)
                    except OSError:
                        continue
                    inner = h.inner(kind, os.path.relpath(p, top))
                    lines.append("    %s %-22s %8d  %s" % (
                        stat.filemode(st.st_mode), _owner(st), st.st_size,
                        inner))
        for line in lines[:max_lines]:
            say(line)
        if len(lines) > max_lines:
            say("    ... %d more" % (len(lines) - max_lines))


class KeyDirWatch:
    """Polls each host's <migrate_base_psk_dir>/<uuid> while a migration
    runs and records what it saw: when the directory existed and the
    key file's mode, owner and size (never its content)."""

    def __init__(self, th: TwoHosts, uuid: str, interval: float = 0.01):
        self.th = th
        self.uuid = uuid
        self.interval = interval
        self.seen = {h.name: None for h in th.hosts}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def path(self, h) -> str:
        # The default base dir is the QEMU driver's state dir.
        return h.outer("run", "qemu", self.uuid)

    def _run(self) -> None:
        while not self._stop.is_set():
            for h in self.th.hosts:
                if self.seen[h.name] is not None:
                    continue
                try:
                    st = os.lstat(os.path.join(self.path(h), "keys.psk"))
                except OSError:
                    continue
                self.seen[h.name] = "keys.psk %s %s %d bytes" % (
                    stat.filemode(st.st_mode), _owner(st), st.st_size)
            time.sleep(self.interval)

    def __enter__(self) -> "KeyDirWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def report(self) -> None:
        for h in self.th.hosts:
            inner = h.inner("run", "qemu", self.uuid)
            during = self.seen[h.name] or "not seen"
            after = "still there" if os.path.lexists(self.path(h)) else "gone"
            say("  host %s: %s during the migration: %s; after: %s"
                % (h.name, inner, during, after))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="demo", description=__doc__)
    ap.add_argument("--mode", choices=("p2p", "client"), default="p2p")
    ap.add_argument("--nonroot", action="store_true",
                    help="QEMU runs as %s with dynamic ownership" % QEMU_USER)
    ap.add_argument("--expect", choices=(PLAIN, ENCRYPTED),
                    help="fail unless the evidence verdict is this")
    args, flags = ap.parse_known_args(argv)
    # Everything else goes to virsh migrate (e.g. --tls).
    flags = [f for f in flags if f != "--"]
    tls = "--tls" in flags
    flags = [f for f in flags if f != "--tls"]
    expect = args.expect or (ENCRYPTED if tls or any(
        f.startswith("--tls") for f in flags) else PLAIN)

    prefix = Prefix()
    t0 = time.monotonic()
    say("== libvirt under test: %s (libvirtd %s)" % (prefix.path,
                                                     prefix.libvirtd))
    env = Environment(prefix).setup()
    pki_dir = tempfile.mkdtemp(prefix="lvpsk-demo-pki.")
    th = None
    rc = 1
    try:
        pki = Pki(pki_dir, [s.addr for s in default_specs()]).make()
        th = TwoHosts(prefix, qemu_user=QEMU_USER if args.nonroot else "root",
                      pki=pki)
        say("== bringing up two hosts under %s" % th.base)
        th.start()
        for h in th.hosts:
            say("  host %s: %s, %s, migration %s ports %d-%d, host_uuid %s,"
                " QEMU user %s" % (h.name, h.uri, h.tcp_uri, h.addr,
                                   h.spec.port_min, h.spec.port_max,
                                   h.host_uuid, h.qemu_user))
        g = Guest()
        say("== starting guest %s on A (TCG, %d MiB, %d KiB RAM pattern at "
            "0x%x)" % (g.name, g.mem_mib, len(g.pattern) // 1024, g.addr))
        g.start(th.a, [th.b])
        g.check_ram(th.a)
        say("  pattern present in A's guest RAM")
        desc = " ".join(["virsh migrate --live"] +
                        (["--p2p"] if args.mode == "p2p" else []) +
                        (["--tls"] if tls else []) + flags)
        say("== migrating A -> B: %s %s %s" % (desc, g.name, th.b.tcp_uri
                                                if args.mode == "p2p"
                                                else th.b.uri))
        uuid = th.a.virsh("domuuid", g.name).stdout.strip()
        with th.capture("demo", pattern=g.pattern) as cap, \
                KeyDirWatch(th, uuid) as keys:
            p = th.migrate(g.name, th.a, th.b, mode=args.mode, tls=tls,
                           transport="tcp" if args.mode == "p2p" else "unix",
                           extra=flags)
        say("  migrated in %.2fs" % p.elapsed)
        say("== evidence")
        say(cap.verdict.summary())
        say("== key directories (<migrate_base_psk_dir>/<domain uuid>)")
        keys.report()
        g.check_ram(th.b)
        say("== guest running on B, its RAM holds A's pattern "
            "(B's loader file is a decoy)")
        say("== on disk (as each host sees it)")
        show_disk(th)
        if cap.verdict.kind != expect:
            say("!! expected the evidence to say %s" % expect.upper())
        else:
            rc = 0
    except Exception as e:  # noqa: BLE001 - the demo reports and cleans up
        say("!! demo failed: %s" % e)
        if th is not None:
            say(th.diagnostics())
    finally:
        say("== tearing down")
        problems = th.stop() if th is not None else []
        shutil.rmtree(pki_dir, ignore_errors=True)
        problems += env.leftovers()
        env.teardown()
        if problems:
            say("!! left behind:\n  " + "\n  ".join(problems))
            rc = 1
        else:
            say("  nothing left: no processes, mounts or files")
        say("== demo %s in %.1fs" % ("OK" if rc == 0 else "FAILED",
                                     time.monotonic() - t0))
    return rc


if __name__ == "__main__":
    sys.exit(main())
