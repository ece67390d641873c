# SPDX-License-Identifier: MIT
"""VirtIO devices for Linux guests: virtio-blk on a physical disk, virtio-net over the
virtual switch, virtio-console."""

import hashlib
import subprocess
import time
import urllib.request

import fvapi
import fvtest
from linux_shell import DISKS, PROMPT, boot_to_shell, fresh_disk, run
from hyp import assert_healthy, heartbeat, hyp_cmd

ESC = "\x1d"  # Ctrl-], the console escape key


@fvtest.kernel_matrix
@fvtest.timeout(900)
def test_blk_filesystem_survives_guest_reboot_and_hypervisor_restart():
    disk = fresh_disk("blk-persist")
    cmd = hyp_cmd("linux-disk", mem="2G", extra=fvtest.virtio_disk(disk, 0))
    with fvtest.Qemu(cmd) as q:
        boot_to_shell(q, "linux")
        run(q, "linux", "cat /sys/block/vda/size", r"131072\r?$", 60)
        run(q, "linux", "mke2fs -q /dev/vda && echo MKFS-$((40+2))", r"MKFS-42", 300)
        run(q, "linux", "mkdir -p /mnt && mount -t ext4 /dev/vda /mnt && echo MNT-$((40+2))",
            r"MNT-42", 120)
        # 2 MiB of random data plus a small text file; remember the checksum.
        run(q, "linux", "dd if=/dev/urandom of=/mnt/blob bs=64k count=32 2>/dev/null; "
            "echo hello-ferrovisor > /mnt/note; sync; echo SYNC-$((40+2))", r"SYNC-42", 300)
        m = run(q, "linux", "md5sum /mnt/blob", r"([0-9a-f]{32})  /mnt/blob", 120)
        digest = m.group(1)
        n = heartbeat(q, "hello", 30)
        # Guest reboot: a fresh boot of the VM finds the files.
        q.send("umount /mnt; reboot\r")
        q.expect(r"^\[hyp\] vm linux: guest reboot", 120)
        q.expect(r"^\[hyp\] vm linux: boot #2", 60)
        boot_to_shell(q, "linux")
        run(q, "linux", "mkdir -p /mnt && mount -t ext4 /dev/vda /mnt && echo MNT-$((40+2))",
            r"MNT-42", 120)
        run(q, "linux", "md5sum /mnt/blob", rf"{digest}  /mnt/blob", 120)
        run(q, "linux", "cat /mnt/note", r"hello-ferrovisor\r?$", 60)
        # Another write, completed (fsync'd by sync) before the hypervisor goes away.
        run(q, "linux", "echo second-boot > /mnt/note2; sync; echo SYNC-$((40+2))",
            r"SYNC-42", 120)
        assert heartbeat(q, "hello", 30) > n  # the other VM ran all along
        assert_healthy(q)
    # Hypervisor restart: a new QEMU on the same disk image sees everything.
    with fvtest.Qemu(cmd) as q:
        boot_to_shell(q, "linux")
        run(q, "linux", "mkdir -p /mnt && mount -t ext4 /dev/vda /mnt && echo MNT-$((40+2))",
            r"MNT-42", 120)
        run(q, "linux", "md5sum /mnt/blob", rf"{digest}  /mnt/blob", 120)
        run(q, "linux", "cat /mnt/note2", r"second-boot\r?$", 60)
        assert_healthy(q)


def focus(q, n, vm):
    q.send(ESC + str(n))
    q.expect(rf"^\[hyp\] console focus: {vm}", 10)
    q.send("\r")
    q.expect(rf"^\[{vm}\] .*{PROMPT}", 30)


@fvtest.kernel_matrix
@fvtest.timeout(900)
def test_net_two_vms_ping_and_transfer_third_vm_isolated():
    with fvtest.Qemu(hyp_cmd("linux-net", mem="2G")) as q:
        for vm in ("lina", "linb", "linc"):
            q.rewind()
            q.expect(rf"^\[{vm}\] FERROVISOR-INIT: up", 400)
        q.rewind()
        q.expect(r"^\[hyp\] vm lina: eth0: virtio-net at 0x10001000 irq 1", 5)
        # Addresses: lina .1, linb .2 on lan0; linc .3 alone on switch "iso".
        focus(q, 3, "linc")
        run(q, "linc", "ifconfig eth0 10.0.0.3 netmask 255.255.255.0 up && echo UP-$((40+2))",
            r"UP-42", 60)
        focus(q, 2, "linb")
        run(q, "linb", "ifconfig eth0 10.0.0.2 netmask 255.255.255.0 up && echo UP-$((40+2))",
            r"UP-42", 60)
        # linb serves a 1 MiB random file over HTTP.
        run(q, "linb", "mkdir -p /www && dd if=/dev/urandom of=/www/blob bs=64k count=16 "
            "2>/dev/null && httpd -p 80 -h /www && echo HTTPD-$((40+2))", r"HTTPD-42", 60)
        m = run(q, "linb", "md5sum /www/blob", r"([0-9a-f]{32})  /www/blob", 60)
        digest = m.group(1)
        focus(q, 1, "lina")
        run(q, "lina", "ifconfig eth0 10.0.0.1 netmask 255.255.255.0 up && echo UP-$((40+2))",
            r"UP-42", 60)
        run(q, "lina", "ping -c 3 10.0.0.2", r"3 packets transmitted, 3 packets received", 60)
        # Broadcast too: the isolated VM must not see even flooded frames.
        run(q, "lina", "ping -b -c 2 -W 1 10.0.0.255 >/dev/null 2>&1; echo BCAST-$((40+2))",
            r"BCAST-42", 60)
        run(q, "lina", "wget -q -O /tmp/blob http://10.0.0.2/blob && md5sum /tmp/blob",
            rf"{digest}  /tmp/blob", 180)
        # linc: nothing of lan0's traffic arrived, and it cannot reach lina.
        focus(q, 3, "linc")
        run(q, "linc", "ping -c 2 -W 1 10.0.0.1", r"2 packets transmitted, 0 packets received",
            60)
        m = run(q, "linc", "cat /sys/class/net/eth0/statistics/rx_packets",
                r"(\d+)\r?\n", 30)
        assert int(m.group(1)) == 0, f"isolated VM received {m.group(1)} packets"
        # The hypervisor shell shows the switches.
        q.send(ESC + "0")
        q.expect(r"^\[hyp\] console focus: hyp", 10)
        q.send("net\r")
        q.expect(r"^\[hyp\] switch lan0: 2 port\(s\), 2 MAC\(s\) learnt", 10)
        assert_healthy(q)


