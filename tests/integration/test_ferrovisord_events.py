# SPDX-License-Identifier: MIT
"""ferrovisord's live state on the host (sim backend, no QEMU, seconds): the event stream
(GET /api/v1/events), VM consoles (GET/POST /api/v1/vms/{name}/console).

The sim's guests print "heartbeat N" every second, echo console input and obey "echo TEXT",
"halt" and "crash" typed as lines (docs/ferrovisord.md). Checked: console history then live
output with contiguous byte sequence numbers, `tail`, input reaching the VM and its echo,
every input error (empty, over 4 KiB, the service VM, a stopped or unknown VM, a bad name);
events for operator actions (cause operator:ACTION) and for a guest that halts or crashes on
its own (critical, with a vm-crash event), `since`/Last-Event-ID replay, `follow=false`,
keepalive comments, several streams open while other requests are served, and a daemon that
stops promptly with streams open. Every event is validated against docs/api/openapi.yaml.
"""

import base64
import json
import signal
import threading
import time

import fvapi
import fvtest
import openapi_check
from test_ferrovisord import Daemon, load_doc


def _chunks(events):
    return [json.loads(e["data"]) for e in events if e["event"] == "output"]


def _console_text(events):
    return b"".join(base64.b64decode(c["b64"]) for c in _chunks(events)).decode(errors="replace")


def _data(events, etype=None):
    return [json.loads(e["data"]) for e in events if etype is None or e["event"] == etype]


def test_console_history_live_and_input():
    with Daemon(load_doc(), extra=("--heartbeat", "1")) as d:
        time.sleep(2.5)  # some history: boot line and heartbeats
        ev, _ = d.sse("/vms/alpha/console", lambda ev, t: "heartbeat 4\n" in _console_text(ev))
        text = _console_text(ev)
        assert text.startswith("sim alpha: boot\nheartbeat 1\n"), text
        chunks = _chunks(ev)
        assert chunks[0]["seq"] == 0, chunks
        for a, b in zip(chunks, chunks[1:]):  # contiguous byte numbering
            assert b["seq"] == a["seq"] + len(base64.b64decode(a["b64"])), chunks
        # tail: only the last bytes of history; 0: live output only.
        ev, _ = d.sse("/vms/alpha/console?tail=5", lambda ev, t: len(_chunks(ev)) >= 1)
        first = _chunks(ev)[0]
        assert len(base64.b64decode(first["b64"])) <= 5 and first["seq"] > 0, first
        ev, _ = d.sse("/vms/alpha/console?tail=0", lambda ev, t: len(_chunks(ev)) >= 1)
        assert _console_text(ev).startswith("heartbeat "), _console_text(ev)
        assert "boot" not in _console_text(ev)

        # Input typed while a stream is open reaches the VM and comes back in the stream.
        got = {}

        def watch():
            got["ev"], _ = d.sse("/vms/alpha/console?tail=0",
                                 lambda ev, t: "MARK-42\n" in _console_text(ev), timeout=20)

        t = threading.Thread(target=watch)
        t.start()
        time.sleep(0.5)
        r = d.call("POST", "/vms/alpha/console", body=b"echo MARK-42\n",
                   headers={"Content-Type": "application/octet-stream"}, expect=200)[2]
        assert r == {"vm": "alpha", "bytes": 13, "accepted": 13}, r
        t.join(30)
        assert "echo MARK-42\nMARK-42\n" in _console_text(got["ev"]), _console_text(got["ev"])

        # Errors: each a problem of the document.
        oct_ = {"Content-Type": "application/octet-stream"}
        d.call("POST", "/vms/alpha/console", body=b"", headers=oct_, expect=400)
        d.call("POST", "/vms/alpha/console", body=b"x" * 4097, headers=oct_, expect=413)
        d.call("POST", "/vms/alpha/console", body=b"x" * 4096, headers=oct_, expect=200)
        _, _, p = d.call("POST", "/vms/service/console", body=b"ls\n", headers=oct_, expect=403)
        assert "service" in p["detail"], p
        d.call("POST", "/vms/beta/console", body=b"ls\n", headers=oct_, expect=409)
        d.call("POST", "/vms/nope/console", body=b"ls\n", headers=oct_, expect=404)
        d.call("POST", "/vms/-x/console", body=b"ls\n", headers=oct_, expect=400)
        d.call("GET", "/vms/nope/console", expect=404)
        d.call("GET", "/vms/alpha/console?tail=x", expect=400)
        d.call("DELETE", "/vms/alpha/console", expect=405)
        # Chunked input past 4 KiB (no Content-Length: http.client sends an iterable chunked):
        # refused at its end.
        c, r = d.open("POST", "/vms/alpha/console", body=iter([b"y" * 3000, b"y" * 3000]),
                      headers=oct_)
        assert r.status == 413, r.status
        c.close()


