# SPDX-License-Identifier: MIT
"""The control channel as a Linux service VM sees it: /dev/hvc1 next to its hvc0 console,
marked `ferrovisor,control` in its device tree, speaking the control protocol from userspace
(raw tty, frames built here on the host and written with printf). This is the transport the
management daemon uses. ARCH_MATRIX: the same on the arm64 port (Debian's arm64 kernel,
configs-arm64-linux/service.dts), whose guest tree has the virtio nodes at its root."""

import struct

import fvtest
from hyp import assert_healthy, heartbeat, hyp_cmd
from linux_shell import boot_to_shell, run

KERNEL_MATRIX = True
ARCH_MATRIX = True
# Where each architecture's guest device tree puts the virtio-mmio nodes.
VIRTIO_DT = {"riscv64": "/proc/device-tree/soc", "arm64": "/proc/device-tree"}

MAGIC = 0x50435646


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def frame(ftype, seq, payload=b""):
    hdr = struct.pack("<IBBHIIII", MAGIC, 1, 0, ftype, seq, 0, len(payload), 0)
    crc = crc32c(hdr + payload)
    return struct.pack("<IBBHIIII", MAGIC, 1, 0, ftype, seq, 0, len(payload), crc) + payload


def octal(data):
    return "".join(f"\\{b:03o}" for b in data)


def exchange(q, req, nbytes, tag):
    """Write `req` to /dev/hvc1 (fd 3 of the shell) and read `nbytes` back (hex through od)."""
    cmd = (f"head -c {nbytes} <&3 > /tmp/{tag} & sleep 1; printf '{octal(req)}' >&3;"
           f" sleep 2; echo {tag.upper()}-$(od -An -v -tx1 /tmp/{tag} | tr -d ' \\n')-END")
    m = run(q, "linux", cmd, rf"{tag.upper()}-([0-9a-f]*)-END", 60)
    return bytes.fromhex(m.group(1))


def parse(data, ftype, seq):
    assert len(data) >= 24, f"short reply: {data.hex()}"
    magic, ver, flags, t, s, status, length, crc = struct.unpack("<IBBHIIII", data[:24])
    assert (magic, ver, flags, t, s, status) == (MAGIC, 1, 1, ftype, seq, 0), data[:24].hex()
    body = data[24:24 + length]
    assert len(body) == length
    assert crc32c(data[:20] + b"\0\0\0\0" + body) == crc, "reply CRC"
    return body


@fvtest.timeout(600)
def test_linux_service_vm_speaks_the_protocol_on_hvc1():
    with fvtest.Qemu(hyp_cmd("linux-service", mem="2G")) as q:
        ctl = fvtest.guest_virtio_addr(1)
        q.expect_seen(rf"^\[hyp\] vm linux: ctl: control channel \(virtio-console\) at {ctl:#x}",
                      60)
        boot_to_shell(q, "linux")
        run(q, "linux", "ls /dev/hvc0 /dev/hvc1 && echo HVC-$((40+2))", r"HVC-42", 60)
        run(q, "linux", f"ls {VIRTIO_DT[fvtest.arch()]}/virtio_mmio@{ctl:x}/ferrovisor,control "
            "&& echo MARK-$((40+2))", r"MARK-42", 60)
        # The shell keeps the channel open (fd 3): a hvc tty forgets raw mode on last close.
        run(q, "linux", "exec 3<>/dev/hvc1; stty raw -echo <&3 && echo RAW-$((40+2))",
            r"RAW-42", 60)
        hello = struct.pack("<HHI", 1, 1, 8216) + b"linux-test".ljust(32, b"\0")
        body = parse(exchange(q, frame(0x01, 7, hello), 72, "hello"), 0x01, 7)
        version, _, max_frame, max_vms = struct.unpack("<HHII", body[:12])
        assert (version, max_frame, max_vms) == (1, 8216, 8)
        body = parse(exchange(q, frame(0x03, 8), 24 + 8 + 2 * 88, "list"), 0x03, 8)
        count = struct.unpack("<I", body[:4])[0]
        assert count == 2
        vms = {}
        for i in range(count):
            e = body[8 + 88 * i: 8 + 88 * (i + 1)]
            state, flags = struct.unpack("<I", e[4:8])[0], struct.unpack("<I", e[48:52])[0]
            vms[e[56:].split(b"\0")[0].decode()] = (state, flags)
        assert vms["hello"] == (1, 0), vms  # running, not the service VM
        assert vms["linux"] == (1, 1), vms  # running, the service VM
        n = heartbeat(q, "hello", 30)
        assert heartbeat(q, "hello", 30) > n
        assert_healthy(q)
