# SPDX-License-Identifier: MIT
"""The guest debugger against a stock Debian Linux guest (no vmlinux with symbols): gdb reads
the guest's S-level CSRs, disassembles kernel code through the guest's own Sv39/48/57 page
tables, stops on the kernel's trap entry (stvec) with a hardware breakpoint, and the guest
runs on after detach, beside a bare-metal VM that never noticed."""

import re
import subprocess
import tempfile
import time

import fvapi
import fvtest
from hyp import assert_healthy, heartbeat, hyp_cmd
from test_gdb import gdb_args, gdb_channel, run_gdb
from test_linux import boot_to_shell, run

KERNEL_MATRIX = True


@fvtest.timeout(600)
def test_gdb_linux_trap_entry():
    port = fvapi.free_port()
    with fvtest.Qemu(hyp_cmd("linux-gdb", mem="2G", extra=gdb_channel(port))) as q:
        boot_to_shell(q, "linux", 400)
        out = run_gdb(port, [
            "set architecture riscv:rv64",
            "info threads",
            "info registers stvec satp sstatus",
            "x/4i $stvec",
            "hbreak *$stvec",
            "continue",
            "print/x $pc",
            "print/x $stvec",
            "print/x $scause",
            "delete",
            "detach",
        ], elf=None)
        assert re.search(r"^\s+2\s+Thread 2 \(vCPU 1", out, re.M), out
        # The kernel runs with paging on: satp MODE is Sv39 (8), Sv48 (9) or Sv57 (10).
        m = re.search(r"^satp\s+(0x[0-9a-f]+)", out, re.M)
        assert m and int(m.group(1), 16) >> 60 in (8, 9, 10), out
        # Kernel code read by virtual address through the guest's page tables.
        assert re.search(r"^\s+0xffffffff[0-9a-f]+:\s+\S+", out, re.M), out
        # Stopped at the trap entry: pc == stvec.
        m = re.search(r"^\$1 = (0x[0-9a-f]+)\s+\$2 = (0x[0-9a-f]+)", out, re.M)
        assert m and int(m.group(1), 16) == int(m.group(2), 16) & ~3, out
        assert "detached" in out, out
        # A syscall entry: stop at the trap entry until scause says "ecall from U-mode"
        # (8) while the shell runs a command typed meanwhile.
        with tempfile.NamedTemporaryFile("w", suffix=".gdb") as f:
            f.write("set architecture riscv:rv64\nhbreak *$stvec\ncontinue\n"
                    "set $n = 0\nwhile $scause != 8 && $n < 400\n  continue\n"
                    "  set $n = $n + 1\nend\nprint/x $scause\nprint/x $a7\n"
                    "delete\ndetach\n")
            f.flush()
            p = subprocess.Popen(gdb_args(port, [f"-x {f.name}"], elf=None),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            time.sleep(3)
            q.send("echo syscall-made\r")
            try:
                out, _ = p.communicate(timeout=300)
            except subprocess.TimeoutExpired:
                # Keep what gdb printed so far: it shows the last stop before the hang.
                p.kill()
                out, _ = p.communicate()
                out += "\n(gdb killed after 300 s: the stub never answered the last resume)\n"
        (fvtest.LOG_DIR / f"{fvtest.log_safe(fvtest.current_test_name())}.gdb2.log").write_text(out)
        assert "gdb killed" not in out, out
        m = re.search(r"^\$\d+ = 0x8\s+\$\d+ = (0x[0-9a-f]+)", out, re.M)
        assert m, out
        # a7 holds the syscall number (riscv64 Linux: all below 0x200).
        assert int(m.group(1), 16) < 0x200, out
        assert "detached" in out, out
        q.expect(r"^\[linux\] syscall-made", 60)
        # The guest runs on: its shell answers, and the bare-metal VM kept going.
        run(q, "linux", "echo still-$((20 + 22))", r"still-42", 60)
        n = heartbeat(q, "hello", 30)
        assert heartbeat(q, "hello", 30) > n
        assert_healthy(q)
