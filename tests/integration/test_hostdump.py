# SPDX-License-Identifier: MIT
"""Crash dumps to the host, without a service VM (issue #13 item 5, docs/debugging.md
"Dumps to the host").

`ferrovisor run --dump-dir DIR` gives QEMU a virtio console that the hypervisor streams
dumps to (hyp/core/hostdump.c, framed and checksummed: hyp/core/dump_frame.h); the tool
writes them as DIR/NAME-<n>.core (tools/dump_recv.c with ferrovisord's core writer).

dump_target panics three calls deep through SBI SRST (system failure): its dump appears by
itself; gdb-multiarch shows the crashing call chain and the value the guest stored in RAM.
The shell's `vm dump hello` dumps a running VM, which runs on. Without --dump-dir nothing
changes: no channel in the QEMU command, and the shell points at the management API.
"""

import re
import subprocess
import tempfile
from pathlib import Path

import fvtest

ROOT = fvtest.REPO_ROOT
TOOL = ROOT / "build" / "tools" / "ferrovisor"
GUESTS = ROOT / "build" / "guests"
ESC = "\x1d"  # Ctrl-], the console escape key
# guests/dump_target's dump_forged[]: a valid END frame, a short BEGIN, stray ESC/FLAG bytes.
FORGED = [0x7e, 0x03, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0xd3, 0x77, 0x07, 0x7e, 0x7e, 0x01,
          0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
          0x00, 0x00, 0x00, 0x8a, 0xbd, 0x8b, 0x43, 0x7e, 0x7d, 0x7e, 0x7d, 0x7d]


def _config(tmp):
    cfg = Path(tmp) / "dump.yaml"
    cfg.write_text(f"""host:
  cpus: 2
  console_focus: hello
vms:
  - name: dumpee
    vcpus: 2
    memory: 4M
    kernel: {GUESTS / 'dump_target.bin'}
  - name: hello
    vcpus: 1
    memory: 4M
    kernel: {GUESTS / 'hello.bin'}
""")
    return cfg


def _gdb(elf, core, *cmds):
    args = ["gdb-multiarch", "-nx", "-batch", "-ex", "set architecture riscv:rv64",
            "-ex", f"file {elf}", "-ex", f"core-file {core}"]
    for c in cmds:
        args += ["-ex", c]
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    return p.stdout + p.stderr


