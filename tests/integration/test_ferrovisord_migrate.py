# SPDX-License-Identifier: MIT
"""Live migration through ferrovisord and the CLI, between two simulated hosts (no QEMU).

`ferrovisor --api A migrate alpha --to B` moves a running simulated VM from daemon A to daemon
B (A streams the sim's migration stream into B's POST /vms/incoming over a chunked request):
A no longer has it, B runs it, and the answer and A's audit record carry the rounds, bytes,
downtime and total time. A destination that already has the name refuses (502, the VM runs
on at A); a bad URL or token is 400; a destination nobody listens on is 502 and the VM runs
on; a cancel with nothing in progress is 404; viewer and operator tokens get 403, no token
401; the service VM is 403, an unknown VM 404, a stopped VM 409. B refuses a truncated or
damaged stream on /vms/incoming (400) and keeps no VM. Every answer is checked against
docs/api/openapi.yaml. test_migrate.py runs the real thing between two QEMU hosts.
"""

import json
import os
import re
import subprocess
import tempfile
import urllib.request

import fvapi
import openapi_check
import yaml
from test_dump import DOC, TOOL

JSON = {"Content-Type": "application/json"}
OCTET = {"Content-Type": "application/octet-stream"}


def _req(base, method, path, token, body=None, headers=None):
    st, r, data = fvapi.request(base, method, path, token, body=body, extra_headers=headers)
    errs = openapi_check.validate_response(yaml.safe_load(DOC.read_text()), path.split("?")[0],
                                           method, st, r.getheader("Content-Type", ""), data)
    assert not errs, (method, path, st, errs)
    return st, data


def _states(base, token):
    return {v["name"]: v["state"] for v in _req(base, "GET", "/vms", token)[1]["vms"]}


def _migrate(base, token, to_token, *args):
    env = {k: v for k, v in os.environ.items()
           if k not in ("FERROVISOR_API", "FERROVISOR_TOKEN", "FERROVISOR_TO_TOKEN")}
    env["FERROVISOR_TOKEN"] = token
    if to_token:
        env["FERROVISOR_TO_TOKEN"] = to_token
    p = subprocess.run([str(TOOL), "--api", base, "migrate"] + list(args), capture_output=True,
                       text=True, timeout=120, env=env)
    return p.returncode, p.stdout, p.stderr


