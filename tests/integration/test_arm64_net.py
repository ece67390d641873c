# SPDX-License-Identifier: MIT
"""virtio-net on arm64: Debian's arm64 kernel drives core's virtio-net device (the same
switch as on RISC-V) through the arm64 VM's virtio-mmio window and its GIC SPI. Two Linux VMs
on one switch ping each other and move a file over HTTP (checksummed); a VM whose switch has
QEMU's user-mode network as its uplink (the physical NIC on virtio-mmio slot 0) serves a file
the host fetches through a forwarded port."""

import hashlib
import time
import urllib.request

import arm64_hyp
import fvapi
import fvtest
from hyp import assert_healthy, expect_vm_pass
from linux_shell import PROMPT, run

KERNEL_MATRIX = True
SKIP_REASON = arm64_hyp.skip_reason()

ESC = "\x1d"  # Ctrl-], the console escape key


def focus(q, n, vm):
    """Give console input to VM number n (1-based in the configuration's order)."""
    q.send(ESC + str(n))
    q.expect(rf"^\[hyp\] console focus: {vm}", 30)
    q.send("\r")
    q.expect(rf"^\[{vm}\] .*{PROMPT}", 60)


@fvtest.timeout(900)
def test_arm64_net_two_linux_vms_ping_and_transfer():
    cfg = arm64_hyp.linux_config_path("net")
    with fvtest.Qemu(arm64_hyp.hyp_cmd(config_file=cfg, mem="2G")) as q:
        for vm in ("lina", "linb"):
            q.rewind()
            q.expect(rf"^\[{vm}\] FERROVISOR-INIT: up", 600)
        q.rewind()
        q.expect(r"^\[hyp\] vm lina: eth0: virtio-net at 0xa000000 irq 1", 5)
        q.expect(r"^\[hyp\] vm linb: eth0: virtio-net at 0xa000000 irq 1", 5)
        focus(q, 2, "linb")
        run(q, "linb", "cat /sys/class/net/eth0/address", r"02:46:56:00:00:0b\r?$", 60)
        run(q, "linb", "ifconfig eth0 10.0.0.2 netmask 255.255.255.0 up && echo UP-$((40+2))",
            r"UP-42", 60)
        # linb serves 1 MiB of random data over HTTP.
        run(q, "linb", "mkdir -p /www && dd if=/dev/urandom of=/www/blob bs=64k count=16 "
            "2>/dev/null && httpd -p 80 -h /www && echo HTTPD-$((40+2))", r"HTTPD-42", 60)
        digest = run(q, "linb", "md5sum /www/blob", r"([0-9a-f]{32})  /www/blob", 60).group(1)
        focus(q, 1, "lina")
        run(q, "lina", "ifconfig eth0 10.0.0.1 netmask 255.255.255.0 up && echo UP-$((40+2))",
            r"UP-42", 60)
        run(q, "lina", "ping -c 3 10.0.0.2", r"3 packets transmitted, 3 packets received", 120)
        run(q, "lina", "wget -q -O /tmp/blob http://10.0.0.2/blob && md5sum /tmp/blob",
            rf"{digest}  /tmp/blob", 300)
        # The frames came through the GIC SPI of the device (line 1 = SPI 33).
        run(q, "lina", "grep -c virtio0 /proc/interrupts", r"1\r?\n", 30)
        m = run(q, "lina", "cat /sys/class/net/eth0/statistics/rx_packets", r"(\d+)\r?\n", 30)
        assert int(m.group(1)) >= 3 + 700, m.group(0)  # 3 echo replies, 1 MiB in >= 700 frames
        # The hypervisor's switch learnt both guests' addresses.
        q.send(ESC + "0")
        q.expect(r"^\[hyp\] console focus: hyp", 30)
        q.send("net\r")
        q.expect(r"^\[hyp\] switch lan0: 2 port\(s\), 2 MAC\(s\) learnt", 30)
        q.assert_absent(r"stopping VM|stopped after a fatal guest error")
        assert_healthy(q)


@fvtest.timeout(900)
def test_arm64_net_uplink_to_qemu_user_network():
    port = fvapi.free_port()
    # QEMU's restricted user-mode network: nothing leaves QEMU but the forwarded port.
    # Modern (version 2) virtio-mmio, as Ferrovisor's drivers expect (arm64 virt's default
    # is legacy; `ferrovisor run` sets the same).
    extra = ["-global", "virtio-mmio.force-legacy=false",
             "-netdev", f"user,id=up0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:80",
             "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.0"]
    cfg = arm64_hyp.linux_config_path("uplink")
    with fvtest.Qemu(arm64_hyp.hyp_cmd(config_file=cfg, mem="2G", extra=extra)) as q:
        q.expect(r"^\[hyp\] virtio slot 0 \(0x[0-9a-f]+\): NIC", 60)
        q.expect(r"^\[hyp\] switch lan0: uplink on virtio slot 0 .*, interrupt-driven", 30)
        expect_vm_pass(q, "hello", 300)
        q.expect(r"^\[linux\] FERROVISOR-INIT: up", 600)
        q.expect(rf"^\[linux\] .*{PROMPT}", 60)
        run(q, "linux", "ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up && echo UP-$((40+2))",
            r"UP-42", 60)
        # The user network's gateway answers ARP: the guest learns its MAC through the uplink.
        run(q, "linux", "arping -c 1 -w 10 -I eth0 10.0.2.2 >/dev/null; echo ARP-rc=$?",
            r"ARP-rc=0", 60)
        run(q, "linux", "mkdir -p /www && dd if=/dev/urandom of=/www/blob bs=64k count=8 "
            "2>/dev/null && httpd -p 80 -h /www && echo HTTPD-$((40+2))", r"HTTPD-42", 60)
        digest = run(q, "linux", "md5sum /www/blob", r"([0-9a-f]{32})  /www/blob", 60).group(1)
        body = None
        deadline = time.monotonic() + 180
        while body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/blob", timeout=60) as r:
                    body = r.read()
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)
        assert len(body) == 512 * 1024, len(body)
        assert hashlib.md5(body).hexdigest() == digest
        q.assert_absent(r"stopping VM|stopped after a fatal guest error")
        assert_healthy(q)
