# SPDX-License-Identifier: MIT
"""The arm64 port's figures (docs/arm64.md), each native arm64 vs Ferrovisor on the same
qemu-system-aarch64 in one run:

  arm64_hvc         HVC round trip and, for reference, an SVC exception round trip inside EL1
  arm64_mmio        an emulated MMIO read (PL011 flag register) vs a RAM load
  arm64_linux_boot  Debian arm64 kernel + busybox initramfs to its /init marker (wall-clock)
  arm64_blk         virtio-blk throughput and IOPS in Linux (wall-clock)
  arm64_net         virtio-net TCP VM <-> host over a user-network uplink (wall-clock)

The micro figures come from guests/arm64/bench, one binary for both sides: natively an ELF at
EL1 on `-M virt,gic-version=3` (no EL2: QEMU answers PSCI over HVC itself), under
Ferrovisor a 1-vCPU VM on `-M virt,virtualization=on,gic-version=3`. Under -icount shift=0
the 1 GHz generic counter the guest reads counts instructions."""

import fcntl
import subprocess
import time
from pathlib import Path

from . import blk, cpio, iotool, net
from .common import (QUIET_PERCENT, ROOT, WORK, BenchError, compile_config, config_text,
                     figure, fvtest, log, qemu, quiet_runs, read_json, side, stats, vm_node)

QEMU = fvtest.os.environ.get("FV_QEMU_ARM64", "qemu-system-aarch64")
HYP_BIN = ROOT / "build" / "arm64" / "ferrovisor.bin"
GUESTS = ROOT / "build" / "arm64" / "guests"
IMAGE_DIR = Path(fvtest.os.environ.get("FERROVISOR_CACHE", Path.home() / ".cache" /
                                       "ferrovisor")) / "images" / "arm64" / "stable"
ICOUNT = ["-icount", "shift=0,sleep=off"]
ICOUNT_NOTE = "-icount shift=0,sleep=off"
DET = "deterministic"
# The CPU a native run gets: `max` without what Ferrovisor hides from its guests (idregs.c:
# pointer authentication, SVE, SME, PMU). Without this the native kernel signs every return
# address with QARMA under TCG and runs several times slower than the same kernel as a VM,
# which measured the CPU model, not the hypervisor.
NATIVE_CPU = "max,pauth=off,sve=off,sme=off,pmu=off"
BOOTARGS = "console=ttyAMA0 quiet"
MARKER = r"FERROVISOR-INIT: up"
LINUX_MIB = 512
FVIO_OUT = WORK / "guest-arm64"

_built = False


def _build():
    """The arm64 hypervisor and guests (make ARCH=arm64), once per process."""
    global _built
    if _built:
        return
    # Under the lock the arm64 tests build with (tests/integration/arm64_hyp.py): a test
    # suite running this harness beside arm64 tests must not link the same files twice.
    (ROOT / "build").mkdir(exist_ok=True)
    with open(ROOT / "build" / ".arm64-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        res = subprocess.run(["make", "-s", "ARCH=arm64", "hyp", "arm64-guests"],
                             cwd=str(ROOT), capture_output=True, text=True)
    if res.returncode != 0:
        raise BenchError("make ARCH=arm64 failed: " + (res.stdout + res.stderr)[-500:])
    _built = True


def native_cmd(kernel, smp=1, mem="2G", icount=True, extra=None):
    """Native arm64: `kernel` (an ELF or a Linux Image) at EL1 on QEMU's virt machine."""
    return ([QEMU, "-M", "virt,gic-version=3", "-cpu", NATIVE_CPU, "-smp", str(smp), "-m",
             str(mem), "-display", "none", "-monitor", "none", "-serial", "stdio",
             "-global", "virtio-mmio.force-legacy=false", "-kernel", str(kernel)] +
            (list(ICOUNT) if icount else []) + list(extra or []))


def hyp_cmd(config_dtb, smp=1, mem="1G", icount=True, extra=None):
    """Ferrovisor at EL2 on the same machine with EL2, the configuration as its initrd."""
    _build()
    return ([QEMU, "-M", "virt,virtualization=on,gic-version=3", "-cpu", "max", "-smp",
             str(smp), "-m", str(mem), "-display", "none", "-monitor", "none", "-serial",
             "stdio", "-global", "virtio-mmio.force-legacy=false", "-kernel", str(HYP_BIN),
             "-initrd", str(config_dtb)] + (list(ICOUNT) if icount else []) +
            list(extra or []))


