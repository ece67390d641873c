# SPDX-License-Identifier: MIT
"""Console and events through the whole management stack, from the host.

One boot (tests/integration/configs/linux-svc-console.dts): the Linux service VM runs
ferrovisord with the control-channel backend; beside it the bare-metal echo guest and a
Debian Linux guest with a busybox shell. Through a 127.0.0.1 forward of switch lan0's uplink
the host runs the remote CLI (`ferrovisor --api URL console|events|vm`) and plain REST:

- `console echo`: what is typed reaches the guest over CONSOLE_INPUT and its answer comes
  back over EV_CONSOLE events, the daemon's history, and the SSE stream; a second attach
  shows that history.
- `console linux`: `echo MARK-$((6*7))` typed into the Linux shell prints MARK-42.
- `events`: stopping and starting echo through the API gives vm-state events with cause
  operator:stop / operator:start; echo crashing on its own ("crash": its trap handler
  cannot be fetched) gives a critical vm-state to crashed (cause guest) and a vm-crash event
  with the hypervisor's cause; each event is valid against docs/api/openapi.yaml.
- Hostile: console input for the service VM itself is refused (403 problem), an unknown VM
  404, an empty body 400, a body over 4 KiB 413; the daemon and the guests keep running.

ARCH_MATRIX: the same body on the arm64 port (configs-arm64-linux/svc-console.dts: the arm64
echo guest and a Debian arm64 Linux guest on their PL011s); only the hypervisor's crash cause
differs (CRASH_CAUSE).
"""

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request

import yaml

import fvapi
import fvtest
import openapi_check
from hyp import hyp_cmd, require_svc_layer

KERNEL_MATRIX = True
ARCH_MATRIX = True
# How the hypervisor names echo's crash ("crash": a jump nowhere) on each architecture.
CRASH_CAUSE = {"riscv64": "vCPU 0 cannot fetch its trap handler",
               "arm64": "vCPU 0: instruction fetch outside RAM"}
DOC = fvtest.REPO_ROOT / "docs" / "api" / "openapi.yaml"
TOOL = fvtest.BUILD_DIR / "tools" / "ferrovisor"


# The service VM daemon's first admin token (read from its console), sent by _cli and
# _request.
_TOKEN = [None]


