# SPDX-License-Identifier: MIT
"""The guest debugger on arm64 (hyp/arch/arm64/gdb_arch.c, debug_arm64.c; docs/debugging.md):
gdb-multiarch against the stub of an arm64 VM, the twin of test_gdb.py.

configs-arm64/gdb.dts runs `dbg` (guests/arm64/gdb_target, 2 vCPUs, the MMU on in both with
a 39-bit TTBR0 identity map and a 48-bit, four-level TTBR1 alias of its image) with the gdb
channel, and `peer` (the same guest, 1 vCPU) without a debugger. Both execute their own
BRK #0x123 every round: with a debugger attached BRK comes to EL2 (MDCR_EL2.TDE) and the
guest's own must still reach the guest."""

import re
import subprocess

import arm64_hyp
import fvapi
import fvtest
from hyp import assert_healthy
from test_gdb import gdb_channel, run_gdb

SKIP_REASON = arm64_hyp.skip_reason()

ELF = fvtest.BUILD_DIR / "arm64" / "guests" / "gdb_target.elf"
ALIAS = 0xffff800040200000  # gdb_target's TTBR1 alias of its image at 0x40200000
IMAGE = 0x40200000


def channel(port):
    """test_gdb's gdb channel; QEMU's arm64 virt makes virtio-mmio legacy unless told."""
    return ["-global", "virtio-mmio.force-legacy=false"] + gdb_channel(port)


def ticks(q, vm):
    return [int(n) for n in re.findall(rf"^\[{vm}\] gdb_target: tick (\d+) ", q.output, re.M)]


def symbol(name):
    """The address of a symbol of the guest's ELF (nm)."""
    out = subprocess.run(["aarch64-linux-gnu-nm", str(ELF)], capture_output=True,
                                text=True, check=True).stdout
    m = re.search(rf"^([0-9a-f]+) \w {name}$", out, re.M)
    assert m, f"{name} not in {ELF}"
    return int(m.group(1), 16)


@fvtest.timeout(600)
def test_arm64_gdb_session():
    port = fvapi.free_port()
    magic_alias = symbol("gdb_magic") - IMAGE + ALIAS
    with fvtest.Qemu(arm64_hyp.hyp_cmd("gdb", extra=channel(port))) as q:
        q.expect(r"^\[hyp\] gdb: stub for vm dbg on the gdb channel", 60)
        q.expect(r"^\[dbg\] gdb_target: ready, MMU on", 120)
        q.expect(r"^\[dbg\] gdb_target: tick 1 ", 120)
        out = run_gdb(port, [
            "info threads",
            "break gdb_break_here",
            "continue",
            "info registers x0 sp pc cpsr",
            "bt",
            "print/x $pc",
            "stepi",
            "print/x $pc",
            "delete 1",
            # Memory by virtual address with the MMU on: TTBR0 (39-bit, a 1 GiB block) and
            # the TTBR1 alias (48-bit, four levels to a 4 KiB page) read the same word.
            "print/x gdb_magic",
            f"print/x *(unsigned long *){magic_alias:#x}",
            # Nothing maps this: an error, not a fault.
            "print/x *(unsigned long *)0xffff800050000000",
            "print gdb_page.watched",
            "print gdb_page.second_count",
            # A stage-2 watchpoint: its page traps writes; vCPU 1 keeps writing
            # gdb_page.second_count on the same page, which must go on silently.
            "watch gdb_page.watched",
            "continue",
            "continue",
            "print gdb_page.second_count",
            "rwatch gdb_page.flag",
            "continue",
            "delete",
            "shell sleep 4",
            "set var gdb_page.flag = 7",
            "detach",
        ], elf=ELF)
        assert re.search(r"^\*?\s+1\s+Thread 1 \(vCPU 0", out, re.M), out
        assert re.search(r"^\s+2\s+Thread 2 \(vCPU 1", out, re.M), out
        # The breakpoint stops the VM in the function, with a backtrace through the caller.
        assert re.search(r"Breakpoint 1, (0x[0-9a-f]+ in )?gdb_break_here", out), out
        assert re.search(r"^pc\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <gdb_break_here", out, re.M), out
        assert re.search(r"^sp\s+0x402[0-9a-f]{5}\s", out, re.M), out
        assert re.search(r"^#1\s+0x[0-9a-f]+ in guest_main", out, re.M), out
        # stepi moves the pc by one instruction.
        pcs = [int(x, 16) for x in re.findall(r"^\$\d+ = (0x40[0-9a-f]+)$", out, re.M)]
        assert len(pcs) >= 2 and pcs[1] - pcs[0] == 4, out
        # Both translations find the magic word; the unmapped address is refused.
        assert len(re.findall(r"^\$\d+ = 0x1122334455667788$", out, re.M)) == 2, out
        assert re.search(r"Cannot access memory at address 0xffff800050000000", out), out
        # The watchpoint catches the write with the right old and new values.
        assert "Hardware watchpoint 2: gdb_page.watched" in out, out
        m = re.search(r"Old value = (\d+)\s+New value = (\d+)", out)
        assert m, out
        assert int(m.group(2)) == int(m.group(1)) + 2, out
        # Writes to other bytes of the watched page were emulated, not reported.
        counts = [int(x) for x in re.findall(r"^\$\d+ = (\d+)$", out, re.M)]
        assert len(counts) >= 3 and counts[2] > counts[1], out
        # A read watchpoint stops at the load, with the value read.
        assert re.search(r"Hardware read watchpoint 3: gdb_page.flag\s+Value = 0", out), out
        assert "detached" in out, out
        # The guest acts on the memory gdb wrote, and its clock did not jump over the
        # 4 s halt.
        m = q.expect(r"^\[dbg\] gdb_target: flag=7 maxgap_ms=(\d+)\r?\n", 60)
        assert int(m.group(1)) < 2000, f"guest clock jumped {m.group(1)} ms over the halt"
        # Detached: it runs on, its own BRKs all delivered (with and without a debugger).
        n = max(ticks(q, "dbg"))
        q.expect(rf"^\[dbg\] gdb_target: tick {n + 2} ", 60)
        q.assert_absent(r"own brk NOT delivered|unexpected|stopping VM|magic damaged")
        assert max(ticks(q, "peer")) >= 3
        assert_healthy(q)
