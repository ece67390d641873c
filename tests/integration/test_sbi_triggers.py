# SPDX-License-Identifier: MIT
"""SBI FWFT and DBTR under overcommit: per-vCPU state follows vCPUs across CPUs, never leaks.

Two VMs run the same sbi_test image (same code at the same addresses) beside a third VM on 2
CPUs with a 1 ms time slice, so their vCPUs are preempted and migrate all the time. Each VM
installs breakpoints and watchpoints on code and data the other VM also runs: a trigger that
stayed armed after its vCPU was put would fire in the other VM, where sbi_test expects no trap
and fails (an unexpected breakpoint is fatal there); a trigger not re-armed after a vCPU load
makes `dbtr.sleep.still_fires` and the other checks that expect a hit fail.
"""

import re

import fvtest
from hyp import assert_healthy, expect_vm_pass, heartbeat, hyp_cmd


@fvtest.timeout(420)
def test_triggers_and_features_follow_vcpus():
    with fvtest.Qemu(hyp_cmd("triggers")) as q:
        q.expect(r"^\[hyp\] fwft: firmware misaligned delegation available", 30)
        q.expect(r"^\[hyp\] dbtr: 2 firmware debug trigger\(s\), \d-word entries; "
                 r"guests get 2 per vCPU", 30)
        for vm in ("dbta", "dbtb"):
            expect_vm_pass(q, vm, 360)
            for check in ("dbtr.sleep.still_fires", "dbtr.breakpoint.fires.other_hart",
                          "dbtr.watchpoint.store_fires", "dbtr.other_hart.first_hart_trigger_kept",
                          "fwft.pte_ad.off.load_faults", "fwft.harts.reset_at_start"):
                assert re.search(rf"^\[{vm}\] FV-CHECK PASS {re.escape(check)}\r?$", q.output,
                                 re.M), f"{vm}: no PASS for {check}"
        q.assert_absent(r"firmware refused its triggers")
        n = heartbeat(q, "hello", 30)
        assert heartbeat(q, "hello", 30) > n
        assert_healthy(q)
