# SPDX-License-Identifier: MIT
"""Regression: two VMs rebooting at once each get their own, intact device tree.

arch_vm_dtb_place() (then vm_dtb_place) once built every tree in static buffers "under the VM start path's lock", a lock
that is per VM: two VMs starting on two CPUs raced and one could boot with a tree made of the
other's fields (or a build failure). Here two dtb_reboot VMs, pinned to different CPUs, warm
reboot on every boot, so their trees are built concurrently hundreds of times. The guest checks
each tree against its bootargs and against SBI HSM (its real hart count) and prints its model;
the test checks that model against the console tag the hypervisor adds. Every field differs
between the two VMs (name, RAM size, vCPU count, bootargs), so any mix is caught.
"""

import re
import time

import fvtest
from hyp import assert_healthy, hyp_cmd

VMS = {"dtba": (0x2000000, 1), "dtbb": (0x3000000, 2)}
BOOTS = 1000


@fvtest.timeout(600)
def test_two_vms_rebooting_at_once_get_their_own_device_trees():
    with fvtest.Qemu(hyp_cmd("dtbrace")) as q:
        deadline = time.monotonic() + 540
        while True:
            counts = {vm: q.count(rf"^\[hyp\] vm {vm}: boot #\d+") for vm in VMS}
            if all(n >= BOOTS for n in counts.values()):
                break
            q.assert_absent(r"FV-CHECK FAIL|FV-RESULT")
            q.assert_absent(r"^\[hyp\] error:|PANIC")
            if time.monotonic() > deadline or not q.running():
                raise q.fail(f"boots so far {counts}, wanted {BOOTS} each", n=40)
            time.sleep(1)
        out = q.output
        for vm, (mem, cpus) in VMS.items():
            # Complete lines only: the VMs are still printing.
            ok = re.findall(rf"^\[{vm}\] dtb_reboot: ok ([^\r\n]*)\r?\n", out, re.M)
            want = f'model="Ferrovisor VM {vm}" mem={mem:#x} cpus={cpus}'
            wrong = [line for line in ok if line != want]
            assert not wrong, f"{vm} booted with another tree: {wrong[:3]}"
            # Every boot but possibly the one in flight printed its verdict.
            assert len(ok) >= BOOTS - 1, f"{vm}: only {len(ok)} checked boots"
        q.assert_absent(r"FV-CHECK FAIL|FV-RESULT")
        assert_healthy(q)
