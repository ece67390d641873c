# SPDX-License-Identifier: MIT
"""Asynchronous virtio-blk: two Linux VMs on two slices of one physical disk doing heavy
parallel O_DIRECT I/O at the same time (many requests in flight on the physical device,
completed by its interrupt), checked for data integrity inside each VM and on the raw image
afterwards; and a VM reset in the middle of that I/O, after which the neighbour's data is
intact, the reset VM works again and the hypervisor logged no error."""

import hashlib
import re

import fvtest
from linux_shell import fresh_disk, run
from hyp import assert_healthy, hyp_cmd

KERNEL_MATRIX = True

ESC = "\x1d"  # Ctrl-], the console escape key
JOBS = 8  # parallel dd jobs per VM
JOB_BYTES = 2 << 20  # each job's region of the VM's slice
SLICE_BYTES = 16 << 20  # linux-slices.dts: lina sectors 0-32767, linb 32768-65535
VMS = ((1, "lina"), (2, "linb"))


def focus(q, n):
    q.send(ESC + str(n))


def boot_both(q):
    for _, vm in VMS:
        q.expect_seen(rf"^\[{vm}\] FERROVISOR-INIT: up", 300)
    for n, vm in VMS:
        focus(q, n)
        run(q, vm, "cat /sys/block/vda/size", r"32768\r?$", 60)


def make_patterns(q, vm, tag):
    """JOBS files of random data in the guest's tmpfs, one per job region."""
    run(q, vm, f"for k in $(seq 0 {JOBS - 1}); do dd if=/dev/urandom of=/tmp/p$k bs=64k "
        f"count={JOB_BYTES >> 16} 2>/dev/null; done; echo GEN-{tag}-$((40+2))",
        rf"GEN-{tag}-42", 120)


def parallel_io(tag, rounds=1):
    """Shell line (background job): JOBS O_DIRECT 4 KiB writers at once, then JOBS O_DIRECT
    readers at once, then compare; prints SUM-<tag>-<k>-<md5> per job and
    PAR-<tag>-<bad>-42 at the end (bad = regions that read back different)."""
    blocks = JOB_BYTES // 4096
    one = (f"for k in $(seq 0 {JOBS - 1}); do dd if=/tmp/p$k of=/dev/vda bs=4k "
           f"seek=$((k*{blocks})) oflag=direct 2>/dev/null & done; wait; "
           f"for k in $(seq 0 {JOBS - 1}); do (dd if=/dev/vda bs=4k skip=$((k*{blocks})) "
           f"count={blocks} iflag=direct 2>/dev/null | md5sum > /tmp/r$k) & done; wait; ")
    return (f"( bad=0; for r in $(seq 1 {rounds}); do {one}"
            f"for k in $(seq 0 {JOBS - 1}); do [ \"$(md5sum < /tmp/p$k)\" = \"$(cat /tmp/r$k)\" ]"
            f" || bad=$((bad+1)); done; done; "
            f"for k in $(seq 0 {JOBS - 1}); do echo SUM-{tag}-$k-$(md5sum < /tmp/p$k); done; "
            f"echo PAR-{tag}-$bad-$((40+2)) ) &")


def hyp_shell(q, line, pattern, timeout=20):
    q.send(ESC + "0")
    q.expect(r"^\[hyp\] console focus: hyp", 10)
    q.send(line + "\r")
    return q.expect(pattern, timeout)


def sums(q, vm, tag):
    # The first may share its line with the prompt and the shell's terminal queries (ESC[6n).
    found = dict(re.findall(rf"^\[{vm}\] .*?SUM-{tag}-(\d+)-([0-9a-f]{{32}})", q.output, re.M))
    assert len(found) == JOBS, f"{vm}: {len(found)} of {JOBS} checksums"
    return [found[str(k)] for k in range(JOBS)]


