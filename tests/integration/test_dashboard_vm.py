# SPDX-License-Identifier: MIT
"""The web dashboard served by the real service VM under Ferrovisor, in headless Chromium.

One boot of its own (tests/integration/configs/linux-svc-e2e.dts: the service VM with
ferrovisord on the control channel, and the bare-metal guests hello and peer). The host
loads the dashboard, which the riscv64 daemon serves from the svc layer
(/usr/share/ferrovisord/www), through the 127.0.0.1 forward of switch lan0's uplink, with
real tokens: the daemon's first admin token (read from the service VM's console) and an
operator token created with it through POST /tokens. From the UI an operator pauses hello: the table and the API say "paused" and hello's heartbeat
stops on the hypervisor console while peer keeps beating; resume continues the count.

Pinned to the stable kernel, not KERNEL_MATRIX: the dashboard is userspace files served by
the daemon, independent of the kernel, and test_mgmt_e2e already runs this daemon on both
kernels; a second Linux boot would only cost minutes of the shared machine.

@fvtest.arch_matrix: `[arm64]` runs the same with the Debian arm64 service VM and the aarch64
daemon serving the same files from its svc layer (configs-arm64-linux/svc-e2e.dts, the arm64
heartbeat guest as hello and peer).
"""

import re
import time

import fvtest
import fvapi
from dashboard_ui import Browser, api_call, use_tokens
from hyp import heartbeat, hyp_cmd, require_svc_layer


def _beats(q, vm, mark):
    return [int(n) for n in re.findall(rf"^\[{vm}\] heartbeat (\d+)\r?$", q.output[mark:],
                                       re.M)]


@fvtest.arch_matrix
@fvtest.timeout(600)
def test_dashboard_pauses_vm_in_real_service_vm():
    require_svc_layer("linux-svc-e2e")
    manifest = fvtest.images_dir() / fvtest.kernel_suite() / "manifest.txt"
    if "usr/share/ferrovisord/www/index.html" not in manifest.read_text():
        raise fvtest.TestFailure(f"the dashboard is not in the svc layer ({manifest})")
    port = fvapi.free_port()
    extra = ["-netdev", f"user,id=up0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:8080",
             "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.0"]
    with fvtest.Qemu(hyp_cmd("linux-svc-e2e", mem="1G", extra=extra)) as q:
        q.expect(r"^\[svc\] FV-SERVICE: ferrovisord pid \d+ on 10\.0\.2\.15:8080: "
                 r"ferrovisord: listening on http://0\.0\.0\.0:8080/api/v1 \(backend hvc\)",
                 400)
        admin = fvapi.console_admin_token(q)
        st, page, r = fvapi.until_reachable(lambda: api_call(port, "GET", "/", None))
        # The page itself comes from the daemon in the service VM (riscv64 or aarch64).
        assert st == 200 and "<title>Ferrovisor</title>" in page, (st, page[:200])
        assert r.getheader("Content-Type") == "text/html; charset=utf-8"
        st, js, _ = api_call(port, "GET", "/ui/js/app.js", None)
        assert st == 200 and "mountOverview" in js, st
        assert api_call(port, "GET", "/ui/../etc/passwd", None)[0] == 404

        use_tokens(port, admin)
        with Browser(f"http://127.0.0.1:{port}") as b:
            b.sign_in("operator")
            rows = b.wait("hypervisor VMs listed",
                          lambda: b.rows() if len(b.rows()) == 3 else None, timeout=90)
            assert rows == {"svc": "running", "hello": "running", "peer": "running"}, rows
            assert "hvc" in b.text("#host-summary"), b.text("#host-summary")
            assert not b.buttons("svc"), "actions offered for the service VM"
            before = heartbeat(q, "hello", 30)

            b.click("button[data-vm=hello][data-action=pause]")
            b.wait("hello paused in the table", lambda: b.rows().get("hello") == "paused",
                   timeout=90)
            assert api_call(port, "GET", "/api/v1/vms/hello", "viewer")[1]["state"] == \
                "paused"
            b.shot(f"qemu-paused-{fvtest.arch()}")
            time.sleep(1)
            mark = len(q.output)
            time.sleep(5)
            assert "[hello] heartbeat" not in q.output[mark:], "hello still beats when paused"
            assert "[peer] heartbeat" in q.output[mark:], "peer stopped beating"

            mark = len(q.output)
            b.click("button[data-vm=hello][data-action=resume]")
            b.wait("hello running in the table", lambda: b.rows().get("hello") == "running",
                   timeout=90)
            heartbeat(q, "hello", 30)
            after = _beats(q, "hello", mark)
            assert after and after[0] > before, ("hello does not continue", before, after)
            assert "[hello] hello from hart" not in q.output[mark:], "resume rebooted hello"
            assert api_call(port, "GET", "/api/v1/vms/hello", "viewer")[1]["state"] == \
                "running"
            b.shot(f"qemu-overview-{fvtest.arch()}")
        assert "[hyp] panic" not in q.output
