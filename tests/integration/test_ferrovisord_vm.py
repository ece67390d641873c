# SPDX-License-Identifier: MIT
"""ferrovisord in a Linux service VM under Ferrovisor, reached from the host.

The service VM boots Debian's kernel with the service initramfs (busybox + the riscv64
ferrovisord, Debian's libmicrohttpd/cJSON/glibc and their libraries; `make images svc`);
its /usr/sbin/fv-service brings eth0 up on switch lan0, whose uplink is QEMU's restricted
user network, and starts the daemon. The test asks GET /api/v1/host and GET /api/v1/vms
through the 127.0.0.1 port forward, validates both against docs/api/openapi.yaml and sends
an error request (problem+json); the bare-metal VM beside it keeps its heartbeat.

With the hypervisor's control channel in the tree (hyp/core/ctl_proto.h), the second test
runs the daemon with --backend hvc on the service VM's control console: the REST listing
is the hypervisor's own, and stopping and starting the bare-metal VM over REST stops and
restarts its heartbeat.

ARCH_MATRIX: both run on the arm64 port too (ferrovisord for aarch64 in a Debian arm64
service VM; configs-arm64-linux/svc.dts and svc-ctl.dts, the arm64 heartbeat guest).
"""

import json
import time
import urllib.error
import urllib.request

import yaml

import fvapi
import fvtest
import openapi_check
from hyp import assert_healthy, heartbeat, hyp_cmd, require_svc_layer

KERNEL_MATRIX = True
ARCH_MATRIX = True
DOC = fvtest.REPO_ROOT / "docs" / "api" / "openapi.yaml"


# The daemon's first admin token, read from the console by each test (fvapi).
_token = [None]


def _get(url, method="GET"):
    try:
        req = urllib.request.Request(url, method=method, headers=fvapi.headers(_token[0]))
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type"), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), json.loads(e.read())


def _need_svc_layer(config):
    require_svc_layer(config)


def _uplink(port):
    return ["-netdev", f"user,id=up0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:8080",
            "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.0"]


def _first_get(url):
    """GET once the port forward reaches the daemon (the guest's ARP/TCP may lag)."""
    return fvapi.until_reachable(lambda: _get(url))


def _call(doc, base, method, path, expect):
    status, ctype, body = _get(base + path, method)
    assert status == expect, (method, path, status, body)
    errs = openapi_check.validate_response(doc, path, method, status, ctype, body)
    assert not errs, errs
    return body


@fvtest.timeout(600)
def test_ferrovisord_serves_host_from_service_vm():
    _need_svc_layer("linux-svc")
    doc = yaml.safe_load(DOC.read_text())
    port = fvapi.free_port()
    extra = _uplink(port)
    with fvtest.Qemu(hyp_cmd("linux-svc", mem="1G", extra=extra)) as q:
        q.expect(r"^\[hyp\] switch lan0: uplink on virtio slot 0", 60)
        q.expect(r"^\[svc\] FV-SERVICE: ferrovisord pid \d+ on 10\.0\.2\.15:8080: "
                 r"ferrovisord: listening on http://0\.0\.0\.0:8080/api/v1 \(backend sim\)",
                 400)
        _token[0] = fvapi.console_admin_token(q)
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 120
        while True:
            try:
                status, ctype, host = _get(base + "/host")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)
        assert status == 200, (status, host)
        errs = openapi_check.validate_response(doc, "/host", "GET", status, ctype, host)
        assert not errs, errs
        assert host["hypervisor"] == "ferrovisor" and host["backend"] == "sim", host
        status, ctype, vms = _get(base + "/vms")
        assert status == 200 and not openapi_check.validate_response(
            doc, "/vms", "GET", status, ctype, vms), vms
        status, ctype, prob = _get(base + "/vms/nope")
        assert status == 404 and ctype == "application/problem+json", (status, ctype)
        assert not openapi_check.validate_response(doc, "/vms/nope", "GET", status, ctype, prob)
        n = heartbeat(q, "hello", 30)
        assert heartbeat(q, "hello", 30) > n
        assert_healthy(q)


@fvtest.timeout(600)
def test_ferrovisord_manages_vms_through_control_channel():
    if not (fvtest.REPO_ROOT / "hyp" / "core" / "ctl_proto.h").is_file():
        raise fvtest.Skip("the hypervisor's control channel (hyp/core/ctl_proto.h) is not in "
                          "this tree")
    _need_svc_layer("linux-svc-ctl")
    doc = yaml.safe_load(DOC.read_text())
    port = fvapi.free_port()
    with fvtest.Qemu(hyp_cmd("linux-svc-ctl", mem="1G", extra=_uplink(port))) as q:
        q.expect(r"^\[svc\] FV-SERVICE: ferrovisord pid \d+ on 10\.0\.2\.15:8080: "
                 r"ferrovisord: listening on http://0\.0\.0\.0:8080/api/v1 \(backend hvc\)",
                 400)
        _token[0] = fvapi.console_admin_token(q)
        base = f"http://127.0.0.1:{port}/api/v1"
        status, _, host = _first_get(base + "/host")
        assert status == 200 and host["backend"] == "hvc", (status, host)
        assert host["vm_count"] == 2 and host["vm_limit"] >= 2, host
        vms = {v["name"]: v for v in _call(doc, base, "GET", "/vms", 200)["vms"]}
        assert set(vms) == {"svc", "hello"}, vms
        assert vms["svc"]["role"] == "service" and vms["hello"]["role"] == "guest", vms
        assert vms["hello"]["state"] == "running", vms
        for verb in ("stop", "start", "pause"):
            _call(doc, base, "POST", f"/vms/svc/{verb}", 403)
        _call(doc, base, "GET", "/vms/nope", 404)
        # Stop the bare-metal VM over REST: its heartbeat stops.
        heartbeat(q, "hello", 30)
        _call(doc, base, "POST", "/vms/hello/stop", 200)
        deadline = time.monotonic() + 30
        while _call(doc, base, "GET", "/vms/hello", 200)["state"] != "stopped":
            assert time.monotonic() < deadline, "hello never stopped"
            time.sleep(0.5)
        time.sleep(1)
        mark = len(q.output)
        time.sleep(4)
        assert "[hello] heartbeat" not in q.output[mark:], "hello still beats after stop"
        # Start it again: it boots and beats.
        _call(doc, base, "POST", "/vms/hello/start", 200)
        q.expect(r"^\[hello\] hello from hart", 60)
        heartbeat(q, "hello", 30)
        assert _call(doc, base, "GET", "/vms/hello", 200)["state"] == "running"
        # Starting a running VM is refused by the hypervisor (E_BAD_STATE -> 409).
        _call(doc, base, "POST", "/vms/hello/start", 409)
        assert_healthy(q)
