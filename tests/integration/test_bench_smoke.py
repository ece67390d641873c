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


def _bench_modules():
    sys.path.insert(0, str(fvtest.REPO_ROOT / "bench"))
    from fvbench import blk, net  # noqa: E402  (the harness's own modules)
    return blk, net


@fvtest.timeout(120)
def test_bench_io_tool_and_host_protocol():
    """The I/O benchmarks' guest tool (bench/guest/fvio) built for this host by its own
    Makefile: `fvio blk` on a stamped image file checks every block it reads, and the
    harness's host side (net.host_transfer) moves data both ways with `fvio serve`, also
    when cut short by its time limit. No QEMU, no timing judged."""
    blk, net = _bench_modules()
    fvtest.BUILD_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fv-bench-io-", dir=fvtest.BUILD_DIR) as tmp:
        out = Path(tmp)
        res = subprocess.run(["make", "-s", "-C", str(fvtest.REPO_ROOT / "bench" / "guest"),
                              "CROSS=", f"OUT={out}"], capture_output=True, text=True,
                             timeout=60)
        assert res.returncode == 0, f"host build of fvio failed:\n{res.stdout}{res.stderr}"
        tool = str(out / "fvio")
        disk = blk.make_disk(out / "disk.img", mib=4)
        res = subprocess.run([tool, "blk", str(disk), "2", "200", "30"], capture_output=True,
                             text=True, timeout=60)
        lines = [json.loads(l) for l in res.stdout.splitlines() if l.startswith("{")]
        assert res.returncode == 0, f"fvio blk exited {res.returncode}: {res.stdout}{res.stderr}"
        assert [o["test"] for o in lines] == ["seq_write", "seq_read", "rand_write",
                                              "rand_read", "rand_write_qd32",
                                              "rand_read_qd32"], lines
        for o in lines:
            assert o["errors"] == 0 and o["ops"] > 0 and o["ns"] > 0, o
        # The QD32 tests: 32 threads made all 200 requests between them.
        for o in lines[4:]:
            assert o["qd"] == 32 and o["ops"] == 200, o
        port = net.free_port()
        srv = subprocess.Popen([tool, "serve", str(port)], stdout=subprocess.PIPE, text=True)
        try:
            ready = json.loads(srv.stdout.readline())
            assert ready["bench"] == "fvio_serve_ready", ready
            for op in ("W", "R"):
                got, secs = net.host_transfer(port, op, 4 << 20)
                assert got == 4 << 20 and secs > 0, (op, got, secs)
                # Cut short at once: whatever moved is counted, and the server goes on.
                got, secs = net.host_transfer(port, op, 1 << 40, max_s=0.2)
                assert 0 < got < 1 << 40, (op, got)
            got, _ = net.host_transfer(port, "W", 1 << 20)
            assert got == 1 << 20
        finally:
            srv.kill()
            srv.wait(timeout=10)


@fvtest.timeout(120)
def test_bench_io_tool_cross_builds():
    """bench/guest/fvio builds as a static riscv64 Linux program (what the I/O benchmarks
    pack into the guest initramfs)."""
    if not Path("/usr/riscv64-linux-gnu/include/stdio.h").is_file():
        raise fvtest.Skip("static riscv64 libc missing (apt-get install libc6-dev-riscv64-cross)")
    fvtest.BUILD_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fv-bench-io-", dir=fvtest.BUILD_DIR) as tmp:
        res = subprocess.run(["make", "-s", "-C", str(fvtest.REPO_ROOT / "bench" / "guest"),
                              f"OUT={tmp}"], capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, f"cross build of fvio failed:\n{res.stdout}{res.stderr}"
        elf = (Path(tmp) / "fvio").read_bytes()
        assert elf[:4] == b"\x7fELF" and elf[18:20] == b"\xf3\x00", "not a riscv64 ELF"
        # Static: no program header of type PT_INTERP (3), no loader needed at run time.
        phoff = int.from_bytes(elf[0x20:0x28], "little")
        phentsize = int.from_bytes(elf[0x36:0x38], "little")
        phnum = int.from_bytes(elf[0x38:0x3a], "little")
        types = [int.from_bytes(elf[phoff + i * phentsize:phoff + i * phentsize + 4], "little")
                 for i in range(phnum)]
        assert types and 3 not in types, f"fvio is dynamically linked (p_types {types})"
