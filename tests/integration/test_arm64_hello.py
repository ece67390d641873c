# SPDX-License-Identifier: MIT
"""The arm64 port at EL2: boot, SMP bring-up through PSCI, the shell on the PL011, and
bare-metal arm64 guests printing through their emulated PL011, calling PSCI over HVC and
stopping cleanly on SYSTEM_OFF."""

import re

import arm64_hyp
import fvtest
from hyp import assert_healthy, expect_vm_pass, shell

SKIP_REASON = arm64_hyp.skip_reason()


@fvtest.timeout(180)
def test_arm64_boot_smp_and_shell():
    """Banner, host DT parsed (PL011, GICv3, PSCI conduit), CPU 1 started by PSCI CPU_ON,
    and the shell answers on the PL011 (input polled, output tagged)."""
    with fvtest.Qemu(arm64_hyp.hyp_cmd()) as q:
        q.expect(r"^\[hyp\] Ferrovisor \(arm64\) starting on MPIDR 0, device tree at 0x", 60)
        q.expect(r"^\[hyp\] platform: 2 CPU\(s\), timebase \d+ Hz, uart pl011 at 0x9000000, "
                 r"\d+ virtio-mmio slot\(s\), gicv3 yes \(dist 0x8000000\), psci smc", 30)
        q.expect(r"^\[hyp\] cpu: EL2, PARange \d+, VMID (8|16) bits", 30)
        q.expect(r"^\[hyp\] 2 CPU\(s\) online", 60)
        q.expect(r"^\[hello\] FV-RESULT PASS", 120)
        q.expect(r"^\[hyp\] vm hello: stopped", 60)
        # Both CPUs run the scheduler (CPU 1 came up through PSCI and took its own ticks).
        # Its current vCPU may still be hello's vCPU 1 (stopped, not yet put): what matters is
        # that it has idled in the scheduler loop.
        m = shell(q, "cpus", r"^\[hyp\] cpu 1 \(MPIDR 1\): \S+, queued \d+, exits \d+, "
                  r"switches \d+, idle (\d+) ms", timeout=60)
        assert int(m.group(1)) > 0, m.group(0)
        shell(q, "vm list", r"^\[hyp\] \d+\s+hello\s+stopped\s+2\s+64", timeout=60)
        assert_healthy(q)


@fvtest.timeout(240)
def test_arm64_hello_two_vms_psci_system_off():
    """Two arm64 VMs (2 vCPUs each): each guest's lines carry its own [name] prefix, every
    PSCI check passes (VERSION 1.1, FEATURES, CPU_ON of vCPU 1 with its context id, the
    documented errors, AFFINITY_INFO on and off), and SYSTEM_OFF stops exactly that VM."""
    with fvtest.Qemu(arm64_hyp.hyp_cmd("hello")) as q:
        q.expect(r"^\[hyp\] configuration: boot bundle \(initrd\), 2 VM\(s\)", 60)
        for vm in ("hello", "hello2"):
            expect_vm_pass(q, vm, 180)
            # x0 = the VM's device tree, 64 KiB below the top of its RAM (64 / 32 MiB).
            dtb = {"hello": "0000000043ff0000", "hello2": "0000000041ff0000"}[vm]
            q.expect_seen(rf"^\[{vm}\] hello from an arm64 guest at EL1, device tree at "
                          rf"0x{dtb}", 5)
            q.expect_seen(rf"^\[{vm}\] PSCI version 1\.1", 5)
            q.expect_seen(rf"^\[{vm}\] vCPU 1 up, context 0x000000005eedf00d", 5)
            q.expect_seen(rf"^\[hyp\] vm {vm}: guest PSCI SYSTEM_OFF", 60)
            q.expect_seen(rf"^\[hyp\] vm {vm}: stopped", 60)
        checks = fvtest.parse_checks(q.output, "hello")
        assert len([c for c in checks.values() if c[0] == "PASS"]) >= 15, checks
        # A powered-off VM is stopped, not crashed; the hypervisor keeps running.
        q.assert_absent(r"stopped after a fatal guest error")
        shell(q, "vm list", r"^\[hyp\] \d+\s+hello2\s+stopped\s+2\s+32", timeout=60)
        assert_healthy(q)
