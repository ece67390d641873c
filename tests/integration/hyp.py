# SPDX-License-Identifier: MIT
"""Helpers for tests that boot Ferrovisor itself (not a guest natively)."""

import re

import arm64_hyp
import fvtest

HYP_BIN = fvtest.BUILD_DIR / "riscv64" / "ferrovisor.bin"
CONFIG_DIR = fvtest.BUILD_DIR / "config"


def config_path(name):
    """build/config/test-<name>.dtb built by `make` from tests/integration/configs/<name>.dts;
    for a Linux configuration (linux*.dts) the one of the test's kernel suite,
    build/config/<suite>/test-<name>.dtb (fvtest.kernel_suite()). On arm64 (fvtest.arch(),
    the arm64 runs of ARCH_MATRIX modules) the configuration's arm64 twin
    (arm64_hyp.twin_config_path)."""
    if fvtest.arch() == "arm64":
        return arm64_hyp.twin_config_path(name)
    if name.startswith("linux"):
        suite = fvtest.kernel_suite()
        path = CONFIG_DIR / suite / f"test-{name}.dtb"
        if not path.is_file():
            raise fvtest.TestFailure(f"{path} missing: run `make test-configs` (after "
                                     f"`make images`) or `make {path.relative_to(fvtest.REPO_ROOT)}`")
        return path
    path = CONFIG_DIR / f"test-{name}.dtb"
    if not path.is_file():
        raise fvtest.TestFailure(f"{path} missing: run `make all` (test configs)")
    return path


def hyp_cmd(config=None, smp=2, mem="1G", cpu="rv64", extra=None):
    """QEMU running Ferrovisor; config = test config name (boot bundle via -initrd) or None.
    On arm64 (fvtest.arch()): qemu-system-aarch64 with the arm64 hypervisor and the
    configuration's arm64 twin (`cpu` is then ignored); the virtio-mmio slots are the same."""
    if fvtest.arch() == "arm64":
        more = ["-initrd", str(config_path(config))] if config else []
        return arm64_hyp.hyp_cmd(smp=smp, mem=mem, extra=more + ["-global",
                                 "virtio-mmio.force-legacy=false"] + list(extra or []))
    if not HYP_BIN.is_file():
        raise fvtest.TestFailure(f"{HYP_BIN} missing: run `make`")
    more = ["-initrd", str(config_path(config))] if config else []
    return fvtest.qemu_riscv_cmd(HYP_BIN, smp=smp, mem=mem, cpu=cpu, extra=more + list(extra or []))


def expect_vm_pass(q, vm, timeout=180.0):
    """Wait for `[vm] FV-RESULT ...`; fail unless PASS and no FV-CHECK FAIL from that VM.

    FV-CHECK SKIP lines count as neither passes nor failures.
    """
    q._pos = 0  # VMs finish in any order: search the whole console
    m = q.expect(rf"^\[{re.escape(vm)}\] FV-RESULT (PASS|FAIL[^\r\n]*)", timeout)
    # Anywhere in the VM's line: two vCPUs printing at once can put text before it.
    fails = re.findall(rf"^\[{re.escape(vm)}\] .*FV-CHECK FAIL.*$", q.output, re.M)
    if m.group(1) != "PASS" and not fails:
        # A failure the checks did not name in a line of their own: show every line that
        # says FAIL, so the report names the check.
        fails = [l for l in re.findall(rf"^\[{re.escape(vm)}\] .*$", q.output, re.M)
                 if "FAIL" in l and "FV-RESULT" not in l]
    if m.group(1) != "PASS" or fails:
        raise q._fail(f"VM {vm} reported failure: {m.group(1)}\n" + "\n".join(fails), n=60)


def assert_healthy(q):
    """No hypervisor panic and no VM stopped for a fatal error unless the test expects it."""
    q.assert_absent(r"PANIC")
    q.assert_absent(r"^\[hyp\] error:")


def heartbeat(q, vm="hello", timeout=30.0):
    """Wait for the next heartbeat of the hello guest in `vm`; returns its number."""
    # Up to the newline: a number at the end of the buffer may still be growing.
    m = q.expect(rf"^\[{re.escape(vm)}\] heartbeat (\d+)\r?\n", timeout)
    return int(m.group(1))


def beats_since(q, vm, mark):
    """The heartbeat numbers the hello guest in `vm` printed after output offset mark."""
    return [int(n) for n in re.findall(rf"^\[{re.escape(vm)}\] heartbeat (\d+)\r?$",
                                       q.output[mark:], re.M)]


def assert_beats_kept_going(vm, beats, max_skip=10):
    """A witness VM never stopped: its heartbeats (the guest's 200 ms timer count) rise, with
    at most max_skip ticks missing at once. A tick goes unprinted when the guest's vCPU
    waited longer than one period (a loaded host: QEMU's own threads starved); a stopped or
    paused VM shows as a long gap or no beats at all."""
    assert len(beats) >= 2, (vm, "no heartbeats", beats)
    steps = [b - a for a, b in zip(beats, beats[1:])]
    assert all(1 <= d <= max_skip + 1 for d in steps), (vm, beats)


def shell(q, line, expect=None, timeout=20.0):
    """Type a command at the hypervisor shell (focus must be the shell)."""
    q.send(line + "\r")
    if expect:
        return q.expect(expect, timeout)
    return None


def require_svc_layer(config):
    """Skip (fvtest.Skip, naming the fix) unless the test suite's service VM initramfs holds
    ferrovisord; `config` (the test's service VM configuration) is built first on arm64,
    which composes that architecture's images (arm64_hyp.twin_config_path)."""
    if fvtest.arch() == "arm64":
        config_path(config)
    manifest = fvtest.images_dir() / fvtest.kernel_suite() / "manifest.txt"
    if not manifest.is_file() or "\nsvc-layer " not in manifest.read_text():
        raise fvtest.Skip(f"service VM layer not built: the {fvtest.arch()} libraries were not "
                          f"fetched (`make {'ARCH=arm64 ' if fvtest.arch() == 'arm64' else ''}"
                          "images`, then `make test-configs`)")


# Bare-metal guests with an arm64 twin of the same behaviour (guests/arm64/): hello's
# heartbeat is the heartbeat guest's; the VM package ctl_dynvm.dtb holds it inline.
_ARM64_GUESTS = {"hello.bin": "heartbeat.bin", "ctl_dynvm.dtb": "ctl_dynvm.dtb",
                 "echo.bin": "echo.bin"}


def guest_file(name):
    """A built test guest file (build/guests/<name>) for fvtest.arch(): on arm64 its twin in
    build/arm64/guests; TestFailure when missing or without an arm64 twin."""
    if fvtest.arch() == "arm64":
        if name not in _ARM64_GUESTS:
            raise fvtest.TestFailure(f"guest {name} has no arm64 twin (guests/arm64)")
        arm64_hyp.build()
        path = fvtest.BUILD_DIR / "arm64" / "guests" / _ARM64_GUESTS[name]
    else:
        path = fvtest.GUEST_DIR / name
    if not path.is_file():
        raise fvtest.TestFailure(f"{path} missing: run `make all`")
    return path
