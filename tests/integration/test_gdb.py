# SPDX-License-Identifier: MIT
"""The guest debugger: gdb-multiarch against the gdb stub of one VM (docs/debugging.md).

configs/gdb.dts runs three VMs: `dbg` (gdb_target, 2 vCPUs) gets the gdb channel, `peer`
(gdb_target, 1 vCPU) executes its own ebreak in a loop without a debugger, and `dbtr` runs
sbi_test, whose DBTR checks install debug triggers and expect their breakpoint exceptions,
while `dbg` is being debugged. QEMU gets the gdb channel as `ferrovisor run --gdb` adds it
(a virtio console on the last virtio-mmio slot, its chardev a TCP server on 127.0.0.1).
"""

import re
import shutil
import socket
import subprocess
import time

import fvapi
import fvtest
from hyp import assert_healthy, expect_vm_pass, hyp_cmd

ELF = fvtest.BUILD_DIR / "guests" / "gdb_target.elf"


def gdb_channel(port):
    return ["-chardev", f"socket,id=fvgdb,host=127.0.0.1,port={port},server=on,wait=off",
            "-device", "virtio-serial-device,max_ports=1,bus=virtio-mmio-bus.7",
            "-device", "virtconsole,chardev=fvgdb,nr=0"]


def gdb_args(port, commands, elf=ELF):
    """The gdb-multiarch batch command line: connect, then commands (a script file for
    multi-line ones is passed as "-x FILE")."""
    gdb = shutil.which("gdb-multiarch")
    if not gdb:
        raise fvtest.TestFailure("gdb-multiarch missing: scripts/install-deps.sh installs it")
    script = ["set pagination off", "set confirm off", "set remotetimeout 60",
              f"target remote 127.0.0.1:{port}"] + commands
    args = [gdb, "-q", "-nx", "-batch"]
    for c in script:
        args += c.split(" ", 1) if c.startswith("-x ") else ["-ex", c]
    if elf:
        args.append(str(elf))
    return args


def run_gdb(port, commands, timeout=240, elf=ELF):
    """gdb-multiarch in batch mode on elf (None: no symbol file); returns its whole output."""
    args = gdb_args(port, commands, elf)
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    out = p.stdout + p.stderr
    log = fvtest.LOG_DIR / f"{fvtest.log_safe(fvtest.current_test_name())}.gdb.log"
    log.write_text(" ".join(args) + "\n" + out)
    return out


def rsp_packet(payload):
    return b"$" + payload + b"#" + b"%02x" % (sum(payload) & 0xff)


def rsp_read_packet(sock, timeout=30.0):
    """The next `$...#cs` packet from the stub (acks skipped); its payload."""
    sock.settimeout(timeout)
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(rb"\$([^#]*)#[0-9a-f]{2}", buf)
        if m:
            return m.group(1)
        chunk = sock.recv(4096)
        if not chunk:
            break
        buf += chunk
    raise fvtest.TestFailure(f"no packet from the stub (got {buf[:200]!r})")


def drain(sock):
    """Drop whatever the stub answered so far (its replies to garbage)."""
    sock.settimeout(1.0)
    try:
        while sock.recv(65536):
            pass
    except socket.timeout:
        pass


def ticks(q, vm):
    return [int(n) for n in re.findall(rf"^\[{vm}\] gdb_target: tick (\d+)", q.output, re.M)]


