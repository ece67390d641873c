# SPDX-License-Identifier: MIT
"""The arm64 virtual GICv3: the EL1 virtual timer's PPI reaches the guest through the list
registers while it waits in WFI (ten 10 ms ticks, never early by the virtual counter), and
SGIs written to ICC_SGI1R_EL1 reach the sender itself and another vCPU."""

import arm64_hyp
import fvtest
from hyp import assert_healthy, expect_vm_pass

SKIP_REASON = arm64_hyp.skip_reason()


@fvtest.timeout(240)
def test_arm64_vtimer_tick_and_sgis():
    with fvtest.Qemu(arm64_hyp.hyp_cmd("timer")) as q:
        expect_vm_pass(q, "timer", 180)
        for n in range(1, 11):
            q.expect_seen(rf"^\[timer\] tick {n}\r?$", 5)
        checks = fvtest.parse_checks(q.output, "timer")
        for name in ("timer.ticks", "timer.elapsed_at_least_ticks", "gic.sgi_self",
                     "gic.sgi_other_vcpu", "gic.sgi_self_not_repeated", "gic.pidr2_v3",
                     "timer.virtual_count_starts_near_zero"):
            assert checks.get(name, ("missing",))[0] == "PASS", (name, checks)
        q.expect_seen(r"^\[timer\] vCPU 1 got its SGI", 30)
        q.expect_seen(r"^\[hyp\] vm timer: stopped", 60)
        q.assert_absent(r"unexpected_(irq|exception|intid)")
        assert_healthy(q)
