# SPDX-License-Identifier: MIT
"""Crash dumps through the management plane (issue #13 item 5, docs/debugging.md).

dump_target panics three calls deep through SBI SRST (shutdown, system failure); the
hypervisor keeps the crashed VM's RAM and registers; `ferrovisor --api URL vm dump dumpee
-o FILE` goes through ferrovisord in the Linux service VM and the control channel
(DUMP_INFO, DUMP_READ); `gdb-multiarch dump_target.elf FILE` shows the crashing call chain
in order on the vCPU that crashed (gdb's current thread), the other vCPU as a second
thread, and the value the guest stored in RAM, read at its guest physical address and at
the upper-half virtual address the guest's own Sv39 tables give it. A running VM is
dumped too (paused for the dump, running after it); the service VM's dump is refused.
"""

import os
import re
import tempfile
import time

import fvapi
import fvtest
from hyp import assert_healthy, heartbeat, hyp_cmd
from test_dump import GUEST_ELF, _cli, _gdb, _notes, _req

KERNEL_MATRIX = True


@fvtest.timeout(900)
def test_crash_dump_backtrace():
    suite_manifest = fvtest.BUILD_DIR / "images" / fvtest.kernel_suite() / "manifest.txt"
    if "\nsvc-layer " not in suite_manifest.read_text():
        raise fvtest.Skip("service VM layer not built (`make guest-libs`, `make test-configs`)")
    port = fvapi.free_port()
    extra = ["-netdev", f"user,id=up0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:8080",
             "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.0"]
    with fvtest.Qemu(hyp_cmd("linux-svc-dump", mem="1G", extra=extra)) as q, \
            tempfile.TemporaryDirectory() as tmp:
        m = q.expect_seen(r"^\[dumpee\] dump_target: magic 0x([0-9a-f]+) at 0x([0-9a-f]+)\r?\n", 120)
        magic, addr = int(m.group(1), 16), int(m.group(2), 16)
        q.expect_seen(r"vm dumpee: stopped after a fatal guest error", 60)
        q.expect(r"^\[svc\] FV-SERVICE: ferrovisord pid \d+ on 10\.0\.2\.15:8080: "
                 r"ferrovisord: listening on http://0\.0\.0\.0:8080/api/v1 \(backend hvc\)",
                 400)
        token = fvapi.console_admin_token(q)
        base = f"http://127.0.0.1:{port}"
        assert fvapi.wait_daemon(base, token, get=_req)[0] == 200
        assert _req(base, "GET", "/vms/dumpee", token)[1]["state"] == "crashed"
        # Hostile: the service VM is never dumped, by the daemon nor by the hypervisor.
        assert _req(base, "POST", "/vms/svc/dump", token)[0] == 403
        assert _req(base, "POST", "/vms/nope/dump", token)[0] == 404

        core = os.path.join(tmp, "dumpee.core")
        t0 = time.monotonic()
        rc, out, err = _cli(base, token, "vm", "dump", "dumpee", "-o", core)
        took = time.monotonic() - t0
        assert rc == 0, (out, err)
        print(f"FV-INFO dump of 4 MiB + 2 vCPUs through the service VM: {took:.1f} s", flush=True)
        assert "of the crashed VM" in out and "system failure" in out, out
        assert os.path.getsize(core) >= 4 << 20
        notes = _notes(core)
        assert notes.count("NT_PRSTATUS") == 2, notes
        text = _gdb(core, "info registers pc", "bt", "info threads", "p/x dump_magic",
                    elf=GUEST_ELF)
        # The crashing vCPU's call chain, innermost first, in order.
        frames = re.findall(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(\w+)", text, re.M)
        chain = ["dump_panic", "dump_level3", "dump_level2", "dump_level1", "dump_crasher"]
        assert [f for f in frames if f in chain] == chain, text
        assert re.search(r"^pc\s+0x8020[0-9a-f]{4}\s", text, re.M), text
        # vCPU 1 crashed: it comes first (gdb's current thread); vCPU 0 spun in dump_spin.
        assert re.search(r"^\*\s+1\s+LWP 2\s", text, re.M), text
        assert re.search(r"LWP 1\s+0x[0-9a-f]+ in dump_spin", text), text
        # A RAM word read from the core equals the value the guest wrote.
        m = re.search(r"^\$1 = (0x[0-9a-f]+)", text, re.M)
        assert m and int(m.group(1), 16) == magic, text
        # The same word through the guest's own Sv39 mapping of RAM in the upper half
        # (a kernel-virtual PT_LOAD from its page tables).
        kva = 0xffffffc080000000 + (addr - 0x80000000)
        assert re.search(r"LOAD\s+0x[0-9a-f]+\s+0xffffffc080000000\s+0x0*80000000", notes), notes
        text = _gdb(core, f"x/gx {kva:#x}", elf=GUEST_ELF)
        m = re.search(rf"^{kva:#x}.*:\s+(0x[0-9a-f]+)", text, re.M)
        assert m and int(m.group(1), 16) == magic, text

        # A running VM: paused for the dump, running (and beating) after it.
        n = heartbeat(q, "hello", 30)
        st, dump = _req(base, "POST", "/vms/hello/dump", token)
        assert st == 201 and dump["state"] == "paused" and dump["vcpus"] == 1, (st, dump)
        assert _req(base, "GET", "/vms/hello", token)[1]["state"] == "running"
        assert heartbeat(q, "hello", 30) > n
        ids = [x["id"] for x in _req(base, "GET", "/dumps", token)[1]["dumps"]]
        assert ids == ["dumpee-1", "hello-2"], ids
        assert_healthy(q)
