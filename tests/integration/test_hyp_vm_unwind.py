# SPDX-License-Identifier: MIT
"""A VM whose creation fails half-way gives back everything it took.

VM "bad" passes the configuration parser and the guest-layout check but cannot be set up:
switch lan0 has room for 16 ports, "first", "fill1" and "fill2" take 15, so bad's second NIC
finds it full. That happens after bad already holds 96 MiB of RAM, a VMID, 2 vCPUs, a slice
of disk slot 0 and the last port on lan0 (the issue's repro: RAM plus a switch port). The
same host without bad is the control; both run with host best-effort, so the VMs after bad
start (a configuration otherwise boots whole or not at all). The shell's `mem` (free pages,
heap live allocations), `net` (switch ports) and `disks` (claims) must read exactly as in the
control, and the VM created after bad ("later") must get bad's switch port number. Without
the unwinding, free pages drop by bad's RAM, lan0 stays full (later cannot be created) and
bad's disk claim stays listed.
"""

import re
import subprocess

import fvtest
from hyp import heartbeat, shell
from linux_shell import DISKS

HELLO = 'kernel = /incbin/("hello.bin"); autostart;'
SMALL = 'memory-size = /bits/ 64 <0x400000>; ' + HELLO


def nics(n):
    return ' virtio-net-switch = ' + ", ".join(['"lan0"'] * n) + ';'


FIRST = 'first { memory-size = /bits/ 64 <0x2000000>; ' + HELLO + nics(1) + ' };'
FILL = ['fill1 { ' + SMALL + nics(8) + ' };', 'fill2 { ' + SMALL + nics(6) + ' };']
BAD = ('bad { vcpus = <2>; memory-size = /bits/ 64 <0x6000000>; ' + HELLO +
       ' virtio-blk-slots = <0>; virtio-blk-slices = /bits/ 64 <0 2048>;' + nics(2) + ' };')
LATER = ('later { memory-size = /bits/ 64 <0x4000000>; ' + HELLO +
         ' virtio-blk-slots = <0>; virtio-blk-slices = /bits/ 64 <2048 2048>;' + nics(1) +
         ' };')


def boot(name, vms):
    dts = ('/dts-v1/; / { compatible = "ferrovisor,config-v1"; host { best-effort; }; vms { ' +
           " ".join(vms) + " }; };")
    blob = DISKS / f"unwind-{name}.dtb"
    blob.parent.mkdir(parents=True, exist_ok=True)
    # Both blobs padded to one size: the bundle's pages are reserved, and must match too.
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-S", "65536", "-i",
                    str(fvtest.GUEST_DIR), "-o", str(blob), "-"], input=dts.encode(), check=True)
    disk = DISKS / "unwind-disk.img"
    extra = ["-initrd", str(blob)] + fvtest.virtio_disk(disk, 0, size="4M")
    return fvtest.Qemu(fvtest.qemu_riscv_cmd(fvtest.hyp_image(), mem="512M", extra=extra))


def figures(q):
    """What `mem`, `net` and `disks` report once every VM runs."""
    heartbeat(q, "later", 60)
    out = {}
    m = shell(q, "mem", r"^\[hyp\] pages: total (\d+) free (\d+) used (\d+) ", 20)
    out["pages"] = m.groups()
    m = q.expect(r"^\[hyp\] heap: \d+ bytes, used (\d+), .*live allocations (\d+)\r?\n", 10)
    out["heap"] = m.groups()
    out["net"] = shell(q, "net", r"^\[hyp\] switch lan0: (\d+) port\(s\)", 20).group(1)
    shell(q, "disks", r"^\[hyp\] disk slot 0: \d+ sectors, \d+ claim\(s\)", 20)
    q.expect(r"^\[hyp\] disk slot 0: later sectors \d+-\d+\r?\n", 10)
    start = q.output.rfind("[hyp] disk slot 0:", 0, q.output.rfind(" claim(s)") + 1)
    out["disks"] = re.findall(r"^\[hyp\] (disk slot [^\r\n]*)\r?\n", q.output[start:], re.M)
    out["later_port"] = re.search(r"^\[hyp\] vm later: eth0: virtio-net .* switch port (\d+)",
                                  q.output, re.M).group(1)
    return out


@fvtest.timeout(300)
def test_failed_vm_creation_releases_everything():
    fvtest.guest_image("hello")
    with boot("control", [FIRST] + FILL + [LATER]) as q:
        control = figures(q)
        q.assert_absent(r"PANIC|^\[hyp\] error:")
    with boot("bad", [FIRST] + FILL + [BAD, LATER]) as q:
        q.expect(r"^\[hyp\] error: vm bad: setup failed", 60)
        got = figures(q)
        # Everything bad held is free again: the figures are the control's.
        assert got["pages"] == control["pages"], (got["pages"], control["pages"])
        assert got["heap"] == control["heap"], (got["heap"], control["heap"])
        assert got["net"] == control["net"] == "16", (got["net"], control["net"])
        assert got["later_port"] == control["later_port"] == "15", got["later_port"]
        assert got["disks"] == control["disks"], (got["disks"], control["disks"])
        assert not any("bad" in line for line in got["disks"]), got["disks"]
        # bad got as far as its disk and first NIC, then found the switch full.
        q.rewind()
        q.expect(r"^\[hyp\] vm bad: vda: virtio-blk at 0x10001000 .* disk slot 0 sectors 0-2047",
                 10)
        q.expect(r"^\[hyp\] vm bad: eth0: virtio-net at 0x10002000 .* switch port 15\r?\n", 10)
        q.expect(r"^\[hyp\] error: vm bad: eth1: cannot attach to its switch", 10)
        # The error in words (issue 17 item 9), then its number.
        q.expect(r"^\[hyp\] error: vm bad: setup failed: [a-z ]+ \(-\d+\); what it held is "
                 r"released", 10)
        shell(q, "vm list", r"^\[hyp\] \d+\s+later\s+running", 20)
        q.assert_absent(r"^\[hyp\] \d+\s+bad\s+")
        q.assert_absent(r"PANIC")
        assert not re.findall(r"^\[hyp\] error: (?!vm bad: )", q.output, re.M)
        q.expect_seen(r"^\[hyp\] warning: configuration: 1 of 5 VM\(s\) could not be set up; "
                      r"starting the others", 10)
