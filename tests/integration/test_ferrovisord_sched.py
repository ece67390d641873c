# SPDX-License-Identifier: MIT
"""PATCH /api/v1/vms/{name} (weight, affinity) and `ferrovisor --api URL vm set` against the
host-built ferrovisord with its simulated backend (no QEMU; the hypervisor side of the same
change is test_hyp_sched_live.py and the unit tests of sched_rq/ctl).

Every response is validated against docs/api/openapi.yaml. Valid changes are reflected by
GET (the daemon's own answer, not the CLI's output); every invalid value is a 400
problem+json whose detail names the field; unknown VM 404, the service VM 403, a body that
is not JSON 415/400, a body too large 413. The CLI sends the same request, prints the VM
after the change and names the option it refuses before sending anything.
"""

import os
import subprocess

import fvtest
from test_ferrovisord import Daemon, load_doc

TOOL = fvtest.REPO_ROOT / "build" / "tools" / "ferrovisor"
JSON = {"Content-Type": "application/json"}


def patch(d, name, body, expect, headers=None):
    """The one place requests are sent from (the integrator may add a token here)."""
    return d.call("PATCH", f"/vms/{name}", body=body, headers=headers or JSON, expect=expect)[2]


def cli(d, url, *args):
    env = {k: v for k, v in os.environ.items() if k != "FERROVISOR_API"}
    env["FERROVISOR_TOKEN"] = d.token
    p = subprocess.run([str(TOOL), "--api", url] + [str(a) for a in args], capture_output=True,
                       text=True, timeout=30, env=env)
    return p.returncode, p.stdout, p.stderr


def test_patch_scheduling():
    with Daemon(load_doc()) as d:
        vm = d.call("GET", "/vms/alpha", expect=200)[2]
        assert (vm["weight"], vm["affinity"]) == (256, [0, 1]), vm
        vm = patch(d, "alpha", b'{"weight": 100}', 200)
        assert (vm["weight"], vm["affinity"], vm["state"]) == (100, [0, 1], "running"), vm
        vm = patch(d, "alpha", b'{"affinity": [1]}', 200)
        assert (vm["weight"], vm["affinity"]) == (100, [1]), vm
        vm = patch(d, "beta", b'{"weight": 65535, "affinity": [1, 0]}', 200)  # stopped VM
        assert (vm["weight"], vm["affinity"], vm["state"]) == (65535, [0, 1], "stopped"), vm
        # Paused VMs take it too.
        d.call("POST", "/vms/alpha/pause", expect=200)
        assert patch(d, "alpha", b'{"weight": 300}', 200)["weight"] == 300
        d.call("POST", "/vms/alpha/resume", expect=200)

        for body, field in ((b'{"weight": 0}', "weight"), (b'{"weight": 65536}', "weight"),
                            (b'{"weight": 2.5}', "weight"), (b'{"weight": "9"}', "weight"),
                            (b'{"affinity": []}', "affinity"), (b'{"affinity": [2]}', "affinity"),
                            (b'{"affinity": [0, 0]}', "affinity"),
                            (b'{"affinity": "0,1"}', "affinity"), (b'{"wieght": 5}', "wieght"),
                            (b'{}', "body"), (b'[1]', "body"), (b'{"weight": ', "body"),
                            (b'', "body")):
            prob = patch(d, "alpha", body, 400)
            assert prob["type"] == "urn:ferrovisor:problem:invalid-field", prob
            assert f"field '{field}'" in prob["detail"], (body, prob)
        # Nothing of the refused requests was applied.
        vm = d.call("GET", "/vms/alpha", expect=200)[2]
        assert (vm["weight"], vm["affinity"]) == (300, [1]), vm

        patch(d, "nope", b'{"weight": 5}', 404)
        patch(d, "service", b'{"weight": 5}', 403)
        patch(d, "alpha", b'{"weight": 5}', 415, headers={"Content-Type": "text/plain"})
        patch(d, "alpha", b'{"weight": 5}' + b" " * 5000, 413)
        patch(d, "-bad", b'{"weight": 5}', 400)
        status, r, prob = d.call("PATCH", "/vms", body=b"{}", headers=JSON)
        assert status == 405 and "PATCH" not in r.getheader("Allow"), (status, prob)
        status, r, _ = d.call("PUT", "/vms/alpha", body=b"{}", headers=JSON)
        assert status == 405 and r.getheader("Allow") == "GET, DELETE, PATCH"


def test_cli_vm_set():
    if not TOOL.is_file():
        raise fvtest.TestFailure(f"{TOOL} missing: run `make all`")
    with Daemon(load_doc()) as d:
        url = f"http://127.0.0.1:{d.port}"
        rc, out, err = cli(d, url, "vm", "set", "alpha", "--weight", "512", "--affinity", "1")
        assert rc == 0, (rc, out, err)
        assert "alpha: running, weight 512, affinity 1" in out, out
        vm = d.call("GET", "/vms/alpha", expect=200)[2]
        assert (vm["weight"], vm["affinity"]) == (512, [1]), vm
        rc, out, err = cli(d, url, "vm", "set", "alpha", "--affinity", "0,1")
        assert rc == 0 and "weight 512, affinity 0,1" in out, (rc, out, err)
        assert d.call("GET", "/vms/alpha", expect=200)[2]["affinity"] == [0, 1]
        rc, out, err = cli(d, url, "vm", "info", "alpha")
        info = dict(line.split(None, 1) for line in out.splitlines())
        assert (info["weight"], info["affinity"]) == ("512", "0,1"), out

        # The daemon's refusal: its problem, naming the field; exit 3.
        rc, out, err = cli(d, url, "vm", "set", "alpha", "--affinity", "0,7")
        assert rc == 3 and "400" in err and "'affinity'" in err, (rc, out, err)
        rc, out, err = cli(d, url, "vm", "set", "service", "--weight", "9")
        assert rc == 3 and "403" in err, (rc, out, err)
        rc, out, err = cli(d, url, "vm", "set", "nope", "--weight", "9")
        assert rc == 3 and "404" in err, (rc, out, err)
        # Usage errors, caught before anything is sent: exit 2, the option named.
        for args, needle in ((["alpha"], "--weight"), (["alpha", "--weight", "x"], "--weight"),
                             (["alpha", "--weight", "0"], "--weight"),
                             (["alpha", "--weight", "70000"], "--weight"),
                             (["alpha", "--affinity", "0,,1"], "--affinity"),
                             (["alpha", "--affinity", "64"], "--affinity"),
                             (["alpha", "--frob", "1"], "--frob"),
                             (["alpha", "--weight"], "--weight")):
            rc, out, err = cli(d, url, "vm", "set", *args)
            assert rc == 2 and needle in err, (args, rc, out, err)
        vm = d.call("GET", "/vms/alpha", expect=200)[2]
        assert (vm["weight"], vm["affinity"]) == (512, [0, 1]), vm
