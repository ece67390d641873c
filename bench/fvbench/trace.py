# SPDX-License-Identifier: MIT
"""What the event tracer costs (issue 13, item 3), under -icount shift=0: the null SBI round
trip (one VS ecall exit) of the bench_sbi guest with the tracer compiled out (the normal
build), compiled in but off (FEATURES=trace), and on for exits and SBI calls from boot
(FEATURES=trace,tracebench: two events per round trip, a ring that holds the whole run).
Instructions per enabled event = (on - off) / 2; the cost when off = off - compiled out."""

import statistics
import subprocess

from .common import BUILD, ICOUNT, ROOT, BenchError, figure, log, side, static_config
from .micro import _sbi_run
import fvtest  # noqa: E402  (path set up by common)

DET = "deterministic"
VARIANTS = {"off": "trace", "on": "trace,tracebench"}


def _variant_bin(name):
    out = BUILD / "bench" / f"trace-{name}"
    log(f"building the hypervisor with FEATURES={VARIANTS[name]} into {out}")
    r = subprocess.run(["make", "-s", "hyp", f"BUILD={out}", f"FEATURES={VARIANTS[name]}"],
                       cwd=str(ROOT), capture_output=True, text=True)
    if r.returncode != 0:
        raise BenchError(f"trace-{name} build failed: " + (r.stderr or r.stdout)[-500:])
    return out / "riscv64" / "ferrovisor.bin"


def bench_trace(runs):
    cfg = static_config("sbi")
    bins = {"out": BUILD / "riscv64" / "ferrovisor.bin",
            "off": _variant_bin("off"), "on": _variant_bin("on")}
    got = {k: [] for k in bins}
    for i in range(runs):
        for k, b in bins.items():
            cmd = fvtest.qemu_riscv_cmd(b, smp=1, mem="1G", extra=["-initrd", str(cfg)] + ICOUNT)
            got[k].append(_sbi_run(cmd, f"trace-{k}-{i}", True)[0])
    med = {k: statistics.median(v) for k, v in got.items()}
    # Per boot: (traced - untraced round trip) / 2 events, the runs paired in order.
    per = [(on - off) / 2 for on, off in zip(got["on"], got["off"])]
    per_event = figure(
        "Event tracer: instructions per enabled event", DET, "instructions per event", runs,
        "bench_sbi guest under Ferrovisor, 1 vCPU, -smp 1, -icount shift=0,sleep=off: rdinstret "
        "per SBI BASE get_spec_version round trip with FEATURES=trace,tracebench (exit and SBI "
        "classes on from boot: 2 events per round trip, none dropped) minus the same with "
        "FEATURES=trace (compiled in, off), halved: the whole cost of an event point whose "
        "class is on (call, arguments, time, ring). Aim: under 50.",
        ferrovisor=side(per))
    per_event["roundtrip_traced"] = med["on"]
    per_event["roundtrip_untraced"] = med["off"]
    off_cost = figure(
        "Event tracer compiled in but off vs compiled out: null SBI round trip", DET,
        "instructions per call", runs,
        "the same round trip with FEATURES=trace and every class off (one load and branch per "
        "event point) vs the normal build (TRACE() compiled out). ferrovisor = compiled in, "
        "off; compiled_out = normal build.",
        ferrovisor=side(got["off"]), compiled_out=side(got["out"]))
    off_cost["off_cost"] = med["off"] - med["out"]
    return {"trace_event_cost": per_event, "trace_off_cost": off_cost}
