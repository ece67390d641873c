# SPDX-License-Identifier: MIT
"""Debian Linux guests on Ferrovisor's SBI 3.0 (FWFT and DBTR offered).

test_linux_userspace_misaligned_as_native runs guests/linux/progs/misaligned.S (a static
program added to the cached initramfs as a second cpio archive) natively and under
Ferrovisor: a misaligned load must return the right bytes and a misaligned AMO must end in
SIGBUS in both, i.e. the hypervisor's misaligned handling is transparent to Linux.

The VM reports SBI 3.0 with FWFT and DBTR: old kernels (6.12) must ignore them, kernels that
know FWFT (Linux 6.16 and later, e.g. sid's 7.2) must detect it, and both must boot and work.
Debian's 7.2 does not ask for misaligned exception delegation on QEMU (misaligned accesses are
fast in hardware there), so the hypervisor must not log a delegation change either.
"""

import os
import re
import subprocess
from pathlib import Path

import fvtest
from hyp import CONFIG_DIR, assert_healthy, heartbeat, hyp_cmd

KERNEL_MATRIX = True

PROMPT = r"fv-guest:~# "
CROSS_CC = "riscv64-linux-gnu-gcc"
PROGS_SRC = fvtest.REPO_ROOT / "guests" / "linux" / "progs"
PROGS_OUT = fvtest.BUILD_DIR / "linux-progs"


def image_dir():
    """build/images/<suite>/: the test's Debian kernel (Image) and layered initramfs."""
    return fvtest.linux_images().image.parent


def progs_out():
    """Per-suite output directory ([stable] and [unstable] may run at the same time)."""
    d = PROGS_OUT / fvtest.kernel_suite()
    d.mkdir(parents=True, exist_ok=True)
    return d


def misaligned_initramfs():
    """The suite's initramfs plus /misaligned (a second, uncompressed cpio archive)."""
    out_dir = progs_out()
    subprocess.run([CROSS_CC, "-nostdlib", "-static", "-o", str(out_dir / "misaligned"),
                    str(PROGS_SRC / "misaligned.S")], check=True)
    extra = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], input=b"misaligned\n",
                           cwd=str(out_dir), check=True, capture_output=True).stdout
    base = fvtest.linux_images().initramfs.read_bytes()
    # Linux unpacks concatenated archives; zero padding between them is skipped.
    out = out_dir / "initramfs-misaligned.cpio"
    out.write_bytes(base + b"\0" * (-len(base) % 4) + extra)
    return out


def misaligned_config(initrd):
    """build/config/test-linux-misaligned.dtb: the Linux VM of linux-hello with that initrd."""
    dts = progs_out() / "linux-misaligned.dts"
    dts.write_text(
        "/dts-v1/;\n/ {\n\tcompatible = \"ferrovisor,config-v1\";\n"
        "\thost { console-focus = \"linux\"; };\n\tvms {\n"
        "\t\tlinux { vcpus = <2>; memory-size = /bits/ 64 <0x10000000>;\n"
        "\t\t\tkernel = /incbin/(\"Image\"); "
        f"initrd = /incbin/(\"{initrd.name}\");\n"
        "\t\t\tbootargs = \"console=ttyS0 quiet\"; autostart; };\n"
        "\t\thello { vcpus = <1>; memory-size = /bits/ 64 <0x2000000>; "
        "kernel = /incbin/(\"hello.bin\"); autostart; };\n\t};\n};\n")
    dtb = CONFIG_DIR / fvtest.kernel_suite() / "test-linux-misaligned.dtb"
    dtb.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-i", str(progs_out()), "-i",
                    str(image_dir()), "-i", str(fvtest.BUILD_DIR / "guests"), "-o", str(dtb),
                    str(dts)], check=True)
    return "linux-misaligned"


def expect_misaligned_run(q, tag):
    """Run /misaligned at the shell of the Linux whose console lines start with `tag`."""
    q.send("/misaligned\r")
    q.expect(rf"^{tag}MISALIGN-LD-OK\r?$", 60)
    q.expect(rf"^{tag}MISALIGN-AMO-TRY\r?$", 30)
    q.expect(r"Bus error", 30)
    q.assert_absent(r"MISALIGN-AMO-DONE")
    q.assert_absent(r"MISALIGN-LD-BAD")


def run(q, vm, cmd, pattern, timeout=60):
    q.send(cmd + "\r")
    return q.expect(rf"^\[{vm}\] {pattern}", timeout)


@fvtest.timeout(420)
def test_linux_boots_on_sbi3_and_detects_fwft():
    with fvtest.Qemu(hyp_cmd("linux-hello", mem="2G")) as q:
        q.expect(r"^\[hyp\] fwft: firmware misaligned delegation available", 30)
        q.expect(r"^\[linux\] FERROVISOR-INIT: up", 300)
        m = q.expect(r"^\[linux\] FERROVISOR-INIT: nproc=\d+ kernel=(\d+)\.(\d+)\.", 30)
        version = (int(m.group(1)), int(m.group(2)))
        q.expect(rf"^\[linux\] .*{PROMPT}", 60)
        spec = "dmesg | grep -o 'SBI specification v[0-9.]*' | tr -d a-zA-Z\\ "
        run(q, "linux", f"echo SPEC=$({spec})", r"SPEC=3\.0\r?$")
        m = run(q, "linux", "echo FWFT=$(dmesg | grep -c 'SBI FWFT extension detected')",
                r"FWFT=(\d+)\r?\n")
        detected = int(m.group(1))
        if version >= (7, 0):
            assert detected == 1, f"Linux {version} did not detect FWFT"
        elif version < (6, 16):
            assert detected == 0, f"Linux {version} cannot know FWFT"
        # The guest keeps working afterwards, and the other VM too.
        run(q, "linux", "echo SUM=$((40 + 2))", r"SUM=42\r?$")
        n = heartbeat(q, "hello", 30)
        assert heartbeat(q, "hello", 30) > n
        assert not re.search(r"^\[hyp\] vm linux: vCPU \d+: fwft feature 0 set to 1", q.output,
                             re.M), "unexpected misaligned delegation request"
        q.assert_absent(r"firmware refused its triggers")
        assert_healthy(q)


@fvtest.timeout(600)
def test_linux_userspace_misaligned_as_native():
    initrd = misaligned_initramfs()
    native = fvtest.qemu_riscv_cmd(image_dir() / "Image", smp=2, mem="1G",
                                   extra=["-initrd", str(initrd), "-append", "console=ttyS0 quiet"])
    with fvtest.Qemu(native, name="native") as q:
        q.expect(r"FERROVISOR-INIT: up", 300)
        q.expect(PROMPT, 60)
        expect_misaligned_run(q, "")
    with fvtest.Qemu(hyp_cmd(misaligned_config(initrd), mem="2G")) as q:
        q.expect(r"^\[linux\] FERROVISOR-INIT: up", 300)
        q.expect(rf"^\[linux\] .*{PROMPT}", 60)
        expect_misaligned_run(q, r"\[linux\] ")
        n = heartbeat(q, "hello", 30)
        assert heartbeat(q, "hello", 30) > n
        assert_healthy(q)
