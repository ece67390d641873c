# SPDX-License-Identifier: MIT
"""The event tracer end to end through the management plane: a FEATURES=trace hypervisor
(build/trace) runs the Linux service VM (ferrovisord, control-channel backend) beside two
bare-metal guests; from the host, over REST with the admin token, tracing starts for every
class (POST /api/v1/trace), VM hello is reset, tracing stops, and GET /api/v1/trace returns
the trace-event JSON read over TRACE_CTL/TRACE_READ. trace_check.py checks it (format,
per-track order, run slices disjoint per CPU and per vCPU, exits and SBI calls inside their
vCPU's run slices, hello's reset in its lifecycle), and the Linux service VM's own virtio
traffic (the REST requests themselves) shows as virtio notifies and completions.

ARCH_MATRIX: on the arm64 port (`[arm64-<suite>]`) the same run with the Debian arm64 service VM
(configs-arm64-linux/svc-e2e.dts, the arm64 heartbeat guest as hello): the dump says `arm64`,
so exits are named by ESR_EL2's class (`exit hvc`, `exit dabt-low`, `exit irq`, ...) and
hypercalls are SMCCC calls (`smccc psci.N`, PSCI from the guests) instead of SBI."""

import json
import time

import yaml

import fvapi
import fvtest
import trace_check
from hyp import config_path, heartbeat, hyp_cmd, require_svc_layer
from test_mgmt_e2e import DOC, Api
from test_trace import _trace_hyp

KERNEL_MATRIX = True
ARCH_MATRIX = True
JSON = "application/json"
# Per architecture: the exits the trace must hold beside the neutral events (the guests'
# hypercalls; on arm64 also the UART/virtio MMIO aborts and physical interrupts), and the
# prefix of the hypercall events (the guests' SBI calls / PSCI calls).
ARCH_EVENTS = {
    "riscv64": (("exit ecall-vs",), "sbi "),
    "arm64": (("exit hvc", "exit dabt-low", "exit irq"), "smccc psci."),
}


def test_trace_through_service_vm():
    require_svc_layer("linux-svc-e2e")
    doc = yaml.safe_load(DOC.read_text())
    arch = fvtest.arch()
    binary = _trace_hyp(arch)
    port = fvapi.free_port()
    extra = ["-netdev", f"user,id=up0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:8080",
             "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.0"]
    if arch == "arm64":
        cmd = hyp_cmd("linux-svc-e2e", mem="1G", extra=extra)
        cmd[cmd.index("-kernel") + 1] = str(binary)  # the FEATURES=trace build
    else:
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
    out = fvtest.BUILD_DIR / "test-logs" / f"trace-svc-{arch}-{fvtest.kernel_suite()}.json"
    out.write_text(json.dumps(tr))  # to open in ui.perfetto.dev when something fails
    problems = trace_check.check(tr, reset_vm="hello")
    assert not problems, "\n".join(problems[:20])
    names = {e["name"].split(" ")[0] + " " + e["name"].split(" ")[1]
             for e in tr["traceEvents"] if e["ph"] != "M" and " " in e["name"]}
    print(tr["otherData"], sorted(names)[:40])
    exits, hcall = ARCH_EVENTS[arch]
    for want in exits + ("virtio notify", "virtio complete", "irq inject", "mmio read",
                         "request reset"):
        assert want in names, f"no {want!r} in the trace: {sorted(names)}"
    calls = {e["name"] for e in tr["traceEvents"] if e["ph"] == "i" and
             e["name"].startswith(hcall)}
    assert calls, sorted(names)


def _reachable(api):
    try:
        api.call("GET", "/host", 200)
        return True
    except OSError:
        return False
