# SPDX-License-Identifier: MIT
"""VM snapshot and restore time (docs/snapshots.md): the service VM guests/snap_test in its
benchmark mode saves and restores two bare-metal VMs (guests/snap_fill) with 4 and 16 MiB
of non-zero RAM over the control channel and prints the times it measured with its own
clock; the figure is milliseconds per MiB of touched RAM (no native side: nothing to
compare with). Wall clock, not -icount: the control channel is paced by the hypervisor's
10 ms console tick, which is what a user waits for."""

import re

from .common import (BenchError, compile_config, config_text, figure, hyp_cmd, log, qemu,
                     read_json, side, vm_node)

FILL = {"f4": (8, 4), "f16": (24, 16)}  # VM: (RAM MiB, about the MiB it fills: it prints it)


def bench_snap(runs):
    nodes = [vm_node("svc", "snap_test.bin", mem_mib=64,
                     extra='bootargs = "bench"; role = "service"; ')]
    nodes += [vm_node(n, "snap_fill.bin", mem_mib=m) for n, (m, _) in FILL.items()]
    cfg = compile_config(config_text(nodes, "snapshot save/restore"), "snap")
    save, rest, sizes, filled = {}, {}, {}, {}
    for i in range(runs):
        with qemu(hyp_cmd(cfg, icount=False), f"snap-{i}") as q:
            objs = read_json(q, lambda o: o.get("done"), 600, vm="svc")
            filled.update({m.group(1): int(m.group(2)) for m in
                           re.finditer(r"^\[(f\d+)\] snap_fill: filled (\d+) KiB", q.output,
                                       re.M)})
            for o in objs:
                if "error" in o:
                    raise BenchError(f"snapshot of {o['vm']}: {o['error']}")
                if "vm" not in o:
                    continue
                mib = filled.get(o["vm"], FILL[o["vm"]][1] << 10) / 1024
                save.setdefault(o["vm"], []).append(o["save_us"] / 1000 / mib)
                rest.setdefault(o["vm"], []).append(o["restore_us"] / 1000 / mib)
                sizes[o["vm"]] = o["bytes"]
                log(f"snap: {o['vm']}: {o['bytes']} bytes, save {o['save_us'] / 1000:.0f} ms, "
                    f"restore {o['restore_us'] / 1000:.0f} ms")
    if not save:
        raise BenchError("no snapshot figures printed")
    out = {}
    for vm in save:
        mib = round(filled.get(vm, FILL[vm][1] << 10) / 1024)
        out[f"snap_save_{vm}"] = figure(
            f"Snapshot save of a VM with {mib} MiB of touched RAM", "wall-clock", "ms per MiB",
            runs, "SNAP_BEGIN .. SNAP_END over the control channel, timed by the service VM "
            "(guests/snap_test bench mode) with its own clock; the stream is "
            f"{sizes[vm]} bytes; the VM is paused for all of it", ferrovisor=side(save[vm]))
        out[f"snap_restore_{vm}"] = figure(
            f"Snapshot restore of a VM with {mib} MiB of touched RAM", "wall-clock", "ms per MiB",
            runs, "RESTORE_BEGIN .. RESTORE_COMMIT of the same stream into a new VM "
            "(created, state and RAM written), timed by the service VM",
            ferrovisor=side(rest[vm]))
    return out
