# SPDX-License-Identifier: MIT
"""Keeps the benchmark harness from rotting: `bench/ferrobench.py --smoke` measures one tiny
figure (the null SBI call, natively and under Ferrovisor, one boot each) end to end and
writes its JSON, Markdown report and chart. Only the plumbing is checked, never a timing."""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import fvtest

HARNESS = fvtest.REPO_ROOT / "bench" / "ferrobench.py"


@fvtest.timeout(120)
def test_bench_smoke_end_to_end():
    with tempfile.TemporaryDirectory(prefix="fv-bench-smoke-") as tmp:
        out = Path(tmp)
        res = subprocess.run([sys.executable, str(HARNESS), "--smoke", "--out", str(out)],
                             cwd=str(fvtest.REPO_ROOT), capture_output=True, text=True,
                             timeout=90)
        log = (res.stdout + res.stderr)[-3000:]
        if res.returncode != 0:
            raise fvtest.TestFailure(f"ferrobench --smoke exited {res.returncode}:\n{log}")
        data = json.loads((out / "latest.json").read_text())
        assert not data["errors"], f"suite errors: {data['errors']}\n{log}"
        fig = data["figures"].get("sbi_null_roundtrip")
        assert fig, f"no sbi_null_roundtrip figure:\n{log}"
        for key in ("unit", "runs", "method"):
            assert fig.get(key), f"figure lacks {key}: {fig}"
        for side in ("native", "ferrovisor"):
            s = fig[side]
            assert s["n"] >= 1 and s["min"] <= s["median"] <= s["max"], f"{side}: {s}"
            assert s["median"] > 0, f"{side}: no instructions counted: {s}"
        entry = data["figures"].get("hyp_entry_to_guest", {}).get("ferrovisor", {})
        assert entry.get("median", 0) > 0, "no hypervisor entry-to-guest figure"
        md = (out / "latest.md").read_text()
        assert "Null SBI call round trip" in md and "## Methods" in md, md[:2000]
        if shutil.which("gnuplot"):
            png = out / "latest.png"
            assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", \
                f"no PNG chart although gnuplot is installed:\n{log}"
        else:
            assert "chart skipped" in log or data["meta"].get("chart_skipped"), log
