# SPDX-License-Identifier: MIT
"""Hostile arm64 guests (guests/arm64/hostile): garbage PSCI arguments, a sweep of every
virtual GIC register with all ones and an SGI with every bit set are survived and answered;
a load nothing answers, a load pair from a device (no syndrome) and a jump outside RAM each
stop only their own VM with one log line; a well-behaved VM beside them never notices."""

import arm64_hyp
import fvtest
from hyp import expect_vm_pass, shell

SKIP_REASON = arm64_hyp.skip_reason()


@fvtest.timeout(240)
def test_arm64_hostile_guests_stop_alone():
    with fvtest.Qemu(arm64_hyp.hyp_cmd("hostile")) as q:
        expect_vm_pass(q, "good", 180)
        expect_vm_pass(q, "garbage", 180)
        q.expect_seen(r"^\[garbage\] gic register sweep survived", 5)
        q.expect_seen(r"^\[hyp\] vm garbage: guest PSCI SYSTEM_OFF", 30)
        stops = {
            "nodev": r"access to an address no device or RAM answers \(ESR 0x9[0-9a-f]+, "
                     r"pc 0x402[0-9a-f]+, FAR 0x50000000\)",
            "ldp": r"access outside RAM that cannot be emulated \(ESR 0x9[0-9a-f]+, "
                   r"pc 0x402[0-9a-f]+, FAR 0x9000000\)",
            "jump": r"instruction fetch outside RAM \(ESR 0x8[0-9a-f]+, pc 0x1000, FAR 0x1000\)",
        }
        for vm, why in stops.items():
            q.expect_seen(rf"^\[hyp\] vm {vm}: vCPU 0: {why}: stopping VM", 60)
            q.expect_seen(rf"^\[hyp\] vm {vm}: stopped after a fatal guest error", 30)
            q.assert_absent(rf"^\[{vm}\] FV-CHECK FAIL")
        # The hypervisor is intact: the shell answers and lists every VM's state.
        shell(q, "vm list", r"^\[hyp\] \d+\s+jump\s+crashed", timeout=60)
        q.expect_seen(r"^\[hyp\] \d+\s+good\s+stopped", 10)
        q.expect_seen(r"^\[hyp\] \d+\s+garbage\s+stopped", 10)
        q.assert_absent(r"PANIC|EL2 exception")
