# SPDX-License-Identifier: MIT
"""A bare-metal VM created at run time through the remote CLI, on both architectures.

The bare-metal half of test_mgmt_dynlinux.py (whose Linux upload is riscv64-only so far) as
an ARCH_MATRIX test: Ferrovisor runs the service VM "svc" (ferrovisord with the control-
channel backend, reached through a 127.0.0.1 forward of switch lan0's uplink) beside the
witnesses hello and peer (configuration linux-svc-e2e; on arm64 its twin
configs-arm64-linux/svc-e2e.dts). Using only the CLI (`ferrovisor --api URL vm ...`):
`vm list` shows the three VMs; `vm create --config remote.yaml --start` uploads the heartbeat
guest (riscv64: guests/hello, arm64: guests/arm64/heartbeat) and it beats; pause stops its
heartbeat, resume continues it, stop / start / reset boot it again
(test_mgmt_dynlinux.baremetal_lifecycle); `vm destroy` removes it (gone from the list, silent,
its RAM scrubbed). hello and peer keep beating without a reboot (hyp.assert_beats_kept_going);
no hypervisor error or panic.
"""

import tempfile

import fvapi
import fvtest
from hyp import (assert_beats_kept_going, beats_since, guest_file, heartbeat, hyp_cmd,
                 require_svc_layer)
from test_mgmt_dynlinux import TOOL, Cli, _quiet, _yaml, baremetal_lifecycle


@fvtest.timeout(900)
@fvtest.arch_matrix
def test_baremetal_vm_created_at_run_time_through_the_cli():
    require_svc_layer("linux-svc-e2e")
    if not TOOL.is_file():
        raise fvtest.TestFailure(f"{TOOL} missing: run `make all`")
    kernel = guest_file("hello.bin")
    port = fvapi.free_port()
    extra = ["-netdev", f"user,id=up0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:8080",
             "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.0"]
    with tempfile.TemporaryDirectory() as tmp, \
            fvtest.Qemu(hyp_cmd("linux-svc-e2e", mem="1G", extra=extra)) as q:
        conf = _yaml(tmp, "remote", f"name: remote-hello\nvcpus: 1\nmemory: 64M\n"
                     f"kernel: {kernel}\n")
        q.expect_seen(r"^\[svc\] FV-SERVICE: ferrovisord pid \d+ on 10\.0\.2\.15:8080: "
                      r"ferrovisord: listening on http://0\.0\.0\.0:8080/api/v1 \(backend hvc\)",
                      600)
        cli = Cli(port, fvapi.console_admin_token(q))
        fvapi.until_reachable(lambda: cli.run("vm", "list", timeout=60),
                              ok=lambda r: r[0] == 0, timeout=180)
        assert cli.states() == {"svc": "running", "hello": "running", "peer": "running"}
        start = len(q.output)

        baremetal_lifecycle(q, cli, conf)
        out, _ = cli.ok("vm", "destroy", "remote-hello")
        assert "remote-hello: destroyed" in out, out
        q.expect_seen(r"^\[hyp\] vm remote-hello: destroyed: \d+ MiB of RAM scrubbed", 60)
        assert cli.states() == {"svc": "running", "hello": "running", "peer": "running"}
        _quiet(q, "remote-hello")

        # The witnesses kept running, never rebooted; nothing went wrong in the hypervisor.
        for vm in ("hello", "peer"):
            heartbeat(q, vm, 30)
            assert_beats_kept_going(vm, beats_since(q, vm, start))
            assert f"[{vm}] hello from hart" not in q.output[start:], f"{vm} rebooted"
        q.assert_absent(r"^\[svc\] .*(Oops|Kernel panic|segfault)")
        q.assert_absent(r"PANIC")
        q.assert_absent(r"^\[hyp\] error:")
