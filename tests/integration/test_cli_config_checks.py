# SPDX-License-Identifier: MIT
"""`ferrovisor validate`/`build`/`run` refuse what the hypervisor could not boot (issue 17).

Guest address maps that overlap (UART on a virtio-mmio window or on the interrupt
controller, RAM over the interrupt controller) are refused with FILE:LINE:COL and the key,
by the hypervisor's own layout check; YAML nested deeper than 32 levels is refused fast
(a 1 MiB file within a time budget; the walk used to be quadratic); keys documented to keep
their default when null or empty do so and reach the bundle as defaults; host memory above
this machine's RAM is refused before QEMU is started.
"""

import os
import subprocess
import tempfile
import time
from pathlib import Path

import fvtest
from test_cli import TOOL, _fake_qemu, _tool, _write


def _hello():
    return fvtest.guest_image("hello")


def test_validate_refuses_overlapping_guest_maps():
    k = _hello()
    cases = [
        (f"kernel: {k}\nuart_base: 0x10001000\nvirtio_console: true\n",
         "2:12: uart_base: UART (0x10001000-0x100010ff) overlaps virtio-mmio window 0 "
         "(0x10001000-0x100011ff)"),
        (f"kernel: {k}\nuart_base: 0xc000000\n",
         "2:12: uart_base: UART (0xc000000-0xc0000ff) overlaps interrupt controller "
         "(0xc000000-0xfffffff)"),
        (f"kernel: {k}\nmemory_base: 0\nmemory: 256M\n",
         "2:14: memory_base: guest RAM (0x0-0xfffffff) overlaps interrupt controller "
         "(0xc000000-0xfffffff)"),
        (f"kernel: {k}\nuart_base: 0x80001000\n",
         "2:12: uart_base: UART (0x80001000-0x800010ff) overlaps guest RAM "
         "(0x80000000-0x8fffffff)"),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for i, (text, want) in enumerate(cases):
            cfg = _write(Path(tmp) / f"overlap{i}.yaml", text)
            rc, out, err = _tool("validate", cfg)
            assert rc == 1, (text, rc, out, err)
            assert err == f"{cfg}:{want}\n", (text, err)
            assert out == ""
        # Touching windows are fine: the UART ends where virtio window 0 begins.
        cfg = _write(Path(tmp) / "adjacent.yaml",
                     f"kernel: {k}\nuart_base: 0x10000f00\nvirtio_console: true\n")
        rc, out, err = _tool("validate", "-q", cfg)
        assert rc == 0, err


def test_validate_nesting_depth_time_budget():
    _hello()
    with tempfile.TemporaryDirectory() as tmp:
        n = ((1 << 20) - 8) // 2
        flow = _write(Path(tmp) / "flow.yaml", "a: " + "[" * n + "]" * n + "\n")
        assert 1 << 19 < os.path.getsize(flow) <= 1 << 20
        block = _write(Path(tmp) / "block.yaml",
                       "".join(" " * i + "k:\n" for i in range(1000)))
        for cfg, where in ((flow, "1:35"), (block, "33:33")):
            t0 = time.monotonic()
            rc, out, err = _tool("validate", cfg, timeout=30)
            took = time.monotonic() - t0
            assert rc == 1, (rc, err)
            assert err == f"{cfg}:{where}: config: nesting deeper than 32 levels\n", err
            assert took < 2.0, f"{cfg.name}: {took:.1f} s"
        # 32 levels are fine as far as nesting goes (the key is unknown, not too deep).
        ok = _write(Path(tmp) / "deep-ok.yaml", "a: " + "[" * 31 + "]" * 31 + "\n")
        rc, _, err = _tool("validate", ok)
        assert rc == 1 and "nesting" not in err and "unknown key" in err, err


def test_null_and_empty_keep_defaults():
    k = _hello()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = _write(Path(tmp) / "nulls.yaml",
                     "host:\n  cpus: ~\n  memory:\n  time_slice_us: null\n  console_focus: ~\n"
                     "  switches: ~\n  best_effort: ~\n"
                     f"name: ~\nvcpus:\nmemory: null\nmemory_base: ~\nkernel: {k}\n"
                     "kernel_offset: ~\ninitrd: ~\ncommand_line: ~\nweight: ~\naffinity: ~\n"
                     "pin: ~\nautostart: ~\nuart: ~\nuart_base: ~\nnetwork: ~\nstorage: ~\n"
                     "virtio_console: ~\n")
        rc, out, err = _tool("validate", cfg)
        assert rc == 0, err
        for line in ('  console_focus: "nulls"', '  - name: "nulls"', "    vcpus: 1",
                     "    memory: 256M", "    memory_base: 0x80000000", "    weight: 256",
                     "    kernel_offset: 0x200000", "    uart_base: 0x10000000",
                     "  time_slice_us: 4000"):
            assert line + "\n" in out, (line, out)
        # The bundle carries the defaults, nothing null: the VM is named after the file.
        bundle = Path(tmp) / "nulls.fvb"
        rc, _, err = _tool("build", "-c", cfg, "-o", bundle)
        assert rc == 0, err
        dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", str(bundle)],
                             stdout=subprocess.PIPE, check=True).stdout.decode()
        assert "nulls {" in dts and 'console-focus = "nulls"' in dts, dts[:2000]
        assert "best-effort" not in dts
        # A null still counts for "given twice".
        cfg = _write(Path(tmp) / "twice.yaml", f"name: a\nkernel: {k}\nname: ~\n")
        rc, _, err = _tool("validate", cfg)
        assert rc == 1 and err == f"{cfg}:3:1: name: given twice (first at line 1)\n", err


def test_host_memory_beyond_this_machine():
    k = _hello()
    ram_mib = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") >> 20
    with tempfile.TemporaryDirectory() as tmp:
        cfg = _write(Path(tmp) / "huge.yaml", f"host:\n  memory: 1T\nkernel: {k}\n")
        want = (f"{cfg}:2:11: host.memory: 1T is more than this machine's {ram_mib}M of RAM; "
                "QEMU cannot allocate it\n")
        rc, out, err = _tool("validate", cfg)
        assert rc == 1 and err == want and out == "", (rc, err)
        fake = _fake_qemu(tmp, 0)
        rc, _, err = _tool("run", "-c", cfg, "--qemu", fake)
        assert rc == 1 and err == want, (rc, err)
        ok = _write(Path(tmp) / "ok.yaml", f"kernel: {k}\n")
        rc, _, err = _tool("run", "-c", ok, "--qemu", fake, "--mem", "1T")
        assert rc == 1, err
        assert err == (f"{ok}: --mem: 1T is more than this machine's {ram_mib}M of RAM; QEMU "
                       "cannot allocate it\n"), err
        assert not (Path(tmp) / "qemu-args").exists(), "QEMU was started"
