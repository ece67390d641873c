# SPDX-License-Identifier: MIT
"""The guest debugger against Debian's arm64 kernel (no vmlinux with symbols): the address of
a kernel function comes from the guest's /proc/kallsyms through its shell; gdb-multiarch
breaks there (a BRK in kernel text, written through the kernel's own four-level 48-bit
TTBR1 tables), disassembles the kernel code at pc by virtual address, single-steps, and the
kernel runs on after detach, beside a bare-metal VM that never noticed."""

import re

import arm64_hyp
import fvapi
import fvtest
from hyp import assert_healthy, heartbeat
from test_arm64_gdb import channel
from test_gdb import run_gdb

KERNEL_MATRIX = True
SKIP_REASON = arm64_hyp.skip_reason()

BRANCHES = ("b", "bl", "br", "blr", "ret", "cbz", "cbnz", "tbz", "tbnz", "eret")


@fvtest.timeout(600)
def test_arm64_gdb_linux_kernel_breakpoint():
    cfg = arm64_hyp.twin_config_path("linux-gdb")
    port = fvapi.free_port()
    with fvtest.Qemu(arm64_hyp.hyp_cmd(config_file=cfg, mem="1G", extra=channel(port))) as q:
        q.expect(r"^\[hyp\] gdb: stub for vm linux on the gdb channel", 60)
        q.expect(r"fv-guest:~# ", 400)
        q.send("echo KSYM=$(grep ' __arm64_sys_write$' /proc/kallsyms | cut -d' ' -f1)\r")
        addr = int(q.expect(r"^\[linux\] KSYM=([0-9a-f]{16})\r?\n", 60).group(1), 16)
        assert addr >> 48 == 0xffff, hex(addr)
        # A writer in the background: write(2) to /dev/null twice a second.
        q.send("(i=0; while [ $i -lt 400 ]; do echo w > /dev/null; sleep 0.5; "
               "i=$((i+1)); done) &\r")
        out = run_gdb(port, [
            "set architecture aarch64",
            "info threads",
            f"break *{addr:#x}",
            "continue",
            "print/x $pc",
            "print/x $cpsr",
            "x/2i $pc",
            "stepi",
            "print/x $pc",
            "delete",
            "detach",
        ], elf=None)
        assert re.search(r"^\s+2\s+Thread 2 \(vCPU 1", out, re.M), out
        assert re.search(rf"Breakpoint 1, {addr:#018x} in", out), out
        pcs = [int(x, 16) for x in re.findall(r"^\$\d+ = (0x[0-9a-f]+)$", out, re.M)]
        assert len(pcs) == 3 and pcs[0] == addr, out
        # Stopped in the kernel: EL1 with SP_EL1 (EL1h).
        assert pcs[1] & 0xf == 5, out
        # Kernel code read by virtual address through the kernel's tables (not the BRK).
        m = re.search(rf"^=> {addr:#018x}:\s+(\w+)", out, re.M)
        assert m, out
        assert m.group(1) != "brk", out
        # stepi: one instruction on (a branch may go elsewhere).
        if m.group(1) not in BRANCHES and not m.group(1).startswith("b."):
            assert pcs[2] == addr + 4, out
        else:
            assert pcs[2] != addr, out
        assert "detached" in out, out
        # The kernel runs on: the shell answers, and the bystander VM kept its heartbeat.
        q.send("echo after-gdb-$((6*7))\r")
        q.expect(r"^\[linux\] after-gdb-42\r?\n", 60)
        n = heartbeat(q, "beat")
        assert heartbeat(q, "beat") > n
        q.assert_absent(r"stopping VM|Internal error|BUG:|Oops")
        assert_healthy(q)
