# SPDX-License-Identifier: MIT
"""Readable report (Markdown) and chart (gnuplot PNG) from the results dict."""

import shutil
import subprocess

NOT_MEASURED = "not measured"


def fmt(v, digits=4):
    """Compact number: integers as such, others to `digits` significant digits."""
    if v is None:
        return "–"
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) >= 10):
        return f"{int(v):,}".replace(",", " ")
    if abs(v) >= 1000:
        return f"{v:,.0f}".replace(",", " ")
    return f"{v:.{digits}g}"


def mmm(s):
    """min / median / max of a stats dict."""
    if not s:
        return "–"
    return f"{fmt(s['min'])} / **{fmt(s['median'])}** / {fmt(s['max'])}"


def versus(f):
    """The comparison the figure leads with: a difference or a ratio (+ overhead %)."""
    if "delta" not in f:
        return "–"
    of = " (of min)" if f.get("compare_stat") == "min" else ""
    if f.get("compare") == "delta" or "ratio" not in f:
        d = f["delta"]
        return ("+" if d > 0 else "") + fmt(d) + of
    return f"× {f['ratio']:.4g} ({(f['ratio'] - 1) * 100:+.2f} %)"


def n_of(f):
    ns = [f[k]["n"] for k in ("native", "ferrovisor") if k in f]
    return "/".join(str(x) for x in ns) if ns else "–"


def _foreign(res, *suites):
    """A sentence on the foreign CPU load during wall-clock suites (None if unknown)."""
    fl = res["meta"].get("foreign_cpu_percent", {})
    parts = [f"{s} {fl[s]} %" for s in suites if fl.get(s) is not None]
    if not parts:
        return []
    return [f"Other processes on the host used {', '.join(parts)} of its CPU time while these "
            "ran (measured from /proc/stat minus this harness and its QEMUs); wall-clock "
            "figures degrade as that grows.", ""]


def _repeated(f, sep=", "):
    """Note on runs repeated because the host was busy (empty if none)."""
    n = (f.get("host_load") or {}).get("repeated", 0)
    return f"{sep}{n} run(s) repeated because other processes loaded the host" if n else ""


def _io_figs(res):
    """Throughput figures (higher is better) that have both sides."""
    return [(k, f) for k, f in res["figures"].items()
            if f.get("higher_is_better") and "ratio" in f]


