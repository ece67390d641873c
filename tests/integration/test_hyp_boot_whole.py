# SPDX-License-Identifier: MIT
"""A configuration boots whole or not at all (issue 17, item 1).

The blobs are built with dtc from the VM nodes below, since `ferrovisor validate` refuses
these layouts in the YAML. VM "good" is sound; "overlap" puts its UART on its own
virtio-console window and "tight" leaves no room for its device tree above its kernel (the
hypervisor's guest-layout backstop refuses both), and "nocpu" asks for a CPU the machine
lacks. Without host best-effort the hypervisor creates what it can,
says why each of the others failed in one line each, starts no VM and announces that the
keyboard goes to the shell instead of the configured focus; with best-effort "good" boots
and keeps the focus.
"""

import re
import subprocess
import time

import fvtest
from hyp import heartbeat, shell
from linux_shell import DISKS

HELLO = 'kernel = /incbin/("hello.bin"); autostart;'
GOOD = 'good { memory-size = /bits/ 64 <0x2000000>; ' + HELLO + ' };'
OVERLAP = ('overlap { memory-size = /bits/ 64 <0x2000000>; ' + HELLO +
           ' virtio-console; uart-base = /bits/ 64 <0x10001000>; };')
TIGHT = ('tight { memory-size = /bits/ 64 <0x200000>; kernel-offset = /bits/ 64 <0x1fe000>; ' +
         HELLO + ' };')
NOCPU = 'nocpu { memory-size = /bits/ 64 <0x2000000>; cpu-affinity = <5>; ' + HELLO + ' };'

OVERLAP_LINE = (r"^\[hyp\] error: vm overlap: not created: guest address map: UART "
                r"\(0x10001000-0x100010ff\) overlaps virtio-mmio window 0 "
                r"\(0x10001000-0x100011ff\)\r?\n")
TIGHT_LINE = (r"^\[hyp\] error: vm tight: not created: guest address map: guest RAM \(0x200000 "
              r"bytes\) cannot hold the kernel \(0x[0-9a-f]+ bytes at offset 0x1fe000\), a 64 KiB "
              r"device tree and the initrd \(0x0 bytes\)\r?\n")
NOCPU_LINE = (r"^\[hyp\] error: vm nocpu: not created: cpu-affinity names no CPU of this "
              r"machine \(2 CPUs\)\r?\n")


def boot(name, host, vms):
    dts = ('/dts-v1/; / { compatible = "ferrovisor,config-v1"; host { ' + host +
           ' }; vms { ' + " ".join(vms) + " }; };")
    blob = DISKS / f"whole-{name}.dtb"
    blob.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-i", str(fvtest.GUEST_DIR), "-o",
                    str(blob), "-"], input=dts.encode(), check=True)
    return fvtest.Qemu(fvtest.qemu_riscv_cmd(fvtest.hyp_image(), mem="512M",
                                             extra=["-initrd", str(blob)]))


@fvtest.timeout(240)
def test_config_boots_whole_or_not_at_all():
    fvtest.guest_image("hello")
    with boot("strict", 'console-focus = "good";', [GOOD, OVERLAP, TIGHT, NOCPU]) as q:
        q.expect(r"^\[hyp\] vm good: created", 60)
        q.rewind()
        q.expect(OVERLAP_LINE, 10)
        q.expect(TIGHT_LINE, 10)
        q.expect(NOCPU_LINE, 10)
        q.expect(r"^\[hyp\] error: configuration: 3 of 4 VM\(s\) could not be set up; starting "
                 r"no VM \(set host.best_effort to start the others\)", 10)
        q.expect(r"^\[hyp\] warning: console focus: VM good was not started; keyboard input "
                 r"goes to the hypervisor shell", 30)
        shell(q, "vm list", r"^\[hyp\] 0\s+good\s+stopped\s", 20)
        time.sleep(2)
        q.assert_absent(r"^\[good\]|vm good: boot #")
        q.assert_absent(r"^\[hyp\] \d+\s+(overlap|tight|nocpu)\s")
        q.assert_absent(r"PANIC")
        # One line per failure: each reason appears once.
        assert len(re.findall(OVERLAP_LINE, q.output, re.M)) == 1, q.output
        assert len(re.findall(NOCPU_LINE, q.output, re.M)) == 1, q.output
        assert len(re.findall(TIGHT_LINE, q.output, re.M)) == 1, q.output
    with boot("best-effort", 'console-focus = "good"; best-effort;',
              [GOOD, OVERLAP, TIGHT, NOCPU]) as q:
        q.expect(OVERLAP_LINE, 60)
        q.expect(TIGHT_LINE, 10)
        q.expect(NOCPU_LINE, 10)
        q.expect(r"^\[hyp\] warning: configuration: 3 of 4 VM\(s\) could not be set up; "
                 r"starting the others \(host best-effort\)", 10)
        q.expect(r"^\[hyp\] console focus: good ", 30)
        heartbeat(q, "good", 60)
        q.assert_absent(r"console focus: VM good was not|PANIC")