@fvtest.timeout(900)
def test_blk_parallel_io_two_slices_integrity_and_isolation():
    disk = fresh_disk("blk-async")
    extra = fvtest.virtio_disk(disk, 0, size="64M")
    with fvtest.Qemu(hyp_cmd("linux-slices", mem="2G", extra=extra)) as q:
        q.expect(r"^\[hyp\] virtio slot 0 \(0x10001000\): disk, 131072 sectors \(64 MiB\), "
                 r"interrupt-driven", 60)
        boot_both(q)
        for n, vm in VMS:
            focus(q, n)
            make_patterns(q, vm, "a")
        # Both VMs' jobs start before either finishes: 16 writers, then 16 readers.
        for n, vm in VMS:
            focus(q, n)
            q.send(parallel_io("a", rounds=2) + "\r")
        for _, vm in VMS:
            m = q.expect_seen(rf"^\[{vm}\] PAR-a-(\d+)-42", 600)
            assert m.group(1) == "0", f"{vm}: {m.group(1)} regions read back different"
        digests = {vm: sums(q, vm, "a") for _, vm in VMS}
        # The physical disk had many requests in flight at once (a synchronous device: 1).
        m = hyp_shell(q, "disks", r"^\[hyp\] disk slot 0: 131072 sectors, 2 claim\(s\), "
                      r"(\d+) requests \((\d+) failed, \d+ waited\), at most (\d+) in flight")
        assert int(m.group(2)) == 0, "physical requests failed"
        assert int(m.group(3)) >= 4, f"at most {m.group(3)} requests in flight"
        for _, vm in VMS:
            q.send(f"vm info {vm}\r")
            q.expect(rf"^\[hyp\] dev vda virtio-blk 0x10001000 irq 1 slot 0 sectors \d+-\d+: "
                     r"\d+ requests, 0 errors", 10)
        assert_healthy(q)
    # On the host: each job's region holds exactly what that job wrote, in its VM's slice.
    data = disk.read_bytes()
    for i, (_, vm) in enumerate(VMS):
        for k in range(JOBS):
            off = i * SLICE_BYTES + k * JOB_BYTES
            got = hashlib.md5(data[off:off + JOB_BYTES]).hexdigest()
            assert got == digests[vm][k], f"{vm} region {k} differs on the disk image"
    rest = data[2 * SLICE_BYTES:]
    assert rest.count(0) == len(rest), "data outside both slices"


@fvtest.timeout(900)
def test_blk_vm_reset_during_io_neighbour_intact():
    disk = fresh_disk("blk-async-reset")
    extra = fvtest.virtio_disk(disk, 0, size="64M")
    with fvtest.Qemu(hyp_cmd("linux-slices", mem="2G", extra=extra)) as q:
        boot_both(q)
        for n, vm in VMS:
            focus(q, n)
            make_patterns(q, vm, "r")
        # lina: three rounds of parallel write + verify; linb: endless parallel I/O.
        focus(q, 1)
        q.send(parallel_io("r", rounds=3) + "\r")
        focus(q, 2)
        q.send("while true; do " + parallel_io("x").rstrip("&").strip() + "; done &\r")
        # Let both get going, then reset linb in the middle of its requests.
        q.expect(r"^\[linb\] SUM-x-7-", 300)
        q.expect(r"^\[linb\] SUM-x-7-", 300)
        hyp_shell(q, "vm reset linb", r"^\[hyp\] vm linb: boot #2", 60)
        # linb boots again and uses its disk; its pattern files are gone with its RAM.
        q.expect(r"^\[linb\] FERROVISOR-INIT: up", 300)
        focus(q, 2)
        run(q, "linb", "dd if=/dev/vda of=/dev/null bs=64k count=256 iflag=direct 2>/dev/null;"
            " echo READ-$((40+2))-$?", r"READ-42-0", 120)
        make_patterns(q, "linb", "s")
        q.send(parallel_io("s") + "\r")
        m = q.expect_seen(r"^\[linb\] PAR-s-(\d+)-42", 300)
        assert m.group(1) == "0", f"linb after its reset: {m.group(1)} regions differ"
        # lina never noticed: all its rounds verified.
        m = q.expect_seen(r"^\[lina\] PAR-r-(\d+)-42", 600)
        assert m.group(1) == "0", f"lina: {m.group(1)} regions read back different"
        lina = sums(q, "lina", "r")
        linb = sums(q, "linb", "s")
        m = hyp_shell(q, "disks", r"^\[hyp\] disk slot 0: .*?(\d+) failed")
        assert m.group(1) == "0", "physical requests failed"
        q.send("vm info lina\r")
        q.expect(r"^\[hyp\] dev vda virtio-blk 0x10001000 irq 1 slot 0 sectors 0-32767: "
                 r"\d+ requests, 0 errors", 10)
        q.assert_absent(r"^\[hyp\] vm lina: (stopped|boot #2)")
        assert_healthy(q)
    data = disk.read_bytes()
    for k in range(JOBS):
        off = k * JOB_BYTES
        assert hashlib.md5(data[off:off + JOB_BYTES]).hexdigest() == lina[k], \
            f"lina region {k} differs on the disk image"
        off = SLICE_BYTES + k * JOB_BYTES
        assert hashlib.md5(data[off:off + JOB_BYTES]).hexdigest() == linb[k], \
            f"linb region {k} differs on the disk image"
    rest = data[2 * SLICE_BYTES:]
    assert rest.count(0) == len(rest), "data outside both slices"
