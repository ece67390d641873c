# SPDX-License-Identifier: MIT
"""The profiler samples the hypervisor's own pc inside exit handlers (issue #13 item 4,
docs/profiling.md "The hypervisor"), not only in its idle loop.

guests/prof_mmio reads the UART's line status register in a loop: every load traps and is
emulated by the hypervisor. The shell's `prof start mmio 200` / `prof stop` / `prof report`
profile it without a service VM; the hypervisor pcs it reports, named with the symbols of
build/riscv64/ferrovisor.elf, must include the MMIO emulation path (the guest page fault
handler, the instruction decoder, the virtual UART), not only the idle loop. A second
session while one runs is refused; a report during a session is refused.
"""

import re
import subprocess
import tempfile
from pathlib import Path

import fvtest

ROOT = fvtest.REPO_ROOT
TOOL = ROOT / "build" / "tools" / "ferrovisor"
GUESTS = ROOT / "build" / "guests"
HYP_ELF = ROOT / "build" / "riscv64" / "ferrovisor.elf"
ESC = "\x1d"  # Ctrl-], the console escape key


def _symbols():
    """(address, name) of the hypervisor's functions, sorted."""
    out = subprocess.run(["riscv64-linux-gnu-nm", "-n", str(HYP_ELF)], capture_output=True,
                         text=True, check=True, timeout=60).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    return syms


def _name(syms, pc):
    best = None
    for addr, name in syms:
        if addr > pc:
            break
        best = name
    return best


@fvtest.timeout(300)
def test_profile_shows_hypervisor_mmio_path():
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "prof.yaml"
        cfg.write_text(f"""host:
  cpus: 2
vms:
  - name: mmio
    vcpus: 1
    memory: 4M
    kernel: {GUESTS / 'prof_mmio.bin'}
  - name: hello
    vcpus: 1
    memory: 4M
    kernel: {GUESTS / 'hello.bin'}
""")
        with fvtest.Qemu([TOOL, "run", "--config", cfg, "--timeout", "240"]) as q:
            q.expect(r"^\[mmio\] prof_mmio: \d+ loads", 120)
            q.send(ESC + "0")
            q.send("prof start mmio 200\r")
            q.expect(r"prof: sampling VM 'mmio' every 200 us", 30)
            q.send("prof start mmio 200\r")
            q.expect(r"prof: a session already runs", 30)
            q.send("prof report\r")
            q.expect(r"prof: stop the session first", 30)
            q.expect(r"^\[mmio\] prof_mmio: \d+ loads", 60)
            q.expect(r"^\[mmio\] prof_mmio: \d+ loads", 60)
            q.send("prof stop\r")
            q.expect(r"prof: session stopped", 30)
            q.send("prof report 30\r")
            m = q.expect(r"prof: (\d+) samples \((\d+) dropped\): (\d+) guest, (\d+) hypervisor "
                         r"\((\d+) idle, (\d+) in exits\)", 30)
            total, _, guest, hyp, idle, exits = (int(x) for x in m.groups())
            q.expect(r"fv> ", 30)
            report = q.output[q.output.rfind("samples ("):]
            pcs = [(int(a, 16), int(n)) for a, n in
                   re.findall(r"prof: hypervisor pc 0x([0-9a-f]+) (\d+)", report)]
            q.assert_absent(r"PANIC|hypervisor trap")
            # The guest and the hello VM run on: nothing broke while sampling.
            q.expect(r"^\[mmio\] prof_mmio: \d+ loads", 60)
        syms = _symbols()
        names = {}
        for pc, n in pcs:
            name = _name(syms, pc)
            names[name] = names.get(name, 0) + n
        print(f"FV-INFO profile: {total} samples, {guest} guest, {hyp} hypervisor "
              f"({idle} idle, {exits} in exits): {sorted(names.items(), key=lambda x: -x[1])}",
              flush=True)
        assert total > 0 and exits > 0, report
        assert sum(n for _, n in pcs) > 0, report
        assert "riscv_idle_wfi" not in names, names
        mmio_path = [n for n in names if re.search(
            r"mmio|uart|insn_decode|guest_page_fault|emul|vinsn", n)]
        assert mmio_path, names
