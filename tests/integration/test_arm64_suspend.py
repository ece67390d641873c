# SPDX-License-Identifier: MIT
"""PSCI 1.1 CPU_SUSPEND for arm64 guests (hyp/arch/arm64/psci_guest.c): the suspend guest
(guests/arm64/suspend) suspends a vCPU in core standby and in core powerdown with its
interrupts masked; the virtual timer (vCPU 0) and an SGI of the other vCPU (vCPU 1) wake it.
Standby returns SUCCESS no earlier than the timer's deadline with the waking interrupt
pending; powerdown resumes at the given entry point with the context id in x0, DAIF masked,
MMU off, at EL1h. Hostile power_state values and entry points are refused with
INVALID_PARAMETERS / INVALID_ADDRESS, PSCI_FEATURES says original format, no OSI."""

import arm64_hyp
import fvtest
from hyp import assert_healthy, expect_vm_pass

SKIP_REASON = arm64_hyp.skip_reason()

CHECKS = (
    "psci.features.cpu_suspend_64", "psci.features.cpu_suspend_32",
    "suspend.reserved_bit31", "suspend.reserved_bit20", "suspend.power_level_cluster",
    "suspend.standby_state_id", "suspend.powerdown_state_id", "suspend.smc64_upper_bits",
    "suspend.powerdown_entry_low", "suspend.powerdown_entry_ram_end",
    "suspend.powerdown_entry_last_word", "suspend.powerdown_entry_misaligned",
    "suspend.powerdown_entry_upper_bits", "suspend.smc32_upper_halves_ignored",
    "suspend.standby.timer_ret", "suspend.standby.timer_not_early",
    "suspend.standby.timer_pending", "suspend.standby.smc32_ret",
    "suspend.standby.smc32_not_early", "suspend.standby.smc32_timer_pending",
    "suspend.powerdown.timer_context_id", "suspend.powerdown.timer_not_early",
    "suspend.powerdown.timer_pending", "suspend.powerdown.daif_masked",
    "suspend.powerdown.mmu_off", "suspend.powerdown.el1h",
    "psci.cpu_on.vcpu1", "suspend.vcpu1.ready", "suspend.vcpu1.on_while_suspended",
    "suspend.standby.sgi_wake", "suspend.standby.sgi_ret", "suspend.standby.sgi_pending",
    "suspend.powerdown.sgi_wake", "suspend.powerdown.sgi_context_id",
    "suspend.powerdown.sgi_pending", "suspend.powerdown.sgi_daif_masked", "suspend.vcpu1.off",
)


@fvtest.timeout(240)
def test_arm64_psci_cpu_suspend():
    with fvtest.Qemu(arm64_hyp.hyp_cmd("suspend")) as q:
        expect_vm_pass(q, "suspend", 180)
        q.expect_seen(r"^\[suspend\] vCPU 0 back from standby", 5)
        q.expect_seen(r"^\[suspend\] vCPU 0 resumed from powerdown", 5)
        checks = fvtest.parse_checks(q.output, "suspend")
        for name in CHECKS:
            assert checks.get(name, ("missing",))[0] == "PASS", (name, checks.get(name))
        q.expect_seen(r"^\[hyp\] vm suspend: guest PSCI SYSTEM_OFF", 60)
        q.expect_seen(r"^\[hyp\] vm suspend: stopped", 60)
        q.assert_absent(r"unexpected_(irq|exception)|powerdown_returned|stopping VM")
        assert_healthy(q)
