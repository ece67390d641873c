#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Core Ferrovisor benchmarks, native vs virtualized on the same QEMU in one run.

All figures here are deterministic instruction counts under `-icount shift=0` (one emulated
ns per instruction), so they repeat exactly; nothing here is a pass/fail test.

  sbi_null_roundtrip  instructions per null SBI call (get_spec_version) from S/VS-mode:
                      natively the call goes S -> M (OpenSBI); under Ferrovisor VS -> HS.
  hyp_entry_to_guest  instructions from the hypervisor's first instruction to the first
                      guest instruction (boot CPU), as counted by the hypervisor (instret).
  cpu_workload        the cpu_bench guest's run time in emulated ticks, virtualized / native.
  hyp_mem_per_vm      hypervisor memory spent per VM beyond guest RAM (1, 2, 4, 8 vCPUs),
                      and the hypervisor image size.

Writes bench/results/core.json and prints it.
"""

import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import fvtest  # noqa: E402

HYP = ROOT / "build" / "riscv64" / "ferrovisor.bin"
CFG = ROOT / "build" / "config"
RESULTS = ROOT / "bench" / "results"
ICOUNT = ["-icount", "shift=0"]


def qemu(kernel, bundle=None, smp=1, mem="512M"):
    extra = list(ICOUNT) + (["-initrd", str(bundle)] if bundle else [])
    return fvtest.qemu_riscv_cmd(kernel, smp=smp, mem=mem, extra=extra)


def json_lines(q, want, timeout=300):
    """Collect JSON objects (optionally tagged '[vm] ') until every name in `want` is seen."""
    got = {}
    deadline = time.monotonic() + timeout
    while set(want) - set(got):
        m = q.expect(r"^(?:\[\w+\] )?(\{.*\})\r?$", max(1, deadline - time.monotonic()))
        obj = json.loads(m.group(1))
        if "bench" in obj:
            got[obj["bench"]] = obj
    return got


def sbi_per_call(objs):
    call, loop = objs["sbi_null"], objs["sbi_null_loop"]
    return (call["instret"] - loop["instret"]) / call["iters"]


def bench_sbi():
    want = ("sbi_null", "sbi_null_loop")
    with fvtest.Qemu(qemu(fvtest.guest_image("bench_sbi")), name="bench-sbi-native") as q:
        native = json_lines(q, want)
    with fvtest.Qemu(qemu(HYP, CFG / "bench-sbi.dtb"), name="bench-sbi-virt") as q:
        virt = json_lines(q, want)
        q._pos = 0  # printed before the guest's lines
        m = q.expect(r"first guest entry: (\d+) instructions after hypervisor entry", 10)
        entry = int(m.group(1))
    return {
        "sbi_null_roundtrip": {
            "unit": "instructions per call", "runs": 1, "iters": virt["sbi_null"]["iters"],
            "native_hs_to_m": sbi_per_call(native), "ferrovisor_vs_to_hs": sbi_per_call(virt),
            "method": "guest loop of SBI get_spec_version minus the same loop without ecall, "
                      "rdinstret delta / iterations, -icount shift=0",
        },
        "hyp_entry_to_guest": {
            "unit": "instructions", "runs": 1, "value": entry,
            "method": "instret at the hypervisor's first instruction vs just before the "
                      "first guest entry on the boot CPU, -icount shift=0",
        },
    }


def bench_cpu():
    with fvtest.Qemu(qemu(fvtest.guest_image("cpu_bench")), name="bench-cpu-native") as q:
        native = json_lines(q, ("cpu",))["cpu"]
    with fvtest.Qemu(qemu(HYP, CFG / "bench-cpu.dtb"), name="bench-cpu-virt") as q:
        virt = json_lines(q, ("cpu",))["cpu"]
    assert native["result"] == virt["result"], "workload result differs natively/virtualized"
    ratio = virt["time_ticks"] / native["time_ticks"]
    return {"cpu_workload": {
        "unit": "emulated time ticks (10 MHz)", "runs": 1,
        "native": native["time_ticks"], "ferrovisor": virt["time_ticks"],
        "ratio": ratio, "overhead_percent": (ratio - 1) * 100,
        "method": "cpu_bench guest (CRC32 + matrix multiply), rdtime delta, -icount shift=0, "
                  "1 vCPU on 1 CPU; includes the hypervisor's timer ticks",
    }}


def bench_mem():
    out = {}
    with fvtest.Qemu(qemu(HYP, CFG / "bench-mem.dtb", mem="1G"), name="bench-mem") as q:
        for name in ("v1", "v2", "v4", "v8"):
            m = q.expect(rf"vm {name}: created: (\d+) vCPU\(s\).*hypervisor overhead (\d+) bytes", 60)
            out[f"{m.group(1)}_vcpus"] = int(m.group(2))
    return {"hyp_mem_per_vm": {
        "unit": "bytes beyond guest RAM", "runs": 1, **out,
        "hypervisor_image_bytes": HYP.stat().st_size,
        "method": "per-VM accounting of VM, vCPU and stage-2 table allocations, "
                  "printed at VM creation",
    }}


def main():
    RESULTS.mkdir(parents=True, exist_ok=True)
    res = {"suite": "core", "qemu": os.popen(f"{fvtest.QEMU_RISCV} --version").readline().strip()}
    for fn in (bench_sbi, bench_cpu, bench_mem):
        res.update(fn())
    text = json.dumps(res, indent=2)
    (RESULTS / "core.json").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
