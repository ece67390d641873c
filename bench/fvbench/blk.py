# SPDX-License-Identifier: MIT
"""virtio-blk throughput inside a Linux guest, Ferrovisor vs native (wall-clock).

Native: the Debian kernel directly on OpenSBI with QEMU's virtio-blk-device on a raw image.
Ferrovisor: the same kernel and initramfs as a VM whose disk is backed by that physical
virtio-blk slot (`virtio-blk-slots = <0>`). The guest runs `fvio blk` (bench/guest/) on
/dev/vda with O_DIRECT, one request in flight, and for the QD32 tests 32 threads with one
request each (up to 32 in flight)."""

from . import iotool
from .common import (QUIET_PERCENT, WORK, BenchError, figure, fvtest, hyp_cmd, log,
                     native_cmd, qemu, quiet_runs, side, stats)
from .linux import ensure_images

DISK_MIB = 128     # raw image, fully allocated
SEQ_MIB = 64       # sequential tests: 64 x 1 MiB requests
RAND_OPS = 2000    # random tests: 4 KiB requests
MAX_S = 6          # a test stops early after this long (the JSON line says how far it got)
BLOCK = 4096
MB = 1e6

TESTS = (  # (key, fvio test, title, unit)
    ("virtio_blk_seq_read", "seq_read", "virtio-blk sequential read, 1 MiB O_DIRECT", "MB/s"),
    ("virtio_blk_seq_write", "seq_write", "virtio-blk sequential write, 1 MiB O_DIRECT",
     "MB/s"),
    ("virtio_blk_rand_read", "rand_read", "virtio-blk random read, 4 KiB O_DIRECT, QD 1",
     "IOPS"),
    ("virtio_blk_rand_write", "rand_write", "virtio-blk random write, 4 KiB O_DIRECT, QD 1",
     "IOPS"),
    ("virtio_blk_rand_read_qd32", "rand_read_qd32",
     "virtio-blk random read, 4 KiB O_DIRECT, QD 32", "IOPS"),
    ("virtio_blk_rand_write_qd32", "rand_write_qd32",
     "virtio-blk random write, 4 KiB O_DIRECT, QD 32", "IOPS"),
)


def make_disk(path, mib=DISK_MIB):
    """A fully allocated raw image (every block written, no holes, so no run pays for the
    host file system allocating blocks) whose 4 KiB blocks carry fvio's stamps: their index
    as a little-endian u64 in the first 8 bytes, so the guest checks every block it reads
    even when its own seq_write was cut short."""
    path.parent.mkdir(parents=True, exist_ok=True)
    per_mib = (1 << 20) // BLOCK
    with open(path, "wb") as f:
        for m in range(mib):
            chunk = bytearray(1 << 20)
            for j in range(per_mib):
                chunk[j * BLOCK:j * BLOCK + 8] = (m * per_mib + j).to_bytes(8, "little")
            f.write(chunk)
    return path


def _value(o):
    """MB/s or IOPS of one fvio_blk line."""
    secs = o["ns"] / 1e9
    return o["bytes"] / MB / secs if o["block"] >= (1 << 20) else o["ops"] / secs


def _run(cmd, name, vm):
    with qemu(cmd, name) as q:
        objs = iotool.collect(q, lambda o: o["bench"] == "fvio_done", 300, vm=vm)
    got = {o["test"]: o for o in objs if o["bench"] == "fvio_blk"}
    for _, test, _, _ in TESTS:
        o = got.get(test)
        if o is None:
            raise BenchError(f"{name}: no {test} result")
        if o["errors"]:
            raise BenchError(f"{name}: {test}: {o['errors']} block(s) read back wrong")
    return {test: _value(o) for test, o in got.items()}, got


