# SPDX-License-Identifier: MIT
"""VMs created, paused, resumed and destroyed at run time from the hypervisor shell.

Config `dynamic`: a boot VM "keeper" (hello, heartbeat every 200 ms) and two templates of
the boot bundle, "hello" and "echo", that are not created at boot. `vm create TEMPLATE NAME`
instantiates one through vm_create_dynamic (the control channel's path). Throughout, keeper
must keep beating: no operation on another VM stops it.
ARCH_MATRIX: the same on the arm64 port (configs-arm64/dynamic.dts: the heartbeat guest
for hello, the arm64 spin and echo twins).
"""

import re
import subprocess

import fvtest
from hyp import assert_healthy, heartbeat, hyp_cmd, shell
from linux_shell import DISKS

ARCH_MATRIX = True

ESC = "\x1d"  # Ctrl-], the console escape key
MAX_VMS = 8


def boot():
    q = fvtest.Qemu(hyp_cmd("dynamic"))
    return q


def started(q):
    q.expect(r"^\[hyp\] vm hello: template \(created by `vm create hello`\)", 60)
    q.expect(r"^\[hyp\] console focus: hyp", 60)
    heartbeat(q, "keeper", 60)


def create(q, tmpl, name, timeout=60):
    """`vm create tmpl name`; returns the slot."""
    m = shell(q, f"vm create {tmpl} {name}",
              rf"^\[hyp\] vm {name}: created from template {tmpl} \(slot (\d+)\)", timeout)
    return int(m.group(1))


def destroy(q, name, timeout=60):
    shell(q, f"vm destroy {name}", rf"^\[hyp\] vm {name}: destroyed: \d+ MiB of RAM scrubbed",
          timeout)


def mem_figures(q):
    """(free pages, heap bytes total, heap live allocations) from `mem`."""
    m = shell(q, "mem", r"^\[hyp\] pages: total \d+ free (\d+) used", 20)
    free = int(m.group(1))
    m = q.expect(r"^\[hyp\] heap: (\d+) bytes, used \d+, .*live allocations (\d+)\r?\n", 10)
    return free, int(m.group(1)), int(m.group(2))


def keeper_alive(q, beats=2):
    """keeper's heartbeat still advances (the other VMs never stop)."""
    n = heartbeat(q, "keeper", 20)
    for _ in range(beats - 1):
        n2 = heartbeat(q, "keeper", 20)
        assert n2 > n, (n, n2)
        n = n2


@fvtest.timeout(300)
def test_pause_and_resume():
    with boot() as q:
        started(q)
        create(q, "hello", "h1")
        heartbeat(q, "h1", 60)
        heartbeat(q, "h1", 20)
        shell(q, "vm pause h1", r"^\[hyp\] vm h1: paused\r?\n", 20)
        shell(q, "vm list", r"^\[hyp\] \d+\s+h1\s+paused\s", 20)
        # A heartbeat already on its way may still print: let it, then watch a quiet window.
        keeper_alive(q, 2)
        quiet_from = len(q.output)
        keeper_alive(q, 6)  # >= 1 s of keeper beats
        assert not re.search(r"^\[h1\] heartbeat", q.output[quiet_from:], re.M), \
            "paused VM h1 kept printing heartbeats"
        # Not running: pausing again is refused; resume continues it.
        shell(q, "vm pause h1", r"^\[hyp\] vm h1 is paused, not running", 20)
        shell(q, "vm resume h1", r"^\[hyp\] vm h1: resumed\r?\n", 20)
        n1 = heartbeat(q, "h1", 20)
        n2 = heartbeat(q, "h1", 20)
        assert n2 > n1
        shell(q, "vm list", r"^\[hyp\] \d+\s+h1\s+running\s", 20)
        # resume of a running VM is an error message, not an action
        shell(q, "vm resume h1", r"^\[hyp\] vm h1 is running, not paused or suspended", 20)
        keeper_alive(q, 2)
        assert_healthy(q)


@fvtest.timeout(300)
def test_pause_parks_a_busy_vcpu_and_destroy_stops_it():
    """spin masks interrupts and never exits on its own: only the pause's kick parks it."""
    with boot() as q:
        started(q)
        create(q, "spin", "s1")
        # The guest may print before the shell says it created it: look at all the output.
        q.expect_seen(r"^\[s1\] spin: start", 60)
        shell(q, "vm list", r"^\[hyp\] \d+\s+s1\s+running\s+1\s+\d+\s+0:(running|runnable)/", 20)
        shell(q, "vm pause s1", r"^\[hyp\] vm s1: paused\r?\n", 20)
        keeper_alive(q, 2)
        m = shell(q, "vm list", r"^\[hyp\] \d+\s+s1\s+paused\s+1\s+\d+\s+0:(\w+)/-?\d+/(\d+)", 20)
        assert m.group(1) == "blocked", m.group(0)
        exits = int(m.group(2))
        keeper_alive(q, 3)
        m = shell(q, "vm list", r"^\[hyp\] \d+\s+s1\s+paused\s+1\s+\d+\s+0:blocked/-?\d+/(\d+)", 20)
        assert int(m.group(1)) == exits, "a paused vCPU kept running"
        shell(q, "vm resume s1", r"^\[hyp\] vm s1: resumed\r?\n", 20)
        keeper_alive(q, 2)
        m = shell(q, "vm list", r"^\[hyp\] \d+\s+s1\s+running\s+1\s+\d+\s+0:\w+/-?\d+/(\d+)", 20)
        assert int(m.group(1)) > exits, "the resumed vCPU did not run again"
        # Paused again, then destroyed: the stop gets through the pause.
        shell(q, "vm pause s1", r"^\[hyp\] vm s1: paused\r?\n", 20)
        destroy(q, "s1")
        keeper_alive(q, 2)
        assert_healthy(q)


