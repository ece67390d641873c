# SPDX-License-Identifier: MIT
"""Deterministic micro-benchmarks under -icount shift=0 (emulated ns = instructions):
null SBI call, timer and IPI latency, MMIO emulation, hypervisor entry to first guest
instruction, VM creation. Each boots the same guest binary natively on OpenSBI and as a
Ferrovisor VM on the same QEMU."""

import re

from .common import (BenchError, compile_config, config_text, failed, figure, guest_bin,
                     hyp_cmd, log, native_cmd, qemu, read_json, samples_by_name, side,
                     static_config, vm_node)

DET = "deterministic"
ICOUNT_NOTE = "-icount shift=0,sleep=off"
ENTRY_RE = r"first guest entry: (\d+) instructions after hypervisor entry"


def _sbi_run(cmd, name, hyp):
    with qemu(cmd, name) as q:
        objs = read_json(q, lambda o: o["bench"] == "sbi_null", 120,
                         vm="bench" if hyp else None)
        got = {o["bench"]: o for o in objs}
        call, loop = got["sbi_null"], got.get("sbi_null_loop")
        if loop is None or call["instret"] < 0:
            raise BenchError(f"{name}: instret not readable in the guest")
        per_call = (call["instret"] - loop["instret"]) / call["iters"]
        entry = None
        if hyp:
            q.rewind(0)
            entry = int(q.expect(ENTRY_RE, 10).group(1))
        return per_call, call["iters"], entry


def bench_sbi(runs):
    """Null SBI round trip and hypervisor entry → first guest instruction."""
    cfg = static_config("sbi")
    nat, virt, entry = [], [], []
    iters = 0
    for i in range(runs):
        v, iters, _ = _sbi_run(native_cmd(guest_bin("bench_sbi")), f"sbi-native-{i}", False)
        nat.append(v)
        v, _, e = _sbi_run(hyp_cmd(cfg, smp=1), f"sbi-ferrovisor-{i}", True)
        virt.append(v)
        entry.append(e)
    return {
        "sbi_null_roundtrip": figure(
            "Null SBI call round trip (get_spec_version)", DET, "instructions per call",
            runs, f"bench_sbi guest: {iters} x SBI BASE get_spec_version in a loop minus the "
            "same loop without the ecall, rdinstret delta / iterations, one value per boot, "
            f"{ICOUNT_NOTE}. Native: S-mode → OpenSBI (M); Ferrovisor: VS → HS.",
            native=side(nat), ferrovisor=side(virt), compare="delta"),
        "hyp_entry_to_guest": figure(
            "Hypervisor entry → first guest instruction", DET, "instructions", runs,
            "instret at the hypervisor's first instruction (boot.S) vs just before the first "
            "guest entry on the boot CPU, printed by the hypervisor; 1 VM (bench_sbi, 1 vCPU, "
            f"32 MiB), QEMU -smp 1, {ICOUNT_NOTE}. One CPU: with two, QEMU's icount mode "
            "runs the harts in turn and the boot CPU's wait for the second one would measure "
            "QEMU's scheduling quantum.",
            ferrovisor=side(entry)),
    }


# (name, title, method); timer_sbi* compare minimums (their spread is QEMU's tick rounding).
IRQ_FIGURES = [
    ("timer_sstc", "Timer interrupt latency, running vCPU (Sstc stimecmp)",
     "deadline armed by writing stimecmp right after a tick edge; the hart spins with "
     "interrupts on; sample = handler-entry instret − the expiry instant QEMU scheduled "
     "(computed from the write's instant)"),
    ("timer_sstc_idle", "Timer interrupt latency, idle vCPU in WFI (Sstc stimecmp)",
     "as above, the hart waiting in wfi (under Ferrovisor WFI traps and the vCPU blocks; "
     "the hypervisor's own timer wakes it)"),
    ("timer_sbi", "Timer interrupt latency, running vCPU (SBI set_timer)",
     "deadline armed with SBI set_timer, the arming instant dithered over one 100 ns tick; "
     "sample = handler-entry instret − deadline. The write happens inside OpenSBI / the "
     "hypervisor at an unknown sub-tick phase and QEMU expires the timer up to one tick "
     "late by that phase: the minimum is the latency, the spread is QEMU's tick rounding"),
    ("timer_sbi_idle", "Timer interrupt latency, idle vCPU in WFI (SBI set_timer)",
     "as timer_sbi, the hart waiting in wfi"),
    ("ipi", "IPI latency, send → handler on a running vCPU",
     "SBI send_ipi from hart 0 to hart 1 (vCPUs pinned to the two physical CPUs), which "
     "spins with interrupts on; sample = receiver handler-entry instret − sender instret "
     "before its ecall. QEMU's icount mode runs harts one at a time and switches when the "
     "running one sleeps, so the sender waits in wfi right after its call: the figure is "
     "every instruction on the path, serialized (sender's call and return included)"),
    ("ipi_idle", "IPI latency, send → handler on an idle vCPU in WFI",
     "as ipi, the receiver waiting in wfi"),
    ("ipi_send", "IPI send call (sender's SBI send_ipi, ecall → return)",
     "instret around the sender's ecall in the ipi figure"),
]


