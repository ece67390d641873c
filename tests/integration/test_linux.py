# SPDX-License-Identifier: MIT
"""Stock Debian riscv64 Linux in Ferrovisor VMs, beside other VMs."""

import re

import fvtest
from hyp import assert_healthy, heartbeat, hyp_cmd, shell

KERNEL_MATRIX = True  # every test boots the Debian kernel: run on stable and unstable

ESC = "\x1d"  # Ctrl-], the console escape key
PROMPT = r"fv-guest:~# "


def boot_to_shell(q, vm, timeout=240, focused=True):
    q.expect(rf"^\[{vm}\] FERROVISOR-INIT: up", timeout)
    q.expect(rf"^\[{vm}\] FERROVISOR-INIT: nproc=(\d+)", 30)
    # Only the focused VM's partial line (the prompt) reaches the console.
    if focused:
        q.expect(rf"^\[{vm}\] .*{PROMPT}", 60)


def run(q, vm, cmd, pattern, timeout=60):
    """Type a command into the focused Linux VM and wait for `pattern` in its output."""
    q.send(cmd + "\r")
    return q.expect(rf"^\[{vm}\] {pattern}", timeout)


@fvtest.timeout(420)
def test_linux_smp_boots_to_shell_beside_baremetal():
    with fvtest.Qemu(hyp_cmd("linux-hello", mem="2G")) as q:
        boot_to_shell(q, "linux")
        run(q, "linux", "nproc", r"2\r?$")
        run(q, "linux", "cat /proc/cpuinfo", r"processor\s*: 1", 30)
        m = q.expect(r"^\[linux\] isa\s*: rv64([a-z]+)_", 10)  # up to "_": the letters are complete
        assert m.group(1).startswith("imafdc"), m.group(1)
        assert "h" not in m.group(1), "the H extension leaked into the guest's ISA"
        q.expect(r"^\[linux\] mmu\s*: sv", 10)
        # The guest userland layer (guests/linux-userland/) is in the VM's initramfs and runs.
        release = re.escape(fvtest.linux_images().release)
        run(q, "linux", "fv-hello 40 2", rf"fv-hello: ok kernel={release} machine=riscv64 sum=42")
        # Guest time: `sleep 2` takes about 2 s of guest time.
        m = run(q, "linux", "time sleep 2", r"real\s+0m\s*(\d+\.\d+)s", 60)
        secs = float(m.group(1))
        assert 1.9 <= secs <= 3.0, f"sleep 2 took {secs}s of guest time"
        run(q, "linux", "cat /sys/devices/system/cpu/online", r"0-1\r?$")
        # The bare-metal VM kept running all along.
        n = heartbeat(q, "hello", 30)
        # poweroff inside the guest stops that VM only.
        q.send("poweroff\r")
        q.expect(r"^\[hyp\] vm linux: guest shutdown", 120)
        q.expect(r"^\[hyp\] vm linux: stopped", 30)
        assert heartbeat(q, "hello", 30) > n
        assert_healthy(q)


@fvtest.timeout(600)
def test_two_linux_vms_one_reboots_other_keeps_working():
    with fvtest.Qemu(hyp_cmd("linux-two", mem="2G")) as q:
        boot_to_shell(q, "lina", 400)
        q._pos = 0
        boot_to_shell(q, "linb", 400, focused=False)
        # lina has focus: reboot it.
        q.send("reboot\r")
        q.expect(r"^\[hyp\] vm lina: guest reboot", 120)
        q.expect(r"^\[hyp\] vm lina: boot #2", 60)
        # While lina reboots, linb answers commands.
        q.send(ESC + "2")
        q.expect(r"^\[hyp\] console focus: linb", 10)
        run(q, "linb", "echo linb-alive-$((6*7))", r"linb-alive-42", 60)
        boot_to_shell(q, "lina", 400, focused=False)
        q.send(ESC + "1")
        q.expect(r"^\[hyp\] console focus: lina", 10)
        q.expect(rf"^\[lina\] .*{PROMPT}", 10)  # its prompt shows once it has focus
        run(q, "lina", "cat /proc/uptime", r"\d+\.\d+ \d+\.\d+", 30)
        assert_healthy(q)


@fvtest.timeout(480)
def test_linux_panic_and_silent_guest_do_not_affect_others():
    with fvtest.Qemu(hyp_cmd("linux-panic", mem="2G")) as q:
        boot_to_shell(q, "linux")
        q._pos = 0
        q.expect(r"^\[spin\] spin: start", 30)
        q.expect(rf"^\[linux\] .*{PROMPT}", 10)
        q.send("echo c > /proc/sysrq-trigger\r")
        q.expect(r"^\[linux\] .*Kernel panic", 120)
        # Other VMs keep running; the hypervisor shell still answers.
        n = heartbeat(q, "hello", 30)
        assert heartbeat(q, "hello", 30) > n
        q.send(ESC + "0")
        q.expect(r"^\[hyp\] console focus: hyp", 10)
        shell(q, "vm list", r"^\[hyp\] \d+\s+linux\s+running", 10)
        # The operator restarts the crashed guest: it boots again.
        shell(q, "vm reset linux", r"^\[hyp\] vm linux: boot #2", 120)
        q.expect(r"^\[linux\] FERROVISOR-INIT: up", 300)
        assert heartbeat(q, "hello", 30) > n
        assert_healthy(q)
