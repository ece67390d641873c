# SPDX-License-Identifier: MIT
"""Event tracer (FEATURES=trace): a 3-VM run traced with every class on, a VM reset while
tracing, the dump converted by `ferrovisor trace json` and checked by trace_check.py (format
and consistency: run slices never overlap on a CPU or a vCPU, exits and SBI calls happen
inside their vCPU's run slices, sched-in/out alternate, the reset shows in the lifecycle)."""

import fcntl
import json
import os
import subprocess

import fvtest
import trace_check
from hyp import assert_healthy, config_path, heartbeat, hyp_cmd, shell

TRACE_BUILD = fvtest.BUILD_DIR / "trace"
TOOL = fvtest.BUILD_DIR / "tools" / "ferrovisor"


def _trace_hyp(arch="riscv64"):
    """The hypervisor of arch built with FEATURES=trace into build/trace (a separate build
    dir; build/trace/<arch>/ferrovisor.bin)."""
    # BUILD relative to the repository, as a developer's `make BUILD=build/trace` names it:
    # the dependency files record the path as given, and one spelling keeps them in use.
    rel = os.path.relpath(TRACE_BUILD, fvtest.REPO_ROOT)
    TRACE_BUILD.mkdir(parents=True, exist_ok=True)
    # Tests running in parallel (test_trace_svc.py too) must not build the same tree at once.
    with open(TRACE_BUILD / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        r = subprocess.run(["make", "-s", f"ARCH={arch}", "hyp", f"BUILD={rel}",
                            "FEATURES=trace"],
                           cwd=fvtest.REPO_ROOT, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise fvtest.TestFailure("FEATURES=trace build failed: " + (r.stderr or r.stdout)[-800:])
    return TRACE_BUILD / arch / "ferrovisor.bin"


@fvtest.timeout(400)
def test_trace_multi_vm_run_with_reset():
    binary = _trace_hyp()
    cmd = fvtest.qemu_riscv_cmd(binary, smp=2, mem="1G",
                                extra=["-initrd", str(config_path("trace"))])
    with fvtest.Qemu(cmd) as q:
        q.expect(r"^\[hyp\] console focus: hyp", 60)
        heartbeat(q, "hello", 60)
        shell(q, "trace on all",
              r"^\[hyp\] trace: classes on: exit sbi irq sched virtio mmio vm\r?$", 20)
        shell(q, "vm reset hello", r"^\[hyp\] vm hello: boot #2", 30)
        heartbeat(q, "hello", 60)
        shell(q, "trace off", r"^\[hyp\] trace: classes on: none", 20)
        start = len(q.output)
        shell(q, "trace dump", r"^\[hyp\] TRACE-END (\d+)\r?\n", 240)
        dump = q.output[start:]
        assert_healthy(q)
    work = fvtest.BUILD_DIR / "test-logs"
    work.mkdir(parents=True, exist_ok=True)
    (work / "trace-dump.txt").write_text(dump)
    out = work / "trace.json"
    r = subprocess.run([str(TOOL), "trace", "json", str(work / "trace-dump.txt"), str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr + r.stdout
    print(r.stdout.strip())
    obj = json.loads(out.read_text())
    names = [e["name"] for e in obj["traceEvents"]]
    for want in ("exit ecall-vs", "run"):
        assert want in names, f"no {want!r} event in the trace"
    assert any(n.startswith("sbi ") for n in names), "no SBI call traced"
    problems = trace_check.check(obj, dump.splitlines(), reset_vm="hello")
    assert not problems, "\n".join(problems[:20])


def test_trace_checker_rejects_inconsistent_traces():
    """The checker itself: overlapping run slices and a vCPU on two CPUs are caught."""
    meta = [{"ph": "M", "name": "process_name", "pid": 0, "tid": 0,
             "args": {"name": "Physical CPUs"}},
            {"ph": "M", "name": "process_name", "pid": 1, "tid": 0, "args": {"name": "VM a"}}]
    ok = {"traceEvents": meta + [
        {"ph": "X", "name": "run", "pid": 1, "tid": 0, "ts": 0.0, "dur": 10.0},
        {"ph": "i", "name": "exit ecall-vs", "pid": 1, "tid": 0, "ts": 5.0, "s": "t"},
        {"ph": "X", "name": "run", "pid": 1, "tid": 0, "ts": 20.0, "dur": 5.0}]}
    assert trace_check.check(ok) == []
    two_cpus = {"traceEvents": meta + [
        {"ph": "X", "name": "run", "pid": 1, "tid": 0, "ts": 0.0, "dur": 10.0},
        {"ph": "X", "name": "run", "pid": 1, "tid": 0, "ts": 5.0, "dur": 10.0}]}
    assert trace_check.check(two_cpus)
    outside = {"traceEvents": meta + [
        {"ph": "X", "name": "run", "pid": 1, "tid": 0, "ts": 0.0, "dur": 1.0},
        {"ph": "i", "name": "sbi base.0", "pid": 1, "tid": 0, "ts": 5.0, "s": "t"}]}
    assert trace_check.check(outside)
    assert trace_check.check({"traceEvents": meta + [{"ph": "X", "name": "x", "pid": 0,
                                                      "tid": 0, "ts": 1.0}]})
    assert trace_check.check({"events": []})


@fvtest.timeout(240)
def test_trace_shell_without_feature():
    """The normal build has no tracer: the shell says so, and the control channel's
    TRACE_CTL answers E_NOT_SUPPORTED (tests/unit/test_ctl.c has no FEATURES=trace)."""
    with fvtest.Qemu(hyp_cmd()) as q:
        q.expect(r"^\[hyp\] console focus: hyp", 60)
        shell(q, "trace status",
              r"^\[hyp\] trace: not built in \(build the hypervisor with FEATURES=trace\)", 20)
        shell(q, "help", r"trace on CLASS\.\.\.\|off\|status\|clear\|dump", 20)
        assert_healthy(q)
