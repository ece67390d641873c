# SPDX-License-Identifier: MIT
"""CPU-bound bare-metal guest workload (cpu_bench), virtualized vs native, -icount."""

from .common import BenchError, figure, guest_bin, hyp_cmd, native_cmd, qemu, read_json, side, static_config


def bench_cpu(runs):
    """cpu_bench (CRC-32 + matrix multiply) on 1 vCPU, -icount: virtualized / native."""
    cfg = static_config("cpu")
    vals = {"native": [], "ferrovisor": []}
    results = set()
    for i in range(runs):
        for kind, cmd, vm in (("native", native_cmd(guest_bin("cpu_bench")), None),
                              ("ferrovisor", hyp_cmd(cfg, smp=1), "bench")):
            with qemu(cmd, f"cpu-{kind}-{i}") as q:
                o = read_json(q, lambda o: o["bench"] == "cpu", 300, vm=vm)[-1]
            vals[kind].append(o["time_ticks"] * 1e9 / o["timebase_hz"] / 1e9)
            results.add(o["result"])
    if len(results) != 1:
        raise BenchError("cpu_bench result differs between runs or native/virtualized")
    fig = figure(
        "CPU-bound bare-metal workload (cpu_bench), 1 vCPU", "deterministic",
        "emulated seconds", runs,
        "cpu_bench guest (CRC-32 over 64 KiB x 800 + 32x32 integer matrix multiply x 800), "
        "rdtime delta around the work, 1 vCPU on QEMU -smp 1, -icount shift=0,sleep=off; "
        "includes the hypervisor's timer ticks and any exits",
        native=side(vals["native"]), ferrovisor=side(vals["ferrovisor"]))
    fig["overhead_percent"] = (fig["ratio"] - 1) * 100
    return {"cpu_workload": fig}
