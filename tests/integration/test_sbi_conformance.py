# SPDX-License-Identifier: MIT
"""SBI conformance: the sbi_test guest natively on OpenSBI and as a VM under Ferrovisor.

The same binary runs twice. Every check line (FV-CHECK PASS/FAIL/SKIP <ext>.<fn>.<case>) is
collected from both runs and written side by side, with the list of differences, to
build/test-logs/sbi-conformance.txt. The test asserts that under Ferrovisor no check fails
and that every check that passes natively also passes under Ferrovisor (OpenSBI's own
deviations from the spec print SKIP natively, so they do not lower the bar).
"""

import fvtest
from hyp import assert_healthy, expect_vm_pass, hyp_cmd

REPORT = fvtest.LOG_DIR / "sbi-conformance.txt"


def _native():
    cmd = fvtest.qemu_riscv_cmd(fvtest.guest_image("sbi_test"), smp=2, mem="256M")
    with fvtest.Qemu(cmd) as vm:
        try:
            vm.expect_result(200)
        except AssertionError:
            return fvtest.parse_checks(vm.output), False
        return fvtest.parse_checks(vm.output), True


def _ferrovisor():
    with fvtest.Qemu(hyp_cmd("sbi")) as q:
        try:
            expect_vm_pass(q, "sbi", 240)
        except AssertionError:
            # Report what failed side by side before failing the test.
            return fvtest.parse_checks(q.output, vm="sbi"), False
        assert_healthy(q)
        return fvtest.parse_checks(q.output, vm="sbi"), True


def _report(native, fv):
    names = list(native) + [n for n in fv if n not in native]
    width = max(len(n) for n in names)
    lines = [f"{'check':<{width}}  native  ferrovisor", "-" * (width + 20)]
    diffs = []
    for n in names:
        nv = native.get(n, ("-", ""))[0]
        fvv = fv.get(n, ("-", ""))[0]
        lines.append(f"{n:<{width}}  {nv:<6}  {fvv}")
        if nv != fvv:
            why = fv.get(n, ("", ""))[1] if fvv == "FAIL" else native.get(n, ("", ""))[1]
            diffs.append(f"{n}: native {nv}, ferrovisor {fvv}" + (f" ({why})" if why else ""))

    def count(d, v):
        return sum(1 for x in d.values() if x[0] == v)

    summary = [
        f"native:     {count(native, 'PASS')} PASS, {count(native, 'FAIL')} FAIL, "
        f"{count(native, 'SKIP')} SKIP",
        f"ferrovisor: {count(fv, 'PASS')} PASS, {count(fv, 'FAIL')} FAIL, "
        f"{count(fv, 'SKIP')} SKIP",
        f"differences: {len(diffs)}",
    ]
    text = "\n".join(["SBI conformance: sbi_test natively (OpenSBI) vs under Ferrovisor", ""] +
                     summary + ["", "Differences:"] + [f"  {d}" for d in diffs] + ["", ""] +
                     lines) + "\n"
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text)
    print("\n".join(summary))
    print(f"report: {REPORT}")
    return diffs


@fvtest.timeout(600)
def test_sbi_conformance_native_vs_ferrovisor():
    native, native_ok = _native()
    fv, fv_ok = _ferrovisor()
    assert native, "no check lines from the native run"
    assert fv, "no check lines from the Ferrovisor run"
    _report(native, fv)
    fails = [f"{n} {d}" for n, (v, d) in fv.items() if v == "FAIL"]
    assert not fails, "checks failing under Ferrovisor:\n" + "\n".join(fails)
    assert fv_ok, "the VM did not report FV-RESULT PASS"
    # Natively a FAIL is a bug of the suite (or an OpenSBI deviation it should SKIP).
    assert native_ok, "the native run did not report FV-RESULT PASS"
    lost = [n for n, (v, _) in native.items() if v == "PASS" and fv.get(n, ("-",))[0] != "PASS"]
    assert not lost, "pass natively but not under Ferrovisor:\n" + "\n".join(lost)
