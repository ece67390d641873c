# SPDX-License-Identifier: MIT
"""PSCI 1.1 CPU_SUSPEND for arm64 guests (hyp/arch/arm64/psci_guest.c): the suspend guest
(guests/arm64/suspend) suspends a vCPU in core standby and in core powerdown with its
interrupts masked; the virtual timer (vCPU 0) and an SGI of the other vCPU (vCPU 1) wake it.
Standby returns SUCCESS no earlier than the timer's deadline with the waking interrupt
pending; powerdown resumes at the given entry point with the context id in x0, DAIF masked,
MMU off, at EL1h. Hostile power_state values and entry points are refused with
INVALID_PARAMETERS / INVALID_ADDRESS, PSCI_FEATURES says original format, no OSI.
PSCI SYSTEM_SUSPEND: DENIED while vCPU 1 is on (suspended), INVALID_ADDRESS for bad entry
points, then the VM suspends to RAM (VM_SUSPENDED) and is woken first by its virtual timer,
then, with no timer armed, only by the operator's `vm resume`; each time vCPU 0 resumes at
its entry point in the CPU_ON state with its context id."""

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
    "system_suspend.denied_vcpu1_on", "system_suspend.features_64", "system_suspend.features_32",
    "system_suspend.entry_outside_ram", "system_suspend.entry_misaligned",
    "system_suspend.entry_upper_bits_smc64", "system_suspend.timer.not_early",
    "system_suspend.timer.pending", "system_suspend.timer.daif_masked",
    "system_suspend.timer.mmu_off", "system_suspend.operator.context_id",
    "system_suspend.operator.daif_masked", "system_suspend.operator.mmu_off",
)


@fvtest.timeout(240)
def test_arm64_psci_cpu_suspend():
    with fvtest.Qemu(arm64_hyp.hyp_cmd("suspend")) as q:
        # SYSTEM_SUSPEND woken by the guest's timer, then one only `vm resume` ends.
        q.expect(r"^\[hyp\] vm suspend: suspended to RAM by vcpu 0", 180)
        q.expect(r"^\[hyp\] vm suspend: resumed from suspend to RAM", 60)
        q.expect(r"^\[suspend\] vCPU 0 resumed from system suspend \(timer\)", 30)
        q.expect(r"^\[suspend\] system suspend until vm resume", 30)
        q.expect(r"^\[hyp\] vm suspend: suspended to RAM by vcpu 0", 60)
        q.assert_absent(r"resumed from system suspend \(operator\)")
        q.send("vm resume suspend\r")
        q.expect(r"^\[suspend\] vCPU 0 resumed from system suspend \(operator\)", 60)
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
