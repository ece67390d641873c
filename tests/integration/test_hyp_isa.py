# SPDX-License-Identifier: MIT
"""The extensions a VM's device tree offers work in VS-mode (guests/isa_test): cbo.zero,
cbo.clean/flush/inval, prefetches, wrs.nto/wrs.sto (which trap to Ferrovisor under
hstatus.VTW and must complete), Zba/Zbb/Zbs; H stays illegal. The same guest natively on
OpenSBI is the baseline (there the H check is a SKIP)."""

import re

import fvtest
from hyp import assert_healthy, hyp_cmd

CHECKS = ("isa.zicboz.cbo_zero.one_block", "isa.zicbom.cbo_flush.no_trap",
          "isa.zicbom.cbo_inval.no_trap", "isa.zicbop.prefetch.no_trap",
          "isa.zawrs.wrs.completes", "isa.zbs.binv")


@fvtest.timeout(180)
def test_isa_extensions_in_vs_mode():
    with fvtest.Qemu(hyp_cmd("isa")) as q:
        q.expect(r"^\[isa\] isa_test: running as a VM", 60)
        q.expect_result(120, vm="isa")
        for name in CHECKS + ("isa.h.hstatus.illegal",):
            assert re.search(rf"^\[isa\] FV-CHECK PASS {re.escape(name)}\r?$", q.output, re.M), name
        assert_healthy(q)


@fvtest.timeout(120)
def test_isa_extensions_natively():
    out = fvtest.run_guest(fvtest.guest_image("isa_test"), smp=2, mem="256M", timeout=90)
    assert "isa_test: running natively" in out
    for name in CHECKS:
        assert f"FV-CHECK PASS {name}" in out, name
    assert "FV-CHECK SKIP isa.h.hstatus.illegal" in out
