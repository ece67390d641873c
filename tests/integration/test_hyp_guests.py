# SPDX-License-Identifier: MIT
"""The test guests under Ferrovisor: SBI, timers, SMP, FP isolation, overcommit."""

import re

import fvtest
from hyp import assert_healthy, expect_vm_pass, heartbeat, hyp_cmd


def _assert_dbcn_lines_whole(q):
    """Both vCPUs wrote 10 DBCN lines each at the same time: each must come out whole."""
    for hart in (0, 1):
        for n in range(10):
            line = rf"^\[sbi\] sbi_test: dbcn concurrent hart {hart} line {n}\r?$"
            assert re.search(line, q.output, re.M), f"DBCN line {hart}/{n} garbled or lost"


@fvtest.timeout(240)
def test_sbi_all_functions():
    with fvtest.Qemu(hyp_cmd("sbi")) as q:
        expect_vm_pass(q, "sbi", 200)
        q.expect(r"^\[hyp\] vm sbi: stopped", 20)
        assert_healthy(q)
        _assert_dbcn_lines_whole(q)


@fvtest.timeout(240)
def test_sbi_without_sstc_uses_emulated_timer():
    """No Sstc: the guest timer is emulated with the hypervisor's own timer."""
    with fvtest.Qemu(hyp_cmd("sbi", cpu="rv64,sstc=false")) as q:
        q.expect(r"feature Sstc \(supervisor timecmp\): no", 30)
        expect_vm_pass(q, "sbi", 200)
        assert_healthy(q)
        _assert_dbcn_lines_whole(q)


@fvtest.timeout(240)
def test_timer_accuracy():
    with fvtest.Qemu(hyp_cmd("timer")) as q:
        expect_vm_pass(q, "timer", 200)
        heartbeat(q, "hello", 30)
        assert_healthy(q)


@fvtest.timeout(240)
def test_timer_accuracy_without_sstc():
    with fvtest.Qemu(hyp_cmd("timer", cpu="rv64,sstc=false")) as q:
        expect_vm_pass(q, "timer", 200)
        assert_healthy(q)


@fvtest.timeout(240)
def test_two_vcpu_guest_ipis():
    with fvtest.Qemu(hyp_cmd("smp")) as q:
        expect_vm_pass(q, "smp", 200)
        assert "smp_ipi_pingpong_rounds" in q.output
        assert_healthy(q)


@fvtest.timeout(240)
def test_fp_state_isolated_between_vms_on_one_cpu():
    """Two FP-heavy VMs pinned to the same CPU: neither sees the other's registers."""
    with fvtest.Qemu(hyp_cmd("fpu")) as q:
        expect_vm_pass(q, "fpua", 200)
        expect_vm_pass(q, "fpub", 200)
        assert_healthy(q)


@fvtest.timeout(300)
def test_more_vcpus_than_cpus():
    """7 vCPUs on 2 CPUs: every VM makes progress and its checks pass."""
    with fvtest.Qemu(hyp_cmd("overcommit")) as q:
        for vm in ("smp", "sbi", "fpu1", "fpu2"):
            q._pos = 0  # results may arrive in any order
            expect_vm_pass(q, vm, 280)
        assert len(re.findall(r"^\[hello\] heartbeat", q.output, re.M)) >= 3
        n = heartbeat(q, "hello", 30)
        assert heartbeat(q, "hello", 30) > n
        assert_healthy(q)