def test_events_operator_guest_and_replay():
    with Daemon(load_doc(), extra=("--heartbeat", "1")) as d:
        oct_ = {"Content-Type": "application/octet-stream"}
        admin = d.token
        # An operator does all of this and reads the stream: every request also becomes an
        # audit record (an event of type audit, with its own seq), which only admins see.
        d.token = fvapi.make_token(d.port, admin, "ops", "operator")
        viewer = fvapi.make_token(d.port, admin, "watch", "viewer")
        d.call("POST", "/vms/alpha/pause", expect=200)
        d.call("POST", "/vms/alpha/resume", expect=200)
        d.call("POST", "/vms/beta/start", expect=200)
        d.call("POST", "/vms/beta/console", body=b"halt\n", headers=oct_, expect=200)
        d.call("POST", "/vms/alpha/console", body=b"crash\r", headers=oct_, expect=200)
        ev, _ = d.sse("/events", lambda ev, t: any(e["event"] == "vm-crash" for e in ev))
        data = _data(ev)
        seqs = [x["seq"] for x in data]
        assert seqs == sorted(set(seqs)) and seqs[0] >= 1, data
        assert all(x["type"] != "audit" for x in data), data
        states = [(x["vm"], x["old_state"], x["state"], x["cause"], x["severity"])
                  for x in data if x["type"] == "vm-state"]
        assert states == [
            ("alpha", "running", "paused", "operator:pause", "info"),
            ("alpha", "paused", "running", "operator:resume", "info"),
            ("beta", "stopped", "running", "operator:start", "info"),
            ("beta", "running", "stopped", "guest", "critical"),
            ("alpha", "running", "crashed", "guest", "critical"),
        ], states
        crash = _data(ev, "vm-crash")[0]
        assert crash["vm"] == "alpha" and crash["severity"] == "critical", crash
        assert "illegal instruction" in crash["cause"], crash
        assert d.state("alpha") == "crashed" and d.state("beta") == "stopped"

        # Audit records: in an admin's stream (between the others, numbered with them), one
        # per mutating request, never in a viewer's or an operator's.
        ev, _ = d.sse("/events?follow=false", lambda ev, t: False if ev is None else
                      any(e["event"] == "vm-crash" for e in ev) and
                      sum(e["event"] == "audit" for e in ev) >= 7, token=admin)
        audits = _data(ev, "audit")
        ops = [(a["record"]["token"], a["record"]["op"], a["record"]["status"]) for a in audits]
        assert ops[:7] == [
            ("admin", "POST /api/v1/tokens", 201),
            ("admin", "POST /api/v1/tokens", 201),
            ("ops", "POST /api/v1/vms/alpha/pause", 200),
            ("ops", "POST /api/v1/vms/alpha/resume", 200),
            ("ops", "POST /api/v1/vms/beta/start", 200),
            ("ops", "POST /api/v1/vms/beta/console", 200),
            ("ops", "POST /api/v1/vms/alpha/console", 200),
        ], ops
        all_seqs = [x["seq"] for x in _data(ev)]
        assert all_seqs == list(range(1, len(all_seqs) + 1)), all_seqs
        assert set(seqs) < set(all_seqs)
        c, r = d.open("GET", "/events?follow=false", token=viewer)
        seen = openapi_check.parse_sse(r.read().decode())
        c.close()
        assert seen and all(e["event"] != "audit" for e in seen), seen
        assert [json.loads(e["data"])["seq"] for e in seen] == seqs, (seen, seqs)

        # since / Last-Event-ID replay only what came after; follow=false ends the stream.
        ev, _ = d.sse(f"/events?since={seqs[2]}&follow=false", lambda ev, t: len(ev) >= 3)
        assert [x["seq"] for x in _data(ev)][0] == seqs[3], _data(ev)
        c, r = d.open("GET", f"/events?since={seqs[2]}&follow=false")
        replay = openapi_check.parse_sse(r.read().decode())  # ends by itself
        c.close()
        assert [json.loads(e["data"])["seq"] for e in replay] == seqs[3:6], replay
        ev, _ = d.sse("/events", lambda ev, t: len(ev) >= 1,
                      headers={"Last-Event-ID": str(seqs[4])})
        assert _data(ev)[0]["seq"] == seqs[5], _data(ev)
        c, r = d.open("GET", "/events?since=999999&follow=false")
        assert openapi_check.parse_sse(r.read().decode()) == []
        c.close()
        d.call("GET", "/events?since=-1", expect=400)
        d.call("GET", "/events?follow=maybe", expect=400)
        d.call("POST", "/events", expect=405)

        # Live: an event logged while the stream is open; keepalives while nothing happens.
        got = {}

        def watch():
            got["r"] = d.sse(f"/events?since={seqs[5]}", lambda ev, t: len(ev) >= 1 and
                             t.count(": keepalive") >= 2, timeout=20)

        t = threading.Thread(target=watch)
        t.start()
        time.sleep(1.5)
        d.call("POST", "/vms/alpha/start", expect=200)
        t.join(30)
        ev, text = got["r"]
        assert _data(ev)[0]["vm"] == "alpha" and _data(ev)[0]["cause"] == "operator:start", ev


def test_streams_do_not_block_and_daemon_stops():
    with Daemon(load_doc()) as d:  # default 15 s keepalive: streams stay silent
        conns = []
        for path in ("/events", "/vms/alpha/console?tail=0", "/vms/beta/console"):
            c, r = d.open("GET", path)
            assert r.status == 200 and r.getheader("Content-Type") == "text/event-stream"
            conns.append(c)
        t0 = time.monotonic()
        for _ in range(20):
            d.call("GET", "/host", expect=200)
            d.call("GET", "/vms", expect=200)
        assert time.monotonic() - t0 < 5, "requests slowed down by open streams"
        d.proc.send_signal(signal.SIGTERM)
        try:
            d.proc.wait(8)
        except Exception:
            raise fvtest.TestFailure("ferrovisord did not stop within 8 s with streams open")
        assert d.proc.returncode == 0, d.proc.returncode
        for c in conns:
            c.close()
        # (Daemon.__exit__ would report a dead daemon: it was stopped on purpose.)
        d.proc = type("P", (), {"poll": lambda self: None, "terminate": lambda self: None,
                                "wait": lambda self, t=None: 0})()
