# SPDX-License-Identifier: MIT
"""The management plane end to end, driven from the host over REST.

A Linux service VM (role "service") runs ferrovisord with the control-channel backend; two
bare-metal guests (hello, peer) beat beside it. Through a 127.0.0.1 port forward of switch
lan0's user-mode uplink the host lists the VMs, uploads a VM package (the configuration blob
build/guests/ctl_dynvm.dtb: VM "dyn" with the hello guest inline), starts it and sees it boot
and beat on the console, pauses it (the heartbeat stops) and resumes it (it continues),
destroys it (gone from the listing and the console), then sends garbage: bad REST requests
(each a problem+json error as the document says) and malformed HTTP. Every response is
validated against docs/api/openapi.yaml; hello and peer never stop beating, the daemon and
the hypervisor survive.
"""

import json
import re
import socket
import time
import urllib.error
import urllib.request

import yaml

import fvapi
import fvtest
import openapi_check
from hyp import assert_beats_kept_going, beats_since, heartbeat, hyp_cmd

KERNEL_MATRIX = True
DOC = fvtest.REPO_ROOT / "docs" / "api" / "openapi.yaml"
BLOB = fvtest.BUILD_DIR / "guests" / "ctl_dynvm.dtb"


def _crc32c(data):
    """CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as the control protocol uses."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


class Api:
    def __init__(self, doc, port, token):
        self.doc = doc
        self.token = token
        self.port = port
        self.base = f"http://127.0.0.1:{port}/api/v1"

    def request(self, method, path, body=None, ctype=None):
        headers = fvapi.headers(self.token, {"Content-Type": ctype} if ctype else {})
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, rtype, raw = r.status, r.headers.get("Content-Type"), r.read()
        except urllib.error.HTTPError as e:
            status, rtype, raw = e.code, e.headers.get("Content-Type"), e.read()
        return status, rtype, (json.loads(raw) if raw else None)

    def call(self, method, path, expect, body=None, ctype=None):
        """One request; asserts the status and validates the response against the document."""
        status, rtype, data = self.request(method, path, body, ctype)
        assert status == expect, (method, path, status, data)
        errs = openapi_check.validate_response(self.doc, path.split("?")[0], method, status,
                                               rtype, data)
        assert not errs, (method, path, errs)
        if status >= 400:
            assert rtype == "application/problem+json", (method, path, rtype)
        return data

    def state(self, name):
        return self.call("GET", f"/vms/{name}", 200)["state"]

    def wait_state(self, name, want, timeout=30):
        deadline = time.monotonic() + timeout
        while (got := self.state(name)) != want:
            assert time.monotonic() < deadline, f"{name} is {got}, never {want}"
            time.sleep(0.5)


def _quiet(q, vm, seconds=4.0):
    """Assert that `vm` prints no heartbeat for `seconds` (after a settling second)."""
    time.sleep(1)
    mark = len(q.output)
    time.sleep(seconds)
    assert f"[{vm}] heartbeat" not in q.output[mark:], f"{vm} still beats"



def _raw(port, data):
    """Send raw bytes to the daemon; returns what it answered before closing (or 3 s)."""
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        s.sendall(data)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (socket.timeout, ConnectionResetError):
            pass
    return out


@fvtest.timeout(600)
def test_mgmt_end_to_end_from_host():
    suite_manifest = fvtest.BUILD_DIR / "images" / fvtest.kernel_suite() / "manifest.txt"
    if "\nsvc-layer " not in suite_manifest.read_text():
        raise fvtest.Skip("service VM layer not built: the riscv64 libraries were not fetched "
                          "(`make guest-libs`, then `make test-configs`)")
    doc = yaml.safe_load(DOC.read_text())
    blob = BLOB.read_bytes()
    port = fvapi.free_port()
    extra = ["-netdev", f"user,id=up0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:8080",
             "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.0"]
    with fvtest.Qemu(hyp_cmd("linux-svc-e2e", mem="1G", extra=extra)) as q:
        q.expect(r"^\[svc\] FV-SERVICE: ferrovisord pid \d+ on 10\.0\.2\.15:8080: "
                 r"ferrovisord: listening on http://0\.0\.0\.0:8080/api/v1 \(backend hvc\)",
                 400)
        api = Api(doc, port, fvapi.console_admin_token(q))
        host = fvapi.until_reachable(lambda: api.call("GET", "/host", 200))
        assert host["backend"] == "hvc" and host["vm_count"] == 3, host
        start = len(q.output)

        # List: the hypervisor's own VMs.
        vms = {v["name"]: v for v in api.call("GET", "/vms", 200)["vms"]}
        assert set(vms) == {"svc", "hello", "peer"}, vms
        assert vms["svc"]["role"] == "service", vms
        assert vms["hello"]["state"] == vms["peer"]["state"] == "running", vms

        # Create a bare-metal VM at run time from the uploaded package.
        crc = f"{_crc32c(blob):08x}"
        made = api.call("POST", f"/vms?name=dyn&crc32c={crc}", 201, blob,
                        "application/octet-stream")
        assert made["name"] == "dyn" and made["state"] == "stopped", made
        assert api.call("GET", "/host", 200)["vm_count"] == 4
        # The same package again: the name is taken (409), nothing else changes.
        api.call("POST", f"/vms?name=dyn&crc32c={crc}", 409, blob, "application/octet-stream")

        # Start it: it boots and beats on the console.
        api.call("POST", "/vms/dyn/start", 200)
        q.expect(r"^\[dyn\] hello from hart", 60)
        before = heartbeat(q, "dyn", 30)
        assert api.state("dyn") == "running"

        # Pause: the heartbeat stops; resume: it continues where it was.
        api.call("POST", "/vms/dyn/pause", 200)
        api.wait_state("dyn", "paused")
        api.call("POST", "/vms/dyn/pause", 409)
        _quiet(q, "dyn")
        mark = len(q.output)
        api.call("POST", "/vms/dyn/resume", 200)
        api.wait_state("dyn", "running")
        heartbeat(q, "dyn", 30)
        after = beats_since(q, "dyn", mark)
        assert after and after[0] > before, ("dyn does not continue after resume", before, after)
        assert "[dyn] hello from hart" not in q.output[mark:], "resume rebooted dyn"

        # Destroy: gone from the listing, silent on the console.
        api.call("DELETE", "/vms/dyn", 204)
        deadline = time.monotonic() + 30
        while api.request("GET", "/vms/dyn")[0] != 404:
            assert time.monotonic() < deadline, "dyn still listed after DELETE"
            time.sleep(0.5)
        api.call("GET", "/vms/dyn", 404)
        _quiet(q, "dyn")

        # Garbage REST requests: each an error of the document, never a crash.
        api.call("POST", f"/vms?name=junk&crc32c={_crc32c(b'x' * 999):08x}", 400, b"x" * 999,
                 "application/octet-stream")  # not a configuration blob
        api.call("POST", "/vms?name=junk&crc32c=00000000", 400, blob,
                 "application/octet-stream")  # CRC mismatch
        api.call("POST", "/vms?name=junk&crc32c=zz", 400, blob, "application/octet-stream")
        api.call("POST", f"/vms?name=junk&crc32c={crc}", 415, blob, "text/plain")
        api.call("POST", "/vms?name=..%2Fetc&crc32c=" + crc, 400, blob,
                 "application/octet-stream")
        for verb in ("stop", "pause", "reset"):
            api.call("POST", f"/vms/svc/{verb}", 403)
        api.call("DELETE", "/vms/svc", 403)
        api.call("POST", "/vms/nope/start", 404)
        # A method the document does not list for the path: 405 with a problem body.
        status, rtype, prob = api.request("PUT", "/vms/hello", b"{}", "application/json")
        assert status == 405 and rtype == "application/problem+json", (status, rtype, prob)
        assert prob["status"] == 405, prob
        api.call("POST", "/vms/hello/resume", 409)
        for junk in (b"\x00\xff" * 500 + b"\r\n\r\n", b"GET\r\n\r\n",
                     b"GET /api/v1/host HTTP/9.9\r\n\r\n",
                     b"POST /api/v1/vms?name=g HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     b"application/octet-stream\r\nContent-Length: 99999999999999999999\r\n\r\n",
                     b"POST /api/v1/vms?name=g HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     b"application/octet-stream\r\nContent-Length: 4096\r\n\r\n" + b"\x01" * 100):
            out = _raw(port, junk)
            assert not out.startswith(b"HTTP/1.1 2"), (junk[:60], out[:120])

        # Everything still there: daemon, hypervisor, and the two guests never stopped.
        host = api.call("GET", "/host", 200)
        assert host["vm_count"] == 3, host
        vms = {v["name"]: v["state"] for v in api.call("GET", "/vms", 200)["vms"]}
        assert vms == {"svc": "running", "hello": "running", "peer": "running"}, vms
        heartbeat(q, "hello", 30)
        heartbeat(q, "peer", 30)
        for vm in ("hello", "peer"):
            beats = beats_since(q, vm, start)
            assert_beats_kept_going(vm, beats)
        q.assert_absent(r"^\[svc\] .*(Oops|Kernel panic|segfault)")
        q.assert_absent(r"PANIC")
        # The one hypervisor error is the refusal of the junk package, logged as such.
        errors = re.findall(r"^\[hyp\] error:.*$", q.output, re.M)
        assert len(errors) == 1 and "vm create: configuration" in errors[0], errors
