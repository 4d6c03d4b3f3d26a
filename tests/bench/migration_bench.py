#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Side-by-side migration benchmark: plain, x509 --tls and --tls-psk.

Brings up the two e2e hosts once, starts one TCG guest whose RAM is filled
with incompressible bytes (QEMU's generic loader), and migrates it back and
forth with each mode in turn, interleaved round by round so that machine
noise hits every mode alike. Prints each mode's median time and its ratio
to plain migration and to x509 TLS in the same run. Not a test: numbers
are only comparable within one run.

    scripts/bench-migration.sh [--rounds N] [--ram-mib M] [--parallel K]
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))

from lvpsk.guest import Guest  # noqa: E402
from lvpsk.harness import (Environment, Pki, Prefix, TwoHosts,  # noqa: E402
                           default_specs)


def modes(parallel: int):
    out = [("plain", []), ("tls (x509)", ["--tls"]), ("tls-psk", ["--tls-psk"])]
    if parallel > 1:
        par = ["--parallel", "--parallel-connections", str(parallel)]
        out += [("tls (x509) x%d" % parallel, ["--tls"] + par),
                ("tls-psk x%d" % parallel, ["--tls-psk"] + par)]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ram-mib", type=int, default=256,
                    help="incompressible guest RAM to move (MiB)")
    ap.add_argument("--parallel", type=int, default=4,
                    help="also measure multifd with this many channels (1: off)")
    args = ap.parse_args(argv)

    prefix = Prefix()
    env = Environment(prefix).setup()
    pki_dir = tempfile.mkdtemp(prefix="lvpsk-bench-pki.")
    th = None
    times = {name: [] for name, _ in modes(args.parallel)}
    try:
        pki = Pki(pki_dir, [s.addr for s in default_specs()]).make()
        th = TwoHosts(prefix, pki=pki).start()
        g = Guest(name="bench-guest", mem_mib=args.ram_mib + 64,
                  pattern_size=args.ram_mib * 1024 * 1024)
        g.start(th.a, [th.b])
        where = th.a
        print("moving %d MiB of incompressible guest RAM per migration, "
              "%d round(s), modes interleaved" % (args.ram_mib, args.rounds),
              flush=True)
        for r in range(args.rounds):
            for name, extra in modes(args.parallel):
                dst = th.other(where)
                p = th.migrate(g.name, where, dst, mode="p2p",
                               transport="tcp", extra=extra, timeout=600)
                times[name].append(p.elapsed)
                where = dst
                print("  round %d %-18s %6.2fs" % (r + 1, name, p.elapsed),
                      flush=True)
        g.check_ram(where)
    finally:
        if th is not None:
            th.stop()
        shutil.rmtree(pki_dir, ignore_errors=True)
        env.teardown()

    plain = statistics.median(times["plain"])
    tls = statistics.median(times["tls (x509)"])
    print("\n%-18s %9s %9s %9s" % ("mode", "median s", "vs plain", "vs x509"))
    for name, _ in modes(args.parallel):
        m = statistics.median(times[name])
        print("%-18s %9.2f %8.2fx %8.2fx" % (name, m, m / plain, m / tls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
