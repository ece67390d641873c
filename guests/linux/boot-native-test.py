#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boot the cached Debian guest kernel + initramfs natively under QEMU (no
Ferrovisor) and check the initramfs works: the FERROVISOR-INIT marker, module
loading, virtio drivers, a virtio-blk disk, and that `poweroff` typed in the
interactive shell really ends QEMU.

  guests/linux/boot-native-test.py [--kernel stable|unstable] [--cache DIR] [--arch riscv64] [--smp 2]
                                   [--test poweroff|bench|interactive|reboot|all]

Prints one line per check and a closing 'N passed, N failed' line.
Stdlib only.
"""
import argparse
import os
import select
import subprocess
import sys
import tempfile
import time

MARKER = b"FERROVISOR-INIT: up"


def default_cache(arch, kernel):
    """The cache of `make images`: one directory per Debian kernel suite."""
    base = os.environ.get("FERROVISOR_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "ferrovisor")
    return os.path.join(base, "images", arch, kernel)


def qemu_cmd(args, append, disk=None):
    if args.arch != "riscv64":
        sys.exit("only riscv64 is wired up here")
    cmd = ["qemu-system-riscv64", "-M", "virt", "-cpu", "rv64",
           "-smp", str(args.smp), "-m", "1G", "-nographic", "-bios", "default",
           "-no-reboot",
           "-kernel", os.path.join(args.cache, "Image"),
           "-initrd", os.path.join(args.cache, "initramfs.cpio.gz"),
           "-append", append]
    if disk:
        cmd += ["-drive", f"file={disk},if=none,format=raw,id=d0",
                "-device", "virtio-blk-device,drive=d0"]
    # A virtio-net device (user networking, no host side needed) and an RNG
    # so that virtio_net / virtio_rng have something to bind to.
    cmd += ["-netdev", "user,id=n0", "-device", "virtio-net-device,netdev=n0",
            "-device", "virtio-rng-device"]
    return cmd


class Guest:
    def __init__(self, cmd, log):
        self.log = open(log, "wb")
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        self.buf = b""

    def expect(self, pat, timeout):
        """Read until pat (bytes) is in the output after the last match."""
        end = time.monotonic() + timeout
        while True:
            i = self.buf.find(pat)
            if i >= 0:
                out = self.buf[:i + len(pat)]
                self.buf = self.buf[i + len(pat):]
                return out
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 65536)
                if not chunk:
                    return None
                self.log.write(chunk)
                self.log.flush()
                self.buf += chunk

    def send(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()

    def wait(self, timeout):
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        # drain
        rest = self.p.stdout.read()
        if rest:
            self.log.write(rest)
            self.buf += rest
        return rc

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        self.log.close()

    def elapsed(self):
        return time.monotonic() - self.t0


results = []


def lines(out):
    """A command's output without the echoed command line, for a detail."""
    if out is None:
        return ""
    text = out.decode(errors="replace").replace("\r", "").split("\n")
    return " ".join(" ".join(t for t in text if "END-" not in t).split())


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'PASS' if ok else 'FAIL'}: {name}{(' - ' + detail) if detail else ''}",
          flush=True)


def test_poweroff(args, logdir):
    g = Guest(qemu_cmd(args, "console=ttyS0 earlycon=sbi fv.init=poweroff"),
              os.path.join(logdir, "poweroff.log"))
    try:
        out = g.expect(MARKER, args.timeout)
        t_marker = g.elapsed()
        check("poweroff: marker", out is not None, f"{t_marker:.2f} s wall")
        if out is None:
            return
        check("poweroff: no insmod failure", b"insmod" not in out and b"failed:" not in out)
        rc = g.wait(args.timeout)
        check("poweroff: qemu exits 0", rc == 0, f"rc={rc}, {g.elapsed():.2f} s wall")
    finally:
        g.kill()


def test_bench(args, logdir):
    g = Guest(qemu_cmd(args, "console=ttyS0 earlycon=sbi fv.init=bench"),
              os.path.join(logdir, "bench.log"))
    try:
        ok = g.expect(MARKER, args.timeout) is not None
        ok = ok and g.expect(b"FERROVISOR-BENCH: done", 30) is not None
        rc = g.wait(args.timeout)
        check("bench: marker, bench line, qemu exits 0", ok and rc == 0,
              f"rc={rc}, {g.elapsed():.2f} s wall")
    finally:
        g.kill()


