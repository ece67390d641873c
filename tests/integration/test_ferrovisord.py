# SPDX-License-Identifier: MIT
"""ferrovisord on the host against its simulated backend (no QEMU; a few seconds).

The daemon (build/tools/ferrovisord, `make ferrovisord`) listens on a free 127.0.0.1
port. Every operation of docs/api/openapi.yaml is called, every response is validated
against the document (openapi_check.py), and the test fails if an operation of the
document was never exercised. Errors must be application/problem+json with the right
status; a VM upload shows progress and a cut-off upload leaves no VM; garbage requests
get errors and the daemon keeps serving.
"""

import base64
import http.client
import json
import socket
import subprocess
import time

import yaml

import fvapi
import fvtest
import openapi_check
import trace_check

ROOT = fvtest.REPO_ROOT
DAEMON = ROOT / "build" / "tools" / "ferrovisord"
DOC_PATH = ROOT / "docs" / "api" / "openapi.yaml"
TIMEOUT = 60


def load_doc():
    doc = yaml.safe_load(DOC_PATH.read_text())
    errs = openapi_check.check_document(doc)
    if errs:
        raise fvtest.TestFailure("docs/api/openapi.yaml invalid:\n" + "\n".join(errs))
    return doc


class Daemon(fvapi.SimDaemon):
    """A ferrovisord on 127.0.0.1:<free port>; every call validated against the doc and
    sent with the daemon's first admin token unless a token (or "" for none) is given."""

    def __init__(self, doc, state_dir=None, extra=()):
        super().__init__(state_dir=state_dir, extra=extra)
        self.doc = doc
        self.covered = set()

    def open(self, method, path, body=None, headers=None, timeout=20, token=None):
        """Sends one request (the one place every request of these tests goes through, with
        the daemon's first admin token unless token is given, "" for none); returns
        (connection, response) with the body still to read."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        c.request(method, "/api/v1" + path, body=body,
                  headers=fvapi.headers(self.token if token is None else token, headers))
        return c, c.getresponse()

    def sse(self, path, until, timeout=15, headers=None, token=None):
        """GET an event stream; reads until until(events, text) is true (events parsed and
        validated against the document as they come), then closes it. Returns
        (events, text). The stream must carry something (event or keepalive) at least every
        few seconds, else a read blocks up to the connection timeout."""
        c, r = self.open("GET", path, headers=headers, timeout=timeout, token=token)
        route = path.split("?")[0]
        ctype = r.getheader("Content-Type", "")
        if r.status != 200 or not ctype.startswith("text/event-stream"):
            raise fvtest.TestFailure(f"GET {path}: {r.status} {ctype}: {r.read()[:300]!r}")
        text = ""
        deadline = time.monotonic() + timeout
        try:
            while True:
                events = openapi_check.parse_sse(text)
                if until(events, text):
                    break
                if time.monotonic() > deadline:
                    raise fvtest.TestFailure(f"GET {path}: condition not met in {timeout} s; "
                                             f"stream so far:\n{text[-3000:]}")
                chunk = r.read1(65536)
                if not chunk:
                    events = openapi_check.parse_sse(text)
                    if until(events, text):
                        break
                    raise fvtest.TestFailure(f"GET {path}: stream ended early:\n{text[-3000:]}")
                text += chunk.decode()
        finally:
            c.close()
        errs = openapi_check.validate_sse(self.doc, route, "GET", 200, ctype, events)
        if errs:
            raise fvtest.TestFailure(f"GET {path}: " + "; ".join(errs))
        tmpl, _ = openapi_check.operation(self.doc, route, "GET")
        self.covered.add((tmpl, "get"))
        return events, text

    def call(self, method, path, body=None, headers=None, expect=None, token=None):
        """One request; returns (status, headers, parsed body). Validates the response
        against the document and, with expect, its status."""
        c, r = self.open(method, path, body, headers, token=token)
        raw = r.read()
        c.close()
        ctype = r.getheader("Content-Type", "")
        if ctype.startswith("application/") and ctype.split(";")[0].endswith("json"):
            data = json.loads(raw)
        elif ctype.startswith("application/yaml"):
            data = raw.decode()
        elif ctype.startswith("application/octet-stream"):
            data = raw
        else:
            data = raw.decode() if raw else None
        status = r.status
        if expect is not None and status != expect:
            raise fvtest.TestFailure(f"{method} {path}: {status} (expected {expect}): {data}")
        route = path.split("?")[0]
        if status >= 400 and ctype != "application/problem+json":
            raise fvtest.TestFailure(f"{method} {path}: error {status} as {ctype!r}")
        tmpl, _ = openapi_check.operation(self.doc, route, method)
        if tmpl is not None:
            errs = openapi_check.validate_response(self.doc, route, method, status, ctype, data)
            if errs:
                raise fvtest.TestFailure(f"{method} {path} -> {status}: " + "; ".join(errs))
            if status < 400:
                self.covered.add((tmpl, method.lower()))
        elif status != 404 and status != 405:
            raise fvtest.TestFailure(f"{method} {path}: {status} for a path not in the document")
        if status >= 400 and data["status"] != status:
            raise fvtest.TestFailure(f"{method} {path}: problem status {data['status']} != {status}")
        return status, r, data

    def state(self, name):
        return self.call("GET", f"/vms/{name}", expect=200)[2]["state"]


def crc32c(data):
    """CRC-32C (Castagnoli), the checksum of a VM package."""
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
        table.append(c)
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def pkg_headers(n):
    return {"Content-Type": "application/octet-stream", "Content-Length": str(n)}


def test_openapi_document_valid():
    doc = load_doc()
    # The checker itself must catch a broken document (else the test above proves nothing).
    bad = yaml.safe_load(DOC_PATH.read_text())
    bad["paths"]["/vms/{name}"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"] = {"$ref": "#/components/schemas/Nope"}
    assert openapi_check.check_document(bad), "a dangling $ref was not reported"
    vm = {"name": "a", "id": 1, "state": "running", "role": "guest", "vcpus": 1, "memory_mb": 1}
    assert not openapi_check.validate(doc, {"$ref": "#/components/schemas/Vm"}, vm)
    for broken in ({**vm, "state": "dancing"}, {**vm, "extra": 1}, {**vm, "id": "1"},
                   {k: v for k, v in vm.items() if k != "name"}, {**vm, "name": "-x"}):
        assert openapi_check.validate(doc, {"$ref": "#/components/schemas/Vm"}, broken), broken


def test_every_endpoint_against_openapi():
    doc = load_doc()
    with Daemon(doc) as d:
        host = d.call("GET", "/host", expect=200)[2]
        assert host["backend"] == "sim" and host["vm_count"] == 3 and host["vm_limit"] >= 3
        vms = d.call("GET", "/vms", expect=200)[2]["vms"]
        assert [v["name"] for v in vms] == ["service", "alpha", "beta"], vms
        assert vms[0]["role"] == "service"
        assert d.call("GET", "/vms/alpha", expect=200)[2]["vcpus"] == 2
        d.call("GET", "/openapi.yaml", expect=200)

        # State machine through the REST verbs.
        assert d.call("POST", "/vms/alpha/pause", expect=200)[2]["state"] == "paused"
        d.call("POST", "/vms/alpha/pause", expect=409)
        assert d.call("POST", "/vms/alpha/resume", expect=200)[2]["state"] == "running"
        assert d.call("POST", "/vms/alpha/reset", expect=200)[2]["state"] == "running"
        assert d.call("POST", "/vms/alpha/stop", expect=200)[2]["state"] == "stopped"
        d.call("POST", "/vms/alpha/resume", expect=409)
        assert d.call("POST", "/vms/alpha/start", expect=200)[2]["state"] == "running"
        assert d.state("alpha") == "running"

        # Create, with the parameters reflected, then destroy.
        free0 = d.call("GET", "/host", expect=200)[2]["memory_free_mb"]
        blob = bytes(range(256)) * 4096  # 1 MiB
        st, r, vm = d.call("POST", "/vms?name=gamma&vcpus=2&memory_mb=128", body=blob,
                           headers=pkg_headers(len(blob)), expect=201)
        assert r.getheader("Location") == "/api/v1/vms/gamma"
        assert (vm["state"], vm["vcpus"], vm["memory_mb"]) == ("stopped", 2, 128), vm
        assert d.call("GET", "/host", expect=200)[2]["memory_free_mb"] == free0 - 128
        d.call("POST", "/vms?name=gamma", body=b"x", headers=pkg_headers(1), expect=409)
        # The package's CRC-32C, when given, is checked at the end of the upload.
        crc = crc32c(blob)
        d.call("POST", f"/vms?name=delta&crc32c={crc ^ 1:08x}", body=blob,
               headers=pkg_headers(len(blob)), expect=400)
        d.call("GET", "/vms/delta", expect=404)
        # (Refused from the headers, before the body: a small one, or the client would
        # still be sending when the server closes.)
        d.call("POST", "/vms?name=delta&crc32c=xyz", body=b"x", headers=pkg_headers(1),
               expect=400)
        d.call("POST", f"/vms?name=delta&crc32c={crc:08x}", body=blob,
               headers=pkg_headers(len(blob)), expect=201)
        d.call("DELETE", "/vms/delta", expect=204)
        d.call("DELETE", "/vms/gamma", expect=204)
        d.call("GET", "/vms/gamma", expect=404)
        d.call("DELETE", "/vms/gamma", expect=404)
        assert d.call("GET", "/host", expect=200)[2]["memory_free_mb"] == free0

        # Live state: the event log (what was done above, replayed), a console, its input.
        events, _ = d.sse("/events?since=0&follow=false", lambda ev, t: False if not ev else
                          ev[-1]["event"] == "vm-state" and "gamma" in ev[-1]["data"] and
                          "destroyed" in ev[-1]["data"], timeout=10)
        assert any('"cause":"operator:pause"' in e["data"] for e in events), events
        d.call("POST", "/vms/alpha/console", body=b"echo COVER\n",
               headers={"Content-Type": "application/octet-stream"}, expect=200)
        d.sse("/vms/alpha/console", lambda ev, t: any(
            "COVER" in base64.b64decode(json.loads(e["data"])["b64"]).decode() for e in ev))

        # The service VM cannot be managed through the API.
        for verb in ("start", "stop", "pause", "resume", "reset"):
            d.call("POST", f"/vms/service/{verb}", expect=403)
        d.call("DELETE", "/vms/service", expect=403)
        assert d.state("service") == "running"

        # Tokens, whoami and the audit log (test_ferrovisord_auth.py goes further).
        assert d.call("GET", "/whoami", expect=200)[2] == {"id": "admin", "role": "admin"}
        new = d.call("POST", "/tokens", body=json.dumps({"id": "ci", "role": "viewer"}),
                     headers={"Content-Type": "application/json"}, expect=201)[2]
        assert new["id"] == "ci" and new["role"] == "viewer" and new["token"].startswith("fvt_ci.")
        assert d.call("GET", "/whoami", token=new["token"], expect=200)[2]["role"] == "viewer"
        ids = [t["id"] for t in d.call("GET", "/tokens", expect=200)[2]["tokens"]]
        assert ids == ["admin", "ci"], ids
        d.call("DELETE", "/tokens/ci", expect=204)
        d.call("GET", "/whoami", token=new["token"], expect=401)
        recs = d.call("GET", "/audit?limit=500", expect=200)[2]["records"]
        assert [(r["op"], r["status"], r["token"]) for r in recs[-2:]] == [
            ("DELETE /api/v1/tokens/ci", 204, "admin"), ("GET /api/v1/whoami", 401, None)], recs
        # Metrics: the JSON stats through the document; /metrics (outside the API prefix,
        # text/plain) by hand (tests/integration/test_metrics.py checks it with promtool).
        stats = d.call("GET", "/stats", expect=200)[2]
        assert stats["vms"]["alpha"]["cpu_seconds"] >= 0, stats
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=20)
        c.request("GET", "/metrics", headers=fvapi.headers(d.token))
        r = c.getresponse()
        text = r.read().decode()
        c.close()
        assert r.status == 200 and r.getheader("Content-Type").startswith("text/plain"), r.status
        assert "\nferrovisor_up 1\n" in text, text[:400]
        d.covered.add(("/metrics", "get"))
        # Scheduling parameters of a running VM (PATCH); errors name the field.
        vm = d.call("PATCH", "/vms/alpha", body=b'{"weight": 768, "affinity": [1]}',
                    headers={"Content-Type": "application/json"}, expect=200)[2]
        assert (vm["weight"], vm["affinity"], vm["state"]) == (768, [1], "running"), vm
        prob = d.call("PATCH", "/vms/alpha", body=b'{"affinity": [0, 2]}',
                      headers={"Content-Type": "application/json"}, expect=400)[2]
        assert "'affinity'" in prob["detail"], prob
        # The event tracer (docs/tracing.md); the sim records the "vm" class as the
        # hypervisor does, and the export is the same trace-event JSON.
        jh = {"Content-Type": "application/json"}
        ts = d.call("POST", "/trace", body=b'{"on": true, "classes": ["vm"]}', headers=jh,
                    expect=200)[2]
        assert ts["on"] and ts["classes"] == ["vm"], ts
        d.call("POST", "/vms/alpha/reset", expect=200)
        assert d.call("POST", "/trace", body=b'{"on": false}', headers=jh,
                      expect=200)[2]["on"] is False
        tr = d.call("GET", "/trace", expect=200)[2]
        life = [e["name"] for e in tr["traceEvents"] if e.get("tid") == 1000 and e["ph"] == "i"]
        assert life == ["request reset", "state stopping -> stopped",
                        "state stopped -> running"], life
        assert not trace_check.check(tr, reset_vm="alpha")
        assert d.call("GET", "/trace", expect=200)[2]["otherData"]["records"] == 0  # drained
        d.call("POST", "/trace", body=b'{"on": true, "classes": ["nope"]}', headers=jh,
               expect=400)

        # Crash dumps (test_dump.py goes further): a running VM is paused for the dump and
        # runs on; the core is the ELF file listed and served.
        dump = d.call("POST", "/vms/alpha/dump", expect=201)[2]
        assert (dump["vm"], dump["state"], dump["vcpus"]) == ("alpha", "paused", 2), dump
        assert d.state("alpha") == "running"
        d.call("POST", "/vms/service/dump", expect=403)
        d.call("POST", "/vms/nosuch/dump", expect=404)
        ids = [x["id"] for x in d.call("GET", "/dumps", expect=200)[2]["dumps"]]
        assert ids == [dump["id"]], ids
        core = d.call("GET", f"/dumps/{dump['id']}", expect=200)[2]
        assert core[:4] == b"\x7fELF" and len(core) == dump["size_bytes"], len(core)
        d.call("GET", "/dumps/nosuch-1", expect=404)

        # The profiler needs the hypervisor: the simulator answers 501 after checking the body.
        jh = {"Content-Type": "application/json"}
        d.call("POST", "/vms/alpha/profile", body=b'{"seconds": 1}', headers=jh, expect=501)
        prob = d.call("POST", "/vms/alpha/profile", body=b'{"period_us": 5}', headers=jh,
                      expect=400)[2]
        assert "'period_us'" in prob["detail"], prob
        # Its 200 (validated against the document) is test_profile.py's, on the hypervisor.
        d.covered.add(("/vms/{name}/profile", "post"))

        # Snapshots (test_ferrovisord_snap.py goes further): the stream, and a VM restored
        # from it (paused, as the hypervisor leaves it).
        snap = d.call("POST", "/vms/alpha/snapshot", expect=200)[2]
        assert isinstance(snap, bytes) and len(snap) > 0, snap
        assert d.state("alpha") == "running"
        vm = d.call("POST", "/vms/restore?name=alpha2", body=snap,
                    headers={"Content-Type": "application/octet-stream"}, expect=201)[2]
        assert (vm["name"], vm["state"]) == ("alpha2", "paused"), vm
        d.call("DELETE", "/vms/alpha2", expect=204)
        # Live migration (test_ferrovisord_migrate.py moves VMs between two daemons): the
        # destination's endpoint takes the sim's stream; a bad request; no cancel to make.
        vm = d.call("POST", "/vms/incoming?name=alpha3&resume=true", body=snap,
                    headers={"Content-Type": "application/octet-stream"}, expect=201)[2]
        assert (vm["name"], vm["state"]) == ("alpha3", "running"), vm
        d.call("DELETE", "/vms/alpha3", expect=204)
        d.call("POST", "/vms/alpha/migrate", body=json.dumps({"to": "ftp://x", "token": "t"}),
               headers={"Content-Type": "application/json"}, expect=400)
        d.call("DELETE", "/vms/alpha/migrate", expect=404)
        # Their 200 and 202 (validated against the document) are test_ferrovisord_migrate.py's
        # (two daemons) and test_migrate.py's (a cancel while the destination stalls).
        d.covered.add(("/vms/{name}/migrate", "post"))
        d.covered.add(("/vms/{name}/migrate", "delete"))

        missing = {(p, m) for p, item in doc["paths"].items()
                   for m in openapi_check.METHODS if m in openapi_check.resolve(doc, item)}
        missing -= d.covered
        assert not missing, f"operations never exercised: {sorted(missing)}"


def test_error_responses():
    doc = load_doc()
    with Daemon(doc) as d:
        d.call("GET", "/vms/nope", expect=404)
        d.call("POST", "/vms/nope/start", expect=404)
        d.call("GET", "/vms/-bad", expect=400)
        d.call("GET", "/vms/" + "a" * 32, expect=400)
        d.call("GET", "/nothing", expect=404)
        d.call("POST", "/vms/alpha/explode", expect=404)
        st, r, _ = d.call("PUT", "/vms", expect=405)
        assert r.getheader("Allow") == "GET, POST"
        d.call("DELETE", "/host", expect=405)
        d.call("GET", "/vms/alpha/start", expect=405)
        # Create: every parameter and header checked before any byte is accepted.
        for q in ("", "?name=", "?name=-x", "?name=ok&vcpus=0", "?name=ok&vcpus=65",
                  "?name=ok&vcpus=1x", "?name=ok&memory_mb=-1", "?name=ok&memory_mb=99999999"):
            d.call("POST", "/vms" + q, body=b"x", headers=pkg_headers(1), expect=400)
        d.call("POST", "/vms?name=ok", body=b"x",
               headers={"Content-Type": "application/json", "Content-Length": "1"}, expect=415)
        d.call("POST", "/vms?name=ok", body=b"",
               headers=pkg_headers(0), expect=411)
        d.call("POST", "/vms?name=ok&memory_mb=4096", body=b"x", headers=pkg_headers(1),
               expect=507)
        d.call("POST", "/vms?name=ok", body=b"x", headers=pkg_headers(300 << 20), expect=413)
        d.call("POST", "/vms/alpha/stop", body=b"y" * 10000, expect=413)
        # The VM limit is reported, not a crash.
        n = d.call("GET", "/host", expect=200)[2]
        for i in range(n["vm_limit"] - n["vm_count"]):
            d.call("POST", f"/vms?name=v{i}&memory_mb=1", body=b"z", headers=pkg_headers(1),
                   expect=201)
        _, _, p = d.call("POST", "/vms?name=over&memory_mb=1", body=b"z",
                         headers=pkg_headers(1), expect=409)
        assert p["type"] == "urn:ferrovisor:problem:vm-limit", p
        assert "over" in p["detail"]
        names = {v["name"] for v in d.call("GET", "/vms", expect=200)[2]["vms"]}
        assert "ok" not in names and "over" not in names, names


def _raw(port, data, read=True):
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.sendall(data)
    out = b""
    if read:
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                out += b
        except socket.timeout:
            pass
    return s, out


def test_upload_progress_and_abort():
    doc = load_doc()
    with Daemon(doc) as d:
        total = 4 << 20
        head = (f"POST /api/v1/vms?name=big&memory_mb=256 HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: Bearer {d.token}\r\n"
                f"Content-Type: application/octet-stream\r\nContent-Length: {total}\r\n\r\n")
        s = socket.create_connection(("127.0.0.1", d.port), timeout=20)
        s.sendall(head.encode() + b"\xa5" * (total // 4))
        # While it uploads, the VM is listed as creating with progress.
        deadline = time.monotonic() + 10
        while True:
            vm = d.call("GET", "/vms/big", expect=200)[2]
            if vm["progress"]["bytes_received"] >= total // 4 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert vm["state"] == "creating", vm
        assert vm["progress"]["bytes_total"] == total
        assert vm["progress"]["bytes_received"] == total // 4, vm
        assert vm["progress"]["percent"] == 25, vm
        d.call("POST", "/vms/big/start", expect=409)
        d.call("DELETE", "/vms/big", expect=409)
        s.sendall(b"\xa5" * (total - total // 4))
        resp = b""
        while b"\r\n\r\n" not in resp:
            resp += s.recv(4096)
        s.close()
        assert resp.startswith(b"HTTP/1.1 201"), resp[:200]
        assert d.state("big") == "stopped"

        # A client that disappears mid-upload leaves no VM behind.
        s = socket.create_connection(("127.0.0.1", d.port), timeout=20)
        s.sendall(head.replace("big", "cut").encode() + b"\x00" * 1000)
        deadline = time.monotonic() + 10
        while d.call("GET", "/vms/cut")[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        s.close()
        deadline = time.monotonic() + 10
        while d.call("GET", "/vms/cut")[0] != 404:
            assert time.monotonic() < deadline, "cut-off upload still listed"
            time.sleep(0.05)


def test_garbage_requests_survived():
    doc = load_doc()
    with Daemon(doc) as d:
        for junk in (b"\x00\xff" * 500 + b"\r\n\r\n", b"GET\r\n\r\n",
                     b"GET /api/v1/host HTTP/9.9\r\n\r\n",
                     b"GET /api/v1/host HTTP/1.1\r\nHost: x\r\n" + b"X-A: " + b"a" * 100000 +
                     b"\r\n\r\n",
                     b"POST /api/v1/vms?name=g HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     b"application/octet-stream\r\nContent-Length: 99999999999999999999\r\n\r\n",
                     b"POST /api/v1/vms?name=g HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                     b"chunked\r\nContent-Type: application/octet-stream\r\n\r\nzz\r\n"):
            s, out = _raw(d.port, junk)
            s.close()
            if out:
                assert not out.startswith(b"HTTP/1.1 2"), (junk[:60], out[:120])
        assert d.call("GET", "/host", expect=200)[2]["vm_count"] == 3
        assert d.proc.poll() is None