def test_sim_migration_through_the_cli():
    with tempfile.TemporaryDirectory() as ta, tempfile.TemporaryDirectory() as tb, \
            fvapi.SimDaemon(state_dir=ta) as a, fvapi.SimDaemon(state_dir=tb) as b:
        abase, bbase = f"http://127.0.0.1:{a.port}", f"http://127.0.0.1:{b.port}"
        to = f"http://127.0.0.1:{b.port}"
        assert _states(abase, a.token)["alpha"] == "running"
        # B has an alpha of its own: refused there, alpha runs on at A.
        rc, out, err = _migrate(abase, a.token, b.token, "alpha", "--to", to)
        assert rc == 3 and "502" in err and "runs on here" in err, (rc, out, err)
        assert _states(abase, a.token)["alpha"] == "running"
        assert _req(bbase, "DELETE", "/vms/alpha", b.token)[0] == 204
        # Now it moves.
        rc, out, err = _migrate(abase, a.token, b.token, "alpha", "--to", to)
        assert rc == 0, (rc, out, err)
        m = re.search(r"alpha: migrated to \S+: (\d+) bytes, downtime ([\d.]+) ms, total "
                      r"([\d.]+) ms", out)
        assert m and int(m.group(1)) == 4164, out
        assert re.search(r"^round \d+ \(final\): \d+ pages, 4164 bytes$", out, re.M), out
        assert "alpha" not in _states(abase, a.token)
        assert _states(bbase, b.token)["alpha"] == "running"
        audit = _req(abase, "GET", "/audit", a.token)[1]["records"]
        assert any(r["op"].startswith(f"POST /api/v1/vms/alpha/migrate to {to}:") and
                   "downtime" in r["op"] and r["status"] == 200 for r in audit), audit[-2:]
        # And back through REST, the answer checked against the document.
        body = json.dumps({"to": f"http://127.0.0.1:{a.port}/", "token": a.token})
        st, data = _req(bbase, "POST", "/vms/alpha/migrate", b.token, body=body, headers=JSON)
        assert st == 200 and data["state"] == "migrated" and data["rounds"][-1]["final"], data
        assert data["total_bytes"] == 4164 and data["downtime_ms"] <= data["total_ms"], data
        assert _states(abase, a.token)["alpha"] == "running"

        # Refusals: the request, the destination, who asks, which VM.
        for bad in ({"to": "ftp://x:1", "token": "t"}, {"to": to}, {"token": "t"},
                    {"to": to, "token": "with space"}, {"to": "http://h:99999", "token": "t"}):
            assert _req(abase, "POST", "/vms/alpha/migrate", a.token, body=json.dumps(bad),
                        headers=JSON)[0] == 400, bad
        assert _req(abase, "POST", "/vms/alpha/migrate", a.token, body="{", headers=JSON)[0] == 400
        nobody = fvapi.free_port()
        st, data = _req(abase, "POST", "/vms/alpha/migrate", a.token, headers=JSON,
                        body=json.dumps({"to": f"http://127.0.0.1:{nobody}", "token": "t"}))
        assert st == 502 and "runs on here" in data["detail"], data
        assert _states(abase, a.token)["alpha"] == "running"
        ok = json.dumps({"to": to, "token": b.token})
        assert _req(abase, "POST", "/vms/service/migrate", a.token, body=ok, headers=JSON)[0] == 403
        assert _req(abase, "POST", "/vms/nope/migrate", a.token, body=ok, headers=JSON)[0] == 404
        assert _req(abase, "POST", "/vms/beta/migrate", a.token, body=ok, headers=JSON)[0] == 409
        viewer = fvapi.make_token(a.port, a.token, "v1", "viewer")
        oper = fvapi.make_token(a.port, a.token, "o1", "operator")
        for tok in (viewer, oper):
            assert _req(abase, "POST", "/vms/alpha/migrate", tok, body=ok, headers=JSON)[0] == 403
            assert _req(abase, "DELETE", "/vms/alpha/migrate", tok)[0] == 403
            assert _req(abase, "POST", "/vms/incoming?name=z", tok, body=b"x",
                        headers=OCTET)[0] == 403
        assert _req(abase, "POST", "/vms/alpha/migrate", None, body=ok, headers=JSON)[0] == 401
        assert fvapi.request(abase, "GET", "/vms/alpha/migrate", a.token)[0] == 405
        assert _req(abase, "DELETE", "/vms/alpha/migrate", a.token)[0] == 404
        rc, out, err = _migrate(abase, a.token, None, "cancel", "alpha")
        assert rc == 3 and "404" in err, (rc, out, err)
        rc, out, err = _migrate(abase, a.token, None, "alpha", "--to", to)
        assert rc == 2 and "token" in err, (rc, out, err)

        # The destination checks what arrives: a stream made by the sim's snapshot.
        rq = urllib.request.Request(f"{abase}/api/v1/vms/alpha/snapshot", method="POST",
                                    headers=fvapi.headers(a.token))
        with urllib.request.urlopen(rq, timeout=60) as r:
            snap = r.read()
        assert len(snap) == 4164
        for bad in (snap[:2000], snap[:-1] + bytes([snap[-1] ^ 1])):
            assert _req(bbase, "POST", "/vms/incoming?name=gamma", b.token, body=bad,
                        headers=OCTET)[0] == 400
        assert "gamma" not in _states(bbase, b.token)
        st, vm = _req(bbase, "POST", "/vms/incoming?name=gamma&resume=true", b.token, body=snap,
                      headers=OCTET)
        assert st == 201 and vm["state"] == "running", (st, vm)
        assert fvapi.request(bbase, "PUT", "/vms/incoming", b.token)[0] == 405