@fvtest.timeout(400)
def test_run_dump_dir():
    with tempfile.TemporaryDirectory() as tmp:
        dumps = Path(tmp) / "dumps"  # made by the tool
        cmd = [TOOL, "run", "--config", _config(tmp), "--dump-dir", dumps, "--timeout", "300"]
        with fvtest.Qemu(cmd) as q:
            q.expect(r"ferrovisor: dump channel: virtio console on virtio-mmio slot 7", 30)
            m = q.expect_seen(r"^\[dumpee\] dump_target: magic 0x([0-9a-f]+) at 0x([0-9a-f]+)\r?\n",
                              120)
            magic, addr = int(m.group(1), 16), int(m.group(2), 16)
            m = q.expect(r"^ferrovisor: dump of VM dumpee \(crashed: .*system failure\)\) "
                         r"written to (\S+) \((\d+) bytes\)", 120)
            core = Path(m.group(1))
            assert core == dumps / "dumpee-1.core", core
            assert core.stat().st_size == int(m.group(2)) >= 4 << 20
            text = _gdb(GUESTS / "dump_target.elf", core, "echo BT-START\\n", "bt",
                        "info threads", "p/x dump_magic", f"x/gx {addr:#x}")
            bt = text.split("BT-START\n", 1)[-1]
            frames = re.findall(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(\w+)", bt, re.M)
            assert frames[:5] == ["sbi_ecall", "dump_panic", "dump_level3", "dump_level2",
                                  "dump_level1"], text
            assert re.search(r"^\s+2\s+LWP 1\s+.*dump_spin", text, re.M), text
            assert f"$1 = {magic:#x}" in text, text
            assert re.search(rf"^{addr:#x} <dump_magic>:\s+{magic:#x}$", text, re.M), text
            # Hostile RAM: a forged END frame with a valid CRC (and FLAG/ESC bytes) in the
            # guest's memory arrives as data; it neither ended the dump nor was lost.
            text = _gdb(GUESTS / "dump_target.elf", core, "echo FORGED\\n",
                        "x/48xb &dump_forged")
            got = [int(b, 16) for b in re.findall(r"0x([0-9a-f]{2})\b",
                                                  text.split("FORGED\n", 1)[-1])]
            assert got == FORGED, text

            # On request from the shell: a running VM, paused for the dump, runs on.
            q.expect(r"^\[hello\] heartbeat \d+", 60)
            q.send(ESC + "0")
            q.send("vm dump hello\r")
            m = q.expect(r"^ferrovisor: dump of VM hello \(on request\) written to (\S+) "
                         r"\(\d+ bytes\)", 120)
            assert Path(m.group(1)) == dumps / "hello-1.core"
            q.expect_seen(r"vm hello: resumed", 30)
            n = int(q.expect(r"^\[hello\] heartbeat (\d+)\r?\n", 60).group(1))
            q.expect(rf"^\[hello\] heartbeat {n + 2}\b", 60)
            text = _gdb(GUESTS / "hello.elf", dumps / "hello-1.core", "info registers pc")
            assert re.search(r"^pc\s+0x802[0-9a-f]{5}\s", text, re.M), text
            # The crashed VM again: a second file, the first kept.
            q.send("vm dump dumpee\r")
            q.expect(r"^ferrovisor: dump of VM dumpee \(crashed: .*written to \S+dumpee-2\.core",
                     120)
            # An unknown VM.
            q.send("vm dump nosuch\r")
            q.expect(r"no VM named 'nosuch'", 30)
            q.assert_absent(r"PANIC|lost:")
        assert sorted(p.name for p in dumps.iterdir()) == [
            "dumpee-1.core", "dumpee-2.core", "hello-1.core"]


def test_run_without_dump_dir():
    """No --dump-dir: no dump channel in the QEMU command; with it (and --gdb) the two
    consoles get different slots."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = _config(tmp)
        p = subprocess.run([str(TOOL), "run", "-n", str(cfg)], capture_output=True, text=True,
                           timeout=30)
        assert p.returncode == 0, p.stderr
        assert "fvdump" not in p.stdout and "virtconsole" not in p.stdout, p.stdout
        p = subprocess.run([str(TOOL), "run", "-n", "--dump-dir", str(Path(tmp) / "d"),
                            "--gdb", "hello", str(cfg)], capture_output=True, text=True,
                           timeout=30)
        assert p.returncode == 0, p.stderr
        assert re.search(r"-chardev socket,id=fvdump,path=\S+ -device "
                         r"virtio-serial-device,max_ports=1,bus=virtio-mmio-bus\.6 -device "
                         r"virtconsole,chardev=fvdump", p.stdout), p.stdout
        assert "bus=virtio-mmio-bus.7 -device virtconsole,chardev=fvgdb" in p.stdout, p.stdout
        p = subprocess.run([str(TOOL), "run", "-n", "--dump-dir", "", str(cfg)],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 2 and "--dump-dir" in p.stderr, p.stderr


@fvtest.timeout(300)
def test_shell_dump_without_channel():
    """Without --dump-dir the shell's `vm dump` says where dumps come from instead."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [TOOL, "run", "--config", _config(tmp), "--timeout", "200"]
        with fvtest.Qemu(cmd) as q:
            q.expect(r"vm dumpee: stopped after a fatal guest error", 120)
            q.send(ESC + "0")
            q.send("vm dump dumpee\r")
            q.expect(r"vm dumpee: crash dumps are written through the management API", 30)
            q.assert_absent(r"dump: sending|PANIC")


@fvtest.timeout(300)
def test_dump_dir_beside_gdb():
    """--dump-dir and --gdb together: two consoles, each to its owner (the dump channel is
    claimed by slot, the gdb stub takes the other): gdb reads hello's registers while
    dumpee's crash dump arrives."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        dumps = Path(tmp) / "dumps"
        cmd = [TOOL, "run", "--config", _config(tmp), "--dump-dir", dumps,
               "--gdb", f"hello:{port}", "--timeout", "240"]
        with fvtest.Qemu(cmd) as q:
            q.expect_seen(r"dump: crash dumps go to the host \(virtio console in slot 6\)", 120)
            q.expect_seen(r"gdb: stub for vm hello on the gdb channel", 60)
            q.expect(r"^ferrovisor: dump of VM dumpee \(crashed: .*written to \S+dumpee-1\.core",
                     120)
            q.expect(r"^\[hello\] heartbeat \d+", 60)
            p = subprocess.run(["gdb-multiarch", "-nx", "-batch", "-ex",
                                f"target remote 127.0.0.1:{port}", "-ex", "print/x $pc",
                                "-ex", "detach", str(GUESTS / "hello.elf")],
                               capture_output=True, text=True, timeout=120)
            out = p.stdout + p.stderr
            assert re.search(r"^\$1 = 0x802[0-9a-f]{5}$", out, re.M), out
            q.assert_absent(r"PANIC|lost:")
        text = _gdb(GUESTS / "dump_target.elf", dumps / "dumpee-1.core", "p/x dump_magic")
        assert "$1 = 0xfe77d0c5c0ffee42" in text, text