def bench_irq(runs):
    """Timer and IPI latencies (bench_irq guest, 32 samples per figure and boot)."""
    cfg = static_config("irq")
    sides = {"native": {}, "ferrovisor": {}}
    for i in range(runs):
        for kind, cmd, vm in (("native", native_cmd(guest_bin("bench_irq"), smp=2), None),
                              ("ferrovisor", hyp_cmd(cfg, smp=2), "bench")):
            with qemu(cmd, f"irq-{kind}-{i}") as q:
                objs = read_json(q, lambda o: o["bench"] == "irq_done", 300, vm=vm)
            clock = next((o for o in objs if o["bench"] == "irq_clock"), None)
            # The guest finds a tick edge with a 2-instruction polling loop, so each edge is
            # seen 0 or 1 ns late depending on the loop's phase: a drift of +-1 ns is that
            # resolution (under Ferrovisor the hypervisor's own ticks shift the phase), more is
            # instret not tracking time.
            if clock is None or abs(clock.get("drift_ns", 99)) > 1:
                raise BenchError(f"irq-{kind}: instret does not track time under icount "
                                 f"({clock})")
            for key, vals in samples_by_name(objs).items():
                acc = sides[kind].setdefault(key, [] if isinstance(vals, list) else vals)
                if isinstance(vals, list):
                    acc.extend(vals)
    out = {}
    for name, title, how in IRQ_FIGURES:
        err = sides["native"].get((name, "status")) or sides["ferrovisor"].get((name, "status"))
        nat, virt = sides["native"].get((name, "ns")), sides["ferrovisor"].get((name, "ns"))
        if err or not nat or not virt:
            out[name] = failed(title, err or "no samples")
            continue
        extra = {}
        tn, tv = sides["native"].get((name, "ticks")), sides["ferrovisor"].get((name, "ticks"))
        if tn and tv:
            extra["rdtime_ticks"] = {"native": side(tn, False), "ferrovisor": side(tv, False),
                                     "note": "time CSR at handler entry − deadline (100 ns "
                                             "ticks), the raw rdtime view of the same events"}
        out[name] = figure(title, DET, "emulated ns (= instructions)", runs,
                           f"bench_irq guest, 32 samples per boot: {how}. {ICOUNT_NOTE}; "
                           "instret/time calibrated at a tick edge (±3 ns).",
                           native=side(nat), ferrovisor=side(virt), compare="delta",
                           stat="min" if name.startswith("timer_sbi") else "median", **extra)
    return out


