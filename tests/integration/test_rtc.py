# SPDX-License-Identifier: MIT
"""Each VM's goldfish RTC (guests/rtc_test, configs/rtc.dts): the host's wall-clock time,
a clock a guest sets only for itself, the alarm interrupt, malformed accesses, opt-out."""

import re
import time

import fvtest
from hyp import assert_healthy, expect_vm_pass, hyp_cmd

# A VM's clock is the host's within this (QEMU's RTC is the host clock; the guest's read
# and our reading of its console line are a few seconds apart at most on a busy machine).
SLACK_S = 60


def _vm_time(q, pattern, timeout):
    """Wait for the guest's `time_ns=N` line; return (guest seconds, host seconds at sight)."""
    m = q.expect(pattern + r"time_ns=(\d+)\r?\n", timeout)
    return int(m.group(1)) / 1e9, time.time()


@fvtest.timeout(300)
def test_rtc_per_vm_wallclock():
    with fvtest.Qemu(hyp_cmd("rtc")) as q:
        m = q.expect(r"^\[hyp\] wallclock: goldfish RTC at 0x101000, (\d+) s since the epoch", 30)
        assert abs(int(m.group(1)) - time.time()) < SLACK_S, "the hypervisor read a wrong host time"
        guest, host = _vm_time(q, r"^\[rtcw\] rtc_test: ", 200)
        assert abs(guest - host) < SLACK_S, f"rtcw clock {guest} vs host {host}"
        later, host2 = _vm_time(q, r"^\[rtcw\] rtc_test: later ", 200)
        assert abs(later - host2) < SLACK_S, f"rtcw clock {later} vs host {host2} after rtcs set its own"
        assert later > guest
        for vm in ("rtcw", "rtcs", "rtcn"):
            expect_vm_pass(q, vm, 200)
        out = q.output
        # rtcs had set its clock to 1970 before rtcw's second read.
        set_at = re.search(r"^\[rtcs\] rtc_test: set done", out, re.M)
        later_at = re.search(r"^\[rtcw\] rtc_test: later time_ns=", out, re.M)
        assert set_at and later_at and set_at.start() < later_at.start(), \
            "rtcs did not set its clock before rtcw's second read"
        for name in ("rtc.set.readback", "rtc.alarm.irq", "rtc.alarm.claim",
                     "rtc.access.byte_read", "rtc.other_vm.unaffected"):
            assert re.search(rf"FV-CHECK PASS {re.escape(name)}\b", out), f"{name} not run"
        assert re.search(r"^\[rtcn\] FV-CHECK PASS rtc.off.window_faults", out, re.M)
        assert_healthy(q)
