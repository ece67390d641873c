# SPDX-License-Identifier: MIT
"""Hostile guests must not crash or hang Ferrovisor nor disturb other VMs."""

import fvtest
from hyp import assert_healthy, expect_vm_pass, heartbeat, hyp_cmd, shell


@fvtest.timeout(300)
def test_hostile_guest_and_cpu_hog_do_not_affect_others():
    with fvtest.Qemu(hyp_cmd("hostile")) as q:
        q.expect(r"^\[spin\] spin: start", 60)
        # The hostile guest runs all its attacks and survives each fault.
        q.expect(r"^\[hostile\] hostile: survived \d+ faults", 240)
        # Meanwhile a 2-vCPU VM completes its SMP checks...
        q._pos = 0
        expect_vm_pass(q, "smp", 240)
        # ...and the witness keeps its heartbeat after all the attacks.
        n = heartbeat(q, "hello", 30)
        assert heartbeat(q, "hello", 30) > n
        # The hypervisor shell still answers and lists every VM.
        shell(q, "vm list", r"^\[hyp\] \d+\s+hostile\s+running", 20)
        q.expect(r"^\[hyp\] \d+\s+spin\s+running", 10)
        assert_healthy(q)
