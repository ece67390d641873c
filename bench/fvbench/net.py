# SPDX-License-Identifier: MIT
"""virtio-net TCP throughput, Ferrovisor vs native (wall-clock).

VM to VM: two Linux VMs on one virtual switch of one Ferrovisor, vs two native Linux QEMUs
joined by a QEMU socket backend on 127.0.0.1. VM to host: one Linux VM whose switch has an
uplink (a physical virtio-net slot with QEMU's user-mode network, `restrict=on`, one
`hostfwd` from 127.0.0.1), vs a native Linux on the same QEMU backend; the host side is
this module speaking `fvio`'s protocol (bench/guest/fvio_net.c). No guest traffic leaves
QEMU for any address but 127.0.0.1."""

import socket
import struct
import time

from . import iotool
from .common import (QUIET_PERCENT, BenchError, figure, hyp_cmd, log, native_cmd, qemu,
                     quiet_runs, side, stats)
from .linux import ensure_images

VM_MIB = 64        # per transfer, VM to VM
VM_REPS = 3        # transfers per boot, VM to VM
HOST_MIB = 16      # per transfer and direction, VM <-> host
HOST_REPS = 3      # transfers per direction per boot, VM <-> host
MAX_S = 8          # a transfer is cut short after this long (and counts what it moved)
SOCK_TIMEOUT = 60  # seconds a host socket operation may block
MB = 1e6
MAC = {"srv": "02:46:56:00:00:0b", "cli": "02:46:56:00:00:0a", "up": "02:46:56:00:00:0c"}
IP = {"srv": "10.0.0.2", "cli": "10.0.0.1"}
SLIRP_GUEST_IP = "10.0.2.15"   # QEMU user-mode network's default guest address

UNIT = "MB/s (10^6 bytes/s)"
COMMON = (f"Debian kernel + busybox initramfs with an extra cpio layer (fvio, /etc/fv-bench), "
          f"1 vCPU and {iotool.GUEST_MIB} MiB per Linux, plain TCG (no icount), TCP with "
          "default settings (MTU 1500); ")


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mac_bytes(mac):
    return " ".join(mac.split(":"))


def _mbps(o):
    return o["bytes"] / MB / (o["ns"] / 1e9)


# --------------------------------------------------------------------------- VM to VM

def _vm_args(role, **more):
    return iotool.bootargs(mode="netserve" if role == "srv" else "netclient", ip=IP[role],
                           **more)


def _client_args():
    return _vm_args("cli", peer=IP["srv"], mib=VM_MIB, reps=VM_REPS, ops="w", max_s=MAX_S)


def _vm_samples(objs, name):
    got = [o for o in objs if o["bench"] == "fvio_net" and o.get("op") == "W"]
    if len(got) != VM_REPS:
        raise BenchError(f"{name}: {len(got)} of {VM_REPS} transfers measured")
    return [_mbps(o) for o in got], sum(1 for o in got if o.get("capped"))


def _vm_vm_native(kernel, initrd, i):
    port = free_port()
    mem = f"{iotool.GUEST_MIB}M"

    def cmd(role, backend):
        return native_cmd(kernel, smp=1, mem=mem, icount=False, extra=[
            "-initrd", str(initrd), "-append",
            _vm_args("srv") if role == "srv" else _client_args(),
            "-netdev", f"socket,id=n0,{backend}",
            "-device", f"virtio-net-device,netdev=n0,mac={MAC[role]}"])

    with qemu(cmd("srv", f"listen=127.0.0.1:{port}"), f"net-vm-native-srv-{i}") as srv:
        srv.expect(r"OpenSBI", 30)  # QEMU is up, so its socket listens
        with qemu(cmd("cli", f"connect=127.0.0.1:{port}"), f"net-vm-native-cli-{i}") as cli:
            objs = iotool.collect(cli, lambda o: o["bench"] == "fvio_done", 600)
    return _vm_samples(objs, f"net-vm-native-cli-{i}")


def _vm_vm_ferrovisor(cfg, i):
    name = f"net-vm-ferrovisor-{i}"
    with qemu(hyp_cmd(cfg, smp=2, mem="1G", icount=False), name) as q:
        objs = iotool.collect(q, lambda o: o["bench"] == "fvio_done", 600, vm="cli")
    return _vm_samples(objs, name)


# ------------------------------------------------------------------------- VM to host

