# SPDX-License-Identifier: MIT
"""Live migration (docs/snapshots.md "Live migration"), wall-clock, through the whole stack:
two QEMU hosts, each Ferrovisor with the Linux service VM and ferrovisord (hvc backend), the
source's daemon streaming to the destination's over user-mode networking (10.0.2.2, the
host). `ferrovisor --api SRC migrate VM --to DST` moves a VM and prints the rounds, bytes,
downtime (final pause to the destination running it) and total time. Two VMs:
- idle: guests/hello (waits for its timer, a heartbeat now and then; a few pages dirty);
- busy: guests/migrate_beat (two vCPUs rewriting 2 MiB of tables, 4 MiB written once).
Each run moves both VMs to the other host and back. No native side: nothing to compare with.
Then the Linux cases (a 512 MiB VM idle, under a moderate and under a heavy writer) of
migrate_linux.py on two new hosts.
"""

import os
import re
import subprocess
import time

from .common import (BUILD, BenchError, compile_config, failed, figure, hyp_cmd, log, qemu,
                     side)
from .linux import ensure_images
from .mgmt import SVC_DIR, TOKEN_RE, TOOL, _free_port
# The two hosts' configuration and the CLI's result line are the Linux cases' too.
from .migrate_linux import CONFIG, OUT_RE, SVC, bench_migrate_linux

VMS = """		idle { vcpus = <1>; memory-size = /bits/ 64 <0x2000000>; kernel = /incbin/("hello.bin"); autostart; };
		busy { vcpus = <2>; memory-size = /bits/ 64 <0x2000000>; kernel = /incbin/("migrate_beat.bin"); autostart; };
"""


def _migrate(url, token, vm, to, to_token):
    env = {k: v for k, v in os.environ.items()
           if k not in ("FERROVISOR_API", "FERROVISOR_TOKEN", "FERROVISOR_TO_TOKEN")}
    env["FERROVISOR_TOKEN"], env["FERROVISOR_TO_TOKEN"] = token, to_token
    p = subprocess.run([str(TOOL), "--api", url, "migrate", vm, "--to", to],
                       capture_output=True, text=True, timeout=900, env=env)
    m = OUT_RE.search(p.stdout)
    if p.returncode != 0 or not m:
        raise BenchError(f"migrate {vm} failed (exit {p.returncode}): {p.stderr.strip()[-300:]}")
    rounds = len(re.findall(r"^round ", p.stdout, re.M))
    return int(m.group(1)), float(m.group(2)), float(m.group(3)), rounds


def _wait_daemon(url, token):
    env = {k: v for k, v in os.environ.items() if k not in ("FERROVISOR_API",)}
    env["FERROVISOR_TOKEN"] = token
    deadline = time.monotonic() + 300
    while subprocess.run([str(TOOL), "--api", url, "vm", "list"], capture_output=True,
                         timeout=120, env=env).returncode != 0:
        if time.monotonic() > deadline:
            raise BenchError(f"daemon at {url} not answering")
        time.sleep(2)


def bench_migrate(runs):
    """Live-migration downtime and total time, idle vs busy-writing VM (wall-clock ms)."""
    ensure_images()
    for f in (TOOL, SVC_DIR / "svc-initramfs.cpio.gz", BUILD / "guests" / "migrate_beat.bin"):
        if not f.is_file():
            raise BenchError(f"{f} missing: run `make all images svc test-configs`")
    cfg_a = compile_config(CONFIG % ("source", SVC + VMS), "migrate-a", include_dirs=[SVC_DIR])
    cfg_b = compile_config(CONFIG % ("destination", SVC), "migrate-b", include_dirs=[SVC_DIR])
    ports = [_free_port(), _free_port()]

    def net(port):
        return ["-netdev", f"user,id=up0,restrict=off,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:8080",
                "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.0"]

    figs = {"idle": {"down": [], "total": [], "bytes": [], "rounds": []},
            "busy": {"down": [], "total": [], "bytes": [], "rounds": []}}
    with qemu(hyp_cmd(cfg_a, mem="1G", icount=False, extra=net(ports[0])), "migrate-a") as a, \
            qemu(hyp_cmd(cfg_b, mem="1G", icount=False, extra=net(ports[1])), "migrate-b") as b:
        toks = [q.expect_seen(r"^\[svc\] " + TOKEN_RE.pattern, 900).group(1) for q in (a, b)]
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        for u, t in zip(urls, toks):
            _wait_daemon(u, t)
        a.expect_seen(r"^\[busy\] progress 1/", 300)
        where = {"idle": 0, "busy": 0}
        for i in range(runs):
            for vm in ("idle", "busy"):
                for _ in range(2):  # there and back
                    s = where[vm]
                    d = 1 - s
                    nbytes, down, total, rounds = _migrate(urls[s], toks[s], vm,
                                                           f"http://10.0.2.2:{ports[d]}", toks[d])
                    where[vm] = d
                    f = figs[vm]
                    f["down"].append(down)
                    f["total"].append(total)
                    f["bytes"].append(nbytes)
                    f["rounds"].append(rounds)
                    log(f"migrate: {vm} {'ab'[s]}->{'ab'[d]}: {nbytes} bytes, {rounds} rounds, "
                        f"downtime {down:.0f} ms, total {total:.0f} ms")
    out = {}
    what = {"idle": "an idle VM (guests/hello, 32 MiB)",
            "busy": "a busy-writing VM (guests/migrate_beat, 2 vCPUs rewriting 2 MiB, 32 MiB)"}
    for vm, f in figs.items():
        method = ("`ferrovisor migrate` between two QEMU hosts over user-mode networking, "
                  f"figures the source daemon reports; streams of {min(f['bytes'])}.."
                  f"{max(f['bytes'])} bytes in {min(f['rounds'])}..{max(f['rounds'])} rounds; "
                  "the machine is shared (noisy)")
        out[f"migrate_downtime_{vm}"] = figure(
            f"Live-migration downtime of {what[vm]}", "wall-clock", "ms", len(f["down"]),
            "final pause to the destination's answer (VM running there); " + method,
            ferrovisor=side(f["down"]))
        out[f"migrate_total_{vm}"] = figure(
            f"Live-migration total time of {what[vm]}", "wall-clock", "ms", len(f["total"]),
            "start to the destination's answer; " + method, ferrovisor=side(f["total"]))
    # The Linux cases (idle, moderate, heavy writer) on two new hosts.
    try:
        out.update(bench_migrate_linux(runs))
    except Exception as e:  # noqa: BLE001 - BenchError, or the console driver's TestFailure
        out["migrate_linux"] = failed("Live migration of a Linux VM",
                                      f"{type(e).__name__}: {e}")
    return out
