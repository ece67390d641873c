# SPDX-License-Identifier: MIT
"""What a Linux user-mode program sees of the CPU: the same in a Ferrovisor VM as natively.

guests/linux-userland/fv-cpucheck.c prints one deterministic line per check (cpuinfo isa,
riscv_hwprobe keys, counters, F/D, atomics, bit manipulation, Zicond, Zicbo*, privileged
instructions). The same Debian kernel and initramfs boot natively on OpenSBI and in a VM with as
many vCPUs as the native run has harts (-cpu rv64, -smp 2 both); the outputs must be identical
after NORMALISE, whose every entry is an extension hidden on purpose (docs/guest-isa.md).
"""

import re

import fvtest
from hyp import assert_healthy, hyp_cmd

KERNEL_MATRIX = True
PROMPT = r"fv-guest:~# "
SMP = 2  # harts of the native run = vCPUs of the VM in configs/linux-isa.dts

# Extensions the VM does not get on purpose, removed from the cpuinfo isa lines of both runs:
#   h      no nested virtualization yet;
#   zihpm  hcounteren gives VMs no hpmcounter CSR (the PMU design of branch pmu decides).
# In riscv_hwprobe's IMA_EXT_0 (key 4), zihpm is bit 51 (Linux uapi RISCV_HWPROBE_EXT_ZIHPM,
# reported by kernels from 6.15 on).
HIDDEN_LETTERS = "h"
HIDDEN_EXTS = ("zihpm",)
HIDDEN_HWPROBE_BITS = 1 << 51


def normalise(line):
    """A line without the extensions hidden on purpose: the cpuinfo isa lines and
    riscv_hwprobe's IMA_EXT_0 (raw and decoded); cpuinfo hart ids as N; other lines
    unchanged."""
    m = re.match(r"^hwprobe: key 4 = 0x([0-9a-f]+)$", line)
    if m:
        return f"hwprobe: key 4 = {int(m.group(1), 16) & ~HIDDEN_HWPROBE_BITS:#x}"
    if line.startswith("hwprobe: ima_ext_0 ="):
        names = line[len("hwprobe: ima_ext_0 ="):].split()
        return "hwprobe: ima_ext_0 = " + " ".join(n for n in names if n not in HIDDEN_EXTS)
    # Which hart the kernel boots on is OpenSBI's lottery natively (vCPU 0 in a VM), so
    # /proc/cpuinfo may list hart 1 first: the processors are compared without hart ids.
    if re.match(r"^cpuinfo: hart\s*:\s*\d+$", line):
        return "cpuinfo: hart : N"
    m = re.match(r"^(cpuinfo: (?:hart )?isa\s*:\s*)rv64([a-z]*)((?:_[a-z0-9]+)*)$", line)
    if not m:
        return line
    letters = "".join(c for c in m.group(2) if c not in HIDDEN_LETTERS)
    exts = [e for e in m.group(3).split("_") if e and e not in HIDDEN_EXTS]
    return m.group(1) + "rv64" + letters + "".join("_" + e for e in exts)


def cpucheck_lines(q, prefix):
    """Run fv-cpucheck at the shell prompt; its lines between BEGIN and END, prefix removed."""
    q.send("fv-cpucheck; echo CPUCHECK-RC-$((40+2))-$?\r")
    q.expect(rf"^{prefix}FV-CPUCHECK BEGIN\r?$", 120)
    start = q._pos
    end = q.expect(rf"^{prefix}FV-CPUCHECK END\r?$", 300)
    q.expect(rf"^{prefix}CPUCHECK-RC-42-0\r?$", 30)
    text = q.output[start:end.start()]
    lines = []
    for raw in text.splitlines():
        raw = raw.rstrip("\r")
        if prefix and not re.match(prefix, raw):
            continue  # hypervisor lines and other VMs' output
        lines.append(re.sub("^" + prefix, "", raw))
    return [ln for ln in lines if ln]


def native_output():
    imgs = fvtest.linux_images()
    print(imgs.describe(), flush=True)
    with fvtest.Qemu(fvtest.native_linux_cmd("console=ttyS0 quiet", smp=SMP)) as q:
        q.expect(r"FERROVISOR-INIT: up", 240)
        q.expect(PROMPT, 60)
        lines = cpucheck_lines(q, "")
        q.kill()
    return lines


def vm_output():
    with fvtest.Qemu(hyp_cmd("linux-isa", smp=SMP, mem="1G")) as q:
        q.expect(r"^\[linux\] FERROVISOR-INIT: up", 600)
        q.expect(rf"^\[linux\] .*{PROMPT}", 60)
        lines = cpucheck_lines(q, r"\[linux\] ")
        assert_healthy(q)
        q.kill()
    return lines


def value(lines, key):
    """The rest of the first line starting with `key`."""
    for ln in lines:
        if ln.startswith(key):
            return ln[len(key):]
    raise fvtest.TestFailure(f"no line {key!r} in fv-cpucheck output")


@fvtest.timeout(1500)
def test_cpu_features_in_vm_match_native():
    vm = vm_output()
    native = native_output()
    problems = []
    # Independent of the native run: what the VM must have on QEMU's default CPU.
    isa = value(vm, "cpuinfo: isa")
    for ext in ("zicbom", "zicboz", "zawrs", "zba", "zbb", "zbs", "sstc"):
        if not re.search(rf"_{ext}(_|$)", isa):
            problems.append(f"VM lost {ext}: isa{isa}")
    if not re.match(r"\s*:\s*rv64imafdc_", isa):
        problems.append(f"VM base ISA: isa{isa}")
    if "zicboz" not in value(vm, "hwprobe: ima_ext_0 =").split():
        problems.append("hwprobe in the VM lacks zicboz")
    if value(vm, "cbo zero: ") != "64 bytes zeroed at [4096, 4159] (block exact)":
        problems.append("cbo.zero in the VM: " + value(vm, "cbo zero: "))
    if value(vm, "counter time: ") != "monotonic ok":
        problems.append("U-mode rdtime in the VM: " + value(vm, "counter time: "))

    if len(native) < 100:
        problems.append(f"native run printed only {len(native)} lines")
    n_native = [normalise(ln) for ln in native]
    n_vm = [normalise(ln) for ln in vm]
    for i in range(max(len(n_native), len(n_vm))):
        a = n_native[i] if i < len(n_native) else "(none)"
        b = n_vm[i] if i < len(n_vm) else "(none)"
        if a != b:
            problems.append(f"differs:\n  native: {a}\n  vm:     {b}")
    if problems:
        raise fvtest.TestFailure("fv-cpucheck, VM vs native:\n" + "\n".join(problems[:40]))
