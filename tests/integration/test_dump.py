# SPDX-License-Identifier: MIT
"""Crash dumps: ELF core files that gdb opens (issue #13 item 5, docs/debugging.md).

test_sim_dump_opens_in_gdb (no QEMU): ferrovisord --backend sim writes the core of a
simulated VM; `ferrovisor vm dump` downloads it; readelf lists one NT_PRSTATUS per vCPU and
gdb-multiarch shows one thread per vCPU with the simulation's pc values and reads the
simulation's RAM bytes at their guest physical addresses.

test_dump_linux.py runs the same through a Linux service VM and the real control channel.
"""

import os
import re
import subprocess
import tempfile

import fvapi
import fvtest
import openapi_check
import yaml

ROOT = fvtest.REPO_ROOT
TOOL = ROOT / "build" / "tools" / "ferrovisor"
GUEST_ELF = ROOT / "build" / "guests" / "dump_target.elf"
DOC = ROOT / "docs" / "api" / "openapi.yaml"


def _req(base, method, path, token):
    """The module's one REST helper (the place to add headers): status, parsed body."""
    st, r, data = fvapi.request(base, method, path, token)
    errs = openapi_check.validate_response(yaml.safe_load(DOC.read_text()), path, method,
                                           st, r.getheader("Content-Type", ""), data)
    assert not errs, (method, path, st, errs)
    return st, data


def _cli(base, token, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("FERROVISOR_API", "FERROVISOR_TOKEN")}
    env["FERROVISOR_TOKEN"] = token
    p = subprocess.run([str(TOOL), "--api", base] + [str(a) for a in args], capture_output=True,
                       text=True, timeout=600, env=env)
    return p.returncode, p.stdout, p.stderr


def _gdb(core, *cmds, elf=None):
    args = ["gdb-multiarch", "-nx", "-batch", "-ex", "set architecture riscv:rv64"]
    if elf:
        args += ["-ex", f"file {elf}"]
    args += ["-ex", f"core-file {core}"]
    for c in cmds:
        args += ["-ex", c]
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    return p.stdout + p.stderr


def _notes(core):
    p = subprocess.run(["readelf", "-n", "-l", str(core)], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_sim_dump_opens_in_gdb():
    with tempfile.TemporaryDirectory() as tmp, fvapi.SimDaemon(state_dir=tmp) as d:
        base = f"http://127.0.0.1:{d.port}"
        vms = {v["name"]: v for v in _req(base, "GET", "/vms", d.token)[1]["vms"]}
        vm_id = vms["alpha"]["id"]
        core = os.path.join(tmp, "alpha.core")
        rc, out, err = _cli(base, d.token, "vm", "dump", "alpha", "-o", core)
        assert rc == 0, (out, err)
        assert "dump alpha-1 of the paused VM" in out, out
        # The running VM was paused for the dump only.
        assert _req(base, "GET", "/vms/alpha", d.token)[1]["state"] == "running"
        assert os.path.isfile(os.path.join(tmp, "dumps", "alpha-1.core"))
        notes = _notes(core)
        assert notes.count("NT_PRSTATUS") == 2 and "NT_PRPSINFO" in notes and notes.count("NT_FPREGSET") == 2, notes
        assert re.search(r"LOAD\s+0x[0-9a-f]+\s+0x0*80000000\s+0x0*80000000", notes), notes
        text = _gdb(core, "info threads", "thread 1", "info registers pc",
                    "thread 2", "info registers pc", "x/2bx 0x80000100",
                    "info registers ft0 fcsr")
        assert "LWP 1" in text and "LWP 2" in text, text
        pcs = re.findall(r"^pc\s+(0x[0-9a-f]+)", text, re.M)
        assert pcs == ["0x80001000", "0x80002000"], text
        # FP registers (NT_PRFPREG): the simulation's reg r of vCPU i is (i + 1) << 32 | r,
        # f0 being reg 44 and fcsr reg 76 (thread 2 = vCPU 1 is current now).
        assert re.search(r"^ft0 .*\(raw 0x000000020000002c\)", text, re.M), text
        assert re.search(r"^fcsr\s+0x4c\s", text, re.M), text
        # The simulation's RAM byte at a is ((a >> 3) ^ vm id) & 0xff.
        m = re.search(r"0x80000100:\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)", text)
        assert m, text
        assert int(m.group(1), 16) == ((0x80000100 >> 3) ^ vm_id) & 0xff, text
        # Listed, downloadable again; refusals: the service VM, unknown VMs and dumps.
        ids = [x["id"] for x in _req(base, "GET", "/dumps", d.token)[1]["dumps"]]
        assert ids == ["alpha-1"], ids
        assert _req(base, "POST", "/vms/service/dump", d.token)[0] == 403
        assert _req(base, "POST", "/vms/nope/dump", d.token)[0] == 404
        assert _req(base, "GET", "/dumps/alpha-9", d.token)[0] == 404
        rc, out, err = _cli(base, d.token, "vm", "dump", "service", "-o", core + ".svc")
        assert rc == 3 and "403" in err, (rc, out, err)
        assert not os.path.exists(core + ".svc")




def test_sim_auto_dump_on_crash():
    """--auto-dump on: a VM that crashes (the simulation's `crash` console command gives a
    vm-crash event) is dumped without a request; so it is by default (auto: the simulation's
    small VM fits on the test's disk with margin); off: nothing is written."""
    import time

    for extra in (["--auto-dump", "on"], [], ["--auto-dump", "off"]):
        auto = extra != ["--auto-dump", "off"]
        with tempfile.TemporaryDirectory(prefix="fv-autodump-") as state:
            with fvapi.SimDaemon(state_dir=state, extra=extra) as d:
                base = f"http://127.0.0.1:{d.port}"
                st, _, _ = fvapi.request(base, "POST", "/vms/alpha/console", d.token,
                                         body=b"crash\n",
                                         extra_headers={"Content-Type": "application/octet-stream"})
                assert st == 200, st
                deadline = time.monotonic() + (30 if auto else 5)
                dumps = []
                while time.monotonic() < deadline:
                    st, data = _req(base, "GET", "/dumps", d.token)
                    assert st == 200, (st, data)
                    dumps = data["dumps"]
                    if dumps:
                        break
                    time.sleep(0.5)
                if auto:
                    assert [x["vm"] for x in dumps] == ["alpha"], dumps
                    assert dumps[0]["state"] == "crashed", dumps
                    core = os.path.join(state, "dumps", dumps[0]["id"] + ".core")
                    assert "NT_PRSTATUS" in _notes(core)
                else:
                    assert dumps == [], dumps