def _recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(min(1 << 20, n - len(buf)))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def host_transfer(port, op, length, max_s=MAX_S):
    """One fvio transfer from the host: op "W" sends `length` bytes to the guest, "R" receives
    them from it, either cut short after `max_s` seconds (W: half-close, the guest answers
    with what it got; R: close). Returns (bytes moved, seconds from sending the header to the
    last byte (R) or the guest's acknowledgement (W)); BenchError if it broke off."""
    payload = b"\x3c" * (256 << 10)
    with socket.create_connection(("127.0.0.1", port), timeout=SOCK_TIMEOUT) as s:
        hdr = b"FVN1" + op.encode() + b"\0\0\0" + struct.pack(">Q", length)
        t0 = time.monotonic_ns()
        deadline = t0 + int(max_s * 1e9)
        s.sendall(hdr)
        if op == "W":
            sent = 0
            while sent < length and time.monotonic_ns() < deadline:
                n = min(length - sent, len(payload))
                s.sendall(payload[:n])
                sent += n
            if sent < length:
                s.shutdown(socket.SHUT_WR)
            ack = _recv_exact(s, 8)
            got = struct.unpack(">Q", ack)[0] if len(ack) == 8 else -1
            want = sent
        else:
            got = 0
            while got < length and time.monotonic_ns() < deadline:
                chunk = s.recv(min(1 << 20, length - got))
                if not chunk:
                    break
                got += len(chunk)
            want = got if got == length or time.monotonic_ns() >= deadline else length
        secs = (time.monotonic_ns() - t0) / 1e9
    if got != want or got <= 0:
        raise BenchError(f"host transfer {op}: {got} of {want} bytes")
    return got, secs


def _host_session(q, port, vm, name):
    """Wait for the guest's server, warm up (ARP, slirp's connection to the guest), then
    HOST_REPS transfers each way; returns {"to_host": [MB/s], "from_host": [MB/s]}."""
    iotool.wait_ready(q, vm=vm)
    for attempt in range(10):
        try:
            host_transfer(port, "W", 1 << 20, max_s=30)
            break
        except (OSError, BenchError) as e:
            if attempt == 9:
                raise BenchError(f"{name}: no connection to the guest through hostfwd: {e}")
            time.sleep(1)
    out = {"to_host": [], "from_host": [], "capped": 0}
    length = HOST_MIB << 20
    for _ in range(HOST_REPS):
        for op, key in (("R", "to_host"), ("W", "from_host")):
            got, secs = host_transfer(port, op, length)
            out[key].append(got / MB / secs)
            out["capped"] += got < length
    return out


def _user_net(port, slot=None):
    bus = f",bus=virtio-mmio-bus.{slot}" if slot is not None else ""
    return ["-netdev", f"user,id=up,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:{iotool.PORT}",
            "-device", f"virtio-net-device,netdev=up,mac={MAC['up']}{bus}"]


def _host_native(kernel, initrd, i):
    port = free_port()
    args = iotool.bootargs(mode="netserve", ip=SLIRP_GUEST_IP)
    cmd = native_cmd(kernel, smp=1, mem=f"{iotool.GUEST_MIB}M", icount=False,
                     extra=["-initrd", str(initrd), "-append", args] + _user_net(port))
    name = f"net-host-native-{i}"
    with qemu(cmd, name) as q:
        return _host_session(q, port, None, name)


def _host_ferrovisor(cfg, i):
    port = free_port()
    name = f"net-host-ferrovisor-{i}"
    with qemu(hyp_cmd(cfg, smp=1, mem="1G", icount=False, extra=_user_net(port, 0)),
              name) as q:
        return _host_session(q, port, "linux", name)


# ------------------------------------------------------------------------------ suite

def _median(v):
    return stats(v)["median"]


def _fig(title, runs, method, pairs, quiet, capped):
    """A figure from pairs of ([native MB/s], [Ferrovisor MB/s]) samples."""
    nat = [x for n, _ in pairs for x in n]
    virt = [x for _, v in pairs for x in v]
    f = figure(title, "wall-clock", UNIT, runs, method, native=side(nat), ferrovisor=side(virt),
               pair_ratio=stats([_median(v) / _median(n) for n, v in pairs]), host_load=quiet,
               capped_transfers=capped, higher_is_better=True)
    f["percent_of_native"] = f["ratio"] * 100
    return f


