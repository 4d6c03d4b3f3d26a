"""A small diskless TCG guest carrying a known byte pattern in its RAM.

The pattern is loaded by QEMU's generic loader (``-device loader`` in
``<qemu:commandline>``) from ``<base>/guest/pattern.bin`` - the same path
in every host, over which each host bind-mounts its own directory.  The origin host's file holds
the real pattern; every other host's file holds a decoy of the same size.
So after a migration the destination's RAM holds the real pattern only if
it came over the migration stream (the destination's loader writes the
decoy at machine reset, before the incoming stream overwrites it).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from typing import Iterable, Optional

from .harness import Host, HarnessError, qemu_ids

PATTERN_ADDR = 0x1000000      # 16 MiB: clear of SeaBIOS's low and high use
PATTERN_SIZE = 256 * 1024
PATTERN_REL = ("pattern.bin",)


def make_pattern(seed: bytes, size: int = PATTERN_SIZE) -> bytes:
    """Deterministic, incompressible, non-repeating bytes from a seed."""
    out = bytearray()
    i = 0
    while len(out) < size:
        out += hashlib.sha256(seed + i.to_bytes(8, "big")).digest()
        i += 1
    return bytes(out[:size])


class Guest:
    def __init__(self, name: str = "e2e-guest", mem_mib: int = 128,
                 seed: Optional[bytes] = None,
                 pattern_size: int = PATTERN_SIZE,
                 addr: int = PATTERN_ADDR):
        self.name = name
        self.uuid = str(uuid.uuid4())
        self.mem_mib = mem_mib
        seed = seed or os.urandom(16)
        self.pattern = make_pattern(b"lvpsk-e2e-pattern:" + seed, pattern_size)
        self.decoy = make_pattern(b"lvpsk-e2e-decoy:" + seed, pattern_size)
        self.addr = addr
        self._dumps = 0

    def xml(self, host: Host) -> str:
        loader = "loader,file=%s,addr=0x%x,force-raw=on" % (
            host.inner("guest", *PATTERN_REL), self.addr)
        return """<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>{mem}</memory>
  <currentMemory unit='MiB'>{mem}</currentMemory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
    <bios rebootTimeout='-1'/>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-device'/>
    <qemu:arg value='{loader}'/>
  </qemu:commandline>
</domain>
""".format(name=self.name, uuid=self.uuid, mem=self.mem_mib, loader=loader)

    def place_patterns(self, origin: Host, others: Iterable[Host]) -> None:
        """Real pattern on the origin, decoys elsewhere; world-readable."""
        for h, data in [(origin, self.pattern)] + [(o, self.decoy)
                                                   for o in others]:
            p = h.outer("guest", *PATTERN_REL)
            with open(p, "wb") as f:
                f.write(data)
            os.chmod(p, 0o644)

    def start(self, host: Host, others: Iterable[Host] = ()) -> None:
        self.place_patterns(host, others)
        path = host.outer("guest", "%s.xml" % self.name)
        with open(path, "w") as f:
            f.write(self.xml(host))
        host.virsh("create", path, timeout=90)
        if host.domstate(self.name) != "running":
            raise HarnessError("guest %s not running on %s after create"
                               % (self.name, host.name))

    def read_ram(self, host: Host, size: Optional[int] = None) -> bytes:
        """pmemsave the pattern region on ``host`` and return the bytes."""
        size = size or len(self.pattern)
        self._dumps += 1
        rel = ("dump-%d.bin" % self._dumps,)
        cmd = {"execute": "pmemsave",
               "arguments": {"val": self.addr, "size": size,
                             "filename": host.inner("guest", *rel)}}
        host.virsh("qemu-monitor-command", self.name, json.dumps(cmd),
                   timeout=60)
        outer = host.outer("guest", *rel)
        try:
            with open(outer, "rb") as f:
                data = f.read()
        finally:
            try:
                os.unlink(outer)
            except OSError:
                pass
        return data

    def check_ram(self, host: Host) -> None:
        """Assert that ``host`` runs the guest and its RAM has the pattern."""
        state = host.domstate(self.name)
        if state != "running":
            raise AssertionError("guest %s on host %s is %r, not running"
                                 % (self.name, host.name, state or "absent"))
        data = self.read_ram(host)
        if data == self.pattern:
            return
        if data == self.decoy:
            raise AssertionError(
                "host %s: guest RAM holds the decoy pattern - the RAM did not "
                "come over the migration stream" % host.name)
        same = sum(1 for x, y in zip(data, self.pattern) if x == y)
        raise AssertionError("host %s: guest RAM at 0x%x differs from the "
                             "pattern (%d/%d bytes equal)"
                             % (host.name, self.addr, same, len(self.pattern)))

    def owner_ok(self, host: Host) -> bool:
        uid, _ = qemu_ids(host.qemu_user)
        return os.stat(host.outer("guest")).st_uid == uid
