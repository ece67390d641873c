# SPDX-License-Identifier: MIT
"""The Debian kernel matrix itself (docs/guest-kernels.md), without booting anything:
the runner's expansion into [stable]/[unstable] and its skip of an unavailable suite, and
scripts/fetch-guest-images.sh's handling of a suite it cannot fetch (a mirror that refuses
connections stands in for one out of sync)."""

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import fvtest

ROOT = fvtest.REPO_ROOT
FETCH = ROOT / "scripts" / "fetch-guest-images.sh"
DEAD_MIRROR = "http://127.0.0.1:9/debian"  # port 9 (discard): connection refused


def _discover(cache, suites=("stable", "unstable")):
    sys.path.insert(0, str(ROOT / "tests"))
    import run_tests  # noqa: E402  (the runner, imported to call its discovery)
    old = os.environ.get("FERROVISOR_CACHE")
    os.environ["FERROVISOR_CACHE"] = str(cache)
    try:
        tests, errors = run_tests.discover_integration(None, 300, suites)
    finally:
        if old is None:
            del os.environ["FERROVISOR_CACHE"]
        else:
            os.environ["FERROVISOR_CACHE"] = old
    assert not errors, [e.details for e in errors]
    return {t[0]: t for t in tests}


def _fake_complete_set(d, release="6.12.0+fake-riscv64"):
    """A tiny directory that passes the script's manifest check (hashes + `complete`)."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "Image").write_bytes(b"not a kernel, only hashed")
    digest = hashlib.sha256((d / "Image").read_bytes()).hexdigest()
    (d / "manifest.txt").write_text(
        f"format 1\narch riscv64\nkernel-release {release}\nkernel-suite trixie\n"
        f"file {digest} 25 Image\ncomplete\n")


def test_runner_expands_linux_tests_and_skips_unavailable_suite():
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "images" / "riscv64"
        _fake_complete_set(cache / "stable")
        (cache / "unstable").mkdir(parents=True)
        (cache / "unstable" / "unavailable.txt").write_text(
            "sid not fetched: simulated mirror failure\n# date\n")
        tests = _discover(tmp)
        smp = "test_linux.test_linux_smp_boots_to_shell_beside_baremetal"
        assert f"{smp}[stable]" in tests and f"{smp}[unstable]" in tests, sorted(tests)
        assert smp not in tests, "a kernel-matrix test also ran without a suite"
        assert tests[f"{smp}[stable]"][4] is None and tests[f"{smp}[stable]"][5] == "stable"
        assert tests[f"{smp}[unstable]"][4] == "sid not fetched: simulated mirror failure"
        # The decorator form, and a bare-metal test of the same module, which runs once.
        assert "test_virtio.test_blk_slices_isolated[unstable]" in tests
        bare = "test_virtio.test_blk_slice_outside_disk_not_created"
        assert bare in tests and tests[bare][5] is None
        assert not [n for n in tests if n.startswith(bare + "[")]
        assert not [n for n in tests if n.startswith("test_hyp_guests.") and "[" in n]
        # Only one suite asked for: no [unstable] at all.
        only = _discover(tmp, ("stable",))
        assert f"{smp}[stable]" in only and f"{smp}[unstable]" not in only
        # Never fetched (no manifest, no unavailable.txt): not skipped, the test will fail.
        (cache / "unstable" / "unavailable.txt").unlink()
        assert _discover(tmp)[f"{smp}[unstable]"][4] is None


def _fetch(cache, *args):
    env = dict(os.environ, FERROVISOR_DEBIAN_MIRROR=DEAD_MIRROR,
               FERROVISOR_DEBIAN_SECURITY=DEAD_MIRROR + "-security")
    res = subprocess.run(["sh", str(FETCH), "--arch", "riscv64", "--cache", str(cache)]
                         + list(args), capture_output=True, text=True, env=env, timeout=240)
    return res.returncode, res.stdout + res.stderr


@fvtest.timeout(300)
def test_fetch_unfetchable_suite_keeps_cached_set_or_records_reason():
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        _fake_complete_set(cache / "stable")
        rc, out = _fetch(cache, "--matrix")
        # stable: the earlier set is kept and said so; unstable: the reason is recorded.
        assert rc == 0, out
        assert "stable: fetch failed" in out and "keeping the set cached before: " \
            "kernel 6.12.0+fake-riscv64" in out, out
        assert not (cache / "stable" / "unavailable.txt").exists()
        why = (cache / "unstable" / "unavailable.txt").read_text().splitlines()[0]
        assert why.startswith("sid not fetched: ") and "127.0.0.1:9" in why, why
        assert not (cache / "unstable" / "manifest.txt").exists()
        assert "usable kernel suites: stable" in out, out
        # Neither suite usable: the only case in which the fetch fails.
        (cache / "stable" / "manifest.txt").unlink()
        rc, out = _fetch(cache, "--matrix")
        assert rc == 1 and "no kernel suite usable" in out, (rc, out)
        why = (cache / "stable" / "unavailable.txt").read_text().splitlines()[0]
        assert why.startswith("trixie trixie-security not fetched: "), why
        # One suite alone: exit 3 for "unavailable".
        rc, out = _fetch(cache / "unstable", "--kernel", "unstable")
        assert rc == 3, (rc, out)
        # The stable kernel is never taken from sid, whatever the suites say.
        rc, out = _fetch(cache / "stable", "--kernel", "stable", "--suites", "trixie sid")
        assert rc == 1 and "never takes a kernel from 'sid'" in out, (rc, out)