@fvtest.timeout(300)
def test_destroy_returns_memory():
    with boot() as q:
        started(q)
        free0, heap0, live0 = mem_figures(q)
        create(q, "hello", "h1")
        heartbeat(q, "h1", 60)
        free1, _, live1 = mem_figures(q)
        assert free1 < free0 - (32 << 20) // 4096, (free0, free1)  # its 32 MiB RAM at least
        assert live1 > live0
        destroy(q, "h1")
        shell(q, "vm list", r"^\[hyp\] 1 of 8 VM slots in use", 20)
        q.rewind(len(q.output))
        free2, heap2, live2 = mem_figures(q)
        # Every page is back except those the heap grew by (the heap keeps its pages).
        assert free2 == free0 - (heap2 - heap0) // 4096, (free0, free2, heap0, heap2)
        assert live2 == live0, (live0, live2)
        # The name and the slot are free again: a second round ends at the same figures.
        create(q, "hello", "h1")
        heartbeat(q, "h1", 60)
        destroy(q, "h1")
        q.rewind(len(q.output))
        free3, heap3, live3 = mem_figures(q)
        assert (free3, heap3, live3) == (free2, heap2, live2)
        shell(q, "vm info h1", r"^\[hyp\] vm: no VM named 'h1'", 20)
        keeper_alive(q, 2)
        assert_healthy(q)


@fvtest.timeout(300)
def test_destroyed_ram_is_scrubbed():
    with boot() as q:
        started(q)
        slot = create(q, "echo", "e1")
        # The guest's first lines may come before the shell's "created" line.
        q.expect_seen(r"^\[e1\] echo: scanned \d+ KiB above the image: zero \(0 nonzero words\)",
                      60)
        q.expect_seen(r"^\[e1\] echo: ready", 30)
        host = shell(q, "vm info e1", r"^\[hyp\] vm e1: running, .* \(host (0x[0-9a-f]+)\)",
                     20).group(1)
        q.send(ESC + str(slot + 1))
        q.expect(r"^\[hyp\] console focus: e1", 10)
        q.send("fill\r")
        q.expect(r"^\[e1\] echo: filled (\d+) KiB of RAM with a pattern", 60)
        q.send(ESC + "0")
        q.expect(r"^\[hyp\] console focus: hyp", 10)
        destroy(q, "e1")
        # The next VM of that size gets the same host memory (lowest fit) and finds zeros only.
        create(q, "echo", "e2")
        q.expect_seen(r"^\[e2\] echo: ram at boot zero \(0 nonzero words\)", 60)
        q.expect_seen(r"^\[e2\] echo: scanned \d+ KiB above the image: zero \(0 nonzero words\)",
                      60)
        shell(q, "vm info e2", rf"^\[hyp\] vm e2: running, .* \(host {host}\)", 20)
        q.assert_absent(r"NOT zero")
        keeper_alive(q, 2)
        assert_healthy(q)


@fvtest.timeout(420)
def test_vm_limit_then_destroy_all_and_create_again():
    with boot() as q:
        started(q)
        names = [f"d{i}" for i in range(1, MAX_VMS)]  # keeper holds the 8th slot
        for rnd in range(2):
            for n in names:
                create(q, "hello", n)
            for n in names:
                heartbeat(q, n, 120) if rnd == 0 else q.expect_seen(rf"^\[{n}\] heartbeat", 120)
            shell(q, "vm list", rf"^\[hyp\] {MAX_VMS} of {MAX_VMS} VM slots in use", 20)
            # One more: a clear error naming the limit, nothing else changes.
            shell(q, "vm create hello extra",
                  rf"^\[hyp\] error: vm extra: VM limit reached \({MAX_VMS} VMs, FV_MAX_VMS\)", 20)
            q.expect(rf"^\[hyp\] vm create: VM limit reached \({MAX_VMS} VMs\)", 10)
            keeper_alive(q, 2)
            for n in names:
                destroy(q, n)
            shell(q, "vm list", rf"^\[hyp\] 1 of {MAX_VMS} VM slots in use", 20)
            q.rewind(len(q.output))
            keeper_alive(q, 2)
        assert "extra" not in re.findall(r"^\[hyp\] \d+\s+(\S+)\s+running", q.output, re.M)
        # Only templates are instantiated: not a boot VM, not an unknown name.
        for bad in ("keeper", "nosuch"):
            shell(q, f"vm create {bad} x",
                  rf"^\[hyp\] error: vm create: the configuration has no template VM named {bad}",
                  20)
        shell(q, "vm list", rf"^\[hyp\] 1 of {MAX_VMS} VM slots in use", 20)
        assert_healthy_except_limit(q)