def test_reboot(args, logdir):
    g = Guest(qemu_cmd(args, "console=ttyS0"), os.path.join(logdir, "reboot.log"))
    try:
        ok = g.expect(MARKER, args.timeout) is not None and g.expect(b"# ", 30) is not None
        if ok:
            g.send("reboot")
        rc = g.wait(args.timeout)  # -no-reboot: a guest reboot ends QEMU
        check("reboot: typed reboot ends qemu (-no-reboot)", ok and rc == 0,
              f"rc={rc}, {g.elapsed():.2f} s wall")
    finally:
        g.kill()


def test_interactive(args, logdir):
    disk = os.path.join(logdir, "disk.img")
    with open(disk, "wb") as f:
        f.write(b"FERROVISOR-DISK\n".ljust(4096, b"\0"))
        f.truncate(8 << 20)
    g = Guest(qemu_cmd(args, "console=ttyS0 earlycon=sbi", disk=disk),
              os.path.join(logdir, "interactive.log"))
    try:
        out = g.expect(MARKER, args.timeout)
        check("interactive: marker", out is not None, f"{g.elapsed():.2f} s wall")
        if out is None:
            return
        check("interactive: no insmod failure", b"failed:" not in out)
        # Wait for the respawned shell's prompt, then talk to it. Echo a
        # computed token so matching never hits the echoed command line.
        check("interactive: shell prompt", g.expect(b"# ", 30) is not None)

        def run(cmd, timeout=30):
            g.send(f"{cmd}; echo END-$((6*7))")
            return g.expect(b"END-42", timeout)

        out = run("nproc")
        check("interactive: nproc", out is not None and f"\n{args.smp}".encode() in out.replace(b"\r", b""))
        out = run("grep -c ^processor /proc/cpuinfo; grep -m1 ^isa /proc/cpuinfo")
        check("interactive: /proc/cpuinfo", out is not None and b"rv64" in out)
        out = run("ls /sys/bus/virtio/drivers")
        ok = out is not None and all(d in out for d in (b"virtio_blk", b"virtio_net"))
        check("interactive: /sys/bus/virtio/drivers", ok, lines(out))
        out = run("ls /sys/bus/platform/drivers | grep virtio; lsmod | cut -d' ' -f1 | tr '\\n' ' '")
        check("interactive: virtio-mmio bound", out is not None and b"virtio-mmio" in out)
        out = run("cat /sys/block/vda/size && head -c 15 /dev/vda; echo")
        check("interactive: /dev/vda", out is not None and b"16384" in out and b"FERROVISOR-DISK" in out)
        out = run("ip link show eth0 >/dev/null && echo ETH0-OK")
        check("interactive: eth0 (virtio_net)", out is not None and b"\nETH0-OK" in out.replace(b"\r", b""))
        out = run("cat /sys/class/misc/hw_random/rng_current 2>/dev/null || cat /sys/devices/virtual/misc/hw_random/rng_current")
        check("interactive: virtio_rng", out is not None and b"virtio_rng" in out)
        # job control: the shell has a controlling tty (cttyhack)
        out = run("tty; sleep 0 & wait")
        check("interactive: controlling tty", out is not None and b"/dev/tty" in out and b"not a tty" not in out)
        g.send("poweroff")
        rc = g.wait(args.timeout)
        check("interactive: typed poweroff ends qemu", rc == 0, f"rc={rc}, total {g.elapsed():.2f} s wall")
    finally:
        g.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", default="riscv64")
    ap.add_argument("--cache")
    ap.add_argument("--kernel", default="stable", choices=["stable", "unstable"],
                    help="Debian kernel suite of the default cache")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--test", default="all", choices=["poweroff", "bench", "interactive", "reboot", "all"])
    ap.add_argument("--logdir")
    args = ap.parse_args()
    args.cache = args.cache or default_cache(args.arch, args.kernel)
    for f in ("Image", "initramfs.cpio.gz"):
        if not os.path.isfile(os.path.join(args.cache, f)):
            sys.exit(f"{args.cache}/{f} missing: run scripts/fetch-guest-images.sh")
    logdir = args.logdir or tempfile.mkdtemp(prefix="fv-native-boot.")
    os.makedirs(logdir, exist_ok=True)
    print(f"logs: {logdir}", flush=True)
    if args.test in ("poweroff", "all"):
        test_poweroff(args, logdir)
    if args.test in ("bench", "all"):
        test_bench(args, logdir)
    if args.test in ("interactive", "all"):
        test_interactive(args, logdir)
    if args.test in ("reboot", "all"):
        test_reboot(args, logdir)
    passed = sum(results)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
