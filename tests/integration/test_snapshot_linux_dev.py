# SPDX-License-Identifier: MIT
"""Snapshots of a Linux VM with virtio devices (docs/snapshots.md; issue #14 parts 1-2).

One boot serves every check. Ferrovisor runs the service VM "svc" (ferrovisord on the
control channel, reached through a 127.0.0.1 port forward of lan0's uplink) and two Debian
Linux VMs on switch lan1: "app" (two vCPUs, a virtio-blk disk on physical slot 1, a NIC) and
"peer". From the host, with the CLI only:

- app makes a file system on its disk, writes a file of random data and syncs it, and keeps
  the disk busy with synced writes in the background (requests in flight at the save);
- peer runs `fv-tcp serve` (an echo server), app `fv-tcp client` (one connection, a line a
  second, each echo logged);
- `vm snapshot app FILE --stop`, `vm destroy app`, `vm restore FILE --name app --start`;
- the restored app's shell answers, its uptime is larger than before the save, the file read
  back from the disk (page cache dropped) has the same checksum, a new file can be written
  and synced, and the client (the same process: no reconnect in it) receives echoes of
  lines sent after the restore over the same socket, while the server on peer never saw the
  connection close.
"""

import os
import re
import subprocess
import tempfile
import time

import fvapi
import fvtest
from hyp import hyp_cmd
from linux_shell import PROMPT, fresh_disk, run
from test_dump import TOOL, _req

KERNEL_MATRIX = True
ESC = "\x1d"  # Ctrl-], the console escape key


def _cli(base, token, *args):
    """The CLI with a transfer-sized timeout; prints how long it took (the file is tens of
    MB through the control channel)."""
    env = {k: v for k, v in os.environ.items() if k not in ("FERROVISOR_API", "FERROVISOR_TOKEN")}
    env["FERROVISOR_TOKEN"] = token
    t0 = time.monotonic()
    p = subprocess.run([str(TOOL), "--api", base] + [str(a) for a in args], capture_output=True,
                       text=True, timeout=1200, env=env)
    print(f"FV-INFO `{' '.join(args[:2])}`: {time.monotonic() - t0:.0f} s", flush=True)
    return p.returncode, p.stdout, p.stderr


def _focus(q, vm):
    """Cycle the console focus (Ctrl-] n) to VM `vm` and wait for its prompt. Only focus
    lines printed after each key count (a destroyed VM's focus change printed one earlier)."""
    rx = re.compile(r"^\[hyp\] console focus: (\S+)", re.M)
    for _ in range(8):
        start = len(q.output)
        q.send(ESC + "n")
        deadline = time.monotonic() + 10
        while not (m := rx.search(q.output, start)):
            if time.monotonic() > deadline:
                raise fvtest.TestFailure("no console focus line after Ctrl-] n")
            time.sleep(0.2)
        q.rewind(m.end())
        if m.group(1) == vm:
            q.send("\r")
            q.expect(rf"^\[{vm}\] .*{PROMPT}", 60)
            return
    raise fvtest.TestFailure(f"console focus never reached {vm}")