def bench_mmio(runs):
    """MMIO trap-and-emulate round trip: UART LSR read loop vs a RAM load loop."""
    cfg = static_config("mmio")
    res = {}
    for kind, cmd, vm in (("native", native_cmd(guest_bin("bench_mmio")), None),
                          ("ferrovisor", hyp_cmd(cfg, smp=1), "bench")):
        uart, ram = [], []
        for i in range(runs):
            with qemu(cmd, f"mmio-{kind}-{i}") as q:
                o = read_json(q, lambda o: o["bench"] == "mmio", 120, vm=vm)[-1]
            if "error" in o:
                raise BenchError(f"mmio-{kind}: {o['error']}")
            uart += [v / 1000 for v in o["uart_mns"]]
            ram += [v / 1000 for v in o["ram_mns"]]
        res[kind] = (uart, ram, o["iters"])
    (nu, nr, iters), (vu, vr, _) = res["native"], res["ferrovisor"]
    method = (f"bench_mmio guest: batches of {iters} one-byte loads in a 3-instruction loop, "
              "from the UART line status register (0x10000005) and from RAM, rdinstret delta "
              f"/ iterations, 9 batches per boot, {ICOUNT_NOTE}. Natively the UART is QEMU's "
              "device model (an MMIO load is one instruction under icount; its real cost in "
              "TCG is wall-clock only); under Ferrovisor each LSR read is a guest page fault "
              "decoded and emulated by the vUART.")
    return {
        "mmio_uart_read": figure(
            "MMIO read round trip (UART LSR), per loop iteration", DET,
            "emulated ns (= instructions) per iteration", runs, method,
            native=side(nu), ferrovisor=side(vu), compare="delta"),
        "mmio_ram_read": figure(
            "Plain RAM load, per loop iteration (reference for mmio_uart_read)", DET,
            "emulated ns (= instructions) per iteration", runs, method,
            native=side(nr), ferrovisor=side(vr), compare="delta"),
        "mmio_trap_cost": figure(
            "MMIO read cost beyond a RAM load (UART LSR − RAM, per access)", DET,
            "emulated ns (= instructions) per access", runs, method,
            native=side([u - r for u, r in zip(nu, nr)]),
            ferrovisor=side([u - r for u, r in zip(vu, vr)]), compare="delta"),
    }


CREATE_RE = r"vm (\S+): creation took (\d+) instructions"


def bench_vm_create(runs):
    """VM creation time. Uses the hypervisor's per-VM line `vm NAME: creation took N
    instructions` when it prints one; otherwise derives it from the boot path length with 1
    VM and with 1 + 7 more VMs of 32 MiB or of 4 MiB."""
    layouts = {"1": [32], "8x32": [32] * 8, "8x4": [32] + [4] * 7}
    cfgs = {}
    for key, sizes in layouts.items():
        nodes = [vm_node(f"c{i}", "hello.bin", mem_mib=m) for i, m in enumerate(sizes)]
        cfgs[key] = compile_config(config_text(nodes, f"VM creation: {key}"), f"create-{key}")
    entry = {k: [] for k in layouts}
    direct = []
    for i in range(runs):
        for key in layouts:
            with qemu(hyp_cmd(cfgs[key], smp=1), f"create-{key}-{i}") as q:
                entry[key].append(int(q.expect(ENTRY_RE, 120).group(1)))
                direct += [int(m.group(2)) for m in re.finditer(CREATE_RE, q.output)
                           if key == "8x32"]
    boot = {k: side(v, False) for k, v in entry.items()}
    if direct:
        return {"vm_create": figure(
            "VM creation (1 vCPU, 32 MiB RAM, 6 KiB image)", DET, "instructions", runs,
            "instret around vm_create() as printed by the hypervisor "
            "(`vm NAME: creation took N instructions`), the 8 VMs of 32 MiB of the "
            f"8-VM boot, QEMU -smp 1, {ICOUNT_NOTE}",
            ferrovisor=side(direct), boot_path=boot)}
    per32 = [(b - a) / 7 for a, b in zip(entry["1"], entry["8x32"])]
    per4 = [(b - a) / 7 for a, b in zip(entry["1"], entry["8x4"])]
    per_mib = [(x - y) / 28 for x, y in zip(per32, per4)]
    fixed = [y - 4 * m for y, m in zip(per4, per_mib)]
    return {"vm_create": figure(
        "VM creation (1 vCPU, 32 MiB RAM, 6 KiB image), derived", DET, "instructions per VM",
        runs, "(hypervisor entry → first guest instruction with 8 VMs of 32 MiB − the same "
        f"with 1 VM) / 7, per pair of boots, QEMU -smp 1, {ICOUNT_NOTE}. Includes everything "
        "the boot path does per configured VM (parse, allocate and clear its RAM, stage-2 "
        "tables, load the image, guest device tree); the hypervisor prints no per-VM "
        "timestamp yet. A third boot with 7 VMs of 4 MiB splits it into a fixed part and a "
        "part per MiB of guest RAM (`fixed_instructions`, `per_mib_instructions`).",
        ferrovisor=side(per32), fixed_instructions=side(fixed, False),
        per_mib_instructions=side(per_mib, False), boot_path=boot)}