def _cli(url, *args, input="", timeout=120):
    """The remote CLI (stdin a pipe, the token in $FERROVISOR_TOKEN); returns (exit code,
    stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in ("FERROVISOR_API", "FERROVISOR_TOKEN")}
    if _TOKEN[0]:
        env["FERROVISOR_TOKEN"] = _TOKEN[0]
    p = subprocess.run([str(TOOL), "--api", url, *map(str, args)], capture_output=True,
                       text=True, timeout=timeout, env=env, input=input)
    return p.returncode, p.stdout, p.stderr


def _request(base, method, path, body=None, ctype=None):
    """One REST request (the one place this module's requests go through)."""
    headers = fvapi.headers(_TOKEN[0], {"Content-Type": ctype} if ctype else {})
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


def _call(doc, base, method, path, expect, body=None, ctype=None):
    status, rtype, raw = _request(base, method, path, body, ctype)
    data = json.loads(raw) if raw else None
    assert status == expect, (method, path, status, data)
    errs = openapi_check.validate_response(doc, path.split("?")[0], method, status, rtype, data)
    assert not errs, (method, path, errs)
    return data


def _events(url, since):
    """Retained events after since, each validated against the document's Event schema."""
    rc, out, err = _cli(url, "events", "--since", since, "--json")
    assert rc == 0, (rc, out, err)
    evs = [json.loads(line) for line in out.splitlines()]
    doc = yaml.safe_load(DOC.read_text())
    for e in evs:
        errs = openapi_check.validate(doc, {"$ref": "#/components/schemas/Event"}, e)
        assert not errs, (e, errs)
    return evs


def _wait_events(url, since, pred, what, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        evs = _events(url, since)
        if pred(evs):
            return evs
        assert time.monotonic() < deadline, f"no {what} in {evs}"
        time.sleep(1)


def _last_seq(url):
    evs = _events(url, 0)
    return evs[-1]["seq"] if evs else 0


@fvtest.timeout(900)
def test_console_and_events_end_to_end():
    require_svc_layer("linux-svc-console")
    doc = yaml.safe_load(DOC.read_text())
    port = fvapi.free_port()
    url = f"http://127.0.0.1:{port}"
    base = url + "/api/v1"
    extra = ["-netdev", f"user,id=up0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:8080",
             "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.0"]
    with fvtest.Qemu(hyp_cmd("linux-svc-console", mem="1G", extra=extra)) as q:
        q.expect(r"^\[svc\] FV-SERVICE: ferrovisord pid \d+ on 10\.0\.2\.15:8080: "
                 r"ferrovisord: listening on http://0\.0\.0\.0:8080/api/v1 \(backend hvc\)",
                 600)
        _TOKEN[0] = fvapi.console_admin_token(q)
        vms = fvapi.until_reachable(lambda: _call(doc, base, "GET", "/vms", 200))["vms"]
        assert {v["name"] for v in vms} == {"svc", "echo", "linux"}, vms
        # (Both may have come before the daemon's line; the Linux prompt is a partial line
        # the hypervisor shows only for the focused VM: its banner says the shell runs.)
        q.expect_seen(r"^\[echo\] echo: ready on hart", 60)
        q.expect_seen(r"^\[linux\] Enter 'help' for a list of built-in commands", 600)

        # Bare-metal echo: typed line in, answer out, through ferrovisord and the hypervisor.
        rc, out, err = _cli(url, "console", "echo", "--tail", "0", "--timeout", "10",
                            input="hi-there\n")
        assert rc == 0 and "echo: hi-there\n" in out, (rc, out, err)
        q.expect(r"^\[echo\] echo: hi-there", 30)  # the hypervisor's own console agrees
        # History: a later attach starts with what the daemon kept.
        rc, out, err = _cli(url, "console", "echo", "--timeout", "1")
        assert rc == 0 and "echo: hi-there\n" in out, (rc, out, err)

        # Linux: the busybox shell computes the marker, so the echoed command never matches.
        rc, out, err = _cli(url, "console", "linux", "--tail", "0", "--timeout", "30",
                            input="echo MARK-$((6*7))\n")
        assert rc == 0 and re.search(r"^MARK-42\r?$", out, re.M), (rc, out, err)

        # Events: operator stop and start of echo.
        seq = _last_seq(url)
        rc, out, err = _cli(url, "vm", "stop", "echo")
        assert rc == 0, (out, err)
        evs = _wait_events(url, seq, lambda e: any(x.get("vm") == "echo" and
                                                   x.get("state") == "stopped" for x in e),
                           "echo stopped")
        stopped = [x for x in evs if x.get("vm") == "echo" and x.get("state") == "stopped"][0]
        assert stopped["cause"] == "operator:stop" and stopped["severity"] == "info", evs
        rc, out, err = _cli(url, "vm", "start", "echo")
        assert rc == 0, (out, err)
        q.expect(r"^\[echo\] echo: ready on hart", 60)
        evs = _wait_events(url, seq, lambda e: any(x.get("vm") == "echo" and
                                                   x.get("state") == "running" for x in e),
                           "echo running")
        running = [x for x in evs if x.get("vm") == "echo" and x.get("state") == "running"][0]
        # The admin's stream also carries the audit records of both requests.
        ops = [x["record"]["op"] for x in evs if x["type"] == "audit"]
        assert "POST /api/v1/vms/echo/stop" in ops and "POST /api/v1/vms/echo/start" in ops, evs
        seq = evs[-1]["seq"]
        rc, out, err = _cli(url, "events", "--since", running["seq"] - 1)
        assert rc == 0 and "echo: " in out and "(operator:start)" in out, (out, err)

        # A crash nobody asked for: critical state change and the hypervisor's cause.
        rc, out, err = _cli(url, "console", "echo", "--tail", "0", "--timeout", "5",
                            input="crash\n")
        assert rc == 0 and "echo: crashing" in out, (rc, out, err)
        evs = _wait_events(url, seq, lambda e: any(x["type"] == "vm-crash" for x in e),
                           "vm-crash")
        crash = [x for x in evs if x["type"] == "vm-crash"][0]
        assert crash["vm"] == "echo" and crash["severity"] == "critical", crash
        assert CRASH_CAUSE[fvtest.arch()] in crash["cause"], crash
        st = [x for x in evs if x["type"] == "vm-state" and x.get("state") == "crashed"]
        assert st and st[0]["cause"] == "guest" and st[0]["severity"] == "critical", evs
        assert _call(doc, base, "GET", "/vms/echo", 200)["state"] == "crashed"
        rc, out, err = _cli(url, "events", "--since", seq)
        assert f"vm-crash echo: ({CRASH_CAUSE[fvtest.arch()]}" in out, (out, err)

        # Hostile console input: refused with problems of the document, nothing typed.
        oct_ = "application/octet-stream"
        p = _call(doc, base, "POST", "/vms/svc/console", 403, b"reboot\n", oct_)
        assert "svc" in p["detail"], p
        _call(doc, base, "POST", "/vms/nope/console", 404, b"x\n", oct_)
        _call(doc, base, "POST", "/vms/linux/console", 400, b"", oct_)
        _call(doc, base, "POST", "/vms/linux/console", 413, b"y" * 5000, oct_)
        _call(doc, base, "POST", "/vms/echo/console", 409, b"x\n", oct_)  # crashed
        rc, out, err = _cli(url, "console", "svc", input="reboot\n")
        assert rc == 3 and "403" in err, (rc, out, err)

        # Everything else still up: the daemon, Linux, the hypervisor.
        vms = {v["name"]: v["state"] for v in _call(doc, base, "GET", "/vms", 200)["vms"]}
        assert vms == {"svc": "running", "echo": "crashed", "linux": "running"}, vms
        rc, out, err = _cli(url, "console", "linux", "--tail", "0", "--timeout", "30",
                            input="echo ALIVE-$((2+3))\n")
        assert rc == 0 and re.search(r"^ALIVE-5\r?$", out, re.M), (rc, out, err)
        q.assert_absent(r"^\[svc\] .*(Oops|Kernel panic|segfault)")
        q.assert_absent(r"PANIC")
