#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Guest exits per virtio-blk request, by kind, for a Linux VM under Ferrovisor.

Boots tests/integration/configs/linux-blkfast.dts (one Linux VM, one vCPU, its disk on
physical slot 0, QEMU -smp 1) and runs O_DIRECT `dd` workloads in the guest: 4 KiB reads and
writes with one request in flight, 1 MiB sequential reads, and 32 parallel 4 KiB readers.
Around each workload it reads the hypervisor shell's `vm info linux` and `disks` and prints
the difference per guest request: exits by kind (SBI, MMIO, WFI, host interrupt, ...), MMIO
accesses by region (the virtio-mmio window: notify, interrupt status and ack; the PLIC:
claim and complete), interrupts injected, and how the physical disk's completions were
found (its interrupt, a halting vCPU's poll, the tick). These are event counts, so they do
not depend on the load of the machine (apart from which of interrupt or poll finds a
completion first). With --icount the guest also times each workload in QEMU's virtual
nanoseconds (-icount shift=0: one instruction per ns while a CPU runs; idle time still
passes as real time), and --native runs the same workloads on the same kernel without
Ferrovisor for comparison.

  make all build/config/stable/test-linux-blkfast.dtb
  python3 scripts/blk_exits.py [--icount] [--native] [--json FILE]
"""

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))

import fvtest  # noqa: E402
from hyp import hyp_cmd  # noqa: E402

ESC = "\x1d"
PROMPT = r"fv-guest:~# "
NULL = "dd if=/dev/vda of=/dev/null bs=4k count=0 iflag=direct"  # the baseline: no request
WORKLOADS = (  # (name, requests per run as Linux sees them, shell command)
    ("read_4k_qd1", 2000, "dd if=/dev/vda of=/dev/null bs=4k count=2000 iflag=direct"),
    ("write_4k_qd1", 2000,
     "dd if=/dev/zero of=/dev/vda bs=4k count=2000 seek=4096 oflag=direct"),
    ("read_1m_seq", 32, "dd if=/dev/vda of=/dev/null bs=1M count=32 iflag=direct"),
    ("read_4k_qd32", 2048,
     "for k in $(seq 0 31); do dd if=/dev/vda of=/dev/null bs=4k count=64 skip=$((k*64)) "
     "iflag=direct 2>/dev/null & done; wait"),
)

VCPU_RE = re.compile(r"vcpu 0: \S+ on cpu \S+, weight \d+, affinity \S+, run \d+ ms, (\d+) exits "
                     r"\(sbi (\d+) mmio (\d+) wfi (\d+) irq (\d+)\)")
MORE_RE = re.compile(r"vcpu 0: exits virt-inst (\d+) guest-fault (\d+) other (\d+), (\d+) irqs")
MMIO_RE = re.compile(r"\[hyp\] mmio (\S+): (\d+) accesses")
DEV_RE = re.compile(r"dev vda virtio-blk .*?: (\d+) requests")
DISK_RE = re.compile(r"disk slot 0: .*?(\d+) requests .*?(\d+) by irq, (\d+) by halt, "
                     r"(\d+) by tick(?:, \d+ rekicks, (\d+) by notify poll)?")
CPU_RE = re.compile(r"cpu 0 \(hart \d+\): .*?exits (\d+), switches (\d+)")


def hyp_snapshot(q):
    """Counters of VM linux and disk slot 0 from the hypervisor shell."""
    q.send(ESC + "0")
    q.expect(r"^\[hyp\] console focus: hyp", 20)
    q.send("vm info linux\r")
    q.expect(r"^\[hyp\] dev vda virtio-blk", 30)
    q.send("disks\r")
    q.expect(r"^\[hyp\] disk slot 0: .*by tick", 30)
    q.send("cpus\r")
    q.expect(r"^\[hyp\] cpu 0 ", 30)
    text = q.output[-20000:]
    snap = {}
    m = list(VCPU_RE.finditer(text))[-1]
    for k, v in zip(("exits", "sbi", "mmio", "wfi", "irq"), m.groups()):
        snap[f"exit_{k}"] = int(v)
    more = list(MORE_RE.finditer(text))  # absent before blkfast: then only the first line
    for k, v in zip(("virt_inst", "guest_fault", "other", "irqs_injected"),
                    more[-1].groups() if more else ()):
        snap[f"exit_{k}" if k != "irqs_injected" else k] = int(v)
    last = text.rfind("vm linux:")
    for name, n in MMIO_RE.findall(text[last:]):
        snap[f"mmio_{name}"] = int(n)
    snap["vda_requests"] = int(list(DEV_RE.finditer(text))[-1].group(1))
    m = list(DISK_RE.finditer(text))[-1]
    for k, v in zip(("phys_requests", "by_irq", "by_halt", "by_tick", "by_notify"), m.groups()):
        snap[k] = int(v or 0)
    q.send(ESC + "1")
    q.expect(r"^\[hyp\] console focus: linux", 20)
    return snap


def guest_run(q, tag, cmd, timeout):
    """Run cmd in the guest shell; returns its duration in guest ns (from /proc/uptime, so
    10 ms resolution: busybox's date has no %N)."""
    up = "$(tr -d . < /proc/uptime | cut -d' ' -f1)"
    q.send(f"t0={up}; {cmd} 2>/dev/null; t1={up}; "
           f"echo {tag}-T-$((t1-t0))-$((40+2))\r")
    m = q.expect(rf"{tag}-T-(\d+)-42", timeout)
    return int(m.group(1)) * 10_000_000


def run_ferrovisor(icount):
    disk = fvtest.BUILD_DIR / "test-disks" / "blk-exits.img"
    if disk.exists():
        disk.unlink()
    extra = fvtest.virtio_disk(disk, 0, size="64M")
    if icount:
        extra += ["-icount", "shift=0"]
    out = {}
    with fvtest.Qemu(hyp_cmd("linux-blkfast", smp=1, mem="1G", extra=extra),
                     name="blk-exits") as q:
        q.expect(r"^\[linux\] FERROVISOR-INIT: up", 600)
        q.expect(rf"^\[linux\] .*{PROMPT}", 120)
        guest_run(q, "warm", WORKLOADS[0][2].replace("2000", "16"), 300)

        def delta(name, cmd):
            a = hyp_snapshot(q)
            ns = guest_run(q, name, cmd, 900)
            b = hyp_snapshot(q)
            return {k: b[k] - a.get(k, 0) for k in b}, ns

        # What typing and echoing a command line and the shell snapshots cost by themselves
        # (UART and its interrupts), subtracted from every workload below.
        base, _ = delta("null", NULL)
        print(f"baseline (a command line, no request): {json.dumps(base)}", flush=True)
        for name, nreq, cmd in WORKLOADS:
            d, ns = delta(name, cmd)
            d = {k: v - base.get(k, 0) for k, v in d.items()}
            reqs = d["vda_requests"] or 1
            out[name] = {"guest_requests": d["vda_requests"], "ns": ns,
                         "ns_per_request": ns / reqs,
                         "per_request": {k: round(v / reqs, 3) for k, v in sorted(d.items())
                                         if k != "vda_requests"}}
            print(f"{name}: {json.dumps(out[name])}", flush=True)
    return out


def run_native(icount):
    img = fvtest.BUILD_DIR / "images" / "stable"
    disk = fvtest.BUILD_DIR / "test-disks" / "blk-exits-native.img"
    if disk.exists():
        disk.unlink()
    extra = ["-initrd", str(img / "initramfs.cpio.gz"), "-append", "console=ttyS0 quiet"]
    extra += fvtest.virtio_disk(disk, 0, size="64M")
    if icount:
        extra += ["-icount", "shift=0"]
    out = {}
    with fvtest.Qemu(fvtest.qemu_riscv_cmd(img / "Image", smp=1, mem="256M", extra=extra),
                     name="blk-exits-native") as q:
        q.expect(r"FERROVISOR-INIT: up", 600)
        q.expect(PROMPT, 120)
        q.send(WORKLOADS[0][2].replace("2000", "16") + "; echo W-$((40+2))\r")
        q.expect("W-42", 300)
        for name, nreq, cmd in WORKLOADS:
            ns = guest_run(q, name, cmd, 900)
            out[name] = {"ns": ns, "ns_per_request": ns / nreq}
            print(f"native {name}: {json.dumps(out[name])}", flush=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--icount", action="store_true", help="QEMU -icount shift=0")
    ap.add_argument("--native", action="store_true", help="also run natively")
    ap.add_argument("--native-only", action="store_true", help="only the native run")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    res = {}
    if args.native:
        res["native"] = run_native(args.icount)
    if not args.native_only:
        res["ferrovisor"] = run_ferrovisor(args.icount)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