def bench_net(runs):
    """virtio-net TCP MB/s: VM to VM on one switch, VM <-> host over an uplink; vs native."""
    kernel, _ = ensure_images()
    initrd = iotool.io_initramfs()

    def nic(role):
        return f'virtio-net-switch = "lan0"; virtio-net-mac = [{_mac_bytes(MAC[role])}]; '

    vm_cfg = iotool.io_config("net-vm", [
        iotool.linux_vm("srv", initrd, _vm_args("srv"), extra=nic("srv")),
        iotool.linux_vm("cli", initrd, _client_args(), extra=nic("cli"))],
        "virtio-net benchmark: 2 Linux VMs on switch lan0")
    host_cfg = iotool.io_config("net-host", [
        iotool.linux_vm("linux", initrd, iotool.bootargs(mode="netserve", ip=SLIRP_GUEST_IP),
                        extra=nic("cli"))],
        "virtio-net benchmark: 1 Linux VM on switch lan0 with an uplink on slot 0",
        host="switches { lan0 { uplink-slot = <0>; }; };")
    capped = {"vm": [0, 0], "host": [0, 0]}  # transfers cut short: native, Ferrovisor

    def vm_pair(i):
        log(f"virtio-net VM to VM: pair {i + 1}")
        (n, cn), (v, cv) = _vm_vm_native(kernel, initrd, i), _vm_vm_ferrovisor(vm_cfg, i)
        capped["vm"][0] += cn
        capped["vm"][1] += cv
        return n, v

    def host_pair(i):
        log(f"virtio-net VM <-> host: pair {i + 1}")
        n, v = _host_native(kernel, initrd, i), _host_ferrovisor(host_cfg, i)
        capped["host"][0] += n["capped"]
        capped["host"][1] += v["capped"]
        return n, v

    vm_pairs, vm_quiet = quiet_runs(vm_pair, runs, "virtio-net VM to VM", extra_attempts=2)
    host_pairs, host_quiet = quiet_runs(host_pair, runs, "virtio-net VM <-> host",
                                        extra_attempts=2)
    pair_note = (f"a transfer still running after {MAX_S} s is cut short and counts the "
                 "bytes it moved (`capped_transfers`: how many, native/Ferrovisor, over all "
                 "pairs run); one native and one Ferrovisor boot per pair, a pair repeated (at "
                 f"most 2 extra) when other processes used more than {QUIET_PERCENT:.0f} % of "
                 "the host CPU during it; ratio of medians over all transfers (per-pair ratios "
                 "of the pair medians in `pair_ratio`), higher is better.")
    out = {"virtio_net_vm_to_vm": _fig(
        "virtio-net TCP, VM to VM on one switch", runs,
        f"`fvio client` sends {VM_MIB} MiB to `fvio serve` over one TCP connection, "
        f"{VM_REPS} times per boot; time from sending the request header to the receiver's "
        "acknowledgement of the last byte (the sender's CLOCK_MONOTONIC). " + COMMON +
        "Ferrovisor: two VMs with one NIC each on switch lan0, QEMU -smp 2 (one physical CPU "
        "per VM). Native: two QEMUs (-smp 1 each), each a Linux directly on OpenSBI with "
        "`-device virtio-net-device` on `-netdev socket,listen=127.0.0.1:PORT` / "
        "`connect=127.0.0.1:PORT`; " + pair_note,
        vm_pairs, vm_quiet, capped["vm"])}
    for key, d, what in (("virtio_net_vm_to_host", "to_host", "VM to host"),
                         ("virtio_net_host_to_vm", "from_host", "host to VM")):
        out[key] = _fig(
            f"virtio-net TCP, {what} (user-mode network, 127.0.0.1 hostfwd)", runs,
            f"`fvio serve` in the guest (10.0.2.15/24, static), reached by the benchmark "
            f"harness on the host through QEMU `-netdev user,restrict=on,hostfwd=tcp:127.0.0.1:"
            f"PORT-:{iotool.PORT}` on `-device virtio-net-device` (slot 0); after a 1 MiB "
            f"warm-up, {HOST_REPS} transfers of {HOST_MIB} MiB per direction per boot, "
            "alternating, each over a new TCP connection, timed by the host (Python "
            "time.monotonic_ns) from sending the request header to the last byte received "
            "(VM to host) or to the guest's acknowledgement of the last byte (host to VM). "
            + COMMON + "Ferrovisor: one VM on switch lan0 whose uplink is that slot (`host { "
            "switches { lan0 { uplink-slot = <0>; }; }; }`), QEMU -smp 1. Native: the same "
            "QEMU device and backend with Linux directly on OpenSBI, -smp 1; " + pair_note,
            [(n[d], v[d]) for n, v in host_pairs], host_quiet, capped["host"])
    return out
