# SPDX-License-Identifier: MIT
"""Weight and CPU affinity changed on running VMs (hypervisor shell `vm weight`, `vm affinity`).

Config `sched`: two CPU hogs "sa" and "sb" (guests/spin_count: interrupts masked, one line
"spin_count N" per block of loop iterations, so its line rate is its CPU share), both with
cpu-affinity <0>, share CPU 0; "hello" beats on CPU 1. With equal weights they progress
alike. Weights 100:300 set while both run make sb progress clearly faster than sa, and
swapping them (300:100) reverses the order: the change takes effect on a running VM, and the
order flips with the weights, not with anything else. Then sb's affinity becomes CPU 1:
`vm info sb` shows it on CPU 1, it keeps counting, and now that it no longer shares CPU 0 with
the heavier sa its progress relative to sa rises. Out-of-range values are refused by name.
hello never stops. Assertions compare progress of the two guests over the same window (their
own counters), never against wall-clock thresholds.
"""

import re
import time

import fvtest
from hyp import assert_healthy, heartbeat, hyp_cmd, shell


def last_count(q, vm):
    found = re.findall(rf"^\[{vm}\] spin_count (\d+)\r?\n", q.output, re.M)
    return int(found[-1]) if found else 0


def window(q, lead, blocks, timeout=240):
    """Progress (blocks) of sa and sb while `lead` advances by `blocks` blocks."""
    start = {vm: last_count(q, vm) for vm in ("sa", "sb")}
    deadline = time.monotonic() + timeout
    while last_count(q, lead) < start[lead] + blocks:
        if time.monotonic() > deadline:
            raise q.fail(f"{lead} advanced less than {blocks} blocks in {timeout} s")
        time.sleep(0.5)
    return {vm: last_count(q, vm) - start[vm] for vm in ("sa", "sb")}


def vcpu_line(q, vm):
    m = shell(q, f"vm info {vm}",
              rf"^\[hyp\] vcpu 0: (\w+) on cpu (-?\d+), weight (\d+), affinity 0x([0-9a-f]+)", 20)
    return m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4), 16)


@fvtest.timeout(900)
def test_weight_and_affinity_on_running_vms():
    with fvtest.Qemu(hyp_cmd("sched")) as q:
        q.expect(r"^\[hyp\] console focus: hyp", 60)
        q.expect_seen(r"^\[sa\] spin_count 2\r?\n", 120)
        q.expect_seen(r"^\[sb\] spin_count 2\r?\n", 120)
        heartbeat(q, "hello", 30)
        assert vcpu_line(q, "sa")[1:] == (0, 256, 1)
        assert vcpu_line(q, "sb")[1:] == (0, 256, 1)

        # Equal weights: neither runs away from the other.
        even = window(q, "sb", 16)
        assert even["sa"] >= 8 and even["sb"] >= 8, even

        # 1:3 while both run.
        shell(q, "vm weight sa 100", r"^\[hyp\] vm sa: weight 100\r?\n", 20)
        shell(q, "vm weight sb 300", r"^\[hyp\] vm sb: weight 300\r?\n", 20)
        assert vcpu_line(q, "sb")[2] == 300
        window(q, "sb", 3)  # let a line already on its way go by
        w13 = window(q, "sb", 24)
        assert w13["sb"] >= 2 * w13["sa"], ("weight 1:3 does not favour sb", w13, even)

        # 3:1: the order flips.
        shell(q, "vm weight sa 300", r"^\[hyp\] vm sa: weight 300\r?\n", 20)
        shell(q, "vm weight sb 100", r"^\[hyp\] vm sb: weight 100\r?\n", 20)
        window(q, "sa", 3)
        w31 = window(q, "sa", 24)
        assert w31["sa"] >= 2 * w31["sb"], ("weight 3:1 does not favour sa", w31, w13)

        # Bad values are refused and change nothing.
        shell(q, "vm weight sb 0", r"^\[hyp\] vm sb: bad weight '0' \(1\.\.65535\)", 20)
        shell(q, "vm weight sb 65536", r"^\[hyp\] vm sb: bad weight '65536'", 20)
        shell(q, "vm affinity sb 5", r"^\[hyp\] vm sb: bad affinity '5'", 20)
        shell(q, "vm affinity sb 0,x", r"^\[hyp\] vm sb: bad affinity '0,x'", 20)
        shell(q, "vm weight nope 5", r"^\[hyp\] vm: no VM named 'nope'", 20)
        assert vcpu_line(q, "sb")[1:] == (0, 100, 1)

        # Affinity CPU 1 while it runs: it moves there and keeps counting.
        shell(q, "vm affinity sb 1", r"^\[hyp\] vm sb: affinity 1\r?\n", 20)
        deadline = time.monotonic() + 60
        while (info := vcpu_line(q, "sb"))[1] != 1:
            assert time.monotonic() < deadline, ("sb never moved to CPU 1", info)
            time.sleep(1)
        assert info[3] == 2, info
        assert vcpu_line(q, "sa")[1] == 0
        window(q, "sb", 3)
        moved = window(q, "sb", 24)
        # Before, sb had a quarter of CPU 0 beside sa; now a CPU of its own (hello idles).
        assert moved["sb"] * w31["sa"] > 2 * w31["sb"] * moved["sa"], (
            "sb did not speed up relative to sa after moving to CPU 1", moved, w31)
        m = shell(q, "cpus", r"^\[hyp\] cpu 1 \(hart \d+\): (\S+), queued", 20)
        shell(q, "vm affinity sb 0,1", r"^\[hyp\] vm sb: affinity 0,1\r?\n", 20)
        assert vcpu_line(q, "sb")[3] == 3

        n = heartbeat(q, "hello", 30)
        assert heartbeat(q, "hello", 30) > n
        assert_healthy(q)
        del m
