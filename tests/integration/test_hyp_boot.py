# SPDX-License-Identifier: MIT
"""Ferrovisor boot, features, the default three-VM configuration, and boot failures."""

import fvtest
from hyp import assert_healthy, expect_vm_pass, heartbeat, hyp_cmd


@fvtest.timeout(240)
def test_default_config_three_vms():
    """make run's configuration: three VMs run at once; the survivors keep running."""
    with fvtest.Qemu(hyp_cmd()) as q:
        q.expect(r"^\[hyp\] feature H \(hypervisor\): yes", 30)
        q.expect(r"^\[hyp\] feature Sstc \(supervisor timecmp\): yes", 10)
        q.expect(r"^\[hyp\] feature VMID bits: 14", 10)
        q.expect(r"^\[hyp\] feature hgatp modes: Sv39x4 yes, Sv48x4 yes", 10)
        # The SBI extension table passed its boot check (arch_selfcheck).
        q.expect(r"^\[hyp\] sbi: \d+ extension\(s\), EID ranges disjoint", 10)
        q.expect(r"^\[hyp\] 2 CPU\(s\) online", 30)
        for vm in ("alpha", "beta", "gamma"):
            assert f"[hyp] vm {vm}: created" in q.output, vm
        expect_vm_pass(q, "beta", 240)
        expect_vm_pass(q, "gamma", 240)
        # alpha kept running beside them and after they stopped.
        n = heartbeat(q, "alpha", 30)
        assert heartbeat(q, "alpha", 30) > n
        assert_healthy(q)


@fvtest.timeout(120)
def test_missing_h_extension_stops_boot():
    """Without the H extension boot stops with one clear line (no hang, no panic)."""
    with fvtest.Qemu(hyp_cmd(cpu="rv64,h=false")) as q:
        q.expect(r"^\[hyp\] error: boot stopped: the CPU has no H extension", 60)
        q.wait_exit(30)
        q.assert_absent(r"PANIC")


@fvtest.timeout(120)
def test_invalid_config_names_field():
    """A bad configuration blob is refused with the node and property named."""
    with fvtest.Qemu(hyp_cmd("badvcpus")) as q:
        q.expect(r"^\[hyp\] error: configuration \(boot bundle \(initrd\)\): "
                 r"vms/broken: vcpus: must be between 1 and 8", 60)
        q.expect(r"boot stopped: invalid configuration", 10)
        q.wait_exit(30)
