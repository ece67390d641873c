# SPDX-License-Identifier: MIT
"""Hostile guests must not crash or hang Ferrovisor nor disturb other VMs."""

import re

import fvtest
from hyp import assert_healthy, expect_vm_pass, heartbeat, hyp_cmd, shell

# The hostile VM's RAM: 64 MiB at 0x80000000 (configs/hostile.dts).
RAM_END = 0x80000000 + 0x4000000
# Guest-physical addresses that are neither its RAM nor one of its devices.
OUTSIDE_RAM = [0x0, 0x1000, 0x7FFFF000, RAM_END + 0x1000, RAM_END + (16 << 20), 0x100000000,
               0xFFFFFFFFFFFFF000]
UNMAPPED_DEVICES = [0x10000100, 0x02000000, 0x10001000]


def unmapped_checks():
    """Names of the hostile guest's checks: each access must fault (scause 5/7, stval = addr)."""
    names = [f"hostile.unmapped.{op}.{a:#x}" for a in OUTSIDE_RAM for op in ("ld", "sd")]
    names += [f"hostile.unmapped.{op}.{a:#x}" for a in UNMAPPED_DEVICES
              for op in ("lb", "lw", "ld", "sw")]
    return names


@fvtest.timeout(300)
def test_hostile_guest_and_cpu_hog_do_not_affect_others():
    with fvtest.Qemu(hyp_cmd("hostile")) as q:
        q.expect(r"^\[spin\] spin: start", 60)
        # The hostile guest runs all its attacks and survives each fault.
        m = q.expect(r"^\[hostile\] hostile: survived \d+ faults, (\d+) unmapped accesses "
                     r"did not fault as required", 240)
        assert m.group(1) == "0", q.fail(f"{m.group(1)} unmapped accesses did not fault",
                                         n=60)
        # Ferrovisor's policy for an access to a GPA that is neither RAM nor a device: an access
        # fault injected into the guest (never "no trap", never a stopped VM). Every such
        # access passed its exact check: cause and stval.
        passed = set(re.findall(r"^\[hostile\] FV-CHECK PASS (\S+)", q.output, re.M))
        missing = [n for n in unmapped_checks() if n not in passed]
        assert not missing, f"accesses that did not fault as required: {missing}"
        q.assert_absent(r"^\[hostile\] FV-CHECK FAIL")
        q.assert_absent(r"^\[hyp\] vm hostile: (stopped|crashed)")
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
