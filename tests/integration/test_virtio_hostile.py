# SPDX-License-Identifier: MIT
"""A guest attacking its own virtio-blk device (guests/virtio_hostile) must get spec-conforming
reactions and must not hurt the hypervisor, the Linux VM doing I/O on another disk, or a
bare-metal witness.

The hypervisor logs nothing for a broken queue (the device just sets DEVICE_NEEDS_RESET),
so no "[hyp] error:" line is expected at all."""

import re

import fvtest
from linux_shell import boot_to_shell, fresh_disk, run
from hyp import assert_healthy, expect_vm_pass, heartbeat, hyp_cmd

KERNEL_MATRIX = True  # Linux beside the hostile guest: run on both Debian kernels

ROUNDS = 3  # Linux write/verify passes of 4 MiB each


def soak_rounds(q):
    """Soak rounds (repeats of every attack) the hostile guest finished so far, all boots."""
    return q.count(r"^\[vhostile\] vhostile: soak round \d+ done")


@fvtest.timeout(180)
def test_virtio_hostile_guest_does_not_hurt_device_model_or_neighbours():
    extra = (fvtest.virtio_disk(fresh_disk("vhostile-linux"), 0) +
             fvtest.virtio_disk(fresh_disk("vhostile-attacker"), 1))
    with fvtest.Qemu(hyp_cmd("linux-virtio-hostile", extra=extra)) as q:
        # Round 0 of the attacks: one FV-CHECK per check, then FV-RESULT.
        expect_vm_pass(q, "vhostile", 120)
        q.rewind(0)
        boot_to_shell(q, "linux")
        n = heartbeat(q, "hello", 30)
        run(q, "linux", "cat /sys/block/vda/size", r"131072\r?$")
        first = soak_rounds(q)
        # Linux writes random data straight to its disk, drops its caches and reads it
        # back, while the hostile guest keeps attacking its own device.
        for i in range(ROUNDS):
            cmd = (f"dd if=/dev/urandom of=/tmp/blob bs=1M count=4 2>/dev/null; "
                   f"dd if=/tmp/blob of=/dev/vda bs=1M seek={4 * i} conv=fsync 2>/dev/null; "
                   f"echo 3 > /proc/sys/vm/drop_caches; a=$(md5sum < /tmp/blob); "
                   f"b=$(dd if=/dev/vda bs=1M skip={4 * i} count=4 2>/dev/null | md5sum); "
                   f"[ \"$a\" = \"$b\" ] && echo VERIFY-$((40+2))-{i} || echo VERIFY-$((60+6))-{i}")
            m = run(q, "linux", cmd, rf"VERIFY-(42|66)-{i}\r?$", 90)
            assert m.group(1) == "42", f"Linux read back different data on pass {i}"
        m = run(q, "linux", "echo IOERR-$(dmesg | grep -ci 'i/o error')-$((40+2))",
                r"IOERR-(\d+)-42")
        assert m.group(1) == "0", f"Linux logged {m.group(1)} I/O errors"
        # The attacks went on during the Linux I/O (and go on).
        q.expect(r"^\[vhostile\] vhostile: soak round \d+ done", 60)
        assert soak_rounds(q) > first
        # Early on, the hostile guest rebooted itself in the middle of a batch of requests;
        # its second boot passed all checks again.
        q.expect_seen(r"^\[hyp\] vm vhostile: guest reboot", 10)
        m = q.expect_seen(r"^\[hyp\] vm vhostile: boot #2[\s\S]*?"
                          r"^\[vhostile\] FV-RESULT (PASS|FAIL[^\r\n]*)", 30)
        assert m.group(1) == "PASS", f"hostile guest after its reboot: FV-RESULT {m.group(1)}"
        fails = re.findall(r"^\[vhostile\] FV-CHECK FAIL.*$", q.output, re.M)
        assert not fails, "hostile guest checks failed:\n" + "\n".join(fails[:20])
        # No VM was stopped (the hostile one is reset only by its own request).
        q.assert_absent(r"^\[hyp\] vm \S+: stopped")
        # The witness kept its heartbeat, the hypervisor logged no error and did not panic.
        assert heartbeat(q, "hello", 30) > n
        assert_healthy(q)
