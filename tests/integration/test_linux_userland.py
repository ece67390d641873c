# SPDX-License-Identifier: MIT
"""The guest userland layer (guests/linux-userland/): its programs are in /usr/bin of the
Linux test initramfs and run there, natively and (test_linux.py) inside a Ferrovisor VM."""

import re

import fvtest

KERNEL_MATRIX = True
PROMPT = r"fv-guest:~# "


@fvtest.timeout(240)
def test_userland_layer_runs_natively():
    imgs = fvtest.linux_images()
    print(imgs.describe(), flush=True)
    assert "fv-hello" in imgs.userland, f"fv-hello not in the layer: {imgs.userland}"
    with fvtest.Qemu(fvtest.native_linux_cmd()) as q:
        q.expect(r"FERROVISOR-INIT: up", 180)
        q.expect(PROMPT, 60)
        # The program runs, sees its arguments and the kernel the manifest names (up to the
        # newline: a number at the end of the buffer may still be growing).
        q.send("fv-hello 40 0x2\r")
        m = q.expect(r"^fv-hello: ok kernel=(\S+) machine=(\S+) sum=(-?\d+)\r?\n", 60)
        assert m.group(1) == imgs.release, f"kernel {m.group(1)}, manifest {imgs.release}"
        assert m.group(2) == "riscv64" and m.group(3) == "42", m.group(0)
        q.send("fv-hello 1 x; echo rc=$((40+2))-$?\r")
        q.expect(r"^fv-hello: error argument 'x' is not an integer", 30)
        q.expect(r"^rc=42-1\r?\n", 30)
        # /etc/fv-userland lists exactly the layer's programs with their hashes.
        q.send("cat /etc/fv-userland; echo END-$((6*7))\r")
        listing = q.expect(r"^END-42", 30)
        text = q.output[:listing.start()]
        text = text[text.rfind("cat /etc/fv-userland"):]
        got = dict(re.findall(r"^(\S+) ([0-9a-f]{64})\r?$", text, re.M))
        assert got == imgs.userland, f"guest lists {got}, manifest {imgs.userland}"
        q.send("poweroff\r")
        assert q.wait_exit(120) == 0
