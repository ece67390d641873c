# SPDX-License-Identifier: MIT
"""Debian Linux guests: the benchmark initramfs layer, VM configurations, boot time
(wall-clock) and a CPU-bound workload inside Linux (deterministic)."""

import subprocess
import time

from . import cpio
from .common import (IMAGE_DIR, QUIET_PERCENT, ROOT, WORK, BenchError, compile_config,
                     config_text, figure, hyp_cmd, log, native_cmd, qemu, quiet_runs,
                     read_json, side, stats)

MARKER = r"FERROVISOR-INIT: up"
BOOTARGS = "console=ttyS0 earlycon=sbi"
GUEST_MIB = 512

# /etc/fv-bench, run by the initramfs /init with fv.init=bench (scripts/fetch-guest-images.sh).
# Two busybox loops, each timed by /proc/uptime (10 ms) and by /proc/timer_list's "now at"
# (ns of the kernel's monotonic clock) around the whole command, fork/exec included, after
# a pause that lets the kernel's deferred boot work finish (it slowed the first repetition).
AWK_N = 80000
SH_N = 40000
REPS = 5
SETTLE_S = 2  # let boot-time deferred kernel work finish first (free under icount sleep=off)
FV_BENCH = f"""#!/bin/sh
# Ferrovisor benchmark layer (bench/fvbench/linux.py): CPU-bound busybox loops.
now_ns() {{ awk '/^now at/ {{ print $3; exit }}' /proc/timer_list 2>/dev/null; }}
up() {{ cut -d' ' -f1 /proc/uptime; }}
emit() {{
	echo "{{\\"bench\\":\\"linux_cpu\\",\\"work\\":\\"$1\\",\\"rep\\":$2,\\"result\\":$3,\\"uptime\\":[$4,$5],\\"ns\\":[${{6:-0}},${{7:-0}}]}}"
}}
sleep {SETTLE_S}
for rep in $(seq 1 {REPS}); do
	u0=$(up); n0=$(now_ns)
	r=$(awk -v n={AWK_N} 'BEGIN {{ s = 0; for (i = 0; i < n; i++) s = (s * 31 + i) % 1000003; print s }}')
	n1=$(now_ns); u1=$(up)
	emit awk "$rep" "$r" "$u0" "$u1" "$n0" "$n1"
	u0=$(up); n0=$(now_ns)
	i=0; s=0
	while [ $i -lt {SH_N} ]; do i=$((i + 1)); s=$(((s * 31 + i) % 1000003)); done
	n1=$(now_ns); u1=$(up)
	emit sh "$rep" "$s" "$u0" "$u1" "$n0" "$n1"
done
echo '{{"bench":"linux_cpu_done"}}'
"""


def ensure_images():
    """The cached Debian kernel and initramfs; fetched with `make images` if missing."""
    if not (IMAGE_DIR / "manifest.txt").is_file():
        log("Linux images missing: running `make images` (downloads Debian packages)")
        res = subprocess.run(["make", "-s", "images"], cwd=str(ROOT))
        if res.returncode != 0:
            raise BenchError("`make images` failed: Linux figures not measured")
    for f in ("Image", "initramfs.cpio.gz"):
        if not (IMAGE_DIR / f).is_file():
            raise BenchError(f"{IMAGE_DIR / f} missing (run `make images`)")
    return IMAGE_DIR / "Image", IMAGE_DIR / "initramfs.cpio.gz"


def bench_initramfs():
    """build/bench/linux/initramfs-bench.cpio.gz: the cached initramfs + the /etc/fv-bench
    layer appended (Linux unpacks concatenated archives in order)."""
    _, base = ensure_images()
    out_dir = WORK / "linux"
    out_dir.mkdir(parents=True, exist_ok=True)
    layer = cpio.gz_layer([("etc/fv-bench", cpio.S_IFREG | 0o755, FV_BENCH.encode())])
    out = out_dir / "initramfs-bench.cpio.gz"
    out.write_bytes(base.read_bytes() + layer)
    return out


def linux_config(name, vcpus, init_mode, initrd):
    """A configuration with one Linux VM (`linux`) of `vcpus` vCPUs and GUEST_MIB MiB."""
    node = (f'\t\tlinux {{ vcpus = <{vcpus}>; memory-size = /bits/ 64 '
            f'<0x{GUEST_MIB << 20:x}>; kernel = /incbin/("Image"); '
            f'initrd = /incbin/("{initrd.name}"); '
            f'bootargs = "{BOOTARGS} fv.init={init_mode}"; autostart; }};\n')
    return compile_config(config_text([node], f"Linux {vcpus} vCPU, fv.init={init_mode}"),
                          name, include_dirs=(IMAGE_DIR, initrd.parent))