# ------------------------------------------------------------------------- micro figures

def _micro_boot(cmd, name, vm):
    with qemu(cmd, name) as q:
        objs = read_json(q, lambda o: o["bench"] == "arm64_done", 120, vm=vm)
    o = next((o for o in objs if o["bench"] == "arm64_micro"), None)
    if o is None:
        raise BenchError(f"{name}: no arm64_micro line")
    if o["freq"] != 1000000000:
        raise BenchError(f"{name}: counter at {o['freq']} Hz, not 1 GHz: ticks are not "
                         "instructions under icount")
    if o["native"] != (vm is None):
        raise BenchError(f"{name}: the guest took itself for the other side")
    return o


def _micro(runs, label):
    """Per side: the arm64_micro lines of `runs` boots."""
    _build()
    cfg = compile_config(config_text([vm_node("bench", "bench.bin")],
                                     "arm64 micro-benchmarks: 1 VM, 1 vCPU"),
                         "arm64-micro", include_dirs=(GUESTS,))
    out = {"native": [], "ferrovisor": []}
    for i in range(runs):
        out["native"].append(_micro_boot(native_cmd(GUESTS / "bench.elf"),
                                         f"{label}-native-{i}", None))
        out["ferrovisor"].append(_micro_boot(hyp_cmd(cfg), f"{label}-ferrovisor-{i}", "bench"))
    return out


def _per_op(objs, key, minus):
    """Per-iteration cost of loop `key` beyond loop `minus`, one value per batch and boot."""
    return [(a - b) / o["iters"] for o in objs for a, b in zip(o[key], o[minus])]


def _method(o, what):
    return (f"guests/arm64/bench: {len(o['nop'])} batches of {o['iters']} iterations per boot "
            f"of a 3-instruction loop (mov, operation, subs+b.ne) {what}, virtual counter "
            f"delta (isb; CNTVCT_EL0, 1 GHz = one tick per instruction under {ICOUNT_NOTE}) "
            "/ iterations. Native: the same binary as an ELF at EL1 on `-M virt,gic-version=3 "
            "-cpu max` minus pauth/SVE/SME/PMU (no EL2); Ferrovisor: a 1-vCPU VM, QEMU -smp 1 on "
            "`-M virt,virtualization=on,gic-version=3 -cpu max`.")


def bench_arm64_hvc(runs):
    """HVC null round trip (PSCI_VERSION) and an SVC round trip, native arm64 vs Ferrovisor."""
    s = _micro(runs, "arm64-hvc")
    o = s["native"][0]
    return {
        "arm64_hvc_roundtrip": figure(
            "arm64 HVC round trip (PSCI_VERSION)", DET, "instructions per call", runs,
            _method(o, "minus the same loop with a nop for the operation") +
            " Native reference: HVC #0 to QEMU's own PSCI emulation (the machine has no "
            "EL2, QEMU answers in the emulator: no guest-visible instruction beyond the HVC, "
            "i.e. the cost of a call into firmware that is free); Ferrovisor: EL1 -> EL2 "
            "exception, world-switch exit path, PSCI dispatch, ERET. A trapping native "
            "equivalent is arm64_svc_roundtrip.",
            native=side(_per_op(s["native"], "hvc", "nop")),
            ferrovisor=side(_per_op(s["ferrovisor"], "hvc", "nop")), compare="delta"),
        "arm64_svc_roundtrip": figure(
            "arm64 SVC round trip inside EL1 (trapping native reference)", DET,
            "instructions per call", runs,
            _method(o, "minus the nop loop") + " SVC #0 to the guest's own EL1 vector, which "
            "ERETs at once: an exception round trip that never leaves the guest, the same "
            "natively and under Ferrovisor (nothing traps to EL2).",
            native=side(_per_op(s["native"], "svc", "nop")),
            ferrovisor=side(_per_op(s["ferrovisor"], "svc", "nop")), compare="delta"),
    }


