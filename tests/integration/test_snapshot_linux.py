# SPDX-License-Identifier: MIT
"""VM snapshots through the whole management plane (docs/snapshots.md; issue #14 item 2).

The service VM is Linux with ferrovisord on the real control channel; the host drives it
with the CLI. `calc` (guests/snap_calc: a deterministic two-vCPU computation printing its
progress and guest clock) is started, saved a few rounds in with `ferrovisor vm snapshot
calc FILE --stop` (the file streamed from the hypervisor through the daemon), destroyed,
and restored from FILE twice: as `calc2` (running at once, --start) and as `calc3` (left
paused, then resumed). Both finish with the digest of `ref`, the same computation run
straight through, and their clocks continue from the save. A damaged copy of the file is
refused (exit 3, HTTP 400) and leaves no VM and no memory behind.
ARCH_MATRIX: the same on the arm64 port (configs-arm64-linux/svc-snap.dts: Debian's arm64
service VM with ferrovisord for aarch64, guests/arm64/snap_calc).
"""

import os
import re
import tempfile
import time

import fvapi
import fvtest
import hyp
from hyp import hyp_cmd
from test_dump import _cli, _req

KERNEL_MATRIX = True
ARCH_MATRIX = True
DIGEST = r"digest ([0-9a-f]{16}) harts 2"


def _progress(out, vm):
    return [(int(r), int(t)) for r, t in
            re.findall(rf"^\[{vm}\] progress (\d+)/\d+ t=(\d+)\r?$", out, re.M)]


def _wait(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise fvtest.TestFailure(f"timed out waiting for {what}")
        time.sleep(1)


@fvtest.timeout(900)
def test_snapshot_restore_through_the_cli():
    hyp.require_svc_layer("linux-svc-snap")
    port = fvapi.free_port()
    extra = ["-netdev", f"user,id=up0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:8080",
             "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.0"]
    with fvtest.Qemu(hyp_cmd("linux-svc-snap", mem="1G", extra=extra)) as q, \
            tempfile.TemporaryDirectory() as tmp:
        q.expect(r"^\[svc\] FV-SERVICE: ferrovisord pid \d+ on 10\.0\.2\.15:8080: "
                 r"ferrovisord: listening on http://0\.0\.0\.0:8080/api/v1 \(backend hvc\)",
                 400)
        token = fvapi.console_admin_token(q)
        base = f"http://127.0.0.1:{port}"
        assert fvapi.wait_daemon(base, token, get=_req)[0] == 200
        for vm in ("ref", "calc"):
            rc, out, err = _cli(base, token, "vm", "start", vm)
            assert rc == 0, (vm, out, err)
        q.expect_seen(r"^\[calc\] progress 3/40", 120)

        snap = os.path.join(tmp, "calc.fvsnap")
        rc, out, err = _cli(base, token, "vm", "snapshot", "calc", snap, "--stop")
        assert rc == 0 and "left paused" in out, (rc, out, err)
        size = os.path.getsize(snap)
        print(f"FV-INFO snapshot of calc: {size} bytes", flush=True)
        with open(snap, "rb") as f:
            assert f.read(8) == b"FVSNAP\r\n"
        assert _req(base, "GET", "/vms/calc", token)[1]["state"] == "paused"
        q.expect_seen(r"^\[hyp\] vm calc: snapshot: \d+ of \d+ bytes read; left paused", 10)
        before = _progress(q.output, "calc")
        assert before and before[-1][0] < 40, before
        rc, out, err = _cli(base, token, "vm", "destroy", "calc")
        assert rc == 0, (out, err)
        _wait(lambda: _req(base, "GET", "/vms/calc", token)[0] == 404, 30, "calc gone")

        # A damaged copy: refused, nothing left behind.
        free0 = _req(base, "GET", "/host", token)[1]
        data = bytearray(open(snap, "rb").read())
        data[len(data) - 5000] ^= 0x10
        bad = os.path.join(tmp, "bad.fvsnap")
        open(bad, "wb").write(bytes(data))
        rc, out, err = _cli(base, token, "vm", "restore", bad, "--name", "bad")
        assert rc == 3 and "400" in err, (rc, out, err)
        # The half-made VM is destroyed asynchronously (its RAM scrubbed first).
        _wait(lambda: _req(base, "GET", "/vms/bad", token)[0] == 404, 60, "bad gone")
        q.expect_seen(r"^\[hyp\] error: vm bad: restore: snapshot refused at byte \d+: E_CRC",
                      10)
        _wait(lambda: _req(base, "GET", "/host", token)[1]["memory_free_mb"] ==
              free0["memory_free_mb"], 30, "memory back")
        assert _req(base, "GET", "/host", token)[1]["vm_count"] == free0["vm_count"]

        # Restored twice from the one file: running at once, and paused then resumed.
        rc, out, err = _cli(base, token, "vm", "restore", snap, "--name", "calc2", "--start")
        assert rc == 0 and "calc2: restored, running" in out, (rc, out, err)
        rc, out, err = _cli(base, token, "vm", "restore", snap, "--name", "calc3")
        assert rc == 0 and "calc3: restored, paused" in out, (rc, out, err)
        rc, out, err = _cli(base, token, "vm", "resume", "calc3")
        assert rc == 0, (out, err)
        m_ref = q.expect_seen(rf"^\[ref\] {DIGEST}", 300)
        for vm in ("calc2", "calc3"):
            m = q.expect_seen(rf"^\[{vm}\] {DIGEST}", 300)
            assert m.group(1) == m_ref.group(1), (vm, m.group(0), m_ref.group(0))
            after = _progress(q.output, vm)
            # It went on from the round it was saved in, its clock never going back.
            assert after[0][0] > before[-1][0] - 1 and after[-1][0] == 40, (before, after)
            assert after[0][1] >= before[-1][1], f"{vm}: clock went back {before[-1]} {after[0]}"
        q.assert_absent(r"^\[calc\] digest")
        q.assert_absent(r"PANIC")
