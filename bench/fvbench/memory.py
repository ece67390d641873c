# SPDX-License-Identifier: MIT
"""Hypervisor memory: per-VM overhead beyond guest RAM, image size, resident size."""

import re
import struct
import time

from .common import (ESC, HYP_BIN, HYP_ELF, BenchError, figure, hyp_cmd, qemu, side,
                     static_config)

PAGE = 4096


def elf_load_sizes(path):
    """(file bytes, memory bytes) of an ELF64 little-endian image's PT_LOAD segments."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise BenchError(f"{path}: not an ELF64 little-endian file")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    filesz = memsz = 0
    for i in range(phnum):
        p_type, _flags, _off, _va, _pa, fsz, msz, _al = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 1:  # PT_LOAD
            filesz += fsz
            memsz += msz
    return filesz, memsz


def bench_memory(runs):
    """Per-VM overhead from the `vm X: created` lines, resident size from the `mem` shell
    command, image size from the ELF. Deterministic allocations: one boot per run."""
    cfg = static_config("mem")
    per_vm = {}
    used_beyond_ram, heap_used = [], []
    for i in range(runs):
        with qemu(hyp_cmd(cfg, smp=2, icount=False), f"mem-{i}") as q:
            ram = 0
            for name in ("v1", "v2", "v4", "v8"):
                m = q.expect(rf"vm {name}: created: (\d+) vCPU\(s\), (\d+) MiB.*hypervisor "
                             r"overhead (\d+) bytes", 60)
                per_vm.setdefault(int(m.group(1)), []).append(int(m.group(3)))
                ram += int(m.group(2)) << 20
            q.expect(r"fv> ", 60)  # no VM autostarts: the shell has the focus
            time.sleep(0.3)
            q.send(ESC + "0")
            q.send("mem\r")
            m = q.expect(r"pages: total (\d+) free (\d+) used (\d+) reserved (\d+)", 30)
            used = int(m.group(3)) * PAGE
            h = q.expect(r"heap: (\d+) bytes, used (\d+)", 30)
            used_beyond_ram.append(used - ram)
            heap_used.append(int(h.group(2)))
    bin_bytes = HYP_BIN.stat().st_size
    filesz, memsz = elf_load_sizes(HYP_ELF)
    resident = [memsz + u for u in used_beyond_ram]
    vm_fig = figure(
        "Hypervisor memory per VM beyond guest RAM", "deterministic", "bytes", runs,
        "per-VM accounting of VM, vCPU and stage-2 table allocations printed at VM creation "
        "(`vm X: created: ... hypervisor overhead N bytes`), VMs of 1, 2, 4 and 8 vCPUs with "
        "32 MiB each",
        ferrovisor=side(per_vm[1]),
        by_vcpus={str(k): side(v, False) for k, v in sorted(per_vm.items())})
    img_fig = figure(
        "Hypervisor image size", "deterministic", "bytes", 1,
        "size of build/riscv64/ferrovisor.bin (what the firmware loads) and the memory its "
        "ELF PT_LOAD segments span (text + rodata + data + bss)",
        ferrovisor=side([bin_bytes], False), file_bytes=bin_bytes, loaded_bytes=filesz,
        in_memory_bytes=memsz)
    res_fig = figure(
        "Hypervisor resident size (4 VMs, 15 vCPUs configured)", "deterministic", "bytes",
        runs, "image in memory (ELF PT_LOAD span) + pages the hypervisor's page allocator "
        "has handed out beyond guest RAM (`mem` shell command: used pages × 4 KiB − the "
        "VMs' RAM), after boot with the bench `mem` configuration; includes the heap "
        "(its own pages) and per-CPU stacks",
        ferrovisor=side(resident), image_in_memory_bytes=memsz,
        allocated_beyond_guest_ram=side(used_beyond_ram, False),
        heap_used_bytes=side(heap_used, False))
    return {"hyp_mem_per_vm": vm_fig, "hyp_image_size": img_fig, "hyp_resident": res_fig}
