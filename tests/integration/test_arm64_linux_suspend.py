# SPDX-License-Identifier: MIT
"""PSCI SYSTEM_SUSPEND from Debian's arm64 kernel: `echo mem > /sys/power/state` takes the
second vCPU offline (CPU_OFF), suspends the VM to RAM (the hypervisor logs it), and the VM
wakes when its PL031 alarm fires; the kernel resumes at its cpu_resume entry, brings the
second vCPU back and the shell goes on, beside the bare-metal hello VM."""

import re

import arm64_hyp
import fvtest
from hyp import assert_healthy

KERNEL_MATRIX = True
SKIP_REASON = arm64_hyp.skip_reason()


@fvtest.timeout(480)
def test_arm64_linux_suspend_to_ram():
    cfg = arm64_hyp.linux_config_path("linux")
    with fvtest.Qemu(arm64_hyp.hyp_cmd(config_file=cfg, mem="1G")) as q:
        q.expect(r"fv-guest:~# ", 400)
        q.send("cat /sys/power/state\r")
        m = q.expect(r"^\[linux\] ((?:freeze |mem |disk |standby )*(?:freeze|mem|disk|standby))"
                     r"\r?\n", 60)
        assert "mem" in m.group(1).split(), m.group(1)
        # The alarm 4 s ahead is the only wake-up: the RTC (the host's wall clock, running
        # on while the VM sleeps) must have moved at least 3 whole seconds across the sleep.
        q.send("t0=$(cat /sys/class/rtc/rtc0/since_epoch); echo 0 > /sys/class/rtc/rtc0/wakealarm;"
               " echo +4 > /sys/class/rtc/rtc0/wakealarm; echo mem > /sys/power/state; "
               "echo suspend-rc=$? slept=$(( $(cat /sys/class/rtc/rtc0/since_epoch) - t0 )) "
               "cpus=$(grep -c ^processor /proc/cpuinfo) alarm=$(awk '/pl031/ { print $2 + $3 }' "
               "/proc/interrupts)\r")
        q.expect(r"^\[hyp\] vm linux: suspended to RAM by vcpu 0", 120)
        q.expect(r"^\[hyp\] vm linux: resumed from suspend to RAM", 120)
        m = q.expect(r"^\[linux\] suspend-rc=(\d+) slept=(\d+) cpus=(\d+) alarm=(\d+)\r?\n", 120)
        assert m.group(1) == "0", m.group(0)
        assert int(m.group(2)) >= 3, f"woke before the alarm: {m.group(0)}"
        assert m.group(3) == "2", m.group(0)
        assert int(m.group(4)) >= 1, m.group(0)
        q.assert_absent(r"^\[linux\] .*PM: .*(failed|error)")
        # The shell and the second vCPU work on after the resume.
        q.send("echo after-resume-$((6*7))\r")
        q.expect(r"^\[linux\] after-resume-42\r?\n", 60)
        q.assert_absent(r"stopping VM|Internal error|BUG:|Oops")
        assert_healthy(q)