@fvtest.timeout(600)
def test_gdb_session():
    port = fvapi.free_port()
    with fvtest.Qemu(hyp_cmd("gdb", extra=gdb_channel(port))) as q:
        q.expect(r"^\[hyp\] gdb: stub for vm dbg on the gdb channel", 60)
        q.expect(r"^\[dbg\] gdb_target: tick 1 ", 120)
        out = run_gdb(port, [
            "info threads",
            "break gdb_break_here",
            "continue",
            "info registers",
            "bt",
            "print/x $pc",
            "stepi",
            "print/x $pc",
            "delete 1",
            "print gdb_watched",
            "print gdb_second_count",
            # A stage-2 watchpoint: its page traps writes; vCPU 1 keeps writing
            # gdb_second_count on the same page, which must go on silently.
            "watch gdb_watched",
            "continue",
            # The first hit may come at once (the guest's clock did not move while it was
            # halted, its 100 ms write may be due); the second is a guest 100 ms later,
            # long enough for vCPU 1 to be seen writing.
            "continue",
            "print gdb_second_count",
            "rwatch gdb_flag",
            "continue",
            "delete",
            "info registers sstatus stvec satp",
            "monitor gpa 0x80200000 10",
            "shell sleep 4",
            "set var gdb_flag = 7",
            "detach",
        ])
        # Both vCPUs are threads.
        assert re.search(r"^\*?\s+1\s+Thread 1 \(vCPU 0", out, re.M), out
        assert re.search(r"^\s+2\s+Thread 2 \(vCPU 1", out, re.M), out
        # The breakpoint stops the VM in the function, with a backtrace through the caller.
        assert re.search(r"Breakpoint 1, (0x[0-9a-f]+ in )?gdb_break_here", out), out
        assert re.search(r"^pc\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <gdb_break_here", out, re.M), out
        assert re.search(r"^sp\s+0x8", out, re.M), out
        assert re.search(r"^#1\s+0x[0-9a-f]+ in guest_main", out, re.M), out
        # stepi moves the pc by one instruction (2 or 4 bytes).
        pcs = [int(x, 16) for x in re.findall(r"^\$\d+ = (0x[0-9a-f]+)$", out, re.M)]
        assert len(pcs) >= 2 and pcs[1] - pcs[0] in (2, 4), out
        # The watchpoint catches the write with the right old and new values.
        assert "Hardware watchpoint 2: gdb_watched" in out, out
        m = re.search(r"Old value = (\d+)\s+New value = (\d+)", out)
        assert m, out
        assert int(m.group(2)) == int(m.group(1)) + 2, out
        # Writes to other bytes of the watched page were emulated, not reported.
        counts = [int(x) for x in re.findall(r"^\$\d+ = (\d+)$", out, re.M)]
        assert len(counts) >= 3 and counts[2] > counts[1], out
        # A read watchpoint stops at the load, with the value read.
        assert re.search(r"Hardware read watchpoint 3: gdb_flag\s+Value = 0", out), out
        assert re.search(r"^sstatus\s+0x[0-9a-f]+", out, re.M), out
        assert re.search(r"^0000000080200000:( [0-9a-f]{2}){16}", out, re.M), out
        assert "detached" in out, out
        # The guest acts on the memory gdb wrote, and its clock did not jump over the
        # 4 s halt (the longest gap between two loop rounds stays well below it).
        m = q.expect(r"^\[dbg\] gdb_target: flag=7 maxgap_ms=(\d+)\r?\n", 60)
        assert int(m.group(1)) < 2000, f"guest clock jumped {m.group(1)} ms over the halt"
        # Detached: it runs on.
        n = max(ticks(q, "dbg"))
        q.expect(rf"^\[dbg\] gdb_target: tick {n + 2} ", 60)
        # The debugger-less VMs were unaffected: peer's own ebreaks keep working, dbtr's
        # DBTR checks pass, and the debugged VM's own ebreaks were reflected to it.
        expect_vm_pass(q, "dbtr", 400)
        q.assert_absent(r"own ebreak NOT delivered")
        q.assert_absent(r"FV-CHECK FAIL")
        assert max(ticks(q, "peer")) >= 3
        assert_healthy(q)


@fvtest.timeout(400)
def test_gdb_interrupt_and_garbage():
    port = fvapi.free_port()
    with fvtest.Qemu(hyp_cmd("gdb", extra=gdb_channel(port))) as q:
        q.expect(r"^\[dbg\] gdb_target: tick 1 ", 120)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            # Garbage: bad checksums, an over-long packet, stray bytes, a NUL in a packet.
            s.sendall(b"$g#00" + b"\xff\x00junk" + b"$" + b"A" * 9000 + b"#00" +
                      rsp_packet(b"m\x00,4") + b"}}}*#")
            time.sleep(1)
            q.assert_absent(r"PANIC")
            drain(s)
            # A well-formed session still works after it.
            s.sendall(b"+" + rsp_packet(b"?"))
            stop = rsp_read_packet(s)
            assert re.match(rb"T[0-9a-f]{2}thread:[12];", stop), stop
            s.sendall(b"+" + rsp_packet(b"c"))
            time.sleep(2)
            n = max(ticks(q, "dbg"))
            # Ctrl-C halts the whole VM: SIGINT stop reply, and no more ticks.
            s.sendall(b"\x03")
            stop = rsp_read_packet(s)
            assert re.match(rb"T02thread:[12];", stop), stop
            halted_at = max(ticks(q, "dbg"))
            time.sleep(3)
            assert max(ticks(q, "dbg")) <= halted_at + 1, "the VM ran on after Ctrl-C"
            # Memory by a virtual address nothing maps (Bare: outside RAM) is an error reply.
            s.sendall(b"+" + rsp_packet(b"m10,4"))
            assert rsp_read_packet(s) == b"E14"
            s.sendall(b"+" + rsp_packet(b"D"))
            assert rsp_read_packet(s) == b"OK"
        q.expect(rf"^\[dbg\] gdb_target: tick {n + 3} ", 60)
        q.assert_absent(r"own ebreak NOT delivered")
        assert_healthy(q)


