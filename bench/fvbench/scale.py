# SPDX-License-Identifier: MIT
"""Scaling and fairness: 1, 2, 4, 8 equal-weight VMs, each running the same fixed CPU-bound
work (bench_scale), on 2 physical CPUs (QEMU -smp 2, MTTCG, wall-clock). Native baselines:
the same guest on OpenSBI with 1 hart (one copy) and 2 harts (two copies at once)."""

import json

from .common import (QUIET_PERCENT, BenchError, compile_config, config_text, figure,
                     guest_bin, hyp_cmd, jain, log, native_cmd, qemu, quiet_runs, side, stats,
                     vm_node)

VM_COUNTS = (1, 2, 4, 8)
PCPUS = 2


def _run(cmd, name, copies, tagged):
    """Run one machine; returns ({copy: elapsed seconds}, {results})."""
    got, results = {}, set()
    with qemu(cmd, name) as q:
        while len(got) < copies:
            m = q.expect(r'^(?:\[([\w.-]+)\] )?(\{"bench":"scale".*\})\r?$', 600)
            o = json.loads(m.group(2))
            key = m.group(1) if tagged else f"hart{o['hart']}"
            got[key] = o["ticks"] / o["timebase_hz"]
            results.add(o["result"])
    return got, results


def bench_scale(runs):
    """Per-VM throughput and fairness of 1-8 VMs on 2 CPUs vs native (wall-clock)."""
    cfgs = {}
    for n in VM_COUNTS:
        nodes = [vm_node(f"w{j + 1}", "bench_scale.bin") for j in range(n)]
        cfgs[n] = compile_config(config_text(nodes, f"scaling: {n} x bench_scale, weight 256"),
                                 f"scale{n}")
    results = set()
    per = {n: {"tp": [], "agg": [], "eff": [], "spread": [], "jain": []} for n in VM_COUNTS}

    def native(copies, tag):
        got, r = _run(native_cmd(guest_bin("bench_scale"), smp=copies, icount=False),
                      f"scale-native{copies}-{tag}", copies, False)
        results.update(r)
        return list(got.values())

    # Native and VM machines alternate, round by round; throughputs are then taken against
    # the medians of all native runs, which a burst of foreign load on the host moves less
    # than any single paired run.
    def one_round(i):
        log(f"scaling: round {i + 1}")
        rnd = {"one": native(1, i)[0], "two": [], "elapsed": {}}
        for n in VM_COUNTS:
            if n > 1:
                rnd["two"].append(native(2, f"{n}-{i}"))
            got, r = _run(hyp_cmd(cfgs[n], smp=PCPUS, mem="1G", icount=False),
                          f"scale{n}-{i}", n, True)
            results.update(r)
            rnd["elapsed"][n] = list(got.values())
        return rnd

    rounds, quiet = quiet_runs(one_round, runs, "scaling", extra_attempts=2)
    one = [r["one"] for r in rounds]
    two = [p for r in rounds for p in r["two"]]
    elapsed = {n: [r["elapsed"][n] for r in rounds] for n in VM_COUNTS}
    base = stats(one)["median"]
    caps = [sum(base / s for s in pair) for pair in two]
    cap = stats(caps)["median"]
    for n in VM_COUNTS:
        d = per[n]
        for secs in elapsed[n]:
            tp = [base / s for s in secs]
            d["tp"] += tp
            d["agg"].append(sum(tp))
            d["eff"].append(sum(tp) / (1.0 if n == 1 else cap))
            d["spread"].append((max(secs) - min(secs)) / min(secs) * 100)
            d["jain"].append(jain(tp))
    if len(results) != 1:
        raise BenchError("bench_scale results differ between copies")
    out = {"scale_native": figure(
        "Scaling baseline: bench_scale natively", "wall-clock",
        "throughput relative to one native copy alone", runs,
        "bench_scale on OpenSBI without a hypervisor, alternating with the VM runs: 1 hart "
        "(one copy alone; the median of these times is the reference, throughput 1.0) once "
        "per round, and 2 harts (a copy on each at once) before each multi-VM run; `machine` "
        "= the summed throughput of the 2 copies, what 2 physical CPUs deliver",
        native=side([base / s for s in one]), machine=side(caps),
        seconds_one_copy=stats(one), host_load=quiet)}
    for n in VM_COUNTS:
        d = per[n]
        ideal = min(1.0, PCPUS / n)
        out[f"scale_{n}vm"] = figure(
            f"Scaling: {n} VM(s) on {PCPUS} CPUs, per-VM throughput", "wall-clock",
            "throughput relative to one native copy alone", runs,
            f"{n} equal-weight 1-vCPU VMs (32 MiB, weight 256, time slice 4 ms) each running "
            "bench_scale's fixed work, QEMU -smp 2 (MTTCG, no icount); per VM: elapsed guest "
            "time of its work; throughput = (median native single-copy time) / elapsed. Ideal "
            f"per VM: min(1, {PCPUS}/N) = {ideal:.2f}. `aggregate` = sum over the VMs of a run; "
            "`efficiency` = aggregate / native (1 copy for N = 1, the median 2-copy `machine` "
            "otherwise); fairness within each run: `spread` = (slowest − fastest) / fastest "
            "elapsed time in %, and Jain's index of per-VM throughput (1 = even). A round is "
            f"repeated (up to 2 extra rounds) when other processes used more than "
            f"{QUIET_PERCENT:.0f} % of the host CPU during it.",
            ferrovisor=side(d["tp"]), aggregate=stats(d["agg"]), efficiency=stats(d["eff"]),
            spread_percent=stats(d["spread"]), jain_index=stats(d["jain"]),
            ideal_per_vm=ideal, vms=n)
    return out
