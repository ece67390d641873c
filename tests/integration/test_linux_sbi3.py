# SPDX-License-Identifier: MIT
"""Debian Linux guests on Ferrovisor's SBI 3.0 (FWFT and DBTR offered).

The VM reports SBI 3.0 with FWFT and DBTR: old kernels (6.12) must ignore them, kernels that
know FWFT (Linux 6.16 and later, e.g. sid's 7.2) must detect it, and both must boot and work.
Debian's 7.2 does not ask for misaligned exception delegation on QEMU (misaligned accesses are
fast in hardware there), so the hypervisor must not log a delegation change either.
"""

import re

import fvtest
from hyp import assert_healthy, heartbeat, hyp_cmd

KERNEL_MATRIX = True

PROMPT = r"fv-guest:~# "


def run(q, vm, cmd, pattern, timeout=60):
    q.send(cmd + "\r")
    return q.expect(rf"^\[{vm}\] {pattern}", timeout)


@fvtest.timeout(420)
def test_linux_boots_on_sbi3_and_detects_fwft():
    with fvtest.Qemu(hyp_cmd("linux-hello", mem="2G")) as q:
        q.expect(r"^\[hyp\] fwft: firmware misaligned delegation available", 30)
        q.expect(r"^\[linux\] FERROVISOR-INIT: up", 300)
        m = q.expect(r"^\[linux\] FERROVISOR-INIT: nproc=\d+ kernel=(\d+)\.(\d+)", 30)
        version = (int(m.group(1)), int(m.group(2)))
        q.expect(rf"^\[linux\] .*{PROMPT}", 60)
        run(q, "linux", "echo SPEC=$(dmesg | grep -o 'SBI specification v[0-9.]*' | tr -d a-zA-Z\\ )",
            r"SPEC=3\.0\r?$")
        m = run(q, "linux", "echo FWFT=$(dmesg | grep -c 'SBI FWFT extension detected')",
                r"FWFT=(\d+)\r?$")
        detected = int(m.group(1))
        if version >= (7, 0):
            assert detected == 1, f"Linux {version} did not detect FWFT"
        elif version < (6, 16):
            assert detected == 0, f"Linux {version} cannot know FWFT"
        # The guest keeps working afterwards, and the other VM too.
        run(q, "linux", "echo SUM=$((40 + 2))", r"SUM=42\r?$")
        n = heartbeat(q, "hello", 30)
        assert heartbeat(q, "hello", 30) > n
        assert not re.search(r"^\[hyp\] vm linux: vCPU \d+: fwft feature 0 set to 1", q.output,
                             re.M), "unexpected misaligned delegation request"
        q.assert_absent(r"firmware refused its triggers")
        assert_healthy(q)
