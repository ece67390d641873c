# SPDX-License-Identifier: MIT
"""virtio-net fast path (issue #15): many frames in flight between two Linux VMs on one switch
and through the switch's uplink (QEMU's restricted user network), every byte checked by
fv-netcheck (guests/linux-userland/fv-netcheck.c) or by this module speaking its protocol;
the uplink NIC's host interrupt handled on the CPU that runs the VM behind it (hart 1), and
its transmit notifications batched (fewer kicks than frames); the physical NIC's smaller MTU
(QEMU host_mtu=1400) reported to the guests."""

import re
import socket
import struct
import threading
import time

import fvapi
import fvtest
from hyp import assert_healthy, hyp_cmd
from linux_shell import boot_to_shell, run

KERNEL_MATRIX = True

ESC = "\x1d"  # Ctrl-], the console escape key
PORT = 5001
BLOCK = 65521
HOST_BYTES = 1 << 20  # per host connection


def block(seed):
    """fv-netcheck's stream block for @seed."""
    return bytes((((k * 131 + seed * 7919) ^ (k >> 7)) & 0xff) for k in range(BLOCK))


def stream(seed, length):
    b = block(seed)
    return (b * (length // BLOCK + 1))[:length]


def focus(q, n, name):
    """Console focus to VM number @n (0: the hypervisor shell)."""
    q.send(ESC + str(n))
    q.expect(rf"^\[hyp\] console focus: {name}", 10)
    if n:
        q.send("\r")
        q.expect(rf"^\[{name}\] .*fv-guest:~# ", 30)


def host_transfer(port, op, seed, length, errors):
    """One fv-netcheck connection from the host: 'W' sends the stream and expects "OK",
    'R' receives it and compares. Appends a message to @errors on failure."""
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=120)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        with s:
            s.settimeout(300)
            s.sendall(b"FVNC" + op.encode() + b"\0\0\0" + struct.pack(">II", seed, length))
            want = stream(seed, length)
            if op == "W":
                s.sendall(want)
                s.shutdown(socket.SHUT_WR)
                ans = b""
                while not ans.endswith(b"\n"):
                    got = s.recv(64)
                    if not got:
                        break
                    ans += got
                if ans != b"OK\n":
                    errors.append(f"host->VM seed {seed}: guest answered {ans!r}")
                return
            got = bytearray()
            while len(got) < length:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
            if bytes(got) != want:
                bad = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), len(got))
                errors.append(f"VM->host seed {seed}: {len(got)} of {length} bytes, "
                              f"first difference at {bad}")
    except OSError as e:
        errors.append(f"{op} seed {seed}: {e}")


@fvtest.timeout(1200)
def test_net_many_flows_vm_to_vm_and_uplink_irq_on_vm_cpu():
    port = fvapi.free_port()
    extra = ["-netdev", f"user,id=up0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:{PORT}",
             "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.0,host_mtu=1400"]
    with fvtest.Qemu(hyp_cmd("linux-netfast", smp=2, mem="2G", extra=extra)) as q:
        # The physical NIC reports MTU 1400: the VMs' NICs on its switch report it too.
        q.expect(r"^\[hyp\] switch lan0: uplink on virtio slot 0 .*, interrupt-driven, "
                 r"mtu 1400", 60)
        m = q.expect(r"^\[hyp\] irq (\d+) \(uplink lan0\): routed to cpu 1", 120)
        irq = int(m.group(1))
        for vm in ("lina", "linb"):
            q.rewind()
            q.expect(rf"^\[{vm}\] FERROVISOR-INIT: up", 400)
        focus(q, 2, "linb")
        run(q, "linb", "ifconfig eth0 10.0.2.16 netmask 255.255.255.0 up && echo UP-$((40+2))",
            r"UP-42", 60)
        run(q, "linb", f"(fv-netcheck serve {PORT} &) ; sleep 1; echo SRV-$((40+2))",
            r"SRV-42", 60)
        focus(q, 1, "lina")
        # Bring lina's NIC up again (driver unbound and bound: device reset, DRIVER_OK):
        # the uplink's interrupt follows the CPU that runs the VM, lina's CPU 1.
        run(q, "lina", "d=$(basename $(readlink /sys/class/net/eth0/device)); "
            "echo $d > /sys/bus/virtio/drivers/virtio_net/unbind; "
            "echo $d > /sys/bus/virtio/drivers/virtio_net/bind; sleep 1; "
            "ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up && echo UP-$((40+2))",
            r"UP-42", 60)
        run(q, "lina", f"(fv-netcheck serve {PORT} &) ; sleep 1; echo SRV-$((40+2))",
            r"SRV-42", 60)
        run(q, "lina", "echo MTU-$(cat /sys/class/net/eth0/mtu)", r"MTU-1400", 30)
        # VM to VM, both directions, four connections at once (many frames in flight).
        run(q, "lina", f"fv-netcheck send 10.0.2.16 {PORT} 1048576 4",
            r"fv-netcheck: ok conns=4 bytes=4194304", 600)
        run(q, "lina", f"fv-netcheck fetch 10.0.2.16 {PORT} 1048576 4",
            r"fv-netcheck: ok conns=4 bytes=4194304", 600)
        # Through the uplink: two host-to-VM and two VM-to-host connections at once.
        errors = []
        threads = [threading.Thread(target=host_transfer,
                                    args=(port, op, 2000 + i, HOST_BYTES, errors))
                   for i, op in enumerate("WRWR")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        assert not any(t.is_alive() for t in threads), "host transfers did not finish"
        assert not errors, errors
        # The hypervisor's view: the uplink's interrupt routed to and handled on CPU 1,
        # transmit notifications batched.
        focus(q, 0, "hyp")
        q.send("irqs\r")
        m = q.expect(rf"^\[hyp\] irq {irq} \(uplink lan0\): cpu (\d+), handled cpu0 (\d+) "
                     r"cpu1 (\d+)", 20)
        assert m.group(1) == "1", m.group(0)
        assert int(m.group(3)) > 0, m.group(0)
        q.send("net\r")
        m = q.expect(r"^\[hyp\] switch lan0 uplink: irq \d+ on cpu 1 \((\d+) handled\), "
                     r"rx (\d+) frames, tx (\d+) frames in (\d+) kicks", 20)
        handled, rx, tx, kicks = (int(x) for x in m.groups())
        # 2 MiB each way through the uplink: well over a thousand frames each.
        assert rx > 1000 and tx > 1000, m.group(0)
        assert 0 < kicks < tx, m.group(0)
        assert handled > 0, m.group(0)
        assert_healthy(q)
