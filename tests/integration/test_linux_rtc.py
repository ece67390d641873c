# SPDX-License-Identifier: MIT
"""A Linux VM's wall clock: Debian's kernel finds the VM's RTC (built in, with RTC_HCTOSYS on
both suites) and sets its clock from it at boot; busybox hwclock reads it. On riscv64 the RTC is
QEMU RISC-V virt's goldfish, on arm64 (the arch matrix) QEMU arm64 virt's PL031: the hypervisor
read the host's own RTC of that kind at boot, so the VM's clock is the host's from the start."""

import time

import fvtest
from hyp import assert_healthy, hyp_cmd
from test_linux import boot_to_shell, run

KERNEL_MATRIX = True  # the RTC driver and hctosys are the kernel's: both suites

SLACK_S = 60

# Per architecture: the hypervisor's wallclock line (the host RTC it read), the guest RTC's
# driver and device name in dmesg.
RTC = {
    "riscv64": (r"goldfish RTC at 0x101000", "goldfish", r"goldfish.rtc 101000\.rtc"),
    "arm64": (r"PL031 RTC at 0x9010000", "pl031", r"rtc-pl031 9010000\.pl031"),
}


@fvtest.arch_matrix
@fvtest.timeout(420)
def test_linux_date_is_host_time_and_hwclock_works():
    host_rtc, grep, dev = RTC[fvtest.arch()]
    with fvtest.Qemu(hyp_cmd("linux-hello", mem="2G")) as q:
        # The host's RTC, read at boot, is the wall clock every VM clock builds on.
        m = q.expect(rf"^\[hyp\] wallclock: {host_rtc}, (\d+) s since the epoch\r?\n", 60)
        assert abs(int(m.group(1)) - time.time()) < SLACK_S, "the hypervisor read a wrong host time"
        boot_to_shell(q, "linux")
        run(q, "linux", f"dmesg | grep -i {grep}", rf".*{dev}: registered as rtc0", 30)
        m = q.expect(rf"^\[linux\] .*{dev}: setting system clock to (\d{{4}})-.* \((\d+)\)", 30)
        assert int(m.group(1)) == time.gmtime().tm_year, m.group(0)
        # The clock at boot came from the RTC: right to the minute, not 1970.
        m = run(q, "linux", "echo T=$(date +%s)", r"T=(\d+)\r?\n", 30)
        assert abs(int(m.group(1)) - time.time()) < SLACK_S, (m.group(1), time.time())
        year = time.gmtime().tm_year
        run(q, "linux", "hwclock -r -u", rf"\w{{3}} \w{{3}} +\d+ \d\d:\d\d:\d\d {year}\b", 30)
        # Throw the system clock away; hwclock -s brings it back from the RTC.
        run(q, "linux", "date -u -s 2001.01.01-00:00:00 >/dev/null; echo D=$(date +%Y)",
            r"D=2001\r?$", 30)
        # (Up to the newline: a number at the end of the buffer may still be growing.)
        m = run(q, "linux", "hwclock -s -u; echo S=$(date +%s)", r"S=(\d+)\r?\n", 30)
        assert abs(int(m.group(1)) - time.time()) < SLACK_S, (m.group(1), time.time())
        # Writing the RTC (hwclock -w) sets this VM's clock only; reading it back shows it.
        run(q, "linux", "date -u -s 2040.06.01-12:00:00 >/dev/null; hwclock -w -u; "
            "hwclock -r -u", r"\w{3} Jun +1 12:00:\d\d 2040\b", 30)
        m = run(q, "linux", "echo R=$(cat /sys/class/rtc/rtc0/since_epoch)", r"R=(\d+)\r?\n", 30)
        assert 2222164800 <= int(m.group(1)) < 2222164800 + SLACK_S, m.group(1)  # 2040-06-01
        assert_healthy(q)
