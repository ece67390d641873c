# SPDX-License-Identifier: MIT
"""The guest profiler end to end (docs/profiling.md): hypervisor sampling timers, the
PROF_* control ops, ferrovisord's POST /api/v1/vms/{name}/profile and `ferrovisor vm
profile` symbolizing with the guest's ELF.

configs/linux-svc-prof.dts runs the service VM (ferrovisord --backend hvc), `prof1`
(prof_target: spins in prof_spin_here, called from prof_outer -> prof_middle, frame
pointers kept) and `other` (prof_hostile: a CPU hog whose frame pointer is in turn 0,
misaligned, MMIO, past its RAM, the top of the address space, a self-referencing frame).
Asserted:
- the CLI's top list has prof_spin_here first with more than 50 % of the samples;
- the folded output (--folded) has the line "...prof_outer;prof_middle;prof_spin_here N"
  (the caller chain read from guest memory) carrying most samples;
- the REST answer validates against docs/api/openapi.yaml; profiling `other` shows its own
  hostile loop, and no address sampled in one VM appears in the other's profile (the two
  hot functions are on different pages);
- the hostile frame pointers: every return address reported for `other` is the one its
  crafted frame holds (read once: the self-loop ends the chain), and both VMs keep running;
- a Linux guest (the service VM, busy in its kernel with dd from /dev/zero): most samples
  lie in the kernel text (_stext.._etext from its /proc/kallsyms) and kernel frames carry a
  caller chain in kernel text (frame pointers read through the guest's own page tables);
- errors: an unknown VM is 404, a period out of range 400, a viewer token 403; the
  hypervisor stays healthy and prof1 keeps running afterwards.
"""

import json
import os
import re
import subprocess
import tempfile

import yaml

import fvapi
import fvtest
import openapi_check
from hyp import assert_healthy, hyp_cmd

KERNEL_MATRIX = True
ROOT = fvtest.REPO_ROOT
DOC = ROOT / "docs" / "api" / "openapi.yaml"
TOOL = ROOT / "build" / "tools" / "ferrovisor"
ELF = fvtest.BUILD_DIR / "guests" / "prof_target.elf"
HOSTILE_ELF = fvtest.BUILD_DIR / "guests" / "prof_hostile.elf"
HYP_ELF = fvtest.BUILD_DIR / "riscv64" / "ferrovisor.elf"
HOSTILE_RA = 0x80100000  # the only return address prof_hostile's crafted frame holds

# The daemon's first admin token (read from the console); every request goes through call().
_token = [None]


def call(port, method, path, body=None, token=None, headers=None, timeout=120):
    """The one request helper of this module (it adds the bearer token)."""
    return fvapi.request(port, method, path, token or _token[0], body=body,
                         extra_headers=headers, timeout=timeout)