def bench_blk(runs):
    """virtio-blk sequential MB/s and random 4 KiB IOPS in Linux, Ferrovisor vs native."""
    kernel, _ = ensure_images()
    initrd = iotool.io_initramfs()
    disk = make_disk(WORK / "disks" / "blk.img")
    args = iotool.bootargs(mode="blk", seq_mib=SEQ_MIB, rand_ops=RAND_OPS, max_s=MAX_S)
    cfg = iotool.io_config("blk", [iotool.linux_vm("linux", initrd, args,
                                                   extra="virtio-blk-slots = <0>; ")],
                           "virtio-blk benchmark: 1 Linux VM, disk on physical slot 0")
    drive = fvtest.virtio_disk(disk, 0)
    mem = f"{iotool.GUEST_MIB}M"
    ops = {"native": {}, "ferrovisor": {}}  # requests made per test and boot

    def one_pair(i):
        log(f"virtio-blk: pair {i + 1}")
        n, raw_n = _run(native_cmd(kernel, smp=1, mem=mem, icount=False,
                                   extra=["-initrd", str(initrd), "-append", args] + drive),
                        f"blk-native-{i}", None)
        v, raw_v = _run(hyp_cmd(cfg, smp=1, mem="1G", icount=False, extra=drive),
                        f"blk-ferrovisor-{i}", "linux")
        for t in n:
            ops["native"].setdefault(t, []).append(raw_n[t]["ops"])
            ops["ferrovisor"].setdefault(t, []).append(raw_v[t]["ops"])
        return n, v

    pairs, quiet = quiet_runs(one_pair, runs, "virtio-blk", extra_attempts=2)
    out = {}
    for key, test, title, unit in TESTS:
        nat = [p[0][test] for p in pairs]
        virt = [p[1][test] for p in pairs]
        seq = test.startswith("seq")
        what = (f"{SEQ_MIB} MiB in 1 MiB requests from offset 0" if seq else
                f"{RAND_OPS} requests of 4 KiB at pseudo-random 4 KiB-aligned offsets of the "
                f"same {SEQ_MIB} MiB (a fixed xorshift sequence, the same on both sides)")
        qd = 32 if test.endswith("_qd32") else 1
        if qd > 1:
            what += (f"; {qd} threads take the requests in order, each with one O_DIRECT "
                     f"request in flight (up to {qd} at once)")
        full = SEQ_MIB if seq else RAND_OPS
        what += (f"; a test still running after {MAX_S} s stops there and counts the requests "
                 "it made (`requests`: per boot and side over all pairs run, "
                 f"{full} when complete)")
        f = figure(
            title, "wall-clock", unit + (" (10^6 bytes/s)" if unit == "MB/s" else
                                         " (requests/s)"), runs,
            f"`fvio blk` (bench/guest/, static C, CLOCK_MONOTONIC in the guest) on /dev/vda "
            f"opened with O_DIRECT, {qd} request(s) in flight: {what}; in each boot the tests "
            "run in the order seq_write, seq_read, rand_write, rand_read, rand_write_qd32, "
            "rand_read_qd32, every 4 KiB block "
            "stamped with its index on write and checked on read (a mismatch fails the run). "
            f"Debian kernel + busybox initramfs with an extra cpio layer (fvio, /etc/fv-bench), "
            f"1 vCPU, {iotool.GUEST_MIB} MiB, QEMU -smp 1 (plain TCG, no icount). Disk: a "
            f"fully allocated {DISK_MIB} MiB raw image, `-drive ...,format=raw,"
            "cache=writeback -device virtio-blk-device` on virtio-mmio slot 0 for both sides "
            "(the guest issues no flushes; with cache=writeback the host page cache absorbs "
            "the I/O as long as the driver of the QEMU device negotiates VIRTIO_BLK_F_FLUSH, "
            "else QEMU makes the disk write-through and syncs the image file after every "
            "write). Native: the kernel directly on OpenSBI; "
            "Ferrovisor: a VM whose disk is that slot (`virtio-blk-slots = <0>`). One native "
            "and one Ferrovisor boot per pair, a pair repeated (at most 2 extra) when other "
            f"processes used more than {QUIET_PERCENT:.0f} % of the host CPU during it; "
            "ratio of medians (per-pair ratios in `pair_ratio`), higher is better.",
            native=side(nat), ferrovisor=side(virt),
            pair_ratio=stats([v / n for n, v in zip(nat, virt)]), host_load=quiet,
            higher_is_better=True,
            requests={k: ops[k][test] for k in ("native", "ferrovisor")},
            requests_complete=full)
        f["percent_of_native"] = f["ratio"] * 100
        out[key] = f
    return out