def assert_healthy_except_limit(q):
    """No panic, and the only errors are the expected VM-limit refusals."""
    q.assert_absent(r"PANIC")
    errs = re.findall(r"^\[hyp\] error: (.*)$", q.output, re.M)
    assert all("VM limit reached" in e or "has no template VM named" in e for e in errs), errs


HELLO = 'kernel = /incbin/("hello.bin"); autostart;'
DEV_VMS = [
    'keeper { memory-size = /bits/ 64 <0x2000000>; ' + HELLO + ' virtio-net-switch = "lan0"; };',
    'net { memory-size = /bits/ 64 <0x2000000>; ' + HELLO + ' template;'
    ' virtio-blk-slots = <0>; virtio-blk-slices = /bits/ 64 <0 2048>;'
    ' virtio-net-switch = "lan0"; };',
]


def boot_devices():
    dts = ('/dts-v1/; / { compatible = "ferrovisor,config-v1"; vms { ' + " ".join(DEV_VMS) +
           " }; };")
    arm64 = fvtest.arch() == "arm64"
    if arm64:
        hyp_cmd(None)  # builds the arm64 guests
        dts = dts.replace('"hello.bin"', '"heartbeat.bin"')
    guests = fvtest.BUILD_DIR / "arm64" / "guests" if arm64 else fvtest.GUEST_DIR
    blob = DISKS / f"dynamic-devices-{fvtest.arch()}.dtb"
    blob.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-i", str(guests), "-o",
                    str(blob), "-"], input=dts.encode(), check=True)
    extra = ["-initrd", str(blob)] + fvtest.virtio_disk(
        DISKS / f"dynamic-disk-{fvtest.arch()}.img", 0, size="4M")
    return fvtest.Qemu(hyp_cmd(None, mem="512M", extra=extra))


def ports(q):
    q.rewind(len(q.output))
    return int(shell(q, "net", r"^\[hyp\] switch lan0: (\d+) port\(s\)", 20).group(1))


def claims(q):
    q.rewind(len(q.output))
    return int(shell(q, "disks", r"^\[hyp\] disk slot 0: \d+ sectors, (\d+) claim\(s\)",
                     20).group(1))


@fvtest.timeout(300)
def test_devices_claimed_and_released():
    """A run-time VM gets its disk slice and a port on the existing switch; destroy gives
    both back, a second instance gets the same ones, and a third that overlaps the live one's
    slice is refused with nothing held."""
    if fvtest.arch() != "arm64":
        fvtest.guest_image("hello")
    with boot_devices() as q:
        heartbeat(q, "keeper", 60)
        assert (ports(q), claims(q)) == (1, 0)
        create(q, "net", "n1")
        q.rewind()
        q.expect(r"^\[hyp\] vm n1: vda: virtio-blk at 0x[0-9a-f]+ .* disk slot 0 sectors 0-2047", 10)
        q.expect(r"^\[hyp\] vm n1: eth0: virtio-net at 0x[0-9a-f]+ .* switch port 1", 10)
        heartbeat(q, "n1", 60)
        assert (ports(q), claims(q)) == (2, 1)
        q.expect(r"^\[hyp\] disk slot 0: n1 sectors 0-2047\r?\n", 10)
        destroy(q, "n1")
        assert (ports(q), claims(q)) == (1, 0)
        create(q, "net", "n2")
        q.expect_seen(r"^\[hyp\] vm n2: eth0: virtio-net at 0x[0-9a-f]+ .* switch port 1", 10)
        heartbeat(q, "n2", 60)
        # n3 wants n2's slice: refused, and it holds no port, RAM or slot afterwards.
        free = int(shell(q, "mem", r"^\[hyp\] pages: total \d+ free (\d+) ", 20).group(1))
        shell(q, "vm create net n3", r"^\[hyp\] error: vm n3: disk 0: .*already belong to n2", 20)
        q.expect(r"^\[hyp\] error: vm n3: setup failed", 10)
        assert (ports(q), claims(q)) == (2, 1)
        q.rewind(len(q.output))
        free2 = int(shell(q, "mem", r"^\[hyp\] pages: total \d+ free (\d+) ", 20).group(1))
        assert free2 <= free and free - free2 < 64, (free, free2)  # at most heap growth
        shell(q, "vm list", r"^\[hyp\] 2 of 8 VM slots in use", 20)
        shell(q, "vm create net n2", r"^\[hyp\] error: vm create: a VM named n2 exists", 20)
        destroy(q, "n2")
        assert (ports(q), claims(q)) == (1, 0)
        keeper_alive(q, 2)
        q.assert_absent(r"PANIC")
        errs = re.findall(r"^\[hyp\] error: (.*)$", q.output, re.M)
        assert all(e.startswith(("vm n3", "vm create: a VM named n2")) for e in errs), errs