@fvtest.kernel_matrix
@fvtest.timeout(600)
def test_console_on_virtio_console_hvc0():
    with fvtest.Qemu(hyp_cmd("linux-hvc", mem="2G")) as q:
        q.expect(r"^\[hyp\] vm linux: hvc0: virtio-console at 0x10001000 irq 1", 60)
        # Everything the guest prints comes through hvc0 (no UART console, no earlycon).
        boot_to_shell(q, "linux")
        run(q, "linux", "cat /proc/consoles", r"hvc0\s", 60)
        run(q, "linux", "echo typed-into-hvc-$((6*7))", r"typed-into-hvc-42", 60)
        run(q, "linux", "head -c 3000 /dev/zero | tr '\\\\0' x | wc -c", r"3000\r?$", 60)
        n = heartbeat(q, "hello", 30)
        assert heartbeat(q, "hello", 30) > n
        q.send(ESC + "0")
        q.expect(r"^\[hyp\] console focus: hyp", 10)
        q.send("vm info linux\r")
        q.expect(r"^\[hyp\] dev hvc0 virtio-console 0x10001000 irq 1: \d+ bytes out, [1-9]\d* in",
                 10)
        assert_healthy(q)


@fvtest.kernel_matrix
@fvtest.timeout(600)
def test_net_uplink_through_physical_nic_to_host():
    port = fvapi.free_port()
    # The physical NIC is QEMU's restricted user-mode network: nothing leaves QEMU except
    # the forwarded 127.0.0.1 port.
    extra = ["-netdev", f"user,id=up0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:80",
             "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.0"]
    with fvtest.Qemu(hyp_cmd("linux-uplink", mem="2G", extra=extra)) as q:
        q.expect(r"^\[hyp\] virtio slot 0 \(0x10001000\): NIC", 60)
        q.expect(r"^\[hyp\] switch lan0: uplink on virtio slot 0 .*, interrupt-driven", 10)
        boot_to_shell(q, "linux")
        run(q, "linux", "ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up && echo UP-$((40+2))",
            r"UP-42", 60)
        run(q, "linux", "mkdir -p /www && dd if=/dev/urandom of=/www/blob bs=64k count=8 "
            "2>/dev/null && httpd -p 80 -h /www && echo HTTPD-$((40+2))", r"HTTPD-42", 60)
        m = run(q, "linux", "md5sum /www/blob", r"([0-9a-f]{32})  /www/blob", 60)
        digest = m.group(1)
        body = None
        deadline = time.monotonic() + 120
        while body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/blob", timeout=30) as r:
                    body = r.read()
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)
        assert len(body) == 512 * 1024, len(body)
        assert hashlib.md5(body).hexdigest() == digest
        n = heartbeat(q, "hello", 30)
        assert heartbeat(q, "hello", 30) > n
        assert_healthy(q)


