# SPDX-License-Identifier: MIT
"""VM snapshots through ferrovisord and the CLI, on the simulated host (no QEMU).

`ferrovisor vm snapshot alpha FILE` streams the snapshot of a simulated VM to FILE (the VM
running again afterwards, or left paused with --stop); `vm restore FILE --name NEW` makes
a new, paused VM of it; a damaged or truncated file is refused (400) and leaves no VM; a
name in use is 409; viewer and operator tokens get 403 and no token 401; the service VM is
403 and an unknown VM 404. Every answer is checked against docs/api/openapi.yaml, and each
request that changes something is in the audit log. test_snapshot.py runs the hypervisor's
side (the real format) in QEMU.
"""

import os
import tempfile

import fvapi
import openapi_check
import yaml
from test_dump import DOC, _cli

OCTET = {"Content-Type": "application/octet-stream"}


def _req(base, method, path, token, body=None, headers=None):
    st, r, data = fvapi.request(base, method, path, token, body=body, extra_headers=headers)
    errs = openapi_check.validate_response(yaml.safe_load(DOC.read_text()), path.split("?")[0],
                                           method, st, r.getheader("Content-Type", ""), data)
    assert not errs, (method, path, st, errs)
    return st, data


def _names(base, token):
    return sorted(v["name"] for v in _req(base, "GET", "/vms", token)[1]["vms"])


def test_sim_snapshot_and_restore_through_the_cli():
    with tempfile.TemporaryDirectory() as tmp, fvapi.SimDaemon(state_dir=tmp) as d:
        base = f"http://127.0.0.1:{d.port}"
        snap = os.path.join(tmp, "alpha.fvsnap")
        rc, out, err = _cli(base, d.token, "vm", "snapshot", "alpha", snap)
        assert rc == 0, (out, err)
        assert os.path.getsize(snap) == 4164 and "4164 bytes" in out, out
        assert not os.path.exists(snap + ".part")
        assert _req(base, "GET", "/vms/alpha", d.token)[1]["state"] == "running"
        # --stop leaves it paused.
        rc, out, err = _cli(base, d.token, "vm", "snapshot", "alpha", snap + "2", "--stop")
        assert rc == 0 and "left paused" in out, (out, err)
        assert _req(base, "GET", "/vms/alpha", d.token)[1]["state"] == "paused"
        before = _names(base, d.token)

        rc, out, err = _cli(base, d.token, "vm", "restore", snap, "--name", "alpha2")
        assert rc == 0 and "alpha2: restored, paused" in out, (out, err)
        vm = _req(base, "GET", "/vms/alpha2", d.token)[1]
        assert vm["state"] == "paused" and vm["vcpus"] == 2, vm
        assert _req(base, "POST", "/vms/alpha2/resume", d.token)[0] == 200
        # A name in use, with the CLI's default name (the one in the file) and with --name.
        rc, out, err = _cli(base, d.token, "vm", "restore", snap)
        assert rc == 3 and "409" in err, (rc, out, err)
        rc, out, err = _cli(base, d.token, "vm", "restore", snap, "--name", "alpha2")
        assert rc == 3 and "409" in err, (rc, out, err)
        assert _names(base, d.token) == sorted(before + ["alpha2"])

        # Damaged and truncated files: 400, and no VM left behind.
        data = open(snap, "rb").read()
        bad = bytearray(data)
        bad[2000] ^= 1
        for name, body in (("bad1", bytes(bad)), ("bad2", data[:-10])):
            st, prob = _req(base, "POST", f"/vms/restore?name={name}", d.token, body=body,
                            headers=OCTET)
            assert st == 400 and "refused" in prob["detail"], (st, prob)
            assert _req(base, "GET", f"/vms/{name}", d.token)[0] == 404
        bad_file = os.path.join(tmp, "bad.fvsnap")
        open(bad_file, "wb").write(bytes(bad))
        rc, out, err = _cli(base, d.token, "vm", "restore", bad_file, "--name", "bad3")
        assert rc == 3 and "400" in err, (rc, out, err)
        assert _names(base, d.token) == sorted(before + ["alpha2"])

        # Parameters and media type of a restore; --start runs the restored VM.
        assert _req(base, "POST", "/vms/restore", d.token, body=data, headers=OCTET)[0] == 400
        assert _req(base, "POST", "/vms/restore?name=x", d.token, body=data,
                    headers={"Content-Type": "text/plain"})[0] == 415
        rc, out, err = _cli(base, d.token, "vm", "restore", snap, "--name", "alpha3", "--start")
        assert rc == 0 and "alpha3: restored, running" in out, (out, err)

        # Who may: admin only; the service VM never; unknown VMs 404.
        viewer = fvapi.make_token(d.port, d.token, "v1", "viewer")
        oper = fvapi.make_token(d.port, d.token, "o1", "operator")
        for tok in (viewer, oper):
            assert _req(base, "POST", "/vms/alpha/snapshot", tok)[0] == 403
            assert _req(base, "POST", "/vms/restore?name=z", tok, body=data,
                        headers=OCTET)[0] == 403
        assert _req(base, "POST", "/vms/alpha/snapshot", None)[0] == 401
        assert _req(base, "POST", "/vms/service/snapshot", d.token)[0] == 403
        assert _req(base, "POST", "/vms/nope/snapshot", d.token)[0] == 404
        assert _req(base, "GET", "/vms/restore", d.token)[0] == 405
        # The daemon answered the snapshot as a stream of the announced length.
        st, r, body = fvapi.request(base, "POST", "/vms/alpha/snapshot?resume=false", d.token)
        assert st == 200 and r.getheader("Content-Length") == "4164", (st, r.getheaders())
        assert r.getheader("Content-Type") == "application/octet-stream"
        audit = _req(base, "GET", "/audit", d.token)[1]
        ops = [rec.get("op", "") for rec in audit["records"]]
        assert any("/vms/alpha/snapshot" in o for o in ops), ops
        assert any("/vms/restore" in o for o in ops), ops
