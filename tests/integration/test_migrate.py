# SPDX-License-Identifier: MIT
"""Live migration between two Ferrovisor hosts (docs/snapshots.md "Live migration").

Two QEMU instances, each running Ferrovisor with the Linux service VM and its ferrovisord on
the real control channel, reachable from the host through user-net hostfwd. `beat`
(guests/migrate_beat: a deterministic two-vCPU computation that keeps dirtying 2 MiB of
tables, with 4 MiB written once, printing a heartbeat with its own clock every ~10 ms) runs on
the source; `ref` runs the same computation straight through on the destination.

In one boot of both hosts:
- a migration to a host HTTP server that records the stream and refuses it at the end (500)
  leaves `beat` running on the source (failure after the final round, the VM resumed);
- a migration to a server that stalls, cancelled with `ferrovisor migrate cancel`, leaves it
  running on the source (409 "cancelled");
- the recorded stream, truncated or with a flipped byte, is refused by the destination's
  POST /api/v1/vms/incoming (400) and leaves no VM there;
- `ferrovisor --api SRC migrate beat --to http://10.0.2.2:DST` moves it while it runs: the
  source no longer has it, the destination finishes with `ref`'s digest, its clock continued
  from the source's (never back); the rounds, downtime and the largest heartbeat gap the host
  saw across both consoles are printed (not asserted against a time).
"""

import os
import re
import socket
import tempfile
import threading
import time

import fvapi
import fvtest
from hyp import hyp_cmd
from mig_hosts import cli as _cli, run as _run, uplink, vm_state as _vm_state, wait as _wait
from mig_hosts import daemons_up, gone_from, need_svc_layer
from test_dump import _req

# One kernel suite: the migrated guest is bare metal, so the kernel only runs the two service
# VMs, which the management tests (test_mgmt_*, test_ferrovisord_*) run on both suites;
# test_migrate_linux migrates a Linux guest on both.
PROGRESS = r"progress (\d+)/\d+ t=(\d+) d=([0-9a-f]{16})"


def _beats(out, vm):
    return [(int(n), int(t)) for n, t in re.findall(rf"^\[{vm}\] beat (\d+) t=(\d+)\r?$", out, re.M)]


def _rounds(out, vm):
    """{round: (guest time, digest)} of the progress lines."""
    return {int(r): (int(t), d) for r, t, d in re.findall(rf"^\[{vm}\] {PROGRESS}\r?$", out, re.M)}


class _Sink:
    """A host HTTP server the source's daemon reaches as 10.0.2.2:PORT. "record": reads the
    whole chunked stream, then answers 500; "stall": reads the request head, then nothing."""

    def __init__(self, mode):
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.stream = bytearray()
        self.head = ""
        self.complete = False
        self.headers_seen = threading.Event()
        self.finished = threading.Event()
        self.release = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        conn = None
        try:
            self.sock.settimeout(900)
            conn, _ = self.sock.accept()
            conn.settimeout(600)
            buf = bytearray()
            while b"\r\n\r\n" not in buf:
                d = conn.recv(65536)
                if not d:
                    return
                buf += d
            head, _, rest = bytes(buf).partition(b"\r\n\r\n")
            self.head = head.decode(errors="replace")
            self.headers_seen.set()
            if self.mode == "stall":
                self.release.wait(900)
                return
            data = bytearray(rest)

            def need(n):
                while len(data) < n:
                    d = conn.recv(1 << 20)
                    if not d:
                        raise EOFError
                    data.extend(d)

            while True:
                while b"\r\n" not in data:
                    need(len(data) + 1)
                line, _, tail = bytes(data).partition(b"\r\n")
                size = int(line, 16)
                data[:] = tail
                need(size + 2)
                self.stream += data[:size]
                data[:] = data[size + 2:]
                if size == 0:
                    break
            self.complete = True
            body = b'{"status":500,"title":"test sink","detail":"refused by the test"}'
            conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: "
                         b"application/problem+json\r\nConnection: close\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)
        except (OSError, EOFError, ValueError):
            pass
        finally:
            if conn:
                conn.close()
            self.sock.close()
            self.finished.set()