def bench_arm64_mmio(runs):
    """PL011 flag-register read (emulated under Ferrovisor) vs a RAM load."""
    s = _micro(runs, "arm64-mmio")
    o = s["native"][0]
    how = (" Native: QEMU's PL011 model at 0x09000000 (a device load is one instruction under "
           "icount; its TCG cost is wall-clock only); Ferrovisor: a stage-2 data abort "
           "decoded from ESR_EL2 (esr_decode.c) and answered by the emulated PL011 "
           "(vdev/vpl011.c) at 0x09000000.")
    return {
        "arm64_mmio_pl011_read": figure(
            "arm64 MMIO read round trip (PL011 FR), per loop iteration", DET,
            "instructions per iteration", runs,
            _method(o, "loading the PL011 flag register (UARTFR, offset 0x18)") + how,
            native=side(_per_op(s["native"], "mmio", "nop")),
            ferrovisor=side(_per_op(s["ferrovisor"], "mmio", "nop")), compare="delta"),
        "arm64_mmio_trap_cost": figure(
            "arm64 MMIO read cost beyond a RAM load (PL011 FR - RAM, per access)", DET,
            "instructions per access", runs,
            _method(o, "loading the PL011 flag register minus the same loop loading RAM") +
            how,
            native=side(_per_op(s["native"], "mmio", "ram")),
            ferrovisor=side(_per_op(s["ferrovisor"], "mmio", "ram")), compare="delta"),
    }


# ------------------------------------------------------------------------------- Linux

def _images():
    for f in ("Image", "initramfs.cpio.gz", "manifest.txt"):
        if not (IMAGE_DIR / f).is_file():
            raise BenchError(f"{IMAGE_DIR / f} missing (make ARCH=arm64 images)")
    return IMAGE_DIR / "Image", IMAGE_DIR / "initramfs.cpio.gz"


def _linux_node(name, initrd, args, vcpus, mib, extra=""):
    return (f'\t\t{name} {{ vcpus = <{vcpus}>; memory-size = /bits/ 64 <0x{mib << 20:x}>; '
            f'kernel = /incbin/("Image"); initrd = /incbin/("{initrd.name}"); '
            f'bootargs = "{args}"; autostart; {extra}}};\n')


def _boot_once(cmd, name, vm):
    prefix = rf"^\[{vm}\] " if vm else r"^"
    with qemu(cmd, name) as q:
        q.expect(prefix + MARKER, 400)
        return time.monotonic() - q.started_at


def bench_arm64_linux_boot(runs):
    """Debian arm64 Linux to its /init marker, native vs Ferrovisor, interleaved pairs."""
    kernel, initrd = _images()
    args = f"{BOOTARGS} fv.init=poweroff"
    cfg = compile_config(config_text([_linux_node("linux", initrd, args, 2, LINUX_MIB)],
                                     "arm64 Linux boot: 1 VM, 2 vCPUs"),
                         "arm64-linux-boot", include_dirs=(IMAGE_DIR,))

    def one_pair(i):
        log(f"arm64 linux boot: pair {i + 1}")
        n = _boot_once(native_cmd(kernel, smp=2, mem=f"{LINUX_MIB}M", icount=False,
                                  extra=["-initrd", str(initrd), "-append", args]),
                       f"arm64-linux-boot-native-{i}", None)
        v = _boot_once(hyp_cmd(cfg, smp=2, mem="2G", icount=False),
                       f"arm64-linux-boot-ferrovisor-{i}", "linux")
        return n, v

    pairs, quiet = quiet_runs(one_pair, runs, "arm64 linux boot")
    nat, virt = [p[0] for p in pairs], [p[1] for p in pairs]
    return {"arm64_linux_boot": figure(
        "arm64 Linux boot to /init marker, Ferrovisor / native", "wall-clock", "ratio", runs,
        "wall time from starting QEMU to the console line `FERROVISOR-INIT: up` of the "
        "initramfs /init; Debian arm64 kernel (stable suite) + busybox initramfs, 2 vCPUs on "
        f"QEMU -smp 2 (MTTCG, no icount), {LINUX_MIB} MiB guest RAM. Native: the kernel at "
        "EL1 on `-M virt,gic-version=3 -cpu max,pauth=off,sve=off,sme=off,pmu=off` (no EL2; "
        "the CPU features Ferrovisor hides from its guests off, as a guest sees the machine); "
        "Ferrovisor: a VM on `-M virt,virtualization=on,gic-version=3 -cpu max -m 2G`. "
        "Native and Ferrovisor boots in pairs, a pair repeated (at most 3 extra pairs) when "
        f"other processes used more than {QUIET_PERCENT:.0f} % of the host CPU during it; "
        "ratio of medians (per-pair ratios in `pair_ratio`).",
        native=side(nat), ferrovisor=side(virt),
        pair_ratio=stats([v / n for n, v in zip(nat, virt)]), host_load=quiet)}