def _cpu_run(cmd, name, vm):
    with qemu(cmd, name) as q:
        objs = read_json(q, lambda o: o["bench"] == "linux_cpu_done", 900, vm=vm)
    out = {}
    for o in objs:
        if o["bench"] != "linux_cpu":
            continue
        ns0, ns1 = o["ns"]
        secs = (ns1 - ns0) / 1e9 if ns0 and ns1 else o["uptime"][1] - o["uptime"][0]
        out.setdefault(o["work"], []).append((secs, o["result"]))
    return out


def bench_linux_cpu(runs):
    """busybox awk and sh loops in Linux, 1 vCPU, -icount: virtualized / native."""
    kernel, _ = ensure_images()
    initrd = bench_initramfs()
    cfg = linux_config("linux-cpu", 1, "bench", initrd)
    res = {"native": {}, "ferrovisor": {}}
    for i in range(runs):
        for kind, cmd, vm in (
                ("native", native_cmd(kernel, smp=1, mem=f"{GUEST_MIB}M", extra=[
                    "-initrd", str(initrd), "-append", f"{BOOTARGS} fv.init=bench"]), None),
                ("ferrovisor", hyp_cmd(cfg, smp=1, mem="2G"), "linux")):
            log(f"linux cpu workload: {kind} run {i + 1}/{runs}")
            for work, vals in _cpu_run(cmd, f"linux-cpu-{kind}-{i}", vm).items():
                res[kind].setdefault(work, []).extend(vals)
    out = {}
    for work, what, n in (("awk", "busybox awk arithmetic loop", AWK_N),
                          ("sh", "busybox ash arithmetic while-loop", SH_N)):
        nat, virt = res["native"].get(work), res["ferrovisor"].get(work)
        if not nat or not virt:
            raise BenchError(f"linux cpu workload: no {work} samples")
        if {r for _, r in nat} != {r for _, r in virt}:
            raise BenchError(f"linux cpu workload: {work} results differ native/virtualized")
        out[f"linux_cpu_{work}"] = figure(
            f"CPU-bound workload inside Linux: {what}", "deterministic",
            "emulated seconds", runs,
            f"/etc/fv-bench from an extra initramfs layer, booted with fv.init=bench: {n} "
            f"iterations, {REPS} repetitions per boot after a {SETTLE_S} s pause, each timed by "
            "the guest kernel's "
            "monotonic clock (/proc/timer_list `now at`, ns; /proc/uptime as fallback) around "
            "the command including fork/exec; Debian kernel, 1 vCPU, 512 MiB, QEMU -smp 1, "
            "-icount shift=0,sleep=off. The guest's clock is emulated time, so this is path "
            "length, hypervisor timer ticks and exits included.",
            native=side([s for s, _ in nat]), ferrovisor=side([s for s, _ in virt]))
        f = out[f"linux_cpu_{work}"]
        f["overhead_percent"] = (f["ratio"] - 1) * 100
    return out


def _boot_once(cmd, name, vm):
    prefix = rf"^\[{vm}\] " if vm else r"^"
    with qemu(cmd, name) as q:
        q.expect(prefix + MARKER, 300)
        return time.monotonic() - q.started_at


def bench_linux_boot(runs):
    """QEMU start → `FERROVISOR-INIT: up`, native vs Ferrovisor, interleaved, wall-clock."""
    kernel, base = ensure_images()
    cfg = linux_config("linux-boot", 2, "poweroff", base)

    def one_pair(i):
        log(f"linux boot: pair {i + 1}")
        n = _boot_once(native_cmd(kernel, smp=2, mem=f"{GUEST_MIB}M", icount=False,
                                  extra=["-initrd", str(base), "-append",
                                         f"{BOOTARGS} fv.init=poweroff"]),
                       f"linux-boot-native-{i}", None)
        v = _boot_once(hyp_cmd(cfg, smp=2, mem="2G", icount=False),
                       f"linux-boot-ferrovisor-{i}", "linux")
        return n, v

    pairs, quiet = quiet_runs(one_pair, runs, "linux boot")
    nat, virt = [p[0] for p in pairs], [p[1] for p in pairs]
    pair = [v / n for n, v in zip(nat, virt)]
    return {"linux_boot": figure(
        "Linux boot to /init marker, Ferrovisor / native", "wall-clock", "ratio", runs,
        "wall time from starting QEMU to the console line `FERROVISOR-INIT: up` printed by "
        "the initramfs /init; Debian kernel + busybox initramfs, 2 vCPUs on QEMU -smp 2 "
        "(MTTCG, no icount), 512 MiB guest RAM; native and Ferrovisor boots in pairs, a pair "
        f"repeated (at most 3 extra pairs) when other processes used more than {QUIET_PERCENT:.0f} % "
        "of the host CPU during it; ratio of medians (per-pair ratios in `pair_ratio`). "
        "Absolute seconds are TCG artefacts and shown only for context.",
        native=side(nat), ferrovisor=side(virt), pair_ratio=stats(pair), host_load=quiet)}
