#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Ferrovisor test runner (used by `make test`).

1. Host unit tests: every executable build/unit/test_* (cmocka). Each cmocka case counts as
   one test; a binary that crashes or exits non-zero without a reported failure counts as a
   failure of its own.
2. Integration tests: functions test_<name>() in tests/integration/test_*.py, each run in its
   own subprocess (its own process group, so QEMU dies with it) under a timeout, in parallel.
   A module may set SKIP_REASON = "..." (all its tests skip) and TIMEOUT = seconds; a test may
   use @fvtest.timeout(seconds) or raise fvtest.Skip("reason").
3. Debian kernel matrix: a test of a module with KERNEL_MATRIX = True, or decorated with
   @fvtest.kernel_matrix, runs once per kernel suite as `module.test[stable]` and
   `module.test[unstable]` (--kernel or $FV_KERNELS restricts the suites). The child gets the
   suite in $FV_KERNEL_SUITE; fvtest/hyp pick that suite's images and configurations. A suite
   whose cache has no manifest but an unavailable.txt (scripts/fetch-guest-images.sh could not
   fetch it) makes its tests SKIP with the first line of that file as the reason.
4. Architecture matrix: every test of a module with ARCH_MATRIX = True (or decorated with
   @fvtest.arch_matrix) also runs on the arm64
   port as `module.test[arm64]` (`module.test[arm64-stable]`, `[arm64-unstable]` in the kernel
   matrix); the child gets $FV_ARCH=arm64 and hyp.py boots qemu-system-aarch64 with the arm64
   twin of each configuration (docs/arm64.md, "Management plane"). They skip when
   qemu-system-aarch64 is missing or the suite's arm64 images are not cached.

5. Retry of a failed integration test: a QEMU test that fails is run once more (--retries,
   default 1; 0 turns it off; never after the runner's own timeout, so a hang costs its
   time once). If the second run passes, the test counts as passed but is
   reported as FLAKY: its PASS line says so, and a "flaky tests" section before the summary
   prints the first run's failure in full (its console logs are kept as <name>.try1.log).
   Two-core TCG machines shared by parallel QEMU runs make rare timing failures happen; a
   flaky test is still a defect to find, never a pass to forget. Unit tests never retry.