# ----------------------------------------------------------------------------------- I/O

def _io_initramfs():
    """The arm64 initramfs + a layer with an arm64 build of fvio and iotool's /etc/fv-bench."""
    _, base = _images()
    res = subprocess.run(["make", "-s", "-C", str(iotool.GUEST_SRC), f"OUT={FVIO_OUT}",
                          "CROSS=aarch64-linux-gnu-"], capture_output=True, text=True)
    if res.returncode != 0:
        raise BenchError("building fvio for arm64 failed (libc6-dev-arm64-cross installed?): "
                         + (res.stdout + res.stderr).strip()[-300:])
    layer = cpio.gz_layer([("bin/fvio", cpio.S_IFREG | 0o755, (FVIO_OUT / "fvio").read_bytes()),
                           ("etc/fv-bench", cpio.S_IFREG | 0o755, iotool.FV_BENCH.encode())])
    out = WORK / "linux" / "initramfs-io-arm64.cpio.gz"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(base.read_bytes() + layer)
    return out


def _bootargs(**fvb):
    return " ".join([BOOTARGS, "fv.init=bench"] + [f"fvb.{k}={v}" for k, v in fvb.items()])


def _io_blk(runs, kernel, initrd):
    disk = blk.make_disk(WORK / "disks" / "blk-arm64.img")
    args = _bootargs(mode="blk", seq_mib=blk.SEQ_MIB, rand_ops=blk.RAND_OPS, max_s=blk.MAX_S)
    mib = iotool.GUEST_MIB
    cfg = compile_config(config_text([_linux_node("linux", initrd, args, 1, mib,
                                                  "virtio-blk-slots = <0>; ")],
                                     "arm64 virtio-blk benchmark: disk on physical slot 0"),
                         "arm64-blk", include_dirs=(IMAGE_DIR, initrd.parent))
    drive = fvtest.virtio_disk(disk, 0)

    def one_pair(i):
        log(f"arm64 virtio-blk: pair {i + 1}")
        n, _ = blk._run(native_cmd(kernel, smp=1, mem=f"{mib}M", icount=False,
                                   extra=["-initrd", str(initrd), "-append", args] + drive),
                        f"arm64-blk-native-{i}", None)
        v, _ = blk._run(hyp_cmd(cfg, smp=1, mem="1G", icount=False, extra=drive),
                        f"arm64-blk-ferrovisor-{i}", "linux")
        return n, v

    pairs, quiet = quiet_runs(one_pair, runs, "arm64 virtio-blk", extra_attempts=2)
    out = {}
    for key, test, title, unit in blk.TESTS:
        nat, virt = [p[0][test] for p in pairs], [p[1][test] for p in pairs]
        f = figure(
            "arm64 " + title, "wall-clock", unit, runs,
            f"as {key} (bench/fvbench/blk.py: `fvio blk`, O_DIRECT, {blk.SEQ_MIB} MiB "
            f"sequential, {blk.RAND_OPS} random 4 KiB requests, stamped and checked) with fvio "
            "built for arm64 (aarch64-linux-gnu, static) and the Debian arm64 kernel, 1 vCPU, "
            f"{mib} MiB, QEMU -smp 1, no icount, disk on virtio-mmio slot 0 (modern "
            "virtio-mmio). Native: the kernel at EL1 on `-M virt,gic-version=3` with the CPU "
            "features Ferrovisor hides off (as arm64_linux_boot); "
            "Ferrovisor: a VM whose disk is that slot, on `-M virt,virtualization=on,"
            f"gic-version=3`. Pairs, repeated when other processes used more than "
            f"{QUIET_PERCENT:.0f} % of the host CPU; ratio of medians, higher is better.",
            native=side(nat), ferrovisor=side(virt),
            pair_ratio=stats([v / n for n, v in zip(nat, virt)]), host_load=quiet,
            higher_is_better=True)
        f["percent_of_native"] = f["ratio"] * 100
        out["arm64_" + key] = f
    return out