def cli(port, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("FERROVISOR_API", "FERROVISOR_TOKEN")}
    env["FERROVISOR_TOKEN"] = _token[0]
    p = subprocess.run([str(TOOL), "--api", f"http://127.0.0.1:{port}", "vm", "profile"] +
                       [str(a) for a in args], capture_output=True, text=True, timeout=180,
                       env=env)
    if p.returncode != 0:
        raise fvtest.TestFailure(f"vm profile exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p.stdout, p.stderr


def symbols(elf):
    """{name: (start, end)} of the function symbols of elf (nm)."""
    out = subprocess.run(["riscv64-linux-gnu-nm", "-S", "-n", str(elf)], capture_output=True,
                         text=True, check=True).stdout
    syms = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in "tT":
            syms[f[3]] = (int(f[0], 16), int(f[0], 16) + int(f[1], 16))
    return syms


def guest_pcs(profile):
    return {int(s["pc"], 16) for s in profile["stacks"] if s["kind"] == "guest"}


def _need_svc_layer():
    manifest = fvtest.BUILD_DIR / "images" / fvtest.kernel_suite() / "manifest.txt"
    if "\nsvc-layer " not in manifest.read_text():
        raise fvtest.Skip("service VM layer not built (`make guest-libs`, `make test-configs`)")


@fvtest.timeout(900)
def test_profile_guest_through_cli():
    _need_svc_layer()
    for f in (TOOL, ELF, HOSTILE_ELF):
        if not f.is_file():
            raise fvtest.TestFailure(f"{f} missing: run `make all`")
    doc = yaml.safe_load(DOC.read_text())
    port = fvapi.free_port()
    extra = ["-netdev", f"user,id=up0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:8080",
             "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.0"]
    with fvtest.Qemu(hyp_cmd("linux-svc-prof", mem="1G", extra=extra)) as q:
        q.expect(r"^\[prof1\] prof_target: spinning in prof_spin_here", 120)
        q.expect(r"^\[svc\] FV-SERVICE: ferrovisord pid \d+ on 10\.0\.2\.15:8080: "
                 r"ferrovisord: listening on http://0\.0\.0\.0:8080/api/v1 \(backend hvc\)",
                 600)
        _token[0] = fvapi.console_admin_token(q)
        with fvapi.daemon_log_on_failure(q):
            fvapi.until_reachable(lambda: call(port, "GET", "/host"), ok=lambda r: r[0] == 200)

            # The CLI: top list and folded stacks named from the ELF.
            with tempfile.TemporaryDirectory() as tmp:
                folded = os.path.join(tmp, "prof1.folded")
                out, err = cli(port, "prof1", "--seconds", "3", "--elf", ELF, "--folded", folded,
                               "--top", "5")
                rows = [l.split() for l in out.splitlines()[1:] if l.strip()]
                assert rows, out
                pct = float(rows[0][0].rstrip("%"))
                assert rows[0][2] == "prof_spin_here" and pct > 50.0, (out, err)
                lines = open(folded).read().splitlines()
                # Kept beside the console log for a reader of the test run.
                art = fvtest.BUILD_DIR / "test-logs" / (
                    fvtest.log_safe(fvtest.current_test_name()) + ".profile.txt")
                art.write_text(f"vm profile prof1:\n{out}{err}folded:\n" + "\n".join(lines) + "\n")
            counts = {}
            for l in lines:
                m = re.fullmatch(r"(\S+) (\d+)", l)
                assert m, f"not a folded line: {l!r}"
                counts[m.group(1)] = int(m.group(2))
            total = sum(counts.values())
            chain = [s for s in counts if s.endswith("prof_outer;prof_middle;prof_spin_here")]
            assert chain, lines
            assert sum(counts[s] for s in chain) * 2 > total, lines
            # The hypervisor is told apart (idle CPUs), never mixed into guest frames.
            assert all(s == "[hypervisor]" for s in counts if "[hypervisor]" in s), lines

            # The REST answer itself, validated against the document.
            body = json.dumps({"seconds": 2, "period_us": 500})
            jh = {"Content-Type": "application/json"}
            st, r, p1 = call(port, "POST", "/vms/prof1/profile", body=body, headers=jh)
            assert st == 200, (st, p1)
            errs = openapi_check.validate_response(doc, "/vms/prof1/profile", "POST", st,
                                                   r.getheader("Content-Type"), p1)
            assert not errs, errs
            assert p1["samples"] == sum(s["count"] for s in p1["stacks"]) > 0, p1
            st, _, p2 = call(port, "POST", "/vms/other/profile", body=body, headers=jh)
            assert st == 200, (st, p2)

            # Isolation: each VM's profile holds only its own code. Both guests are linked at
            # the same guest-physical base, so an address may lie in a function of each (e.g.
            # prof_middle, prof1's caller frame, shares a page with prof_hostile_loop): a pc
            # of one VM in the other's hot function counts as foreign only if it is in none
            # of its own functions.
            syms1, syms2 = symbols(ELF), symbols(HOSTILE_ELF)
            hot1, hot2 = syms1["prof_spin_here"], syms2["prof_hostile_loop"]
            assert hot1[1] <= hot2[0] or hot2[1] <= hot1[0], (hot1, hot2)

            def own(syms, pc):
                return any(lo <= pc < hi for lo, hi in syms.values())
            pcs1, pcs2 = guest_pcs(p1), guest_pcs(p2)
            assert pcs1 and pcs2, (p1, p2)
            tops = [max((s for s in p["stacks"] if s["kind"] == "guest"),
                        key=lambda s: s["count"]) for p in (p1, p2)]
            assert hot1[0] <= int(tops[0]["pc"], 16) < hot1[1], (tops[0], hot1)
            assert hot2[0] <= int(tops[1]["pc"], 16) < hot2[1], (tops[1], hot2)
            assert not any(hot1[0] <= pc < hot1[1] and not own(syms2, pc) for pc in pcs2), (
                sorted(map(hex, pcs2)), hot1)
            assert not any(hot2[0] <= pc < hot2[1] and not own(syms1, pc) for pc in pcs1), (
                sorted(map(hex, pcs1)), hot2)

            # The hostile frame pointers: nothing but the crafted frame's return address, once.
            chains = [[int(a, 16) for a in s["stack"]] for s in p2["stacks"] if s["kind"] == "guest"]
            assert all(c in ([], [HOSTILE_RA]) for c in chains), chains
            assert [HOSTILE_RA] in chains and [] in chains, chains
            for vm in ("prof1", "other"):
                st, _, info = call(port, "GET", f"/vms/{vm}")
                assert st == 200 and info["state"] == "running", (vm, st, info)

            # A Linux guest: the service VM itself, kept busy in its kernel by dd from /dev/zero.
            # Its pcs and frame-pointer chains (Debian builds with CONFIG_FRAME_POINTER, no KASLR)
            # are read through the kernel's own page tables: they must lie in its text.
            q.send("grep -m 2 -E ' (_stext|_etext)$' /proc/kallsyms; echo KS-$((6*7))\r")
            q.expect(r"^\[svc\] KS-42", 240)  # kallsyms is long: slow under TCG load
            ks = dict((n, int(a, 16)) for a, n in re.findall(
                r"^\[svc\] ([0-9a-f]{16}) \w (_stext|_etext)\r?$", q.output, re.M))
            assert set(ks) == {"_stext", "_etext"} and ks["_stext"] > 0, ks
            q.send("dd if=/dev/zero of=/dev/null bs=64k count=100000000 & echo DD-$((6*7))\r")
            q.expect(r"^\[svc\] DD-42", 60)
            st, r, pl = call(port, "POST", "/vms/svc/profile", body=json.dumps({"seconds": 3}),
                             headers=jh)
            q.send("kill %1\r")
            # The hypervisor's own pcs inside the service VM's exits, named with --hyp-elf: the
            # kernel writing to its console (the emulated UART: an MMIO exit per byte) puts the
            # hypervisor's MMIO path in the profile (docs/profiling.md).
            q.send("yes 0123456789abcdefghijklmnopqrstuvwxyz | head -n 3000 > /dev/ttyS0 &\r")
            hout, herr = cli(port, "svc", "--seconds", "3", "--hyp-elf", HYP_ELF, "--top", "100")
            hyp_funcs = [l.split(None, 2)[2] for l in hout.splitlines()[1:]
                         if "[hypervisor] " in l]
            with open(art, "a") as f:
                f.write(f"svc --hyp-elf:\n{hout}{herr}")
            assert any(not h.startswith("[hypervisor] riscv_idle_wfi") for h in hyp_funcs), hout
            assert st == 200, (st, pl)

            def in_text(a):
                return ks["_stext"] <= a < ks["_etext"]
            guest = [s for s in pl["stacks"] if s["kind"] == "guest"]
            n_guest = sum(s["count"] for s in guest)
            n_kernel = sum(s["count"] for s in guest if in_text(int(s["pc"], 16)))
            deep = [s for s in guest if in_text(int(s["pc"], 16)) and len(s["stack"]) >= 2 and
                    all(in_text(int(a, 16)) for a in s["stack"][:2])]
            with open(art, "a") as f:
                f.write(f"svc (Linux, dd): {n_guest} guest samples, {n_kernel} in kernel text "
                        f"[{ks['_stext']:#x}, {ks['_etext']:#x}); deepest: "
                        f"{max((s['stack'] for s in guest), key=len, default=[])}\n")
            assert n_guest > 0 and n_kernel * 2 > n_guest, (n_guest, n_kernel, pl["stacks"][:5])
            assert deep, pl["stacks"][:10]

            # Errors.
            st, _, prob = call(port, "POST", "/vms/nosuch/profile", body=body, headers=jh)
            assert st == 404, (st, prob)
            st, _, prob = call(port, "POST", "/vms/prof1/profile", body=b'{"period_us": 50}',
                               headers=jh)
            assert st == 400 and "'period_us'" in prob["detail"], (st, prob)
            viewer = fvapi.make_token(port, _token[0], "prof-viewer", "viewer")
            st, _, prob = call(port, "POST", "/vms/prof1/profile", body=body, headers=jh,
                               token=viewer)
            assert st == 403, (st, prob)
            assert_healthy(q)