TOOL = fvtest.REPO_ROOT / "build" / "tools" / "ferrovisor"
BAREMETAL = fvtest.REPO_ROOT / "examples" / "baremetal.yaml"


def test_run_gdb_option():
    """`ferrovisor run --gdb NAME[:PORT]`: the QEMU command gets the gdb channel on loopback
    only; a VM the configuration does not have, or a bad port, is refused."""
    p = subprocess.run([str(TOOL), "run", "-n", "--gdb", "smp-vm:4321", str(BAREMETAL)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert "socket,id=fvgdb,host=127.0.0.1,port=4321,server=on,wait=off" in p.stdout, p.stdout
    assert re.search(r"virtio-serial-device,max_ports=1,bus=virtio-mmio-bus\.7", p.stdout)
    assert "virtconsole,chardev=fvgdb" in p.stdout
    assert " -S " not in p.stdout + " " and " -s " not in p.stdout + " "
    p = subprocess.run([str(TOOL), "run", "-n", "--gdb", "nosuch", str(BAREMETAL)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "no VM named \"nosuch\"" in p.stderr, p.stderr
    p = subprocess.run([str(TOOL), "run", "-n", "--gdb", "smp-vm:80", str(BAREMETAL)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "not a TCP port" in p.stderr, p.stderr
    # The hypervisor's own debugging moved to --hyp-gdb.
    p = subprocess.run([str(TOOL), "run", "-n", "--hyp-gdb", str(BAREMETAL)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and re.search(r" -S -s( |$)", p.stdout), p.stdout


@fvtest.timeout(300)
def test_run_gdb_end_to_end():
    """Through the tool: `run --gdb hello-vm:PORT` prints where to connect; gdb-multiarch
    attaches to the hello guest, reads its registers and memory, detaches, and the guest's
    heartbeat goes on."""
    port = fvapi.free_port()
    cmd = [TOOL, "run", "--config", BAREMETAL, "--gdb", f"hello-vm:{port}", "--timeout", "240"]
    with fvtest.Qemu(cmd) as q:
        q.expect(rf"gdb: target remote 127\.0\.0\.1:{port} \(VM hello-vm\)", 30)
        q.expect(r"^\[hello-vm\] heartbeat 2", 120)
        out = run_gdb(port, ["info threads", "print/x $pc", "x/2wx $pc", "detach"],
                      elf=fvtest.BUILD_DIR / "guests" / "hello.elf")
        assert re.search(r"^\*\s+1\s+Thread 1 \(vCPU 0", out, re.M), out
        assert re.search(r"^\$1 = 0x802[0-9a-f]{5}$", out, re.M), out
        assert re.search(r"^0x802[0-9a-f]{5}.*:\s+0x[0-9a-f]{8}\s+0x[0-9a-f]{8}", out, re.M), out
        assert "detached" in out, out
        n = int(q.expect(r"^\[hello-vm\] heartbeat (\d+)\r?\n", 60).group(1))
        q.expect(rf"^\[hello-vm\] heartbeat {n + 2}\r?\n", 60)
        q.assert_absent(r"PANIC")


@fvtest.timeout(300)
def test_gdb_halt_keeps_clock_without_sstc():
    """Without Sstc (emulated guest timer) a 4 s halt does not show as a jump of the
    guest's clock either, and the VM's own ebreaks still reach it while attached."""
    port = fvapi.free_port()
    with fvtest.Qemu(hyp_cmd("gdb", cpu="rv64,sstc=false", extra=gdb_channel(port))) as q:
        q.expect(r"^\[dbg\] gdb_target: tick 1 ", 120)
        out = run_gdb(port, ["shell sleep 4", "set var gdb_flag = 9", "detach"])
        assert "detached" in out, out
        m = q.expect(r"^\[dbg\] gdb_target: flag=9 maxgap_ms=(\d+)\r?\n", 60)
        assert int(m.group(1)) < 2000, f"guest clock jumped {m.group(1)} ms over the halt"
        n = max(ticks(q, "dbg"))
        q.expect(rf"^\[dbg\] gdb_target: tick {n + 2} ", 60)
        q.assert_absent(r"own ebreak NOT delivered")
        assert_healthy(q)