def _io_net(runs, kernel, initrd):
    args = _bootargs(mode="netserve", ip=net.SLIRP_GUEST_IP)
    mib = iotool.GUEST_MIB
    nic = f'virtio-net-switch = "lan0"; virtio-net-mac = [{net._mac_bytes(net.MAC["cli"])}]; '
    text = config_text([_linux_node("linux", initrd, args, 1, mib, nic)],
                       "arm64 virtio-net benchmark: 1 VM on lan0, uplink on slot 0")
    text = text.replace("\tvms {\n", "\thost { switches { lan0 { uplink-slot = <0>; }; }; };\n"
                        "\tvms {\n", 1)
    cfg = compile_config(text, "arm64-net-host", include_dirs=(IMAGE_DIR, initrd.parent))

    def one_pair(i):
        log(f"arm64 virtio-net VM <-> host: pair {i + 1}")
        port = net.free_port()
        name = f"arm64-net-native-{i}"
        with qemu(native_cmd(kernel, smp=1, mem=f"{mib}M", icount=False,
                             extra=["-initrd", str(initrd), "-append", args] +
                             net._user_net(port)), name) as q:
            n = net._host_session(q, port, None, name)
        port = net.free_port()
        name = f"arm64-net-ferrovisor-{i}"
        with qemu(hyp_cmd(cfg, smp=1, mem="1G", icount=False, extra=net._user_net(port, 0)),
                  name) as q:
            v = net._host_session(q, port, "linux", name)
        return n, v

    pairs, quiet = quiet_runs(one_pair, runs, "arm64 virtio-net", extra_attempts=2)
    out = {}
    for key, d, what in (("arm64_virtio_net_vm_to_host", "to_host", "VM to host"),
                         ("arm64_virtio_net_host_to_vm", "from_host", "host to VM")):
        nat = [x for n, _ in pairs for x in n[d]]
        virt = [x for _, v in pairs for x in v[d]]
        f = figure(
            f"arm64 virtio-net TCP, {what} (user-mode network, 127.0.0.1 hostfwd)",
            "wall-clock", net.UNIT, runs,
            f"as virtio_net_{d if d == 'to_host' else 'host_to_vm'} (bench/fvbench/net.py: "
            f"`fvio serve` in the guest, {net.HOST_REPS} transfers of {net.HOST_MIB} MiB per "
            "direction per boot timed by the host) with fvio built for arm64 and the Debian "
            f"arm64 kernel, 1 vCPU, {mib} MiB, QEMU -smp 1, no icount; NIC on virtio-mmio "
            "slot 0. Native: the kernel at EL1 on `-M virt,gic-version=3` with the CPU features "
            "Ferrovisor hides off (as arm64_linux_boot); Ferrovisor: a VM "
            "on switch lan0 whose uplink is that slot. Pairs, repeated when other processes "
            f"used more than {QUIET_PERCENT:.0f} % of the host CPU; ratio of medians, higher "
            "is better.",
            native=side(nat), ferrovisor=side(virt),
            pair_ratio=stats([stats(v[d])["median"] / stats(n[d])["median"]
                              for n, v in pairs]),
            host_load=quiet, higher_is_better=True)
        f["percent_of_native"] = f["ratio"] * 100
        out[key] = f
    return out


def bench_arm64_blk(runs):
    """virtio-blk MB/s and IOPS in a Debian arm64 guest, Ferrovisor vs native arm64."""
    _build()
    kernel, _ = _images()
    return _io_blk(runs, kernel, _io_initramfs())


def bench_arm64_net(runs):
    """virtio-net TCP VM <-> host over an uplink in a Debian arm64 guest, vs native arm64."""
    _build()
    kernel, _ = _images()
    return _io_net(runs, kernel, _io_initramfs())
