# SPDX-License-Identifier: MIT
"""Emulated MMIO through every general register (guests/mmio_regs): a UART load into and a
store from each of x1, x3..x31, all other registers checked unchanged. Under Ferrovisor an
access through s0-s11 takes the full exit path and any other register the partial one
(trap.S, riscv_exit_gpf, issue #15); a register restored from the wrong half, or an access
emulated on the partial save through a register it does not hold, fails a check. Natively
(QEMU's UART) the same guest is the baseline."""

import fvtest
from hyp import assert_healthy, hyp_cmd

REGS = [n for n in range(1, 32) if n != 2]


def _assert_all(out, prefix=""):
    for kind in ("load", "store"):
        for n in REGS:
            line = f"{prefix}FV-CHECK PASS mmio.{kind}.x{n}"
            assert line in out, line


@fvtest.timeout(180)
def test_mmio_through_every_register_under_ferrovisor():
    with fvtest.Qemu(hyp_cmd("mmio_regs")) as q:
        q.expect(r"^\[mmio\] mmio_regs on hart", 60)
        q.expect_result(120, vm="mmio")
        _assert_all(q.output, "[mmio] ")
        assert_healthy(q)


@fvtest.timeout(120)
def test_mmio_through_every_register_natively():
    out = fvtest.run_guest(fvtest.guest_image("mmio_regs"), smp=1, mem="256M", timeout=90)
    _assert_all(out)
