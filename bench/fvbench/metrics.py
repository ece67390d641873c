# SPDX-License-Identifier: MIT
"""What metrics cost (issue 12): instructions per VM exit with the hypervisor's statistics
counters compiled in (the normal build) and out (FEATURES=nometrics, built here into
build/bench/nometrics), under -icount shift=0; and the latency of a Prometheus scrape, GET
/metrics through the 127.0.0.1 forward to ferrovisord in the service VM, which reads every
counter over the control channel (wall clock)."""

import socket
import statistics
import subprocess
import time
import urllib.request

from .common import (BUILD, ICOUNT, ROOT, BenchError, compile_config, figure, log, qemu,
                     side, static_config)
from .micro import _sbi_run
import fvtest  # noqa: E402  (path set up by common)

DET = "deterministic"
NOMETRICS = BUILD / "bench" / "nometrics"
SCRAPES = 40
SVC_IMAGES = BUILD / "images" / "stable"


def _nometrics_bin():
    """The hypervisor with the counter updates compiled out (core/stat.h)."""
    log("building the hypervisor with FEATURES=nometrics into build/bench/nometrics")
    r = subprocess.run(["make", "-s", "hyp", f"BUILD={NOMETRICS}", "FEATURES=nometrics"],
                       cwd=str(ROOT), capture_output=True, text=True)
    if r.returncode != 0:
        raise BenchError("nometrics build failed: " + (r.stderr or r.stdout)[-500:])
    return NOMETRICS / "riscv64" / "ferrovisor.bin"


def _exit_cost(runs):
    cfg = static_config("sbi")
    off_bin = _nometrics_bin()
    on, off = [], []
    for i in range(runs):
        cmd_on = fvtest.qemu_riscv_cmd(BUILD / "riscv64" / "ferrovisor.bin", smp=1, mem="1G",
                                       extra=["-initrd", str(cfg)] + ICOUNT)
        cmd_off = fvtest.qemu_riscv_cmd(off_bin, smp=1, mem="1G",
                                        extra=["-initrd", str(cfg)] + ICOUNT)
        on.append(_sbi_run(cmd_on, f"metrics-exit-on-{i}", True)[0])
        off.append(_sbi_run(cmd_off, f"metrics-exit-off-{i}", True)[0])
    fig = figure(
        "VM exit (null SBI call) with statistics counters on vs off", DET,
        "instructions per exit", runs,
        "bench_sbi guest under Ferrovisor, 1 vCPU, -smp 1, -icount shift=0,sleep=off: "
        "rdinstret per SBI BASE get_spec_version round trip (one VS ecall exit), with the "
        "normal build (counters on: per-vCPU exits and exits by cause, per-CPU exits, SBI "
        "calls by extension) and with FEATURES=nometrics (STAT_INC compiled out). "
        "ferrovisor = counters on; counters_off = the same without them.",
        ferrovisor=side(on), counters_off=side(off))
    fig["counters_cost"] = statistics.median(on) - statistics.median(off)
    return fig


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _scrape_latency():
    for f in ("Image", "svc-initramfs.cpio.gz"):
        if not (SVC_IMAGES / f).is_file():
            raise BenchError(f"{SVC_IMAGES / f} missing: `make images` and the service VM "
                             "layer (`make guest-libs`)")
    text = (ROOT / "tests" / "integration" / "configs" / "linux-svc-metrics.dts").read_text()
    cfg = compile_config(text, "metrics-svc", include_dirs=(SVC_IMAGES,))
    port = _free_port()
    disk = BUILD / "bench" / "metrics-disk.img"
    extra = ["-netdev", f"user,id=up0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:8080",
             "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.0"]
    extra += fvtest.virtio_disk(disk, 1, size="16M")
    cmd = fvtest.qemu_riscv_cmd(BUILD / "riscv64" / "ferrovisor.bin", smp=2, mem="1G",
                                extra=["-initrd", str(cfg)] + extra)
    url = f"http://127.0.0.1:{port}/metrics"
    with qemu(cmd, "metrics-scrape") as q:
        q.expect(r"FV-SERVICE: ferrovisord pid \d+", 400)
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url, timeout=20).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise BenchError("daemon not reachable through the forward")
                time.sleep(2)
        lat, size = [], 0
        for _ in range(SCRAPES):
            t0 = time.monotonic()
            body = urllib.request.urlopen(url, timeout=20).read()
            lat.append((time.monotonic() - t0) * 1000.0)
            size = len(body)
            time.sleep(0.1)
    return figure(
        "Prometheus scrape latency (GET /metrics through the forward)", "wall-clock", "ms",
        SCRAPES,
        f"{SCRAPES} sequential GET /metrics from the host through QEMU's user-net forward to "
        "ferrovisord (hvc backend) in a Linux service VM beside two bare-metal VMs "
        "(tests/integration/configs/linux-svc-metrics.dts), no icount; each scrape reads "
        "HOST_METRICS, VM_LIST, then 3 x VM_METRICS and NET_METRICS sent together, over the "
        "control channel "
        f"(answered on the hypervisor's 10 ms console tick). Exposition: {size} bytes.",
        ferrovisor=side(lat), exposition_bytes=size)


def bench_metrics(runs):
    """Counter cost per exit (-icount) and scrape latency (wall clock)."""
    out = {"metrics_exit_cost": _exit_cost(runs)}
    out["metrics_scrape_latency"] = _scrape_latency()
    return out