def _io_section(res):
    """Markdown of the virtio throughput figures: both sides, % of native, per-pair spread."""
    io = _io_figs(res)
    if not io:
        return []
    out = ["### VirtIO throughput inside Linux (higher is better)", "",
           "Ferrovisor as % of native = ratio of the medians; the per-pair column shows the "
           "spread of Ferrovisor / native over the native-Ferrovisor pairs (boots back to "
           "back).", ""]
    out += _foreign(res, "blk", "net")
    out += ["| Figure | Unit | Native | Ferrovisor | % of native | per pair (%) | runs | n |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for k, f in io:
        pr = f.get("pair_ratio")
        pct = {x: pr[x] * 100 for x in ("min", "median", "max")} if pr else None
        rep_n = (f.get("host_load") or {}).get("repeated", 0)
        out.append(f"| {f['title']} (`{k}`) | {f['unit']} | {mmm(f['native'])} | "
                   f"{mmm(f['ferrovisor'])} | **{f['ratio'] * 100:.1f} %** | {mmm(pct)} | "
                   f"{f['runs']}{f' (+{rep_n} repeated, host busy)' if rep_n else ''} | "
                   f"{n_of(f)} |")
    notes = []
    for k, f in io:
        c = f.get("capped_transfers")
        if c and any(c):
            notes.append(f"`{k}`: {c[0]} native / {c[1]} Ferrovisor transfer(s) cut short "
                         "at the time limit (they count the bytes they moved)")
        r, full = f.get("requests"), f.get("requests_complete")
        if r and full:
            cut = {side: sum(1 for x in v if x < full) for side, v in r.items()}
            if any(cut.values()):
                notes.append(f"`{k}`: stopped at the time limit in {cut.get('native', 0)} "
                             f"native / {cut.get('ferrovisor', 0)} Ferrovisor boot(s) "
                             f"(complete: {full} requests; the figure counts those made)")
    if notes:
        out += [""] + [f"- {n}" for n in notes]
    out.append("")
    return out


def _mgmt_section(res):
    """The management plane (bench/fvbench/mgmt.py): hypervisor-only wall-clock figures."""
    figs = [(k, f) for k, f in res["figures"].items()
            if k.startswith("mgmt_") and f.get("kind") == "wall-clock"]
    if not figs:
        return []
    out = ["## Management plane (CLI -> REST -> service VM -> control channel)", "",
           "| Figure | Unit | Value | p95 | runs |", "| --- | --- | --- | --- | --- |"]
    for k, f in figs:
        fv = f.get("ferrovisor")
        if fv:
            p95 = fmt(fv["p95"]) if "p95" in fv else ""
            out.append(f"| {f['title']} (`{k}`) | {f['unit']} | {mmm(fv)} | {p95} | "
                       f"{f['runs']} |")
    for k, f in figs:
        if "init_marker_s" in f:
            up = f.get("upload_mb_per_s")
            out.append("")
            out.append(f"`{k}`: initramfs marker after {mmm(f['init_marker_s'])} s"
                       + (f"; upload {mmm(up)} MB/s" if up else "") + ".")
        if "daemon_rss_kib" in f:
            out.append("")
            out.append(f"`{k}`: ferrovisord RSS {fmt(f['daemon_rss_kib'])} KiB; the service VM "
                       f"uses {fmt(f['vm_mem_used_kib'])} KiB of {fmt(f['vm_mem_total_kib'])} "
                       "KiB (MemTotal - MemAvailable).")
    out.append("")
    return out


def _console_section(res):
    """Console input latency (bench/fvbench/console.py): native vs Ferrovisor, median and p95."""
    f = res["figures"].get("console_input_latency")
    if not f or "native" not in f or "ferrovisor" not in f:
        return []
    n, v = f["native"], f["ferrovisor"]
    return ["## Console input (byte typed -> guest's answer, wall-clock)", "",
            "| Figure | Unit | Native | p95 | Ferrovisor | p95 | runs | n |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
            f"| {f['title']} (`console_input_latency`) | {f['unit']} | {mmm(n)} | "
            f"{fmt(n.get('p95', 0))} | {mmm(v)} | {fmt(v.get('p95', 0))} | {f['runs']} | "
            f"{n_of(f)} |", ""]


def _figs(res, kind):
    return [(k, f) for k, f in res["figures"].items() if f.get("kind") == kind]


def markdown(res):
    m = res["meta"]
    out = [
        "# Ferrovisor benchmark report", "",
        f"Generated {m['date']} by `bench/ferrobench.py` ({m['mode']} mode) in "
        f"{m['wall_seconds']:.0f} s. Commit `{m['commit']}`{' (with local changes)' if m['dirty'] else ''}; "
        f"{m['qemu']}; host: {m['host_cpus']} CPU(s), load average {m['loadavg_start']} at "
        f"start, {m['loadavg_end']} at the end.", "",
        "Native and Ferrovisor runs use the same guest binaries on the same QEMU in this one "
        "run. **Deterministic** figures run under `-icount shift=0,sleep=off`: one emulated ns "
        "per instruction, so they are exact path lengths that repeat run after run (the "
        "min/median/max spread comes from the samples, not from noise). **Wall-clock** figures "
        "are medians of several runs under plain TCG and are meaningful only as ratios (noise "
        "on these hosts is about ±30 %, more when other work shares the machine: the report "
        "gives the share of CPU time other processes took meanwhile). Nothing here is a pass/fail test. Values are "
        "min / **median** / max; *n* = samples per side (native/Ferrovisor); *runs* = QEMU "
        "boots per side. Methods: docs/performance.md and the Methods section below.", "",
    ]
    det = _figs(res, "deterministic")
    if det:
        out += ["## Deterministic figures (-icount)", "",
                "| Figure | Unit | Native | Ferrovisor | Ferrovisor vs native | runs | n |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        for k, f in det:
            if k.startswith("hyp_") or k == "vm_create":
                continue
            out.append(f"| {f['title']} (`{k}`) | {f['unit']} | {mmm(f.get('native'))} | "
                       f"{mmm(f.get('ferrovisor'))} | {versus(f)} | {f['runs']} | {n_of(f)} |")
        out += ["", "### Hypervisor-only figures", "", "| Figure | Unit | Value | runs | n |",
                "| --- | --- | --- | --- | --- |"]
        for k, f in det:
            if k.startswith("hyp_") or k == "vm_create":
                out.append(f"| {f['title']} (`{k}`) | {f['unit']} | {mmm(f.get('ferrovisor'))} "
                           f"| {f['runs']} | {n_of(f)} |")
        mem = res["figures"].get("hyp_mem_per_vm")
        img = res["figures"].get("hyp_image_size")
        if mem and "by_vcpus" in mem:
            per = ", ".join(f"{k} vCPU: {fmt(v['median'])} B" for k, v in mem["by_vcpus"].items())
            out += ["", f"Per-VM overhead by vCPU count: {per}."]
        vc = res["figures"].get("vm_create")
        if vc and "fixed_instructions" in vc:
            out += [f"VM creation splits into {fmt(vc['fixed_instructions']['median'])} "
                    f"instructions per VM plus {fmt(vc['per_mib_instructions']['median'])} per "
                    "MiB of guest RAM."]
        if img and "in_memory_bytes" in img:
            out += [f"Image: {fmt(img['file_bytes'])} B file, {fmt(img['in_memory_bytes'])} B "
                    "in memory (text + rodata + data + bss)."]
        out.append("")
    wall = _figs(res, "wall-clock")
    boot = res["figures"].get("linux_boot")
    if wall:
        out += ["## Wall-clock figures (TCG, ratios)", ""]
        out += _foreign(res, "linux_boot", "scale")
    if boot and boot.get("kind") == "wall-clock":
        out += [f"**Linux boot to `FERROVISOR-INIT: up`, Ferrovisor / native: "
                f"{fmt(boot['ratio'])}** (ratio of medians; per-pair ratios "
                f"{mmm(boot['pair_ratio'])}; {boot['runs']} runs per side"
                f"{_repeated(boot)}). For context only, "
                f"seconds: native {mmm(boot['native'])}, Ferrovisor {mmm(boot['ferrovisor'])}.",
                ""]
    sc = [(k, f) for k, f in wall if k.startswith("scale_") and k != "scale_native"]
    if sc:
        base = res["figures"].get("scale_native", {})
        out += ["### Scaling on 2 physical CPUs (equal-weight VMs, fixed work each)", "",
                "Throughput is relative to one native copy running alone (1.0)"
                f"{_repeated(base, '; ')}.", ""]
        if base.get("machine"):
            out += [f"Native baseline: 2 copies at once on 2 harts deliver "
                    f"{mmm(base['machine'])} in total (the machine's capacity here).", ""]
        out += ["| VMs | per-VM throughput | ideal per VM | aggregate | efficiency vs native | "
                "spread slowest/fastest (%) | Jain's index | runs | n |",
                "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for k, f in sc:
            out.append(f"| {f['vms']} | {mmm(f['ferrovisor'])} | {fmt(f['ideal_per_vm'])} | "
                       f"{mmm(f['aggregate'])} | {mmm(f['efficiency'])} | "
                       f"{mmm(f['spread_percent'])} | {mmm(f['jain_index'])} | {f['runs']} | "
                       f"{f['ferrovisor']['n']} |")
        out.append("")
    out += _io_section(res)
    out += _mgmt_section(res)
    out += _console_section(res)
    nm = [(k, f) for k, f in res["figures"].items() if f.get("kind") == NOT_MEASURED]
    if nm:
        out += ["## Not measured", ""]
        out += [f"- {f['title']}: {f['status']}" for _, f in nm]
        out.append("")
    if res.get("errors"):
        out += ["## Errors (figures that could not be produced in this run)", ""]
        out += [f"- `{k}`: {v}" for k, v in res["errors"].items()]
        out.append("")
    out += ["## Methods", ""]
    for k, f in res["figures"].items():
        if "method" in f:
            out.append(f"- **`{k}`** ({f['kind']}, {f['unit']}, {f['runs']} run(s)): "
                       f"{f['method']}")
    out.append("")
    if res["meta"].get("chart"):
        out += [f"Chart: {res['meta']['chart']}", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------- chart

LAT_KEYS = ["sbi_null_roundtrip", "timer_sstc", "timer_sstc_idle", "timer_sbi_idle", "ipi",
            "ipi_idle", "mmio_trap_cost"]
RATIO_KEYS = ["cpu_workload", "linux_cpu_awk", "linux_cpu_sh", "linux_boot"]


def _write(path, rows):
    path.write_text("".join(" ".join(str(c) for c in r) + "\n" for r in rows))


def _panel(data_file, rows, settings, plot):
    """gnuplot commands for one multiplot panel; an empty panel says so instead of
    plotting placeholder data."""
    if not rows:
        return (settings + 'set label 1 "not measured in this run" at graph 0.5,0.5 center\n'
                "unset logscale\nplot [0:1] [0:1] NaN notitle\nunset label 1\n")
    _write(data_file, rows)
    return settings + plot + "\n"


def chart(res, png, work_dir):
    """Render the PNG with gnuplot; returns None on success or a reason it was skipped."""
    gp = shutil.which("gnuplot")
    if not gp:
        return "gnuplot not installed (apt-get install gnuplot-nox): chart skipped"
    figs = res["figures"]
    work_dir.mkdir(parents=True, exist_ok=True)
    lat = []
    for k in LAT_KEYS:
        f = figs.get(k, {})
        if "native" in f and "ferrovisor" in f:
            st = f.get("compare_stat", "median")
            lat.append((f'"{k}"', max(1, f["native"][st]), max(1, f["ferrovisor"][st])))
    ratios = []
    for k in RATIO_KEYS:
        f = figs.get(k, {})
        if "ratio" in f:
            lo, hi = f["ratio"], f["ratio"]
            if "pair_ratio" in f:
                lo, hi = f["pair_ratio"]["min"], f["pair_ratio"]["max"]
            ratios.append((f'"{k}"', f["ratio"], lo, hi))
    scale = []
    for n in (1, 2, 4, 8):
        f = figs.get(f"scale_{n}vm", {})
        if "ferrovisor" in f:
            s = f["ferrovisor"]
            scale.append((n, s["median"], s["min"], s["max"], f["ideal_per_vm"],
                          f["jain_index"]["median"], f["spread_percent"]["median"]))
    io = [(f'"{k.replace("virtio_", "")}"', f["ratio"] * 100,
           f["pair_ratio"]["min"] * 100, f["pair_ratio"]["max"] * 100)
          for k, f in _io_figs(res) if "pair_ratio" in f]
    if not (lat or ratios or scale or io):
        return "no figures to chart"
    # Jain's index sits near 1: zoom in unless some run was far from even.
    jain_lo = 0.9 if all(r[5] >= 0.9 for r in scale) else 0
    d = work_dir
    script = (f'set terminal pngcairo size 1500,1550 font "sans,10" noenhanced\n'
              f'set output "{png}"\n'
              f'set multiplot layout 3,2 title "Ferrovisor benchmarks '
              f'({res["meta"]["date"]}, {res["meta"]["commit"]})"\n'
              "set grid ytics\nset key top left\nset style fill solid 0.8 border -1\n")
    script += _panel(
        d / "lat.dat", lat,
        'set title "Deterministic latencies, emulated ns = instructions (-icount; median, '
        'timer_sbi*: min; log scale, <1 drawn as 1)"\n'
        "set style data histograms\nset style histogram clustered gap 1\n"
        "set xtics rotate by -25\nset logscale y\nset yrange [0.8:*]\n",
        f'plot "{d}/lat.dat" using 2:xtic(1) title "native", "" using 3 title "Ferrovisor"')
    script += "unset logscale y\n"
    script += _panel(
        d / "ratio.dat", ratios,
        'set title "Ferrovisor / native (median; wall-clock bars: min-max of per-pair ratios)"\n'
        "set style data histograms\nset style histogram errorbars gap 2 lw 1\n"
        "set yrange [0:*]\n",
        f'plot "{d}/ratio.dat" using 2:3:4:xtic(1) title "ratio", '
        '1 with lines dt 2 lc rgb "black" title "native = 1"')
    script += "set xtics norotate\nset xlabel \"VMs\"\nset logscale x 2\nset xrange [0.8:10]\n"
    script += _panel(
        d / "scale.dat", scale,
        'set title "Scaling on 2 CPUs: per-VM throughput vs one native copy alone '
        '(median, min-max; wall-clock)"\nset yrange [0:1.2]\n',
        f'plot "{d}/scale.dat" using 1:2:3:4 with yerrorlines title "Ferrovisor per VM", '
        '"" using 1:5 with linespoints dt 2 title "ideal min(1, 2/N)"')
    script += _panel(
        d / "fair.dat", scale,
        'set title "Fairness between equal-weight VMs (median over runs)"\n'
        'set ylabel "Jain\'s index"\nset y2label "spread slowest/fastest (%)"\n'
        f"set yrange [{jain_lo}:1.002]\nset y2range [0:*]\nset y2tics\nset ytics nomirror\n",
        f'plot "{d}/fair.dat" using 1:6 with linespoints title "Jain\'s index", '
        '"" using 1:7 axes x1y2 with linespoints title "spread %"')
    script += ("unset y2tics\nunset y2label\nunset ylabel\nunset xlabel\nunset logscale x\n"
               "set ytics mirror\nset autoscale x\n")
    script += _panel(
        d / "io.dat", io,
        'set title "VirtIO throughput in Linux: Ferrovisor as % of native (ratio of medians; '
        'bars: min-max of per-pair ratios; wall-clock)"\n'
        "set style data histograms\nset style histogram errorbars gap 2 lw 1\n"
        "set xtics rotate by -25\nset yrange [0:110<*]\n",
        f'plot "{d}/io.dat" using 2:3:4:xtic(1) title "% of native", '
        '100 with lines dt 2 lc rgb "black" title "native = 100 %"')
    script += "unset multiplot\n"
    (d / "chart.gp").write_text(script)
    r = subprocess.run([gp, str(d / "chart.gp")], capture_output=True, text=True)
    if r.returncode != 0:
        return f"gnuplot failed: {r.stderr.strip()[:300]}"
    return None