@fvtest.kernel_matrix
@fvtest.timeout(360)
def test_blk_slices_isolated():
    """Two Linux VMs on 16 MiB slices of one 64 MiB physical disk: each sees a 32768-sector
    disk, fills it (and tries to write past its end), reads it back, and afterwards the raw
    image holds exactly each VM's data in its own slice and zeros everywhere else."""
    slice_bytes = 16 << 20
    disk = fresh_disk("blk-slices")
    extra = fvtest.virtio_disk(disk, 0, size="64M")
    digests = {}
    with fvtest.Qemu(hyp_cmd("linux-slices", mem="2G", extra=extra)) as q:
        q.expect(r"^\[hyp\] vm lina: vda: virtio-blk at 0x10001000 irq 1 on disk slot 0 "
                 r"sectors 0-32767 \(16 MiB\)", 60)
        q.expect(r"^\[hyp\] vm linb: vda: virtio-blk at 0x10001000 irq 1 on disk slot 0 "
                 r"sectors 32768-65535 \(16 MiB\)", 60)
        for vm in ("lina", "linb"):
            q.rewind()
            q.expect(rf"^\[{vm}\] FERROVISOR-INIT: up", 300)
        for n, vm in ((1, "lina"), (2, "linb")):
            focus(q, n, vm)
            run(q, vm, "cat /sys/block/vda/size", r"32768\r?$", 60)
            # 16 MiB + 64 KiB of random data: dd writes the slice full, then the device ends.
            run(q, vm, "dd if=/dev/urandom of=/tmp/p bs=64k count=257 2>/dev/null; "
                "dd if=/tmp/p of=/dev/vda bs=64k conv=fsync 2>/dev/null; "
                "echo DD-$((40+2))-$?", r"DD-42-1", 180)
            m = run(q, vm, "head -c 16777216 /tmp/p | md5sum",
                    r"([0-9a-f]{32})  -", 60)
            digests[vm] = m.group(1)
        # Each reads its own slice back from the disk, not from the page cache.
        for n, vm in ((1, "lina"), (2, "linb")):
            focus(q, n, vm)
            run(q, vm, "sync; echo 3 > /proc/sys/vm/drop_caches; echo DROP-$((40+2))",
                r"DROP-42", 60)
            run(q, vm, "md5sum /dev/vda", rf"{digests[vm]}  /dev/vda", 120)
        assert digests["lina"] != digests["linb"]
        q.send(ESC + "0")
        q.expect(r"^\[hyp\] console focus: hyp", 10)
        q.send("vm info linb\r")
        q.expect(r"^\[hyp\] dev vda virtio-blk 0x10001000 irq 1 slot 0 sectors 32768-65535: "
                 r"\d+ requests, 0 errors", 10)
        assert_healthy(q)
    # On the host: lina's data in sectors 0-32767, linb's in 32768-65535, nothing else.
    data = disk.read_bytes()
    assert len(data) == 64 << 20, len(data)
    assert hashlib.md5(data[:slice_bytes]).hexdigest() == digests["lina"]
    assert hashlib.md5(data[slice_bytes:2 * slice_bytes]).hexdigest() == digests["linb"]
    assert data[2 * slice_bytes:].count(0) == len(data) - 2 * slice_bytes, \
        "data outside both slices"


@fvtest.timeout(120)
def test_blk_slice_outside_disk_not_created():
    """Disk sizes are known only at boot: a VM whose slice starts at or runs past the end of
    its physical disk is not created (the error names VM and disk); a slice "to the end"
    becomes the rest of the disk; with host best-effort the other VMs run."""
    fvtest.guest_image("hello")
    big = fresh_disk("slice-big")
    small = fresh_disk("slice-small")
    vm = ('{name} {{ memory-size = /bits/ 64 <0x2000000>; kernel = /incbin/("hello.bin"); '
          'autostart; virtio-blk-slots = <{slots}>; virtio-blk-slices = /bits/ 64 <{sl}>; }};')
    dts = ('/dts-v1/; / { compatible = "ferrovisor,config-v1"; host { best-effort; }; vms { '
           + vm.format(name="rest", slots="0", sl="65536 0")
           + vm.format(name="outside", slots="1", sl="4096 8")
           + vm.format(name="over", slots="1", sl="2000 100")
           + vm.format(name="hello", slots="0 1", sl="0 65536  0 8")
           + " }; };")
    extra = fvtest.virtio_disk(big, 0, size="64M") + fvtest.virtio_disk(small, 1, size="1M")
    blob = DISKS / "slice-outside.dtb"
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-i", str(fvtest.GUEST_DIR),
                    "-o", str(blob), "-"], input=dts.encode(), check=True)
    cmd = fvtest.qemu_riscv_cmd(fvtest.hyp_image(), mem="512M",
                                extra=["-initrd", str(blob)] + extra)
    with fvtest.Qemu(cmd) as q:
        q.expect(r"^\[hyp\] vm rest: vda: virtio-blk at 0x10001000 irq 1 on disk slot 0 "
                 r"sectors 65536-131071 \(32 MiB\)", 60)
        q.expect(r"^\[hyp\] error: vm outside: disk 0: virtio-mmio slot 1 sectors 4096-4103: "
                 r"the slice starts at or after the end of the disk \(2048 sectors\); "
                 r"VM not created", 10)
        q.expect(r"^\[hyp\] error: vm over: disk 0: virtio-mmio slot 1 sectors 2000-2099: "
                 r"the slice runs past the end of the disk \(2048 sectors\); VM not created",
                 10)
        q.expect(r"^\[hyp\] vm hello: vdb: virtio-blk at 0x10002000 irq 2 on disk slot 1 "
                 r"sectors 0-7", 10)
        n = heartbeat(q, "hello", 30)
        assert heartbeat(q, "hello", 30) > n
        heartbeat(q, "rest", 30)
        q.assert_absent(r"^\[hyp\] vm (outside|over): boot")
        q.assert_absent(r"PANIC")
