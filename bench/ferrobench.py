#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Ferrovisor benchmarks: `make benchmark` runs this (via bench/run.sh).

Measures, side by side in one run on the same QEMU, the same guests natively on OpenSBI and
as Ferrovisor VMs, and writes <out>/latest.json, latest.md (report) and latest.png (gnuplot
chart; skipped with a message when gnuplot is absent). Deterministic figures run under
-icount; wall-clock ones are medians of several runs, reported as ratios. Nothing is a
pass/fail on a timing; the exit status is 1 only if a suite could not run at all.

  python3 bench/ferrobench.py                 # everything (~12-16 min on 2 idle cores)
  python3 bench/ferrobench.py --smoke         # one tiny figure end to end (< 60 s)
  python3 bench/ferrobench.py --only irq,mmio # some suites (see --list)
  make benchmark BENCH=blk,net BENCH_RUNS=2   # the same through make ($BENCH, $BENCH_RUNS)
Methods: docs/performance.md.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # keep bench/ free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent))
from fvbench import arm64, blk, linux, memory, metrics, mgmt, micro, net, report, scale, snap, workload  # noqa: E402
from fvbench import migrate as fvmigrate  # noqa: E402
from fvbench import console as fvconsole  # noqa: E402
from fvbench import trace as fvtrace  # noqa: E402
from fvbench.common import (ROOT, WORK, BenchError, cpu_snapshot, foreign_load,  # noqa: E402
                            log, not_measured, qemu_version)

# (suite, function, runs): runs = QEMU boots per side (deterministic suites repeat exactly;
# a few boots show it), or measurement repetitions for wall-clock suites.
SUITES = [
    ("sbi", micro.bench_sbi, 3),
    ("irq", micro.bench_irq, 1),
    ("mmio", micro.bench_mmio, 1),
    ("vm_create", micro.bench_vm_create, 2),
    ("memory", memory.bench_memory, 1),
    ("cpu", workload.bench_cpu, 2),
    ("linux_cpu", linux.bench_linux_cpu, 1),
    ("linux_boot", linux.bench_linux_boot, 7),
    ("scale", scale.bench_scale, 5),
    ("blk", blk.bench_blk, 3),
    ("net", net.bench_net, 3),
    ("metrics", metrics.bench_metrics, 3),
    ("mgmt", mgmt.bench_mgmt, 1),
    ("trace", fvtrace.bench_trace, 3),
    ("console", fvconsole.bench_console, 1),
    ("snap", snap.bench_snap, 1),
    ("arm64_hvc", arm64.bench_arm64_hvc, 2),
    ("arm64_mmio", arm64.bench_arm64_mmio, 2),
    ("arm64_linux_boot", arm64.bench_arm64_linux_boot, 3),
    ("arm64_blk", arm64.bench_arm64_blk, 2),
    ("arm64_net", arm64.bench_arm64_net, 2),
    ("migrate", fvmigrate.bench_migrate, 1),
]

# Figures a full run lists as not measured, {key: (title, why)}; none at the moment.
NOT_MEASURED = {}


def git_state():
    def git(*args):
        r = subprocess.run(["git", *args], cwd=str(ROOT), capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else ""
    return git("rev-parse", "--short", "HEAD") or "unknown", bool(git("status", "--porcelain"))


def loadavg():
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def write_outputs(res, out_dir, final):
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(json.dumps(res, indent=2) + "\n")
    if not final:
        return
    png = out_dir / "latest.png"
    why = report.chart(res, png, WORK / "chart")
    if why:
        log(why)
        res["meta"]["chart"] = None
        res["meta"]["chart_skipped"] = why
        if png.exists():
            png.unlink()
    else:
        res["meta"]["chart"] = png.name
    (out_dir / "latest.json").write_text(json.dumps(res, indent=2) + "\n")
    (out_dir / "latest.md").write_text(report.markdown(res))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true",
                    help="one tiny figure (null SBI call, 1 run) end to end, into "
                         "build/bench/smoke/ unless --out is given")
    ap.add_argument("--only", default=os.environ.get("BENCH") or None,
                    help="comma-separated suites to run (default: $BENCH, else all)")
    ap.add_argument("--list", action="store_true", help="list the suites and exit")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS") or 0) or None,
                    help="override the runs of every selected suite (default: $BENCH_RUNS)")
    ap.add_argument("--out", type=Path, help="output directory (default bench/results)")
    args = ap.parse_args(argv)

    if args.list:
        for name, fn, runs in SUITES:
            doc = (fn.__doc__ or fn.__name__).strip().splitlines()[0]
            print(f"{name:12} {runs} run(s)  {doc}")
        return 0
    suites = SUITES
    if args.smoke:
        suites = [("sbi", micro.bench_sbi, 1)]
    elif args.only:
        want = args.only.split(",")
        unknown = set(want) - {s[0] for s in SUITES}
        if unknown:
            ap.error(f"unknown suite(s): {', '.join(sorted(unknown))} (see --list)")
        suites = [s for s in SUITES if s[0] in want]
    out_dir = args.out or (WORK / "smoke" if args.smoke else ROOT / "bench" / "results")

    commit, dirty = git_state()
    t0 = time.monotonic()
    res = {"meta": {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "mode": "smoke" if args.smoke else ("partial" if args.only else "full"),
        "commit": commit, "dirty": dirty, "qemu": qemu_version(),
        "host_cpus": os.cpu_count(), "host": platform.platform(),
        "python": platform.python_version(), "loadavg_start": loadavg(),
        "suite_seconds": {}, "foreign_cpu_percent": {}}, "figures": {}, "errors": {}}
    for name, fn, runs in suites:
        runs = args.runs or runs
        log(f"suite {name}: {runs} run(s)")
        ts = time.monotonic()
        snap = cpu_snapshot()
        try:
            res["figures"].update(fn(runs))
        except Exception as e:  # noqa: BLE001 - one broken suite must not hide the others
            msg = str(e).strip().splitlines()
            res["errors"][name] = f"{type(e).__name__}: {msg[0] if msg else ''}"
            log(f"suite {name} FAILED: {res['errors'][name]}")
            if not isinstance(e, (BenchError, AssertionError)):
                import traceback
                traceback.print_exc()
        res["meta"]["suite_seconds"][name] = round(time.monotonic() - ts, 1)
        res["meta"]["foreign_cpu_percent"][name] = foreign_load(snap, cpu_snapshot())
        log(f"suite {name}: {res['meta']['suite_seconds'][name]} s, other processes used "
            f"{res['meta']['foreign_cpu_percent'][name]} % of the host CPU meanwhile")
        write_outputs(res, out_dir, final=False)
    if not args.smoke and not args.only:
        for k, (title, why) in NOT_MEASURED.items():
            res["figures"][k] = not_measured(title, why)
    res["meta"]["wall_seconds"] = round(time.monotonic() - t0, 1)
    res["meta"]["loadavg_end"] = loadavg()
    write_outputs(res, out_dir, final=True)
    log(f"wrote {out_dir / 'latest.json'}, {out_dir / 'latest.md'}"
        + (f", {out_dir / 'latest.png'}" if res["meta"].get("chart") else ""))
    return 1 if res["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
