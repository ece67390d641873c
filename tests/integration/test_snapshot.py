# SPDX-License-Identifier: MIT
"""VM snapshots end to end (docs/snapshots.md, docs/snapshot-format.md, hyp/core/snap*.c).

First run (configs/snap.dts): the service VM (guests/snap_test) snapshots `calc`
(guests/snap_calc: a deterministic two-hart computation printing its progress and guest
clock) a few rounds in, over the control channel; refuses a snapshot with a flipped RAM
byte, a flipped header byte, a truncated one and one longer than announced, each leaving
no VM and no memory behind; destroys calc and restores the snapshot as `calc2`, which
finishes with the same digest as `ref`, the same computation run straight through, and
whose clock continues from where calc's stopped (no jump back). The snapshot leaves the
first QEMU as base64 lines on the console.
Second run: a fresh QEMU and hypervisor whose service VM gets the snapshot file as its
initrd restores it as `calc3`: same digest again, clock continued.
ARCH_MATRIX: the same body on the arm64 port (configs-arm64/snap.dts: guests/arm64/snap_test
runs guests/snap_test's checks, guests/arm64/snap_calc is snap_calc's twin with FP/SIMD
state in its digest); the arm64 stream carries that port's registers, vGIC and PL011.
"""

import base64
import re
import subprocess

import fvtest
from hyp import expect_vm_pass, hyp_cmd

ARCH_MATRIX = True

DIGEST = r"digest ([0-9a-f]{16}) harts 2"


def _progress(out, vm):
    """[(round, ticks)] of vm's progress lines, in order."""
    return [(int(r), int(t)) for r, t in
            re.findall(rf"^\[{vm}\] progress (\d+)/\d+ t=(\d+)\r?$", out, re.M)]


def _snapshot_file(out):
    lines = re.findall(r"^\[svc\] SNAPB64 ([A-Za-z0-9+/=]+)\r?$", out, re.M)
    data = base64.b64decode("".join(lines))
    m = re.search(r"^\[svc\] SNAPEND (\d+)\r?$", out, re.M)
    assert m and int(m.group(1)) == len(data), "snapshot dump incomplete"
    path = fvtest.BUILD_DIR / "test-snap" / fvtest.arch() / "calc.fvsnap"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _check_continued(out, before_vm, after_vm):
    before = _progress(out[0], before_vm)
    after = _progress(out[1], after_vm)
    assert before and after, (before, after)
    last_round, last_t = before[-1]
    first_round, first_t = after[0]
    # The restored VM goes on from the round it was saved in (not from the start) ...
    assert first_round >= last_round and first_round > 1, (before[-1], after[0])
    assert after[-1][0] == 40, after[-1]
    # ... and its clock continues: no jump back below the last reading before the save.
    assert first_t >= last_t, f"clock went back: {last_t} -> {first_t}"
    return first_t - last_t


@fvtest.timeout(600)
def test_snapshot_restore_same_and_second_run():
    with fvtest.Qemu(hyp_cmd("snap")) as q:
        q.expect_seen(r"^\[hyp\] ctl: vm svc is the service VM", 60)
        expect_vm_pass(q, "svc", 400)
        m_ref = q.expect_seen(rf"^\[ref\] {DIGEST}", 300)
        m_new = q.expect_seen(rf"^\[calc2\] {DIGEST}", 300)
        out1 = q.output
        q.expect_seen(r"^\[hyp\] vm calc2: restored from snapshot of calc", 5)
        q.expect_seen(r"^\[hyp\] vm calc: destroyed", 5)
        q.assert_absent(r"PANIC")
        q.assert_absent(r"^\[calc\] digest")  # calc itself never finished
    assert m_new.group(1) == m_ref.group(1), (m_new.group(0), m_ref.group(0))
    gap = _check_continued((out1, out1), "calc", "calc2")
    print(f"calc2: first reading {gap} ticks after calc's last")
    # Every refused restore said why, and nothing else failed.
    errs = re.findall(r"^\[hyp\] error: (.*?)\r?$", out1, re.M)
    assert any("snapshot refused at byte" in e and "E_CRC" in e for e in errs), errs
    assert any("E_HDR_CRC" in e for e in errs), errs
    assert any("incomplete" in e and "E_TRUNCATED" in e for e in errs), errs
    snap = _snapshot_file(out1)

    # A second run of the hypervisor restores the file (given to svc as its initrd).
    dts = snap.parent / "snap2.dts"
    dts.write_text(
        '/dts-v1/;\n/ {\n\tcompatible = "ferrovisor,config-v1";\n\tvms {\n'
        f'\t\tsvc {{ vcpus = <1>; memory-size = /bits/ 64 <0x4000000>; '
        f'kernel = /incbin/("snap_test.bin"); initrd = /incbin/("{snap}"); '
        'role = "service"; autostart; };\n\t};\n};\n')
    dtb = snap.parent / "snap2.dtb"
    guests = fvtest.BUILD_DIR / ("arm64/guests" if fvtest.arch() == "arm64" else "guests")
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-i", str(guests),
                    "-o", str(dtb), str(dts)], check=True)
    with fvtest.Qemu(hyp_cmd(None, smp=2, mem="1G", extra=["-initrd", str(dtb)])) as q:
        expect_vm_pass(q, "svc", 200)
        m3 = q.expect_seen(rf"^\[calc3\] {DIGEST}", 300)
        out2 = q.output
        q.assert_absent(r"PANIC")
    assert m3.group(1) == m_ref.group(1), (m3.group(0), m_ref.group(0))
    _check_continued((out1, out2), "calc", "calc3")
