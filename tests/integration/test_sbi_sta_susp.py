# SPDX-License-Identifier: MIT
"""SBI STA (steal time) and SUSP (system suspend of one VM) with the bare-metal sbi_test
guest: steal stays 0 for a VM alone on its CPUs and grows when it shares a CPU with a
busy VM; a suspended VM shows as `suspended` and the shell's `vm resume` wakes it."""

import re

import fvtest
from hyp import assert_healthy, expect_vm_pass, hyp_cmd, shell

ESC = "\x1d"  # Ctrl-], the console escape key
STEAL = r"^\[sbi\] sbi_test: sta steal (\d+) ns during (\d+) ms busy"


@fvtest.timeout(300)
def test_steal_zero_alone_and_vm_resume_from_shell():
    with fvtest.Qemu(hyp_cmd("sbi")) as q:
        m = q.expect(STEAL, 200)
        # One vCPU running, one stopped, two CPUs: it never waits for a CPU.
        assert int(m.group(1)) == 0, f"steal {m.group(1)} ns for a VM alone on the host"
        q.expect(r"^\[sbi\] sbi_test: susp waiting up to 3 s", 120)
        q.expect(r"^\[hyp\] vm sbi: suspended to RAM by vcpu 0", 20)
        q.send(ESC + "0")
        q.expect(r"^\[hyp\] console focus: hyp", 10)
        shell(q, "vm list", r"^\[hyp\] \d+\s+sbi\s+suspended\s", 10)
        shell(q, "vm resume sbi", r"^\[hyp\] vm sbi: resumed from suspend to RAM", 10)
        m = q.expect(r"^\[sbi\] sbi_test: susp resumed after (\d+) ms", 20)
        # The 3 s fallback timer did not do it: the shell did.
        assert int(m.group(1)) < 2500, f"woke after {m.group(1)} ms: not by `vm resume`"
        expect_vm_pass(q, "sbi", 60)
        # Not suspended any more: resume is refused with a clear line.
        q.expect(r"^\[hyp\] vm sbi: stopped", 20)
        shell(q, "vm resume sbi", r"^\[hyp\] vm sbi is stopped, not paused or suspended", 10)
        shell(q, "help", r"vm resume NAME", 10)
        assert_healthy(q)


@fvtest.timeout(400)
def test_steal_grows_when_sharing_a_cpu_with_a_busy_vm():
    with fvtest.Qemu(hyp_cmd("sta")) as q:
        q.expect(r"^\[spin\] spin: start", 60)
        m = q.expect(STEAL, 300)
        steal_ns, busy_ms = int(m.group(1)), int(m.group(2))
        # Two VMs of equal weight on one CPU: roughly half of the busy loop is stolen.
        assert steal_ns >= busy_ms * 1_000_000 // 10, (
            f"steal {steal_ns} ns during {busy_ms} ms busy beside a spinning VM")
        assert steal_ns <= busy_ms * 1_000_000, f"steal {steal_ns} ns exceeds {busy_ms} ms"
        expect_vm_pass(q, "sbi", 300)
        assert re.search(r"^\[sbi\] FV-CHECK PASS sta\.record\.steal_monotonic", q.output, re.M)
        assert_healthy(q)
