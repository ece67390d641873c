# SPDX-License-Identifier: MIT
"""The test guests run natively in S-mode on OpenSBI (no hypervisor).

This validates the guests themselves and is the baseline that virtualized runs compare
against. QEMU `-smp 2`; natively OpenSBI may boot any hart first, the guests cope.
"""

import json
import time

import fvtest
from fvtest import Qemu, guest_image, qemu_riscv_cmd


def _run(name, timeout=120, extra=None):
    out = fvtest.run_guest(guest_image(name), smp=2, mem="256M", extra=extra, timeout=timeout)
    assert "FV-CHECK PASS" in out, "guest ran no checks"
    return out


def test_sbi_test():
    out = _run("sbi_test")
    # Spot-check that the two-hart parts really ran.
    assert "FV-CHECK PASS hsm.hart_start.first_a1_opaque" in out
    assert "FV-CHECK PASS hsm.hart_suspend.retentive" in out


def test_timer_test():
    out = _run("timer_test")
    assert out.count("latency") == 25, "expected 5 delays x 5 trials"


def test_smp_test():
    out = _run("smp_test")
    assert "FV-CHECK PASS smp_spinlock_counter" in out


def test_fpu_test():
    out = _run("fpu_test")
    assert "FV-CHECK PASS fpu_regs_intact_other_hart" in out


def test_hello_heartbeats():
    with Qemu(qemu_riscv_cmd(guest_image("hello"), smp=2, mem="256M")) as vm:
        vm.expect(r"^hello from hart \d+\r?$", timeout=30)
        for n in (1, 2, 3):
            vm.expect(rf"^heartbeat {n}\r?$", timeout=10)


def test_spin_keeps_running():
    with Qemu(qemu_riscv_cmd(guest_image("spin"), smp=2, mem="256M")) as vm:
        vm.expect(r"^spin: start\r?$", timeout=30)
        time.sleep(1.0)
        vm.assert_absent(r"FV-RESULT|FV-CHECK FAIL|unexpected_trap")
        assert vm.running(), "spin guest stopped QEMU"


def _bench(name, bench, extra=None):
    with Qemu(qemu_riscv_cmd(guest_image(name), smp=2, mem="256M", extra=extra)) as vm:
        obj = vm.expect_json("bench", bench, timeout=120)
        rc = vm.wait_exit(60)
        assert rc == 0, f"QEMU exit code {rc}"
        return obj, vm.output


def _check_int_fields(obj, fields):
    for f in fields:
        assert isinstance(obj.get(f), int), f"{f} missing or not an integer in {obj}"


def test_bench_sbi_json():
    obj, out = _bench("bench_sbi", "sbi_null", extra=["-icount", "shift=0"])
    _check_int_fields(obj, ("iters", "instret", "cycles", "time_ticks"))
    assert obj["iters"] == 10000
    loop = None
    for line in out.splitlines():
        if '"sbi_null_loop"' in line:
            loop = json.loads(line.strip())
    assert loop is not None, "no sbi_null_loop line"
    _check_int_fields(loop, ("iters", "instret", "cycles", "time_ticks"))
    # Under icount the counters are instruction counts: an SBI call costs more than the
    # four-instruction loop body.
    if obj["instret"] >= 0 and loop["instret"] >= 0:
        assert obj["instret"] > loop["instret"] + obj["iters"], (obj, loop)


def test_cpu_bench_json():
    obj, _ = _bench("cpu_bench", "cpu")
    _check_int_fields(obj, ("result", "time_ticks", "instret"))
    assert obj["time_ticks"] > 0