def _wait(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise fvtest.TestFailure(f"timed out waiting for {what}")
        time.sleep(1)


def _last_echo(q, vm, above, timeout):
    """In `vm`, wait (inside the guest) until the client logged an echo numbered above
    `above`; returns the last echo number."""
    m = run(q, vm, "i=0; while [ $i -lt %d ]; do n=$(sed -n 's/^fv-tcp: echo //p' /tmp/tcp.log"
            " | tail -n 1); [ \"${n:-0}\" -gt %d ] && break; sleep 1; i=$((i+1)); done; "
            "echo ECHO-$((40+2))-${n:-none}" % (timeout, above), r"ECHO-42-(\d+|none)\r?$",
            timeout + 60)
    assert m.group(1) != "none", "no echo logged"
    return int(m.group(1))


@fvtest.timeout(1800)
def test_linux_vm_with_disk_and_nic_saved_and_restored():
    suite_manifest = fvtest.BUILD_DIR / "images" / fvtest.kernel_suite() / "manifest.txt"
    if "\nsvc-layer " not in suite_manifest.read_text():
        raise fvtest.Skip("service VM layer not built (`make guest-libs`, `make test-configs`)")
    port = fvapi.free_port()
    disk = fresh_disk("snapdev")
    extra = ["-netdev", f"user,id=up0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:8080",
             "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.0"]
    extra += fvtest.virtio_disk(disk, 1)
    with fvtest.Qemu(hyp_cmd("linux-svc-snapdev", mem="2G", extra=extra)) as q, \
            tempfile.TemporaryDirectory() as tmp:
        q.expect_seen(r"^\[svc\] FV-SERVICE: ferrovisord pid \d+ on 10\.0\.2\.15:8080: "
                      r"ferrovisord: listening on http://0\.0\.0\.0:8080/api/v1 "
                      r"\(backend hvc\)", 600)
        token = fvapi.console_admin_token(q)
        base = f"http://127.0.0.1:{port}"
        assert fvapi.wait_daemon(base, token, get=_req)[0] == 200
        for vm in ("app", "peer"):
            q.expect_seen(rf"^\[{vm}\] FERROVISOR-INIT: up", 400)

        # peer: the echo server on lan1.
        _focus(q, "peer")
        run(q, "peer", "ifconfig eth0 10.0.0.2 netmask 255.255.255.0 up && echo UP-$((40+2))",
            r"UP-42", 60)
        q.send("fv-tcp serve 5000 &\r")
        q.expect(r"^\[peer\] .*fv-tcp: listening on 5000", 60)

        # app: network, disk, the connection, disk traffic in the background.
        _focus(q, "app")
        run(q, "app", "ifconfig eth0 10.0.0.1 netmask 255.255.255.0 up && echo UP-$((40+2))",
            r"UP-42", 60)
        run(q, "app", "ping -c 2 10.0.0.2", r"2 packets transmitted, 2 packets received", 60)
        run(q, "app", "mke2fs -q /dev/vda && mkdir -p /mnt && mount -t ext4 /dev/vda /mnt && "
            "echo MNT-$((40+2))", r"MNT-42", 300)
        run(q, "app", "dd if=/dev/urandom of=/mnt/blob bs=64k count=16 2>/dev/null; sync; "
            "echo SYNC-$((40+2))", r"SYNC-42", 300)
        digest = run(q, "app", "md5sum /mnt/blob", r"([0-9a-f]{32})  /mnt/blob", 120).group(1)
        m = run(q, "app", "fv-tcp client 10.0.0.2 5000 > /tmp/tcp.log 2>&1 & echo PID-$((40+2))-$!",
                r"PID-42-(\d+)\r?\n", 60)
        pid = m.group(1)
        q.expect_seen(r"^\[peer\] .*fv-tcp: connected local 5000 remote \d+", 60)
        run(q, "app", "(while :; do dd if=/dev/urandom of=/mnt/churn bs=64k count=4 conv=fsync "
            "2>/dev/null; done) & echo CHURN-$((40+2))-$!", r"CHURN-42-\d+", 60)
        n_before = _last_echo(q, "app", 2, 120)
        m = run(q, "app", "cat /proc/uptime", r"(\d+\.\d+) \d+\.\d+\r?$", 60)
        up_before = float(m.group(1))

        snap = os.path.join(tmp, "app.fvsnap")
        rc, out, err = _cli(base, token, "vm", "snapshot", "app", snap, "--stop")
        assert rc == 0 and "left paused" in out, (rc, out, err)
        print(f"FV-INFO snapshot of app: {os.path.getsize(snap)} bytes", flush=True)
        rc, out, err = _cli(base, token, "vm", "destroy", "app")
        assert rc == 0, (out, err)
        _wait(lambda: _req(base, "GET", "/vms/app", token)[0] == 404, 60, "app gone")

        rc, out, err = _cli(base, token, "vm", "restore", snap, "--name", "app", "--start")
        assert rc == 0 and "app: restored, running" in out, (rc, out, err)
        q.expect_seen(r"^\[hyp\] vm app: restored from snapshot of app", 30)

        _focus(q, "app")
        run(q, "app", "echo ALIVE-$((40+2))", r"ALIVE-42", 60)
        m = run(q, "app", "cat /proc/uptime", r"(\d+\.\d+) \d+\.\d+\r?$", 60)
        assert float(m.group(1)) > up_before, (up_before, m.group(0))
        # The TCP connection: echoes of lines sent after the restore, the same client.
        n_after = _last_echo(q, "app", n_before + 3, 180)
        assert n_after > n_before + 3, (n_before, n_after)
        run(q, "app", f"kill -0 {pid} && echo CLIENT-$((40+2))-alive", r"CLIENT-42-alive", 30)
        log = run(q, "app", "grep -c connected /tmp/tcp.log; grep -c error /tmp/tcp.log; "
                  "echo LOG-$((40+2))", r"(\d+)\r?\n\[app\] (\d+)\r?\n\[app\] LOG-42", 30)
        assert log.group(1) == "1" and log.group(2) == "0", log.group(0)
        # The disk: stop the churn, read the file back from the disk, write a new one.
        run(q, "app", "kill %2; wait %2 2>/dev/null; sync; echo 3 > /proc/sys/vm/drop_caches; "
            "echo DROP-$((40+2))", r"DROP-42", 120)
        run(q, "app", "md5sum /mnt/blob", rf"{digest}  /mnt/blob", 120)
        run(q, "app", "echo after-restore > /mnt/note; sync; cat /mnt/note",
            r"after-restore\r?$", 120)
        q.assert_absent(r"^\[peer\] fv-tcp: error")
        q.assert_absent(r"PANIC")
        q.assert_absent(r"^\[hyp\] error: vm app: restore")
