# SPDX-License-Identifier: MIT
"""Shared parts of the live-migration tests (test_migrate.py, test_migrate_linux.py): two
Ferrovisor hosts in QEMU, each with the Linux service VM and its ferrovisord on the control
channel, reached from the host through a user-net hostfwd of lan0's uplink (physical slot 0),
and the CLI run against them."""

import os
import re
import subprocess
import time

import fvapi
import fvtest
from test_dump import TOOL, _req

SVC_UP = (r"^\[svc\] FV-SERVICE: ferrovisord pid \d+ on 10\.0\.2\.15:8080: "
          r"ferrovisord: listening on http://0\.0\.0\.0:8080/api/v1 \(backend hvc\)")
MIGRATED = r"(\S+): migrated to \S+: (\d+) bytes, downtime ([\d.]+) ms, total ([\d.]+) ms"


def need_svc_layer():
    """Skip unless the service VM layer of the current kernel suite is built."""
    suite_manifest = fvtest.BUILD_DIR / "images" / fvtest.kernel_suite() / "manifest.txt"
    if "\nsvc-layer " not in suite_manifest.read_text():
        raise fvtest.Skip("service VM layer not built (`make guest-libs`, `make test-configs`)")


def uplink(port, restrict):
    """QEMU options for lan0's uplink: user net with the daemon's port forwarded to `port`.
    The source's service VM reaches the destination through the host (10.0.2.2), so its
    user network may connect out (restrict=off); the destination's only answers."""
    return ["-netdev", f"user,id=up0,restrict={restrict},"
            f"hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:8080",
            "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.0"]


def wait(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise fvtest.TestFailure(f"timed out waiting for {what}")
        time.sleep(0.5)


def cli(base, token, *args, to_token=None):
    """The CLI against `base`, started (Popen); FERROVISOR_TO_TOKEN = to_token if given."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("FERROVISOR_API", "FERROVISOR_TOKEN", "FERROVISOR_TO_TOKEN")}
    env["FERROVISOR_TOKEN"] = token
    if to_token:
        env["FERROVISOR_TO_TOKEN"] = to_token
    return subprocess.Popen([str(TOOL), "--api", base] + [str(a) for a in args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def run(p, timeout=900):
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out, err


def vm_state(base, token, name):
    st, data = _req(base, "GET", f"/vms/{name}", token)
    return data["state"] if st == 200 else st


def daemons_up(src, dst, sport, dport):
    """Wait for both service VMs' daemons; returns (src base, src token, dst base, dst
    token)."""
    src.expect_seen(SVC_UP, 600)
    dst.expect_seen(SVC_UP, 600)
    stok, dtok = fvapi.console_admin_token(src), fvapi.console_admin_token(dst)
    sbase, dbase = f"http://127.0.0.1:{sport}", f"http://127.0.0.1:{dport}"
    assert fvapi.wait_daemon(sbase, stok, get=_req)[0] == 200
    assert fvapi.wait_daemon(dbase, dtok, get=_req)[0] == 200
    return sbase, stok, dbase, dtok


def migrate(sbase, stok, vm, dport, dtok, tmp):
    """`ferrovisor --api SRC migrate VM --to http://10.0.2.2:DPORT` (the destination's token
    in a file); asserts success and returns (stdout, bytes, downtime ms, total ms, rounds)."""
    tokfile = os.path.join(tmp, "dst.token")
    with open(tokfile, "w") as f:
        f.write(dtok + "\n")
    rc, out, err = run(cli(sbase, stok, "migrate", vm, "--to", f"http://10.0.2.2:{dport}",
                           "--to-token-file", tokfile))
    assert rc == 0, (rc, out, err)
    m = re.search(MIGRATED, out)
    assert m and m.group(1) == vm, out
    rounds = re.findall(r"^round (\d+)( \(final\))?: (\d+) pages, (\d+) bytes$", out, re.M)
    assert len(rounds) >= 2 and rounds[-1][1] and not rounds[0][1], out
    return out, int(m.group(2)), float(m.group(3)), float(m.group(4)), rounds


def gone_from(base, token, vm):
    """The source destroys a migrated VM asynchronously: wait until it is gone."""
    wait(lambda: _req(base, "GET", f"/vms/{vm}", token)[0] == 404, 120, f"{vm} gone from "
         f"{base}")