Output: one line per test (PASS name (1.2s) / FAIL name (3.4s): why / SKIP name: reason),
failure details, and finally exactly "N passed, N failed, N skipped". Exit status 1 if any
test failed or none ran.
"""

import argparse
import importlib
import inspect
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
UNIT_DIR = REPO_ROOT / "build" / "unit"
INTEG_DIR = REPO_ROOT / "tests" / "integration"
LOG_DIR = REPO_ROOT / "build" / "test-logs"

sys.path.insert(0, str(INTEG_DIR))

DEFAULT_TIMEOUT = 300
UNIT_TIMEOUT = 120
SKIP_EXIT = 77
SKIP_MARK = "FV-SKIP: "
KERNEL_SUITES = ("stable", "unstable")


def images_cache():
    """The image cache of scripts/fetch-guest-images.sh for riscv64 (one dir per suite)."""
    base = os.environ.get("FERROVISOR_CACHE") or Path.home() / ".cache" / "ferrovisor"
    return Path(base) / "images" / "riscv64"


def suite_unavailable(suite, arch="riscv64"):
    """Why `suite` cannot be tested (first line of its unavailable.txt), or None when its
    images were fetched, or never tried (then the tests run and fail naming the fix)."""
    d = images_cache().parent / arch / suite
    if (d / "manifest.txt").is_file():
        return None
    try:
        first = (d / "unavailable.txt").read_text(errors="replace").splitlines()[0].strip()
    except (OSError, IndexError):
        return None
    return first or f"{suite} kernel not fetched (see {d}/unavailable.txt)"


def arch_unavailable(arch):
    """Why the arm64 runs of ARCH_MATRIX modules cannot run here (its emulator missing), or
    None."""
    qemu = os.environ.get("FV_QEMU_ARM64", "qemu-system-aarch64") if arch == "arm64" else None
    if qemu and not shutil.which(qemu):
        return f"{qemu} not installed (scripts/install-deps.sh installs qemu-system-arm)"
    return None


class Result:
    def __init__(self, name, status, secs=None, reason="", details=""):
        self.name = name
        self.status = status  # "PASS" | "FAIL" | "SKIP"
        self.secs = secs
        self.reason = reason
        self.details = details
        self.kernel = None  # the Debian kernel release a kernel-matrix test booted
        self.flaky = None  # a first run's failed Result, when the retry passed

    def line(self):
        t = f" ({self.secs:.1f}s)" if self.secs is not None else ""
        if self.kernel:
            t += f" kernel {self.kernel}"
        if self.status == "SKIP":
            return f"SKIP {self.name}: {self.reason}"
        if self.status == "FAIL" and self.reason:
            return f"FAIL {self.name}{t}: {self.reason}"
        if self.flaky:
            t += f" FLAKY: passed on retry; the first run failed: {self.flaky.reason}"
        return f"{self.status} {self.name}{t}"


class Reporter:
    def __init__(self):
        self.results = []
        self.lock = threading.Lock()

    def add(self, res):
        with self.lock:
            self.results.append(res)
            print(res.line(), flush=True)


def tail(text, n):
    lines = text.splitlines()
    return "\n".join(lines[-n:])


def run_child_process(cmd, timeout, env=None, cwd=REPO_ROOT, split_stderr=False):
    """Run cmd in a new session; kill its whole process group on timeout.

    Returns (returncode or None on timeout, stdout text, stderr text, seconds).
    """
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=str(cwd), env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE if split_stderr else subprocess.STDOUT,
                            start_new_session=True)
    with _children_lock:
        _children.add(proc)
    try:
        out, err = proc.communicate(timeout=timeout)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate()
        rc = None
    finally:
        with _children_lock:
            _children.discard(proc)
    dec = lambda b: (b or b"").decode("utf-8", "replace")
    return rc, dec(out), dec(err), time.monotonic() - start


_children = set()
_children_lock = threading.Lock()


def kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------- unit tests

RUN_RE = re.compile(r"^\[ RUN      \] (.+?)\s*$")
STATUS_RE = re.compile(r"^\[\s*(OK|FAILED|SKIPPED)\s*\] (.+?)\s*$")
SUMMARY_RE = re.compile(r"^\d+ test\(s\)")


def parse_cmocka(stdout):
    """Per-case outcomes from cmocka's default stdout: [(case, 'PASS'|'FAIL'|'SKIP'), ...].

    A case with a RUN line but no status line (the binary died inside it) is a FAIL.
    """
    cases = []
    current = None
    for line in stdout.splitlines():
        m = RUN_RE.match(line)
        if m:
            if current is not None:
                cases.append((current, "FAIL"))
            current = m.group(1)
            continue
        m = STATUS_RE.match(line)
        if m and not SUMMARY_RE.match(m.group(2)) and current == m.group(2):
            cases.append((current, {"OK": "PASS", "FAILED": "FAIL", "SKIPPED": "SKIP"}
                          [m.group(1)]))
            current = None
    if current is not None:
        cases.append((current, "FAIL"))
    return cases


def unit_binaries():
    if not UNIT_DIR.is_dir():
        return []
    return sorted(p for p in UNIT_DIR.glob("test_*")
                  if p.is_file() and os.access(p, os.X_OK) and p.suffix == "")


def run_unit_binary(path, kfilter, reporter):
    binname = f"unit.{path.name}"
    rc, out, err, secs = run_child_process([str(path)], UNIT_TIMEOUT, split_stderr=True)
    cases = parse_cmocka(out)
    bin_match = kfilter is None or kfilter in binname
    shown = 0
    failed_seen = False
    for case, status in cases:
        name = f"{binname}.{case}"
        if kfilter is not None and kfilter not in name:
            continue
        shown += 1
        details = ""
        if status == "FAIL":
            failed_seen = True
            details = f"--- {path.name} stderr (tail) ---\n{tail(err, 40)}"
        reporter.add(Result(name, status, None, "skipped by cmocka" if status == "SKIP" else "",
                            details))
    if rc is None:
        if bin_match or shown:
            reporter.add(Result(binname, "FAIL", secs, f"timeout after {UNIT_TIMEOUT}s",
                                f"--- output (tail) ---\n{tail(out + err, 40)}"))
    elif rc != 0 and not failed_seen and (bin_match or shown):
        why = f"killed by signal {-rc}" if rc < 0 else f"exit code {rc}"
        reporter.add(Result(binname, "FAIL", secs, why,
                            f"--- output (tail) ---\n{tail(out + err, 40)}"))
    elif rc == 0 and not cases and bin_match:
        reporter.add(Result(binname, "PASS", secs))


# --------------------------------------------------------------------- integration tests

def discover_integration(kfilter, default_timeout, suites=KERNEL_SUITES):
    """Returns (tests, errors): tests as (name, module, func, timeout, skip_reason, suite,
    arch); suite is None for a test outside the kernel matrix, arch None for the default
    architecture (riscv64) and "arm64" for the arm64 runs of an ARCH_MATRIX module."""
    sys.path.insert(0, str(INTEG_DIR))
    tests, errors = [], []
    for path in sorted(INTEG_DIR.glob("test_*.py")):
        modname = path.stem
        try:
            mod = importlib.import_module(modname)
        except Exception:  # noqa: BLE001 - any import error is a test failure
            if kfilter is not None and kfilter not in modname:
                continue
            errors.append(Result(f"{modname}", "FAIL", None, "import error",
                                 traceback.format_exc()))
            continue
        skip = getattr(mod, "SKIP_REASON", None)
        mod_timeout = getattr(mod, "TIMEOUT", default_timeout)
        funcs = [f for n, f in vars(mod).items()
                 if n.startswith("test_") and inspect.isfunction(f)
                 and f.__module__ == mod.__name__]
        funcs.sort(key=lambda f: f.__code__.co_firstlineno)
        matrix = getattr(mod, "KERNEL_MATRIX", False)
        arch_matrix = getattr(mod, "ARCH_MATRIX", False)
        for f in funcs:
            base = f"{modname}.{f.__name__}"
            runs = [(base, None, None)]
            if matrix or getattr(f, "fv_kernel_matrix", False):
                runs = [(f"{base}[{k}]", k, None) for k in suites]
            if arch_matrix or getattr(f, "fv_arch_matrix", False):
                runs += [(f"{base}[arm64{'-' + k if k else ''}]", k, "arm64")
                         for _, k, _ in list(runs)]
            for name, suite, arch in runs:
                if kfilter is not None and kfilter not in name:
                    continue
                why = skip or (arch and arch_unavailable(arch)) or \
                    (suite and suite_unavailable(suite, arch or "riscv64"))
                tests.append((name, modname, f.__name__,
                              getattr(f, "fv_timeout", mod_timeout), why or None, suite, arch))
    return tests, errors


def console_tails(name, n=30):
    """Last n lines of each console log the test left in build/test-logs/."""
    import fvtest  # noqa: E402 - only for its log naming
    safe = fvtest.log_safe(name)
    parts = []
    for log in sorted(LOG_DIR.glob(f"{safe}.log")) + sorted(LOG_DIR.glob(f"{safe}.*.log")):
        try:
            text = log.read_text(encoding="latin-1")
        except OSError:
            continue
        parts.append(f"--- last {n} console lines of {log.relative_to(REPO_ROOT)} ---\n"
                     f"{tail(text, n)}")
    return "\n".join(parts)


def clear_logs(name):
    import fvtest  # noqa: E402
    safe = fvtest.log_safe(name)
    for log in list(LOG_DIR.glob(f"{safe}.log")) + list(LOG_DIR.glob(f"{safe}.*.log")):
        if log.name.endswith(".try1.log"):
            continue  # a failed first run's logs, kept for the retry's report
        try:
            log.unlink()
        except OSError:
            pass


def keep_first_logs(name):
    """The failed first run's console logs, kept as <name>.try1.log beside the retry's."""
    import fvtest  # noqa: E402
    safe = fvtest.log_safe(name)
    for log in list(LOG_DIR.glob(f"{safe}.log")) + list(LOG_DIR.glob(f"{safe}.*.log")):
        if ".try1." in log.name:
            continue
        try:
            log.rename(log.with_name(log.name[:-len(".log")] + ".try1.log"))
        except OSError:
            pass


def run_integration_test(test, reporter, retries=0):
    name = test[0]
    if test[4]:
        reporter.add(Result(name, "SKIP", None, str(test[4])))
        return
    import fvtest  # noqa: E402
    # A previous run's kept first-run logs would be mistaken for this run's.
    for log in LOG_DIR.glob(f"{fvtest.log_safe(name)}*.try1.log"):
        log.unlink()
    res = run_integration_once(test)
    # Not after the runner's timeout: a hang run twice could cost CI its time limit.
    if res.status == "FAIL" and retries > 0 and not res.reason.startswith("timeout after"):
        keep_first_logs(name)
        print(f"RETRY {name}: the first run failed: {res.reason}", flush=True)
        again = run_integration_once(test)
        if again.status == "PASS":
            again.flaky = res
        res = again
    reporter.add(res)


def run_integration_once(test):
    name, modname, funcname, tmo, skip, suite, arch = test
    clear_logs(name)
    env = dict(os.environ, FV_TEST_NAME=name, PYTHONDONTWRITEBYTECODE="1")
    env.pop("FV_KERNEL_SUITE", None)
    if suite:
        env["FV_KERNEL_SUITE"] = suite
    env.pop("FV_ARCH", None)
    if arch:
        env["FV_ARCH"] = arch
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", modname, funcname]
    rc, out, _, secs = run_child_process(cmd, tmo, env=env)
    m = re.search(r"^FV-KERNEL: kernel (\S+)", out, re.M)
    kernel = m.group(1) if m else None
    if rc == 0:
        res = Result(name, "PASS", secs)
        res.kernel = kernel
        return res
    if rc == SKIP_EXIT:
        reason = "skipped"
        for line in out.splitlines():
            if line.startswith(SKIP_MARK):
                reason = line[len(SKIP_MARK):]
        return Result(name, "SKIP", None, reason)
    else:
        why = f"timeout after {tmo}s" if rc is None else None
        if why is None:
            lines = [l for l in out.splitlines() if l.strip()]
            why = lines[-1][:160] if lines else f"exit code {rc}"
        details = f"--- test output (tail) ---\n{tail(out, 60)}"
        # The consoles' last lines too: a failure in CI is all a reader gets to see.
        details += "\n" + console_tails(name, 30 if rc is None else 15)
        res = Result(name, "FAIL", secs, why, details)
        res.kernel = kernel
        return res


def child_main(modname, funcname):
    """Runs one integration test in this (child) process."""
    sys.path.insert(0, str(INTEG_DIR))
    import fvtest  # noqa: E402
    try:
        if os.environ.get("FV_KERNEL_SUITE"):
            # Which kernel this run used, first thing in the test's output (the console
            # logs get the same line from fvtest.Qemu).
            print(f"FV-KERNEL: {fvtest.linux_images().describe()}", flush=True)
        mod = importlib.import_module(modname)
        getattr(mod, funcname)()
    except fvtest.Skip as e:
        print(f"{SKIP_MARK}{e}", flush=True)
        return SKIP_EXIT
    except BaseException as e:  # noqa: BLE001 - report everything, including SystemExit
        traceback.print_exc(file=sys.stdout)
        msg = str(e).splitlines()[0] if str(e) else ""
        print(f"{type(e).__name__}: {msg}", flush=True)
        return 1
    return 0


# ----------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description="Run Ferrovisor unit and integration tests.")
    ap.add_argument("--unit-only", action="store_true", help="only host unit tests")
    ap.add_argument("--integration-only", action="store_true", help="only QEMU tests")
    ap.add_argument("-k", dest="kfilter", metavar="SUBSTRING",
                    help="only tests whose name contains SUBSTRING")
    ap.add_argument("-j", dest="jobs", type=int, default=os.cpu_count() or 1,
                    help="parallel jobs (default: number of CPUs)")
    ap.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT,
                    help=f"default per-test timeout in seconds ({DEFAULT_TIMEOUT})")
    ap.add_argument("--list", action="store_true", help="list tests and exit")
    ap.add_argument("--kernel", action="append", choices=KERNEL_SUITES, metavar="SUITE",
                    help="run kernel-matrix tests only on this Debian kernel suite "
                         "(stable|unstable; repeatable; default $FV_KERNELS or both)")
    ap.add_argument("--retries", type=int, default=int(os.environ.get("FV_TEST_RETRIES", "1")),
                    help="runs more of a failed integration test; a later pass is reported "
                         "as FLAKY (default $FV_TEST_RETRIES or 1)")
    ap.add_argument("--child", nargs=2, metavar=("MODULE", "FUNC"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        return child_main(*args.child)
    if args.unit_only and args.integration_only:
        ap.error("--unit-only and --integration-only exclude each other")

    reporter = Reporter()
    jobs = max(1, args.jobs)
    integ, import_errors = ([], [])
    suites = args.kernel or os.environ.get("FV_KERNELS", " ".join(KERNEL_SUITES)).split()
    bad = [k for k in suites if k not in KERNEL_SUITES]
    if bad:
        ap.error(f"FV_KERNELS: unknown suite(s) {' '.join(bad)} (stable, unstable)")
    if not args.unit_only:
        integ, import_errors = discover_integration(args.kfilter, args.timeout,
                                                    tuple(dict.fromkeys(suites)))
    units = [] if args.integration_only else unit_binaries()

    if args.list:
        for u in units:
            print(f"unit.{u.name}")
        for t in integ:
            print(t[0])
        return 0

    for e in import_errors:
        reporter.add(e)
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futs = [pool.submit(run_unit_binary, u, args.kfilter, reporter) for u in units]
            for f in futs:
                f.result()
            futs = [pool.submit(run_integration_test, t, reporter, max(0, args.retries))
                    for t in integ]
            for f in futs:
                f.result()
    except KeyboardInterrupt:
        with _children_lock:
            for p in list(_children):
                kill_group(p)
        print("interrupted", flush=True)
        return 130

    res = reporter.results
    failed = [r for r in res if r.status == "FAIL"]
    if failed:
        print("\n==================== failure details ====================")
        for r in failed:
            print(f"\n### FAIL {r.name}" + (f": {r.reason}" if r.reason else ""))
            if r.details:
                print(r.details.rstrip())
        print()
    flaky = [r for r in res if r.flaky]
    if flaky:
        print("\n==================== flaky tests (failed, then passed on retry) "
              "====================")
        for r in flaky:
            print(f"\n### FLAKY {r.name}: first run: {r.flaky.reason}")
            if r.flaky.details:
                print(r.flaky.details.rstrip())
        print(f"\n{len(flaky)} flaky: " + " ".join(r.name for r in flaky))
        print()
    n_pass = sum(r.status == "PASS" for r in res)
    n_skip = sum(r.status == "SKIP" for r in res)
    print(f"{n_pass} passed, {len(failed)} failed, {n_skip} skipped", flush=True)
    return 1 if failed or n_pass == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
