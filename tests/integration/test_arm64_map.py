# SPDX-License-Identifier: MIT
"""The arm64 guest-physical map (hyp/arch/arm64/guest_map.c, QEMU arm64 virt's): a VM with
every default sees its RAM at 0x40000000, its device tree near the top of it, its PL011 at
0x09000000 and its virtio devices from 0x0a000000 in steps of 0x200; a VM placed on RISC-V's
map (UART at 0x10000000, RAM at 0) is refused with the window and the rule named while the
others boot; a configuration that says it is for riscv64 is refused whole."""

import arm64_hyp
import fvtest
from hyp import expect_vm_pass

SKIP_REASON = arm64_hyp.skip_reason()


@fvtest.timeout(240)
def test_arm64_map_defaults_and_riscv_addresses_refused():
    with fvtest.Qemu(arm64_hyp.hyp_cmd("map")) as q:
        q.expect_seen(r"^\[hyp\] error: vm riscvuart: not created: guest address map: UART at "
                      r"0x10000000 is outside QEMU arm64 virt's device space for it "
                      r"\(0x0-0xfffffff\)", 60)
        q.expect_seen(r"^\[hyp\] error: vm lowram: not created: guest address map: "
                      r"RAM at 0x0 is in QEMU arm64 virt's device space: arm64 guest RAM "
                      r"starts at or above 0x40000000", 60)
        q.expect_seen(r"^\[hyp\] vm good: created: 2 vCPU\(s\), 32 MiB at 0x40000000", 60)
        q.expect_seen(r"^\[hyp\] vm good: hvc0: virtio-console at 0xa000000 irq 1", 60)
        # The guest runs from 0x40200000 and prints through the PL011 at 0x09000000: its
        # lines arrive tagged; x0 is its device tree 64 KiB below the top of its 32 MiB.
        expect_vm_pass(q, "good", 180)
        q.expect_seen(r"^\[good\] hello from an arm64 guest at EL1, device tree at "
                      r"0x0000000041ff0000", 5)
        for vm in ("riscvuart", "lowram"):
            assert f"[{vm}] " not in q.output, f"{vm} ran"


@fvtest.timeout(120)
def test_arm64_refuses_a_riscv64_configuration():
    with fvtest.Qemu(arm64_hyp.hyp_cmd("riscvblob")) as q:
        q.expect(r"^\[hyp\] error: configuration \(boot bundle \(initrd\)\): host: arch: the "
                 r"configuration is for riscv64, this is arm64", 60)
        q.expect(r"boot stopped: invalid configuration", 10)
        assert "[hello] " not in q.output
