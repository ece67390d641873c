# SPDX-License-Identifier: MIT
"""Driving the busybox shell of the Debian Linux guests (initramfs from
scripts/fetch-guest-images.sh) over Ferrovisor's tagged console."""

import os

import fvtest

PROMPT = r"fv-guest:~# "
DISKS = fvtest.BUILD_DIR / "test-disks"


def boot_to_shell(q, vm, timeout=300):
    """Wait for the guest's /init and then its shell prompt (the VM must have focus)."""
    q.expect(rf"^\[{vm}\] FERROVISOR-INIT: up", timeout)
    q.expect(rf"^\[{vm}\] .*{PROMPT}", 60)


def run(q, vm, cmd, pattern, timeout=120):
    """Type a command into the focused Linux VM and wait for `pattern` at a line start of its
    output. Markers are computed by the shell ($((...))) so the echoed command never matches."""
    q.send(cmd + "\r")
    return q.expect(rf"^\[{vm}\] {pattern}", timeout)


def fresh_disk(name):
    """Path of a disk image under build/test-disks that does not exist yet (removed if it did):
    fvtest.virtio_disk() creates it sparse. A kernel-matrix test gets one per suite
    (<name>-<suite>.img), since its [stable] and [unstable] runs may overlap."""
    suite = os.environ.get("FV_KERNEL_SUITE")
    path = DISKS / (f"{name}-{suite}.img" if suite else f"{name}.img")
    if path.exists():
        path.unlink()
    return path
