# SPDX-License-Identifier: MIT
"""The event tracer through ferrovisord (POST/GET /api/v1/trace, admin) and
`ferrovisor --api URL trace start|stop|dump`, against the host-built daemon with its simulated
backend (no QEMU): the sim records the "vm" class as the hypervisor does, so a reset shows
as request, stopping -> stopped, stopped -> running; the file the CLI writes is checked by
trace_check.py. Errors: unknown class 400, no JSON 415, a viewer/operator token 403. The
hypervisor side (TRACE_CTL/TRACE_READ through the service VM) is test_trace.py's QEMU run
plus tests/unit/test_trace.c."""
import json
import os
import subprocess
import tempfile

import fvapi
import fvtest
import trace_check
from test_ferrovisord import Daemon, load_doc

TOOL = fvtest.REPO_ROOT / "build" / "tools" / "ferrovisor"
JSON = {"Content-Type": "application/json"}


def post(d, body, expect, token=None, headers=None):
    """The one place this module sends trace requests from (a token can be added here)."""
    return d.call("POST", "/trace", body=body, headers=headers or JSON, expect=expect,
                  token=token)[2]


def cli(d, url, *args):
    env = {k: v for k, v in os.environ.items() if k != "FERROVISOR_API"}
    env["FERROVISOR_TOKEN"] = d.token
    p = subprocess.run([str(TOOL), "--api", url] + [str(a) for a in args], capture_output=True,
                       text=True, timeout=30, env=env)
    return p.returncode, p.stdout, p.stderr


def test_trace_rest_and_cli():
    if not TOOL.is_file():
        raise fvtest.TestFailure(f"{TOOL} missing: run `make all`")
    with Daemon(load_doc()) as d, tempfile.TemporaryDirectory() as tmp:
        url = f"http://127.0.0.1:{d.port}"
        rc, out, err = cli(d, url, "trace", "start", "vm", "sched")
        assert rc == 0 and "trace on: sched vm" in out, (rc, out, err)
        d.call("POST", "/vms/alpha/reset", expect=200)
        d.call("POST", "/vms/beta/start", expect=200)
        rc, out, err = cli(d, url, "trace", "stop")
        assert rc == 0 and "trace off:" in out and "(4 records waiting" in out, (rc, out, err)
        path = os.path.join(tmp, "t.json")
        rc, out, err = cli(d, url, "trace", "dump", path)
        assert rc == 0 and "4 records, 0 dropped" in out, (rc, out, err)
        with open(path) as f:
            obj = json.load(f)
        assert not trace_check.check(obj, reset_vm="alpha")
        procs = {e["pid"]: e["args"]["name"] for e in obj["traceEvents"]
                 if e["ph"] == "M" and e["name"] == "process_name"}
        beta = [e["name"] for e in obj["traceEvents"]
                if e["ph"] == "i" and procs.get(e["pid"]) == "VM beta"]
        assert beta == ["state stopped -> running"], beta
        # Off means off: nothing more is recorded.
        d.call("POST", "/vms/beta/stop", expect=200)
        assert d.call("GET", "/trace", expect=200)[2]["otherData"]["records"] == 0

        # Refusals: the class named, media type, and the role (admin only).
        prob = post(d, b'{"on": true, "classes": ["exits"]}', 400)
        assert "unknown class" in prob["detail"], prob
        post(d, b'{"classes": ["vm"]}', 400)
        post(d, b'{"on": true}', 415, headers={"Content-Type": "text/plain"})
        op = fvapi.make_token(d.port, d.token, "op", "operator")
        post(d, b'{"on": true}', 403, token=op)
        d.call("GET", "/trace", expect=403, token=op)
        rc, out, err = cli(d, url, "trace", "start", "Bad!")
        assert rc == 2 and "bad class" in err, (rc, out, err)
        rc, out, err = cli(d, url, "trace", "start", "exits")
        assert rc == 3 and "400" in err, (rc, out, err)
