# SPDX-License-Identifier: MIT
"""Plumbing shared by the I/O suites (blk.py, net.py): the guest tool `fvio` (bench/guest/,
a static riscv64 Linux program built with the Debian cross compiler), the initramfs layer
that carries it with an /etc/fv-bench dispatching on `fvb.*` kernel arguments, Linux VM
nodes with virtio devices, and collecting the tool's JSON lines from a console."""

import subprocess
import time

from . import cpio
from .common import (IMAGE_DIR, ROOT, WORK, BenchError, compile_config, config_text,
                     read_json)
from .linux import ensure_images

GUEST_SRC = ROOT / "bench" / "guest"
GUEST_OUT = WORK / "guest"
GUEST_MIB = 256          # the Debian kernel reserves 128 MiB of CMA: 256 MiB is the minimum
BOOTARGS = "console=ttyS0 quiet"
PORT = 5001              # the guest's `fvio serve` port

# /etc/fv-bench, run by the initramfs /init with fv.init=bench; fvb.mode picks the role:
#   blk        fvio blk on /dev/vda (fvb.seq_mib, fvb.rand_ops, fvb.max_s)
#   netserve   eth0 = fvb.ip/24, then `fvio serve` until the machine is stopped
#   netclient  eth0 = fvb.ip/24, then `fvio client` to fvb.peer (fvb.mib, fvb.reps, fvb.ops,
#              fvb.max_s)
# "fvio_done" closes every role that ends by itself.
FV_BENCH = f"""#!/bin/sh
# Ferrovisor I/O benchmark layer (bench/fvbench/iotool.py).
arg() {{
	for a in $(cat /proc/cmdline); do
		case "$a" in "$1="*) echo "${{a#*=}}"; return ;; esac
	done
}}
wait_for() {{ # path: virtio drivers probe as /init loads them; give them a moment
	for i in $(seq 1 50); do [ -e "$1" ] && return 0; sleep 0.1; done
	echo "{{\\"bench\\":\\"fvio_setup\\",\\"error\\":\\"$1 missing\\"}}"
	return 1
}}
net_up() {{
	wait_for /sys/class/net/eth0 || return 1
	ifconfig eth0 "$(arg fvb.ip)" netmask 255.255.255.0 up
}}
case "$(arg fvb.mode)" in
blk)
	wait_for /dev/vda && /bin/fvio blk /dev/vda "$(arg fvb.seq_mib)" "$(arg fvb.rand_ops)" "$(arg fvb.max_s)"
	;;
netserve)
	net_up && exec /bin/fvio serve {PORT}
	;;
netclient)
	net_up && /bin/fvio client "$(arg fvb.peer)" {PORT} "$(arg fvb.mib)" "$(arg fvb.reps)" "$(arg fvb.ops)" "$(arg fvb.max_s)"
	;;
*)
	echo '{{"bench":"fvio_setup","error":"no fvb.mode on the kernel command line"}}'
	;;
esac
echo '{{"bench":"fvio_done"}}'
"""


def build_fvio():
    """build/bench/guest/fvio, (re)built by bench/guest/Makefile."""
    res = subprocess.run(["make", "-s", "-C", str(GUEST_SRC), f"OUT={GUEST_OUT}"],
                         capture_output=True, text=True)
    if res.returncode != 0:
        why = (res.stdout + res.stderr).strip().splitlines()
        hint = ""
        if any("No such file" in l and ".h" in l for l in why):
            hint = " (static riscv64 libc missing: apt-get install libc6-dev-riscv64-cross)"
        raise BenchError(f"building bench/guest/fvio failed{hint}: "
                         f"{why[-1] if why else 'make failed'}")
    return GUEST_OUT / "fvio"


def io_initramfs():
    """build/bench/linux/initramfs-io.cpio.gz: the cached initramfs + a layer with
    /bin/fvio and /etc/fv-bench (Linux unpacks concatenated archives in order)."""
    _, base = ensure_images()
    tool = build_fvio()
    out_dir = WORK / "linux"
    out_dir.mkdir(parents=True, exist_ok=True)
    layer = cpio.gz_layer([("bin/fvio", cpio.S_IFREG | 0o755, tool.read_bytes()),
                           ("etc/fv-bench", cpio.S_IFREG | 0o755, FV_BENCH.encode())])
    out = out_dir / "initramfs-io.cpio.gz"
    out.write_bytes(base.read_bytes() + layer)
    return out


def bootargs(**fvb):
    """Kernel command line for the benchmark role given as fvb.KEY=VALUE pairs."""
    return " ".join([BOOTARGS, "fv.init=bench"] + [f"fvb.{k}={v}" for k, v in fvb.items()])


def linux_vm(name, initrd, args, vcpus=1, extra=""):
    """One autostarted Linux VM node (GUEST_MIB MiB) booting the I/O initramfs."""
    return (f'\t\t{name} {{ vcpus = <{vcpus}>; memory-size = /bits/ 64 '
            f'<0x{GUEST_MIB << 20:x}>; kernel = /incbin/("Image"); '
            f'initrd = /incbin/("{initrd.name}"); bootargs = "{args}"; autostart; {extra}}};\n')


def io_config(name, vm_nodes, comment, host=""):
    """Compile a configuration of Linux VMs (optional /host node text, e.g. switches)."""
    text = config_text(vm_nodes, comment)
    if host:
        text = text.replace("\tvms {\n", f"\thost {{ {host} }};\n\tvms {{\n", 1)
    return compile_config(text, name, include_dirs=(IMAGE_DIR, WORK / "linux"))


def collect(q, stop, timeout, vm=None):
    """JSON lines of fvio up to the one stop() accepts; an error line is a BenchError."""
    objs = read_json(q, lambda o: stop(o) or "error" in o, timeout, vm=vm)
    for o in objs:
        if "error" in o:
            raise BenchError(f"{q.name}: {o['bench']}: {o['error']}")
    return objs


def wait_ready(q, vm=None, timeout=300):
    """Wait for `fvio serve`'s ready line; returns the monotonic time it was seen."""
    collect(q, lambda o: o["bench"] == "fvio_serve_ready", timeout, vm=vm)
    return time.monotonic()
