# SPDX-License-Identifier: MIT
"""Checks of a Chrome/Perfetto trace-event file written by `ferrovisor trace json`
(docs/tracing.md): the format, and that the events tell a consistent story. check() returns
a list of problems (empty: the trace is good)."""

import re
from collections import defaultdict

PHASES = {"X", "i", "M"}


def _fmt(obj, problems):
    if not isinstance(obj, dict) or not isinstance(obj.get("traceEvents"), list):
        problems.append("top level is not an object with a traceEvents list")
        return []
    evs = obj["traceEvents"]
    for n, e in enumerate(evs):
        where = f"event {n} {e!r:.120}"
        if not isinstance(e, dict):
            problems.append(f"{where}: not an object")
            continue
        ph = e.get("ph")
        if ph not in PHASES:
            problems.append(f"{where}: phase {ph!r}")
            continue
        for k in ("name", "pid", "tid"):
            if k not in e:
                problems.append(f"{where}: no {k}")
        if ph == "M":
            if e.get("name") not in ("process_name", "thread_name") or \
                    not isinstance(e.get("args", {}).get("name"), str):
                problems.append(f"{where}: bad metadata")
            continue
        if not isinstance(e.get("ts"), (int, float)) or e["ts"] < 0:
            problems.append(f"{where}: ts")
        if ph == "X" and (not isinstance(e.get("dur"), (int, float)) or e["dur"] < 0):
            problems.append(f"{where}: X without a dur >= 0")
        if ph == "i" and e.get("s") not in ("t", "p", "g"):
            problems.append(f"{where}: instant without scope s")
    return [e for e in evs if isinstance(e, dict) and e.get("ph") in ("X", "i")]


def _tracks(evs, problems):
    tracks = defaultdict(list)
    for e in evs:
        tracks[(e["pid"], e["tid"])].append(e)
    for key, tev in tracks.items():
        last = -1
        stack = []  # ends of the open X events, outermost first
        for e in tev:
            if e["ts"] < last:
                problems.append(f"track {key}: ts goes back at {e!r:.120}")
            last = e["ts"]
            while stack and stack[-1] <= e["ts"]:
                stack.pop()
            if e["ph"] == "X":
                end = e["ts"] + e["dur"]
                if stack and end > stack[-1] + 1e-6:
                    problems.append(f"track {key}: X events overlap without nesting at {e!r:.120}")
                stack.append(end)
    return tracks


def _disjoint(slices, what, problems):
    slices = sorted(slices, key=lambda e: e["ts"])
    for a, b in zip(slices, slices[1:]):
        if a["ts"] + a["dur"] > b["ts"] + 1e-6:
            problems.append(f"{what}: run slices overlap: {a!r:.100} / {b!r:.100}")


def check(obj, raw_lines=(), reset_vm=None):
    """obj: the parsed JSON; raw_lines: the dump's TR lines (for the sched-in/out pairing);
    reset_vm: name of a VM reset while tracing (its lifecycle must show it)."""
    problems = []
    evs = _fmt(obj, problems)
    if problems:
        return problems
    tracks = _tracks(evs, problems)
    meta = [e for e in obj["traceEvents"] if e.get("ph") == "M"]
    procs = {e["pid"]: e["args"]["name"] for e in meta if e["name"] == "process_name"}
    if procs.get(0) != "Physical CPUs":
        problems.append("no 'Physical CPUs' process (pid 0)")
    # A CPU runs one vCPU at a time; a vCPU runs on one CPU at a time.
    runs = defaultdict(list)
    for (pid, tid), tev in tracks.items():
        xs = [e for e in tev if e["ph"] == "X" and (pid == 0 or e["name"] == "run")]
        if pid == 0:
            _disjoint(xs, f"CPU {tid}", problems)
        else:
            _disjoint(xs, f"{procs.get(pid)} vCPU {tid}", problems)
            runs[(pid, tid)] = xs
    # Every exit and hypercall (SBI, SMCCC) of a vCPU happens inside one of its run slices.
    for (pid, tid), tev in tracks.items():
        if pid == 0 or tid >= 1000:
            continue
        for e in tev:
            if e["ph"] == "i" and e["name"].startswith(("exit ", "sbi ", "smccc ")):
                if not any(r["ts"] - 1e-6 <= e["ts"] <= r["ts"] + r["dur"] + 1e-6
                           for r in runs[(pid, tid)]):
                    problems.append(f"{procs.get(pid)} vCPU {tid}: {e['name']} at {e['ts']} "
                                    "outside every run slice")
                    break
    if obj.get("otherData", {}).get("unpaired", 0):
        problems.append(f"{obj['otherData']['unpaired']} sched-out(s) without a sched-in")
    # Raw records: on each CPU, sched-in and sched-out alternate for the same vCPU.
    cur = {}
    for line in raw_lines:
        m = re.search(r"TR (\d+) (\d+) (3[01]) (\d+) (\d+) ", line)
        if not m:
            continue
        cpu, ev, who = m.group(1), m.group(3), (m.group(4), m.group(5))
        if ev == "30":
            if cur.get(cpu) not in (None, "out"):
                problems.append(f"CPU {cpu}: sched-in of {who} while {cur[cpu]} is in")
            cur[cpu] = who
        else:
            if cpu in cur and cur[cpu] != who:
                problems.append(f"CPU {cpu}: sched-out of {who} but {cur[cpu]} was in")
            cur[cpu] = "out"
    if reset_vm:
        pid = next((p for p, n in procs.items() if n == f"VM {reset_vm}"), None)
        life = [e["name"] for e in tracks.get((pid, 1000), [])]
        want = ["request reset", "state stopping -> stopped", "state stopped -> running"]
        it = iter(life)
        if not all(any(w == x for x in it) for w in want):
            problems.append(f"VM {reset_vm} lifecycle {life} lacks {want} in order")
    return problems
