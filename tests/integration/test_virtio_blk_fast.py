# SPDX-License-Identifier: MIT
"""virtio-blk fast paths (docs/performance.md, "virtio-blk: exits per request"): one Linux VM
(1 vCPU) whose disk is physical slot 0, on a 2-CPU host, in one boot:

- queue depth 1: 4 KiB O_DIRECT writes and reads of random data read back identical, and the
  notifying vCPU's poll finished some of them (`by notify poll` in `disks`), every request
  accounted to exactly one of interrupt, halt poll, notify poll, tick;
- the disk's interrupt follows its only VM: pinned to CPU 0, then CPU 1 (`vm affinity`), the
  disk's host interrupt is routed to that CPU (`irqs`) and handled there, data intact;
- 16 parallel writers with a VM reset in the middle (the reset drains what is in flight): the
  hypervisor logs no error and fails no request, the VM boots again and its disk works."""

import re
import time

import fvtest
from linux_shell import fresh_disk, run
from hyp import assert_healthy, hyp_cmd

KERNEL_MATRIX = True

ESC = "\x1d"  # Ctrl-], the console escape key
VM = "linux"
DISK_IRQ = 1  # host PLIC source of virtio-mmio slot 0


def hyp_shell(q, line, pattern, timeout=30):
    q.send(ESC + "0")
    q.expect(r"^\[hyp\] console focus: hyp", 20)
    q.send(line + "\r")
    return q.expect(pattern, timeout)


def focus_vm(q):
    q.send(ESC + "1")
    q.expect(rf"^\[hyp\] console focus: {VM}", 20)


def disk_counters(q):
    m = hyp_shell(q, "disks", r"^\[hyp\] disk slot 0: \d+ sectors, \d+ claim\(s\), (\d+) "
                  r"requests \((\d+) failed, \d+ waited\), at most (\d+) in flight, (\d+) by irq, "
                  r"(\d+) by halt, (\d+) by tick, \d+ rekicks, (\d+) by notify poll, irq moved "
                  r"(\d+) times\r?\n")
    keys = ("requests", "failed", "max_inflight", "irq", "halt", "tick", "notify", "moved")
    return dict(zip(keys, map(int, m.groups())))


def disk_irq(q):
    """(cpu the disk's interrupt is routed to, handled per CPU)."""
    m = hyp_shell(q, "irqs", rf"^\[hyp\] irq {DISK_IRQ} \(disk slot 0\): cpu (\d+), handled "
                  r"cpu0 (\d+) cpu1 (\d+)\r?\n")
    return int(m.group(1)), (int(m.group(2)), int(m.group(3)))


def qd1_roundtrip(q, tag, blocks, seek):
    """`blocks` 4 KiB O_DIRECT writes of random data at block `seek`, one at a time, then the
    same reads; asserts they read back identical."""
    focus_vm(q)
    run(q, VM, f"dd if=/dev/urandom of=/tmp/{tag} bs=4k count={blocks} 2>/dev/null; "
        f"dd if=/tmp/{tag} of=/dev/vda bs=4k seek={seek} oflag=direct 2>/dev/null; "
        f"dd if=/dev/vda of=/tmp/{tag}.r bs=4k skip={seek} count={blocks} iflag=direct "
        f"2>/dev/null; cmp /tmp/{tag} /tmp/{tag}.r && echo RT-{tag}-ok-$((40+2))",
        rf"RT-{tag}-ok-42", 600)


def vcpu_cpu(q):
    m = hyp_shell(q, f"vm info {VM}", r"^\[hyp\] vcpu 0: \S+ on cpu (-?\d+)")
    return int(m.group(1))


@fvtest.timeout(1200)
def test_blk_notify_poll_irq_follows_vm_and_reset_in_flight():
    disk = fresh_disk("blk-fast")
    extra = fvtest.virtio_disk(disk, 0, size="64M")
    with fvtest.Qemu(hyp_cmd("linux-blkfast", smp=2, mem="1G", extra=extra)) as q:
        q.expect(r"^\[hyp\] virtio slot 0 \(0x10001000\): disk, 131072 sectors \(64 MiB\), "
                 r"interrupt-driven", 60)
        q.expect_seen(rf"^\[{VM}\] FERROVISOR-INIT: up", 600)
        focus_vm(q)
        run(q, VM, "cat /sys/block/vda/size", r"131072\r?$", 60)

        # Queue depth 1: the notify poll finds completions; each request counted once.
        before = disk_counters(q)
        qd1_roundtrip(q, "qd1", 1000, 0)
        after = disk_counters(q)
        d = {k: after[k] - before[k] for k in before}
        assert d["requests"] >= 2000, d
        assert d["failed"] == 0, d
        assert d["notify"] > 0, f"no completion found by the notifying vCPU's poll: {d}"
        assert d["irq"] + d["halt"] + d["tick"] + d["notify"] == d["requests"], d

        # The disk's interrupt follows its only VM from CPU to CPU.
        for n, cpu in enumerate((0, 1, 0)):
            hyp_shell(q, f"vm affinity {VM} {cpu}", rf"^\[hyp\] vm {VM}: affinity {cpu}", 20)
            # The vCPU moves when it next runs: wake it with a command, then check.
            focus_vm(q)
            run(q, VM, f"echo MOVED-{n}-$((40+2))", rf"MOVED-{n}-42", 60)
            assert vcpu_cpu(q) == cpu, f"vcpu 0 not on cpu {cpu} after `vm affinity`"
            _, handled0 = disk_irq(q)
            qd1_roundtrip(q, f"aff{n}", 200, 4096 + n * 256)
            routed, handled1 = disk_irq(q)
            assert routed == cpu, f"disk interrupt on cpu {routed}, the VM runs on cpu {cpu}"
            # What was not found by the poll came by the interrupt on the VM's CPU only.
            other = 1 - cpu
            assert handled1[other] == handled0[other], \
                f"disk interrupt handled on cpu {other} while the VM ran on cpu {cpu}"
        assert disk_counters(q)["moved"] >= 2

        # Parallel writers, then a reset in the middle of their I/O.
        focus_vm(q)
        run(q, VM, "dd if=/dev/urandom of=/tmp/p bs=64k count=16 2>/dev/null; echo G-$((40+2))",
            r"G-42", 60)
        q.send("( for r in 1 2 3 4 5 6 7 8; do for k in $(seq 0 15); do dd if=/tmp/p "
               "of=/dev/vda bs=4k seek=$((8192+k*256)) oflag=direct 2>/dev/null & done; wait; "
               "done ) & echo STARTED-$((40+2))\r")
        q.expect(rf"^\[{VM}\] STARTED-42", 60)
        # Reset once the writers are under way (the disk's request count moves).
        start = disk_counters(q)["requests"]
        for _ in range(240):
            if disk_counters(q)["requests"] >= start + 64:
                break
            time.sleep(0.5)  # between looks at a condition, not a synchronisation
        else:
            raise AssertionError("the parallel writers made no requests")
        hyp_shell(q, f"vm reset {VM}", rf"^\[hyp\] vm {VM}: boot #2", 120)
        q.expect(rf"^\[{VM}\] FERROVISOR-INIT: up", 600)
        c = disk_counters(q)
        assert c["failed"] == 0, c
        qd1_roundtrip(q, "after", 100, 12288)
        out = q.output
        assert not re.search(r"^\[hyp\] .*(needs reset|did not finish|broken)", out, re.M), \
            "the hypervisor logged a device error"
        assert_healthy(q)
