#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Per-function instruction counts of the hypervisor, plugin-free.

Runs QEMU (-icount shift=0) with one instruction per translation block and `-d exec,nochain`
restricted (-dfilter) to the hypervisor image, so the log has one line per hypervisor
instruction executed, and maps each PC to its function with the ELF's symbol table.

  scripts/insn_profile.py --config build/bench/configs/sbi.dtb --seconds 20
  scripts/insn_profile.py --config X.dtb --phase boot      # only up to the first guest entry
  scripts/insn_profile.py --config X.dtb --phase exits     # per guest exit after that

`--phase exits` divides every count by the number of guest exits (entries to the trap vector
with a guest running are counted at `guest_exit`), so on a guest that does one kind of exit in
a loop (bench_sbi, bench_mmio) the table is the path length of one exit, by function.
"""

import argparse
import bisect
import collections
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ELF = BIN = None  # set from --build
TRACE_RE = re.compile(rb"^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")


def symbols():
    out = subprocess.run(["riscv64-linux-gnu-nm", "-n", "--defined-only", str(ELF)],
                         capture_output=True, text=True, check=True).stdout
    addrs, names = [], []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTW" and not parts[2].startswith(".L"):
            addrs.append(int(parts[0], 16))
            names.append(parts[2])
    return addrs, names


def disassembly():
    """(function, offset) -> instruction text, from objdump of the ELF."""
    out = subprocess.run(["riscv64-linux-gnu-objdump", "-d", "--no-show-raw-insn", str(ELF)],
                         capture_output=True, text=True, check=True).stdout
    dis, cur = {}, None
    for line in out.splitlines():
        m = re.match(r"^([0-9a-f]+) <(.+)>:", line)
        if m:
            cur = (m.group(2), int(m.group(1), 16))
            continue
        m = re.match(r"^\s+([0-9a-f]+):\s+(.*)", line)
        if m and cur:
            dis[(cur[0], int(m.group(1), 16) - cur[1])] = m.group(2).split("#")[0].strip()
    return dis


def inclusive_step(stack, i, at_start, incl, calls, edge):
    """Track calls and returns from the function of each instruction: entering a function at
    its first instruction from another one is a call; landing inside a function already on
    the stack is a return to it (tail calls and longjmp-style exits resolve the same way)."""
    if not stack or stack[-1] != i:
        if i in stack and not (at_start and stack[-1] != i):
            while stack[-1] != i:
                stack.pop()
        elif at_start or not stack:
            calls[(stack[-1] if stack else -1, i)] += 1
            stack.append(i)
        else:  # jumped into the middle of a function not on the stack (trap entry, resume)
            stack.append(i)
    for k in set(stack):
        incl[k] += 1
    # Per call edge (caller, callee): instructions spent below it, for the callers column.
    for a, b in set(zip([-1] + stack[:-1], stack)):
        edge[(a, b)] += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", required=True, help="configuration blob (initrd)")
    ap.add_argument("--seconds", type=float, default=30, help="wall-clock run time")
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--phase", choices=("all", "boot", "exits"), default="all")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--func", action="append", default=[],
                    help="also print per-PC counts inside this function (repeatable)")
    ap.add_argument("--build", default=str(ROOT / "build"), help="build directory (make BUILD=)")
    ap.add_argument("--extra", default="", help="more QEMU arguments")
    ap.add_argument("--path", type=int, default=0, metavar="N",
                    help="also print the instruction path (function+offset) of the Nth guest exit")
    ap.add_argument("--inclusive", action="store_true",
                    help="also print inclusive counts (a function and everything it called) "
                         "and the callers of each function, from a shadow call stack")
    ap.add_argument("--until", default=r"guest shutdown|stopped",
                    help="stop QEMU when the console shows this regex")
    args = ap.parse_args()
    global ELF, BIN
    ELF = Path(args.build) / "riscv64" / "ferrovisor.elf"
    BIN = Path(args.build) / "riscv64" / "ferrovisor.bin"

    addrs, names = symbols()
    lo = 0x80200000
    hi = lo + BIN.stat().st_size
    with tempfile.TemporaryDirectory() as td:
        log = Path(td) / "exec.log"
        cmd = ["qemu-system-riscv64", "-M", "virt", "-cpu", "rv64", "-smp", str(args.smp),
               "-m", "1G", "-display", "none", "-bios", "default", "-kernel", str(BIN),
               "-monitor", "none", "-serial", "file:" + str(Path(td) / "console.log"),
               "-initrd", args.config, "-icount", "shift=0,sleep=off",
               "-accel", "tcg,one-insn-per-tb=on", "-d", "exec,nochain", "-D", str(log),
               "-dfilter", f"0x{lo:x}..0x{hi:x}"] + args.extra.split()
        p = subprocess.Popen(cmd)
        con = Path(td) / "console.log"
        deadline = time.monotonic() + args.seconds
        while p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
            if con.exists() and re.search(args.until, con.read_text(errors="replace")):
                break
        if p.poll() is None:
            p.kill()
        p.wait()
        counts = collections.Counter()
        pcs = collections.Counter()
        total = exits = 0
        in_phase = args.phase != "exits"
        enter_pc = addrs[names.index("riscv_vcpu_enter")]
        exit_pc = addrs[names.index("guest_exit")] if "guest_exit" in names else None
        path = []
        starts = set(addrs)
        stack = []  # shadow call stack of symbol indices (--inclusive)
        incl = collections.Counter()
        calls = collections.Counter()
        edge = collections.Counter()
        with open(log, "rb") as f:
            for line in f:
                m = TRACE_RE.match(line)
                if not m:
                    continue
                pc = int(m.group(1), 16)
                if pc == enter_pc:
                    if args.phase == "boot":
                        break
                    if args.phase == "exits" and not in_phase:
                        in_phase = True
                        continue
                if not in_phase:
                    continue
                if pc == exit_pc:
                    exits += 1
                i = bisect.bisect_right(addrs, pc) - 1
                if args.path and exits == args.path and i >= 0:
                    path.append((names[i], pc - addrs[i]))
                counts[names[i] if i >= 0 else hex(pc)] += 1
                if args.inclusive and i >= 0:
                    inclusive_step(stack, i, pc in starts, incl, calls, edge)
                if i >= 0 and names[i] in args.func:
                    pcs[pc] += 1
                total += 1
        print(open(Path(td) / "console.log", errors="replace").read()[-600:], file=sys.stderr)
    div = exits if args.phase == "exits" and exits else 1
    print(f"total {total} instructions, {exits} guest exits, shown per "
          f"{'exit' if div > 1 else 'run'}")
    for name, n in counts.most_common(args.top):
        print(f"{n / div:12.1f}  {name}")
    if path:
        dis = disassembly()
        print(f"path of exit {args.path}: {len(path)} instructions (from guest_exit on)")
        for n, (name, off) in enumerate(path):
            print(f"{n:5d}  {name + '+0x%x' % off:36s} {dis.get((name, off), '?')}")
        print("per function, in path order:")
        runs = []
        for name, _ in path:
            if runs and runs[-1][0] == name:
                runs[-1][1] += 1
            else:
                runs.append([name, 1])
        for name, n in runs:
            print(f"{n:5d}  {name}")
    if args.inclusive:
        print("inclusive (function and its callees):")
        for i, n in incl.most_common(args.top):
            callers = sorted(((c, k) for (k, j), c in edge.items() if j == i), reverse=True)
            who = ", ".join(f"{names[k] if k >= 0 else '?'} x{calls[(k, i)]} {c / div:.0f}"
                            for c, k in callers[:4])
            print(f"{n / div:12.1f}  {names[i]}  <- {who}")
    for pc in sorted(pcs):
        i = bisect.bisect_right(addrs, pc) - 1
        print(f"{pcs[pc] / div:12.2f}  {names[i]}+0x{pc - addrs[i]:x}  (0x{pc:x})")


if __name__ == "__main__":
    main()
