# SPDX-License-Identifier: MIT
"""The event tracer end to end through the management plane: a FEATURES=trace hypervisor
(build/trace) runs the Linux service VM (ferrovisord, control-channel backend) beside two
bare-metal guests; from the host, over REST with the admin token, tracing starts for every
class (POST /api/v1/trace), VM hello is reset, tracing stops, and GET /api/v1/trace returns
the trace-event JSON read over TRACE_CTL/TRACE_READ. trace_check.py checks it (format,
per-track order, run slices disjoint per CPU and per vCPU, exits and SBI calls inside their
vCPU's run slices, hello's reset in its lifecycle), and the Linux service VM's own virtio
traffic (the REST requests themselves) shows as virtio notifies and completions."""

import json
import time

import yaml

import fvapi
import fvtest
import trace_check
from hyp import config_path, heartbeat
from test_mgmt_e2e import DOC, Api
from test_trace import _trace_hyp

KERNEL_MATRIX = True
JSON = "application/json"


def test_trace_through_service_vm():
    suite_manifest = fvtest.BUILD_DIR / "images" / fvtest.kernel_suite() / "manifest.txt"
    if "\nsvc-layer " not in suite_manifest.read_text():
        raise fvtest.Skip("service VM layer not built: the riscv64 libraries were not fetched "
                          "(`make guest-libs`, then `make test-configs`)")
    doc = yaml.safe_load(DOC.read_text())
    binary = _trace_hyp()
    port = fvapi.free_port()
    extra = ["-netdev", f"user,id=up0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:8080",
             "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.0"]
    cmd = fvtest.qemu_riscv_cmd(binary, smp=2, mem="1G",
                                extra=["-initrd", str(config_path("linux-svc-e2e"))] + extra)
    with fvtest.Qemu(cmd) as q:
        q.expect(r"^\[svc\] FV-SERVICE: ferrovisord pid \d+ on 10\.0\.2\.15:8080: "
                 r"ferrovisord: listening on http://0\.0\.0\.0:8080/api/v1 \(backend hvc\)",
                 400)
        api = Api(doc, port, fvapi.console_admin_token(q))
        deadline = time.monotonic() + 120
        while not _reachable(api):  # the port forward works once the guest's ARP/TCP settle
            assert time.monotonic() < deadline, "daemon not reachable from the host"
            time.sleep(2)
        st = api.call("POST", "/trace", 200, b'{"on": true}', JSON)
        assert st["on"] and len(st["classes"]) == 7 and len(st["cpus"]) == 2, st
        api.call("POST", "/vms/hello/reset", 200)
        q.expect(r"^\[hyp\] vm hello: boot #2", 60)
        heartbeat(q, "hello", 60)
        st = api.call("POST", "/trace", 200, b'{"on": false}', JSON)
        assert not st["on"] and sum(c["records"] for c in st["cpus"]) > 0, st
        tr = api.call("GET", "/trace", 200)
        # Drained: a second read finds the rings empty.
        assert api.call("GET", "/trace", 200)["otherData"]["records"] == 0
    out = fvtest.BUILD_DIR / "test-logs" / f"trace-svc-{fvtest.kernel_suite()}.json"
    out.write_text(json.dumps(tr))  # to open in ui.perfetto.dev when something fails
    problems = trace_check.check(tr, reset_vm="hello")
    assert not problems, "\n".join(problems[:20])
    names = {e["name"].split(" ")[0] + " " + e["name"].split(" ")[1]
             for e in tr["traceEvents"] if e["ph"] != "M" and " " in e["name"]}
    print(tr["otherData"], sorted(names)[:40])
    for want in ("exit ecall-vs", "virtio notify", "virtio complete", "irq inject", "mmio read",
                 "request reset"):
        assert want in names, f"no {want!r} in the trace: {sorted(names)}"
    assert any(n.startswith("sbi ") for n in names), sorted(names)


def _reachable(api):
    try:
        api.call("GET", "/host", 200)
        return True
    except OSError:
        return False
