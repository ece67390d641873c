# SPDX-License-Identifier: MIT
"""Debian's arm64 kernel and busybox under Ferrovisor at EL2: it boots SMP (both vCPUs
started through PSCI over HVC) to a shell on its emulated PL011 beside the bare-metal arm64
hello guest, runs commands typed through the console multiplexer, and `poweroff -f` (PSCI
SYSTEM_OFF) stops exactly its VM."""

import arm64_hyp
import fvtest
from hyp import assert_healthy, expect_vm_pass

KERNEL_MATRIX = True
SKIP_REASON = arm64_hyp.skip_reason()


@fvtest.timeout(420)
def test_arm64_linux_boots_smp_to_shell():
    cfg = arm64_hyp.linux_config_path("linux")
    with fvtest.Qemu(arm64_hyp.hyp_cmd(config_file=cfg, mem="1G")) as q:
        q.expect(r"^\[linux\] \[ *[\d.]+\] Booting Linux on physical CPU 0x0", 120)
        q.expect(r"^\[linux\] \[ *[\d.]+\] psci: PSCIv1\.1 detected in firmware", 60)
        q.expect(r"^\[linux\] \[ *[\d.]+\] GICv3: CPU0: found redistributor 0", 60)
        q.expect(r"^\[linux\] \[ *[\d.]+\] arch_timer: cp15 timer(\(s\))? running at [\d.]+MHz "
                 r"\(virt\)", 60)
        q.expect(r"^\[linux\] \[ *[\d.]+\] smp: Brought up 1 node, 2 CPUs", 180)
        expect_vm_pass(q, "hello", 120)
        q.expect(r"^\[linux\] FERROVISOR-INIT: nproc=2 kernel=[\d.]+\S*-arm64", 240)
        q.expect(r"fv-guest:~# ", 120)
        q.send("echo arm64-$((6*7)); uname -m; grep -c ^processor /proc/cpuinfo\r")
        q.expect(r"^\[linux\] arm64-42\r?$", 60)
        q.expect(r"^\[linux\] aarch64\r?$", 30)
        q.expect(r"^\[linux\] 2\r?$", 30)
        # The virtual timer ticks and interrupts flow: the kernel counted both.
        q.send("grep -E 'arch_timer|GICv3' /proc/interrupts | head -n 3\r")
        q.expect(r"^\[linux\] .*\d+\s+\d+\s+GICv3\s+27 Level\s+arch_timer", 60)
        # The tree's idle state (PSCI CPU_SUSPEND core powerdown) is Linux's cpuidle state 1,
        # entered and resumed from while the shell waits (each entry is one CPU_SUSPEND).
        q.send("cat /sys/devices/system/cpu/cpu0/cpuidle/state1/name; sleep 1; "
               "echo pd-$(cat /sys/devices/system/cpu/cpu*/cpuidle/state1/usage | "
               "awk '{ s += $1 } END { print (s > 0) ? \"used\" : \"unused\" }')\r")
        q.expect(r"^\[linux\] cpu-powerdown\r?$", 60)
        q.expect(r"^\[linux\] pd-used\r?$", 60)
        # The PL031 at QEMU arm64 virt's place (the arm64 guest map): Linux's rtc-pl031
        # probes it by its PrimeCell id, reads its counter, and its alarm (2 s ahead)
        # raises SPI 11 (INTID 43), which the kernel counts.
        q.send("cat /sys/class/rtc/rtc0/name; echo 0 > /sys/class/rtc/rtc0/wakealarm; "
               "echo +2 > /sys/class/rtc/rtc0/wakealarm; echo rtc-$(cat "
               "/sys/class/rtc/rtc0/since_epoch | awk '{print ($1 > 0) ? \"ticks\" : \"zero\"}')"
               "; sleep 4; awk '/pl031/ { print \"rtc-irq-\" ($2 + $3 > 0 ? \"yes\" : \"no\") }' "
               "/proc/interrupts\r")
        q.expect(r"^\[linux\] rtc-pl031 9010000\.pl031\r?$", 60)
        q.expect(r"^\[linux\] rtc-ticks\r?$", 30)
        q.expect(r"^\[linux\] rtc-irq-yes\r?$", 60)
        q.send("poweroff -f\r")
        q.expect(r"^\[hyp\] vm linux: guest PSCI SYSTEM_OFF", 120)
        q.expect(r"^\[hyp\] vm linux: stopped", 60)
        q.assert_absent(r"stopped after a fatal guest error")
        assert_healthy(q)


@fvtest.timeout(420)
def test_arm64_linux_virtio_blk_reads_and_writes():
    """A physical virtio-mmio disk (QEMU slot 0) becomes the arm64 VM's /dev/vda: the guest
    reads what the host put on it and its write (flushed) is on the host file afterwards."""
    cfg = arm64_hyp.linux_config_path("disk")
    # One image per kernel suite: the two suites' runs of this test go in parallel.
    disk = fvtest.BUILD_DIR / "test-disks" / f"arm64-vda-{fvtest.kernel_suite()}.img"
    disk.parent.mkdir(parents=True, exist_ok=True)
    disk.unlink(missing_ok=True)
    with open(disk, "wb") as f:
        f.truncate(64 << 20)
        f.write(b"FERRO-ARM64-DISK")
    extra = ["-global", "virtio-mmio.force-legacy=false"] + fvtest.virtio_disk(disk, 0)
    with fvtest.Qemu(arm64_hyp.hyp_cmd(config_file=cfg, extra=extra)) as q:
        q.expect(r"^\[hyp\] vm linux: vda: virtio-blk at 0xa000000 irq 1 on disk slot 0", 60)
        q.expect(r"^\[linux\] \[ *[\d.]+\] virtio_blk virtio0: \[vda\] 131072 512-byte", 240)
        q.expect(r"fv-guest:~# ", 240)
        q.send("head -c 16 /dev/vda; echo\r")
        q.expect(r"^\[linux\] FERRO-ARM64-DISK\r?$", 60)
        q.send("printf WRITTEN-BY-ARM64 | dd of=/dev/vda bs=512 seek=8 conv=fsync 2>/dev/null;"
               " echo dd-rc=$?\r")
        q.expect(r"^\[linux\] dd-rc=0\r?$", 60)
        q.send("poweroff -f\r")
        q.expect(r"^\[hyp\] vm linux: stopped", 120)
        assert_healthy(q)
    with open(disk, "rb") as f:
        f.seek(8 * 512)
        assert f.read(16) == b"WRITTEN-BY-ARM64"