def _post_stream(base, token, name, data):
    """POST a migration stream to /vms/incoming (Content-Length, not chunked)."""
    return fvapi.request(base, "POST", f"/vms/incoming?name={name}&resume=true", token, body=data,
                         extra_headers={"Content-Type": "application/octet-stream"}, timeout=600)


def _last_beat(q, vm):
    b = _beats(q.output[-20000:], vm)
    return b[-1][0] if b else 0


def _beat_advances(q, vm, timeout=120):
    n0 = _last_beat(q, vm)
    _wait(lambda: _last_beat(q, vm) > n0 + 5, timeout, f"{vm} beating")


@fvtest.timeout(1800)
def test_live_migration_between_two_hosts():
    need_svc_layer()
    sport, dport = fvapi.free_port(), fvapi.free_port()
    with fvtest.Qemu(hyp_cmd("linux-svc-mig", mem="1G", extra=uplink(sport, "off"))) as src, \
            fvtest.Qemu(hyp_cmd("linux-svc-mig-dst", mem="1G", extra=uplink(dport, "on"))) as dst, \
            tempfile.TemporaryDirectory() as tmp:
        sbase, stok, dbase, dtok = daemons_up(src, dst, sport, dport)
        for base, tok, vm in ((sbase, stok, "beat"), (dbase, dtok, "ref")):
            rc, out, err = _run(_cli(base, tok, "vm", "start", vm))
            assert rc == 0, (vm, out, err)
        src.expect_seen(r"^\[beat\] progress 1/", 300)

        # 1. The destination refuses at the very end: the VM runs on here, resumed.
        rec = _Sink("record")
        rc, out, err = _run(_cli(sbase, stok, "migrate", "beat", "--to",
                                 f"http://10.0.2.2:{rec.port}", to_token="fvt_sink.x"))
        assert rc == 3 and "502" in err and "runs on here" in err, (rc, out, err)
        assert rec.finished.wait(60) and rec.complete, "the sink got no complete stream"
        assert rec.head.startswith("POST /api/v1/vms/incoming?name=beat&resume=true "), rec.head
        assert "Authorization: Bearer fvt_sink.x" in rec.head and "chunked" in rec.head
        stream = bytes(rec.stream)
        print(f"FV-INFO recorded migration stream: {len(stream)} bytes", flush=True)
        assert stream[:8] == b"FVSNAP\r\n" and int.from_bytes(stream[12:16], "little") & 2
        src.expect_seen(r"^\[hyp\] vm beat: migration: round \d+ \(final, paused\)", 30)
        src.expect_seen(r"^\[hyp\] vm beat: migration: ended after \d+ round\(s\), \d+ bytes; "
                        r"running here", 60)
        assert _vm_state(sbase, stok, "beat") == "running"
        _beat_advances(src, "beat")

        # 2. Cancelled while the destination does not read: the VM runs on here.
        stall = _Sink("stall")
        mig = _cli(sbase, stok, "migrate", "beat", "--to", f"http://10.0.2.2:{stall.port}",
                   to_token="fvt_sink.x")
        assert stall.headers_seen.wait(120), "the stalled sink saw no request"
        st, data = _req(sbase, "DELETE", "/vms/beat/migrate", stok)  # checked against the doc
        assert st == 202 and data == {"vm": "beat", "cancel": "requested"}, (st, data)
        rc, out, err = _run(mig, 300)
        stall.release.set()
        assert rc == 3 and "409" in err and "cancelled" in err, (rc, out, err)
        assert _vm_state(sbase, stok, "beat") == "running"
        _beat_advances(src, "beat")
        rc, out, err = _run(_cli(sbase, stok, "migrate", "cancel", "beat"), 120)
        assert rc == 3 and "404" in err, (rc, out, err)  # nothing left to cancel

        # 3. A damaged stream is refused by the destination, nothing of it left there.
        host0 = _req(dbase, "GET", "/host", dtok)[1]
        st, _, body = _post_stream(dbase, dtok, "beat", stream[:len(stream) // 2])
        assert st == 400, (st, body)
        dst.expect_seen(r"^\[hyp\] error: vm beat: restore: snapshot incomplete at byte \d+: "
                        r"E_TRUNCATED", 60)
        bad = bytearray(stream)
        bad[len(bad) // 3] ^= 0x40
        st, _, body = _post_stream(dbase, dtok, "beat", bytes(bad))
        assert st == 400, (st, body)
        dst.expect_seen(r"^\[hyp\] error: vm beat: restore: snapshot refused at byte \d+: E_", 60)
        assert _req(dbase, "GET", "/vms/beat", dtok)[0] == 404
        _wait(lambda: _req(dbase, "GET", "/host", dtok)[1]["memory_free_mb"] ==
              host0["memory_free_mb"], 60, "the destination's memory back")

        # 4. The migration. The host watches both consoles for the largest heartbeat gap.
        tokfile = os.path.join(tmp, "dst.token")
        with open(tokfile, "w") as f:
            f.write(dtok + "\n")
        before = _beats(src.output[-20000:], "beat")
        seen = {"last": None, "gap": 0.0, "stop": False}

        def watch():
            last_n = None
            while not seen["stop"]:
                now = time.monotonic()
                ns = [b[0] for b in _beats(src.output[-3000:], "beat")]
                nd = [b[0] for b in _beats(dst.output[-3000:], "beat")]
                n = max(ns + nd) if ns + nd else None
                if n is not None and n != last_n:
                    if seen["last"] is not None:
                        seen["gap"] = max(seen["gap"], now - seen["last"])
                    seen["last"], last_n = now, n
                time.sleep(0.02)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        rc, out, err = _run(_cli(sbase, stok, "migrate", "beat", "--to",
                                 f"http://10.0.2.2:{dport}", "--to-token-file", tokfile))
        assert rc == 0, (rc, out, err)
        m = re.search(r"beat: migrated to \S+: (\d+) bytes, downtime ([\d.]+) ms, total "
                      r"([\d.]+) ms", out)
        assert m, out
        rounds = re.findall(r"^round (\d+)( \(final\))?: (\d+) pages, (\d+) bytes$", out, re.M)
        assert len(rounds) >= 2 and rounds[-1][1] and not rounds[0][1], out
        dst.expect_seen(r"^\[beat\] beat \d+", 120)
        _wait(lambda: seen["last"] is not None and time.monotonic() - seen["last"] < 5, 60,
              "beats after the migration")
        seen["stop"] = True
        watcher.join(5)
        print(f"FV-INFO migration: {m.group(1)} bytes in {len(rounds)} rounds "
              f"({', '.join(r[2] + ' pages' for r in rounds)}), downtime {m.group(2)} ms, "
              f"total {m.group(3)} ms; largest heartbeat gap seen by the host "
              f"{seen['gap'] * 1000:.0f} ms", flush=True)
        # The source no longer has it (destroyed asynchronously); the audit record carries
        # the figures.
        gone_from(sbase, stok, "beat")
        audit = _req(sbase, "GET", "/audit", stok)[1]["records"]
        assert any(r["op"].startswith("POST /api/v1/vms/beat/migrate to http://10.0.2.2:") and
                   "downtime" in r["op"] and r["status"] == 200 for r in audit), audit[-3:]
        assert _vm_state(dbase, dtok, "beat") == "running"
        # It goes on there from the round it was in, each round's digest that of the
        # uninterrupted run, its clock never going back.
        # (A progress line the pause cut in two, half on each console, is in neither.)
        done_src = max(_rounds(src.output, "beat"))
        want = (done_src + 2, done_src + 3)
        _wait(lambda: want[1] in _rounds(dst.output, "beat"), 900, f"beat round {want[1]}")
        _wait(lambda: want[1] in _rounds(dst.output, "ref"), 900, f"ref round {want[1]}")
        moved, ref = _rounds(dst.output, "beat"), _rounds(dst.output, "ref")
        assert min(moved) in (done_src + 1, done_src + 2), (done_src, sorted(moved)[:3])
        for r in want:
            assert moved[r][1] == ref[r][1], (r, moved[r], ref[r])
        print(f"FV-INFO beat rounds {want[0]}-{want[1]} after the migration match ref's "
              f"digests ({moved[want[1]][1]})", flush=True)
        after = _beats(dst.output, "beat")
        assert before and after and after[0][1] >= before[-1][1], (before[-1:], after[:1])
        assert after[0][0] > before[-1][0], (before[-1:], after[:1])
        assert max(_rounds(src.output, "beat")) == done_src  # nothing more ran there
        for q in (src, dst):
            q.assert_absent(r"PANIC")
