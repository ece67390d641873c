# SPDX-License-Identifier: MIT
"""The `ferrovisor` command (tools/): run, build, validate, ls, console, help.

`run` is driven non-interactively (stdin is a pipe) and must boot the hypervisor with the
bundle it built: the guests of examples/baremetal.yaml come up under their own tags. The
other tests check exit codes (0 ok, 1 configuration error, 2 usage error, QEMU's code for
`run`, 124 after --timeout, 127 without QEMU), that nothing starts when the configuration
is wrong, the QEMU devices for storage and switch uplinks, the network `validate` shows, and
that a bundle written by `build` boots under a plain QEMU command line.
"""

import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import fvapi
import fvtest
from fvtest import Qemu

ROOT = fvtest.REPO_ROOT
TOOL = ROOT / "build" / "tools" / "ferrovisor"
HYP = ROOT / "build" / "riscv64" / "ferrovisor.bin"
BAREMETAL = ROOT / "examples" / "baremetal.yaml"
IMAGE_CACHE = Path(os.environ.get("FERROVISOR_CACHE",
                                  Path.home() / ".cache" / "ferrovisor")) / "images" / "riscv64"

TIMEOUT = 240


def _need_tool():
    if not TOOL.is_file():
        raise fvtest.TestFailure(f"{TOOL} missing: run `make tools` first")
    if not HYP.is_file():
        raise fvtest.TestFailure(f"{HYP} missing: run `make hyp` first")
    fvtest.guest_image("hello")
    fvtest.guest_image("smp_test")


def _tool(*args, timeout=60, env=None, stdin=subprocess.DEVNULL):
    """Run the tool; returns (exit code, stdout, stderr)."""
    _need_tool()
    p = subprocess.run([str(TOOL), *map(str, args)], cwd=str(ROOT), env=env, stdin=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def _wait_for_all(vm, patterns, timeout):
    """Wait until every regex in patterns occurs somewhere in the console output."""
    deadline = time.monotonic() + timeout
    while True:
        missing = [p for p in patterns if not re.search(p, vm.output, re.M)]
        if not missing:
            return
        if not vm.running():
            raise vm._fail(f"`ferrovisor run` exited (code {vm.returncode}) before "
                           f"/{missing[0]}/ appeared")
        if time.monotonic() > deadline:
            raise vm._fail(f"timeout after {timeout}s waiting for /{missing[0]}/")
        time.sleep(0.2)


def _write(path, text):
    Path(path).write_text(text)
    return path


def _fake_qemu(tmp, exit_code):
    """A stand-in for QEMU that records its arguments and exits with exit_code."""
    script = Path(tmp) / "fake-qemu"
    script.write_text("#!/bin/sh\n"
                      f"printf '%s\\n' \"$@\" > '{tmp}/qemu-args'\n"
                      "for a in \"$@\"; do case \"$prev\" in -initrd) "
                      f"head -c 4 \"$a\" | od -An -tx1 > '{tmp}/bundle-magic';; esac; "
                      "prev=\"$a\"; done\n"
                      f"exit {exit_code}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@fvtest.timeout(180)
def test_run_baremetal_example():
    """`ferrovisor run --config examples/baremetal.yaml`: both guests come up."""
    _need_tool()
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "baremetal.fvb"
        cmd = [TOOL, "run", "--config", BAREMETAL, "--timeout", "150", "--bundle", bundle]
        with Qemu(cmd) as vm:
            vm.expect(r"^ferrovisor: booting 2 VMs \(hello-vm, smp-vm\) on 2 CPUs", timeout=30)
            vm.expect(r"^\[hyp\] configuration: boot bundle \(initrd\), 2 VM\(s\)", timeout=60)
            _wait_for_all(vm, [r"^\[hello-vm\] hello from hart \d+\r?$",
                               # The guest prints its timer count: a loaded host may
                               # make it skip a number, so any count from 3 on.
                               r"^\[hello-vm\] heartbeat ([3-9]|\d\d+)\r?$",
                               r"^\[smp-vm\] FV-RESULT PASS\r?$"], timeout=120)
            vm.assert_absent(r"FV-CHECK FAIL|FV-RESULT FAIL|panic")
            assert bundle.is_file(), "--bundle file not kept"
            vm.kill()
        # The tool died by SIGKILL: its QEMU must not outlive it (PR_SET_PDEATHSIG).
        deadline = time.monotonic() + 10
        while subprocess.run(["pgrep", "-f", str(bundle)],
                             stdout=subprocess.DEVNULL).returncode == 0:
            if time.monotonic() > deadline:
                raise fvtest.TestFailure("QEMU still running after the tool was killed")
            time.sleep(0.2)


@fvtest.timeout(120)
def test_run_timeout_exit_code():
    """--timeout stops QEMU and `run` exits with 124, console output intact."""
    start = time.monotonic()
    rc, out, err = _tool("run", "--config", BAREMETAL, "--timeout", "8", timeout=90)
    assert rc == 124, f"exit code {rc}, expected 124\n{err}"
    assert time.monotonic() - start < 60
    assert "[hyp] configuration: boot bundle (initrd), 2 VM(s)" in out, out[-2000:]
    assert "ferrovisor: timeout after 8 s" in err, err


def test_run_exit_code_is_qemus():
    """`run` passes QEMU its machine, options and bundle, and returns QEMU's exit code."""
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as tmpdir:
        fake = _fake_qemu(tmp, 7)
        rc, out, err = _tool("run", "-c", BAREMETAL, "--qemu", fake, "--smp", "3", "--mem",
                             "1G", "--qemu-arg", "-d", "--qemu-arg", "guest_errors",
                             "--hypervisor", HYP, env=dict(os.environ, TMPDIR=tmpdir))
        assert rc == 7, f"exit code {rc}, expected 7\n{err}"
        args = (Path(tmp) / "qemu-args").read_text().splitlines()
        assert args[:6] == ["-M", "virt", "-cpu", "rv64", "-smp", "3"], args
        assert args[args.index("-m") + 1] == "1G", args
        assert args[args.index("-kernel") + 1] == str(HYP), args
        assert args[-2:] == ["-d", "guest_errors"], args
        # QEMU could read the bundle (an FDT) through an inherited descriptor of a file
        # that was already unlinked: nothing is left behind, even if the tool is killed.
        assert args[args.index("-initrd") + 1].startswith("/proc/self/fd/"), args
        assert (Path(tmp) / "bundle-magic").read_text().split() == ["d0", "0d", "fe", "ed"]
        assert os.listdir(tmpdir) == [], os.listdir(tmpdir)
    # QEMU's 1 (e.g. host memory it cannot allocate) is a runtime failure, not "configuration
    # error" (issue 17 item 9): 3.
    with tempfile.TemporaryDirectory() as tmp:
        fake = _fake_qemu(tmp, 1)
        rc, _, err = _tool("run", "-c", BAREMETAL, "--qemu", fake, "--hypervisor", HYP)
        assert rc == 3 and "QEMU failed (exit code 1)" in err, (rc, err)


def test_run_without_qemu():
    rc, _, err = _tool("run", "-c", BAREMETAL, "--qemu", "/nonexistent/qemu-system-riscv64")
    assert rc == 127, f"exit code {rc}\n{err}"
    assert "cannot run /nonexistent/qemu-system-riscv64: No such file or directory" in err, err


def test_nothing_started_on_error():
    """A configuration error stops `run` before QEMU: exit 1, QEMU never called."""
    with tempfile.TemporaryDirectory() as tmp:
        fake = _fake_qemu(tmp, 0)
        cfg = _write(Path(tmp) / "two-on-one-disk.yaml",
                     "vms:\n"
                     f"  - name: a\n    kernel: {fvtest.guest_image('hello')}\n"
                     "    storage: [{image: disk.img}]\n"
                     f"  - name: b\n    kernel: {fvtest.guest_image('hello')}\n"
                     "    storage: [{image: disk.img}]\n")
        _write(Path(tmp) / "disk.img", "x" * 4096)
        rc, out, err = _tool("run", "-c", cfg, "--qemu", fake)
        assert rc == 1, f"exit code {rc}\n{err}"
        assert err.strip() == (f"{cfg}:7:23: storage[0].image: {tmp}/disk.img is already the "
                               "disk of VM \"a\" (line 4); a disk image belongs to one VM"), err
        assert out == ""
        assert not (Path(tmp) / "qemu-args").exists(), "QEMU was started"


def test_validate_exit_codes():
    rc, out, err = _tool("validate", "--config", BAREMETAL)
    assert rc == 0, err
    assert out.startswith(f"# {BAREMETAL}: valid, 2 VMs\n"), out
    assert 'console_focus: "hello-vm"' in out and "pin: [0, 1]" in out, out
    with tempfile.TemporaryDirectory() as tmp:
        # The example error, named as the user named the file.
        _write(Path(tmp) / "vm-config.yaml",
               '# vm-config.yaml\nname: "my-first-vm"\nvcpus: 2\nmemory: "1Q"\n'
               'kernel: "path/to/vmlinux"\n')
        p = subprocess.run([str(TOOL), "validate", "--config", "vm-config.yaml"], cwd=tmp,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        assert p.returncode == 1, p
        assert p.stderr.decode() == \
            'vm-config.yaml:4:9: memory: "1Q" is not a size (e.g. 512M, 1G)\n', p.stderr
        assert p.stdout == b""
        rc, out, err = _tool("validate", "-q", Path(tmp) / "vm-config.yaml")
        assert rc == 1 and "is not a size" in err and out == ""
        rc, _, err = _tool("validate", Path(tmp) / "missing.yaml")
        assert rc == 1, err
        assert err == f"{tmp}/missing.yaml: config: cannot open: No such file or directory\n"
    for args in (["validate"], ["validate", "--bogus"], ["validate", "-c"],
                 ["validate", BAREMETAL, "extra"],
                 ["run", "-c", BAREMETAL, "--smp", "0"], ["run", "-c", BAREMETAL, "--mem", "1Q"],
                 ["build", "-c", BAREMETAL, "--timeout", "3"], ["frobnicate"], []):
        rc, out, err = _tool(*args)
        assert rc == 2, f"{args}: exit code {rc}\n{err}"
        assert err and out == "", (args, out, err)


def test_help_and_version():
    rc, out, _ = _tool("--help")
    assert rc == 0 and "Commands:" in out
    for cmd in ("validate", "build", "run", "ls", "console", "help"):
        rc, out, err = _tool(cmd, "--help") if cmd != "help" else _tool("help", "run")
        assert rc == 0, (cmd, err)
        want = cmd if cmd != "help" else "run"
        assert out.startswith(f"Usage: ferrovisor {want}"), (cmd, out)
    rc, out, _ = _tool("--version")
    assert rc == 0 and re.match(r"ferrovisor \S+ ", out), out


def test_ls_and_console():
    rc, out, err = _tool("ls", "--config", BAREMETAL)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["#", "NAME", "VCPUS"], out
    assert lines[1].split()[:5] == ["1", "hello-vm", "1", "64M", "256"], out
    assert lines[2].split()[:6] == ["2", "smp-vm", "2", "64M", "512", "0,1"], out
    rc, out, err = _tool("console", "--config", BAREMETAL)
    assert rc == 0, err
    assert "Ctrl-] 1          hello-vm  (focus at boot)" in out, out
    assert "Ctrl-] 2          smp-vm" in out, out
    rc, out, _ = _tool("console")
    assert rc == 0 and "Ctrl-A x" in out
    # The hypervisor's console keys are Ctrl-] ones (issue 17 item 9).
    rc, out, _ = _tool("ls", "--help")
    assert rc == 0 and "Ctrl-] 1 is the first VM" in out and "Ctrl-A 1" not in out, out
    text = BAREMETAL.read_text()
    assert "Ctrl-] n" in text and "Ctrl-A n" not in text


@fvtest.timeout(120)
def test_build_bundle_boots_on_plain_qemu():
    """`build -o` writes a bundle that boots with the documented QEMU command line."""
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "b.fvb"
        rc, _, err = _tool("build", "--config", BAREMETAL, "-o", bundle)
        assert rc == 0, err
        assert f"wrote {bundle} (" in err, err
        assert bundle.read_bytes()[:4] == b"\xd0\x0d\xfe\xed"
        cmd = fvtest.qemu_riscv_cmd(HYP, smp=2, mem="512M", extra=["-initrd", bundle])
        with Qemu(cmd) as vm:
            vm.expect(r"^\[hyp\] configuration: boot bundle \(initrd\), 2 VM\(s\)", timeout=60)
            _wait_for_all(vm, [r"^\[smp-vm\] FV-RESULT PASS\r?$",
                               r"^\[hello-vm\] heartbeat 1\r?$"], timeout=90)


@fvtest.timeout(150)
def test_run_with_storage_and_network():
    """Disks become virtio-blk drives; interfaces are ports of the hypervisor's switches and
    only each switch's uplink is a QEMU virtio-net device (a tap that cannot be used falls back
    to nothing, or with --uplink-fallback unix to a Unix socket in a private directory; user-mode
    with 127.0.0.1 port forwards); QEMU accepts the devices and the VM still boots; SIGTERM
    ends `run` with 143 and removes the socket directory."""
    if shutil.which("qemu-img") is None:
        raise fvtest.Skip("qemu-img not installed")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", f"{tmp}/a.qcow2", "16M"],
                       check=True)
        _write(Path(tmp) / "b.img", "\0" * 65536)
        cfg = _write(Path(tmp) / "dev.yaml",
                     "host:\n  switches:\n    - name: web\n      uplink:\n        user:\n"
                     "          hostfwd: [\"tcp:127.0.0.1:0x1-:80\"]\n"
                     f"name: dev\nkernel: {fvtest.guest_image('hello')}\nmemory: 32M\n"
                     "virtio_console: true\n"
                     "storage:\n  - image: a.qcow2\n  - image: b.img\n    readonly: true\n"
                     "  - image: c.qcow2\n    size: 8M\n"
                     "network:\n  - type: virtio\n    tap: fv-no-such-tap\n"
                     "  - {switch: wan, port: 0x7777}\n  - {switch: web}\n  - {switch: web}\n")
        rc, _, err = _tool("validate", "-c", cfg)
        assert rc == 1, err
        assert err == (f"{cfg}:6:21: host.switches[0].uplink.user.hostfwd[0]: "
                       "\"tcp:127.0.0.1:0x1-:80\" is not a port forward "
                       "(tcp|udp:127.0.0.1:HOSTPORT-[GUESTADDR]:GUESTPORT)\n"), err
        port = fvapi.free_port()
        Path(cfg).write_text(Path(cfg).read_text().replace("0x1-:80", f"{port}-:80"))
        rc, out, err = _tool("run", "-n", "-c", cfg)
        assert rc == 0, err
        cmdline = out.strip()
        assert "-global virtio-mmio.force-legacy=false" in cmdline, cmdline
        assert (f"-drive file={tmp}/a.qcow2,if=none,format=qcow2,id=fvblk0 -device "
                "virtio-blk-device,drive=fvblk0,bus=virtio-mmio-bus.0") in cmdline, cmdline
        assert f"file={tmp}/b.img,if=none,format=raw,id=fvblk1,readonly=on" in cmdline, cmdline
        # lan0's tap is unusable: without --uplink-fallback lan0 has no uplink (issue 17
        # item 7: never an unauthenticated 127.0.0.1 port); wan on 4, web on 5.
        assert "fvnet3" not in cmdline, cmdline
        assert ("-netdev socket,id=fvnet4,listen=127.0.0.1:30583 -device virtio-net-device,"
                "netdev=fvnet4,mac=02:46:56:01:00:02,bus=virtio-mmio-bus.4") in cmdline, cmdline
        assert (f"-netdev user,id=fvnet5,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:80 "
                "-device virtio-net-device,netdev=fvnet5,mac=02:46:56:01:00:00,"
                "bus=virtio-mmio-bus.5") in cmdline, cmdline
        assert cmdline.count("virtio-net-device") == 2, cmdline
        assert ("WARNING: switch lan0 uplink: tap fv-no-such-tap not usable (" in err
                and "runs WITHOUT an uplink" in err), err
        assert not (Path(tmp) / "c.qcow2").exists(), "dry run created a disk"
        # Allowed fallback: a Unix socket in a private directory, still no TCP port for lan0.
        rc, out, err = _tool("run", "-n", "-c", cfg, "--uplink-fallback", "unix",
                             env=dict(os.environ, TMPDIR=tmp, XDG_RUNTIME_DIR=""))
        assert rc == 0, err
        cmdline = out.strip()
        assert (f"-netdev stream,id=fvnet3,server=on,addr.type=unix,"
                f"addr.path={tmp}/ferrovisor-net-XXXXXX/lan0.sock -device virtio-net-device,"
                "netdev=fvnet3,mac=02:46:56:01:00:01,bus=virtio-mmio-bus.3") in cmdline, cmdline
        assert cmdline.count("virtio-net-device") == 3, cmdline
        listens = re.findall(r"listen=([^:,]+):", cmdline)
        assert listens == ["127.0.0.1"], listens  # only wan's explicit socket: true
        assert not list(Path(tmp).glob("ferrovisor-net-*")), "dry run made a directory"
        rc, _, err = _tool("run", "-n", "-c", cfg, "--uplink-fallback", "tcp")
        assert rc == 2 and '"tcp" is not none or unix' in err, err

        env = dict(os.environ, TMPDIR=tmp, XDG_RUNTIME_DIR="")
        with Qemu([TOOL, "run", "-c", cfg, "--timeout", "120", "--uplink-fallback", "unix"],
                  env=env) as vm:
            vm.expect(r"creating .*/c\.qcow2 \(qcow2, 8M\)", timeout=30)
            m = vm.expect(r"switch lan0 uplink: tap fv-no-such-tap not usable \([^)]*\); "
                          r"falling back \(--uplink-fallback unix\) to the Unix socket "
                          r"(\S+/lan0\.sock) in a directory only you can enter", timeout=30)
            sock = Path(m.group(1))
            vm.expect(r"^\[dev\] heartbeat 1\r?$", timeout=90)
            vm.assert_absent(r"panic|error: configuration")
            st = os.stat(sock.parent)
            assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == os.getuid(), oct(st.st_mode)
            assert stat.S_ISSOCK(os.stat(sock).st_mode), sock
            if os.getuid() == 0:
                # Another user cannot reach the socket: the directory keeps it out.
                pid = os.fork()
                if pid == 0:
                    code = 1
                    try:
                        os.setgid(65534)
                        os.setuid(65534)
                        with socket.socket(socket.AF_UNIX) as s:
                            s.connect(str(sock))
                    except PermissionError:
                        code = 0
                    except BaseException:
                        code = 2
                    os._exit(code)
                _, status = os.waitpid(pid, 0)
                assert os.waitstatus_to_exitcode(status) == 0, \
                    "another user could connect to the fallback socket"
            # SIGTERM to the tool: QEMU stops, the socket directory goes, exit 128 + 15.
            vm._proc.send_signal(signal.SIGTERM)
            assert vm._proc.wait(timeout=30) == 143, vm._proc.returncode
        assert not sock.parent.exists(), "fallback socket directory left behind"
        assert (Path(tmp) / "c.qcow2").is_file()


def test_validate_prints_network():
    """`validate` shows every switch with its uplink and slot, and each interface's switch and
    MAC; the single-VM example's `tap` is lan0's uplink."""
    with tempfile.TemporaryDirectory() as tmp:
        kernel = fvtest.guest_image("hello")
        cfg = _write(Path(tmp) / "net.yaml",
                     "host:\n  switches:\n    - {name: lan0, uplink: {socket: true}}\n"
                     "    - {name: iso}\n"
                     f"vms:\n  - name: a\n    kernel: {kernel}\n"
                     "    network: [{}, {switch: iso, mac: \"52:54:00:12:34:56\"}]\n"
                     f"  - name: b\n    kernel: {kernel}\n    network: [{{switch: iso}}]\n")
        rc, out, err = _tool("validate", "-c", cfg)
        assert rc == 0, err
        assert ('    - name: "lan0"  # 1 interface\n      uplink:\n        socket: true\n'
                '        mac: "02:46:56:01:00:00"\n'
                '        # virtio-mmio slot 0 (0x10001000)\n') in out, out
        assert '    - name: "iso"  # 2 interfaces, no uplink (VM to VM only)\n' in out, out
        assert ('      - type: virtio\n        switch: "iso"\n        mac: "52:54:00:12:34:56"\n'
                '        # guest virtio device 1 (0x10002000, irq 2)\n') in out, out
        assert 'switch: "iso"\n        mac: "02:46:56:00:01:00"\n' in out, out
        # What `validate` printed validates to the same network (host memory is then given).
        again = _write(Path(tmp) / "again.yaml", out)
        rc, out2, err = _tool("validate", "-c", again)
        assert rc == 0, err
        assert out2.split("  switches:\n")[1] == out.split("  switches:\n")[1], (out, out2)
        # The issue's single-VM form: tap vm-tap0 is lan0's uplink.
        one = _write(Path(tmp) / "one.yaml",
                     f"name: one\nkernel: {kernel}\nnetwork:\n  - type: virtio\n"
                     "    tap: vm-tap0\n")
        rc, out, err = _tool("validate", "-c", one)
        assert rc == 0, err
        assert '      uplink:\n        tap: "vm-tap0"' in out, out
        # Two taps on one switch: an error naming the file, line, column and key.
        two = _write(Path(tmp) / "two.yaml",
                     f"name: two\nkernel: {kernel}\nnetwork:\n  - tap: t0\n  - tap: t1\n")
        rc, out, err = _tool("validate", "-c", two)
        assert rc == 1 and out == "", (out, err)
        assert err == (f"{two}:5:10: network[1].tap: switch \"lan0\" already has the uplink "
                       "tap t0 (line 4); a switch has one uplink\n"), err


@fvtest.kernel_matrix
@fvtest.timeout(300)
def test_run_linux_example():
    """examples/vm-config.yaml (the issue's file with the cached Debian kernel) boots, with the
    kernel of the test's suite (${FERROVISOR_KERNEL:-stable} in the file)."""
    suite = fvtest.kernel_suite()
    cache = IMAGE_CACHE / suite
    if not (cache / "Image").is_file() or not (cache / "initramfs.cpio.gz").is_file():
        raise fvtest.TestFailure(f"no Debian images in {cache} (make images)")
    with tempfile.TemporaryDirectory() as tmp:
        # A private cache: the images are linked in, the VM's disk is created there.
        os.makedirs(f"{tmp}/images/riscv64")
        os.symlink(cache, f"{tmp}/images/riscv64/{suite}")
        env = dict(os.environ, FERROVISOR_CACHE=tmp, FERROVISOR_KERNEL=suite)
        cmd = [TOOL, "run", "--config", ROOT / "examples" / "vm-config.yaml",
               "--timeout", "280"]
        with Qemu(cmd, env=env) as vm:
            # Generous: `make test` boots several Linux guests in parallel on 2 cores.
            # Up to the space after it: the release at the end of the buffer may still grow.
            m = vm.expect(r"^\[my-first-vm\] \[\s*[\d.]+\] Linux version (\S+) ", timeout=120)
            assert m.group(1) == fvtest.linux_images().release, \
                f"booted {m.group(1)}, the {suite} kernel is {fvtest.linux_images().release}"
            vm.expect(r"^\[my-first-vm\] FERROVISOR-INIT: up", timeout=260)
        assert Path(f"{tmp}/disks/my-first-vm.qcow2").is_file()


def _no_terminal_control(text):
    """No ESC, BEL, CSI or other control byte but newline in the tool's messages."""
    bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f]
    assert not bad, repr(text)


def test_fifo_inputs_refused():
    """Issue 17 item 4: a FIFO as kernel, initrd, disk or configuration is refused at once
    (no blocking open()) by validate, build, run and ls, naming the key and the path."""
    with tempfile.TemporaryDirectory() as tmp:
        fifo = Path(tmp) / "fifo"
        os.mkfifo(fifo)
        kernel = fvtest.guest_image("hello")
        cases = {
            "kernel": (f"name: a\nkernel: {fifo}\n", f"2:9: kernel: cannot use {fifo}"),
            "initrd": (f"name: a\nkernel: {kernel}\ninitrd: {fifo}\n",
                       f"3:9: initrd: cannot use {fifo}"),
            "disk": (f"name: a\nkernel: {kernel}\nstorage: [{{image: {fifo}}}]\n",
                     f"3:19: storage[0].image: cannot use {fifo}"),
        }
        for what, (text, want) in cases.items():
            cfg = _write(Path(tmp) / f"{what}.yaml", text)
            for args in (["validate", cfg], ["build", cfg, "-o", Path(tmp) / "x.fvb"],
                         ["run", "-n", cfg], ["ls", cfg]):
                rc, out, err = _tool(*args, timeout=20)
                assert rc == 1, (what, args, rc, err)
                assert err == f"{cfg}:{want}: a FIFO, not a regular file\n", (what, args, err)
        for cmd in ("validate", "build", "run", "ls"):
            args = [cmd, "-n", fifo] if cmd == "run" else [cmd, fifo]
            rc, out, err = _tool(*args, timeout=20)
            assert rc == 1, (cmd, rc, err)
            assert err == f"{fifo}: config: cannot open: a FIFO, not a regular file\n", err
        assert not (Path(tmp) / "x.fvb").exists()


def test_bundle_targets():
    """Issue 17 item 6: `build -o` and `run --bundle` write a temporary file beside the
    target and rename it only onto a regular file or a missing path; a device, FIFO,
    directory or symlink is refused and left as it was; --dry-run writes nothing."""
    with tempfile.TemporaryDirectory() as tmp:
        real = Path(tmp) / "real.fvb"
        real.write_bytes(b"old")
        link = Path(tmp) / "link.fvb"
        link.symlink_to(real)
        fifo = Path(tmp) / "fifo.fvb"
        os.mkfifo(fifo)
        sub = Path(tmp) / "dir.fvb"
        sub.mkdir()
        targets = {link: "a symbolic link", fifo: "a FIFO", sub: "a directory"}
        if os.getuid() == 0:
            targets[Path("/dev/full")] = "a character device"
        before = os.stat("/dev/full")
        for target, kind in targets.items():
            for args in (["build", BAREMETAL, "-o", target],
                         ["run", "-n", BAREMETAL, "--bundle", target]):
                rc, out, err = _tool(*args, timeout=20)
                assert rc == 3, (args, rc, err)
                assert f"will not write {target}: it is {kind}" in err, (args, err)
        after = os.stat("/dev/full")
        assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
        assert link.is_symlink() and real.read_bytes() == b"old"
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and sub.is_dir()
        assert sorted(p.name for p in Path(tmp).iterdir()) == \
            ["dir.fvb", "fifo.fvb", "link.fvb", "real.fvb"], "a temporary file was left"
        # A dry run writes nothing, not even a new file.
        new = Path(tmp) / "new.fvb"
        rc, out, err = _tool("run", "-n", BAREMETAL, "--bundle", new)
        assert rc == 0 and "dry run: would write" in err and not new.exists(), err
        # A regular file is replaced, with 0644 less the umask.
        rc, _, err = _tool("build", BAREMETAL, "-o", real)
        assert rc == 0, err
        assert real.read_bytes()[:4] == b"\xd0\x0d\xfe\xed"
        mask = os.umask(0)
        os.umask(mask)
        assert stat.S_IMODE(os.stat(real).st_mode) == 0o644 & ~mask
        rc, _, err = _tool("build", BAREMETAL, "-o", new)
        assert rc == 0 and new.is_file(), err


def test_error_messages_escape_control_bytes():
    """Issue 17 item 2: the tool's messages show ESC, BEL, newlines and C1 controls from YAML
    keys, values, paths and arguments as text (\\xNN, \\u00NN), never raw."""
    with tempfile.TemporaryDirectory() as tmp:
        kernel = fvtest.guest_image("hello")
        cases = [
            ('"k\\e]0;title\\a": 1\nname: a\n', "k\\x1b]0;title\\x07: unknown key"),
            ('name: "a\\e[2J\\u009b"\n', 'name: "a\\x1b[2J\\u009b" is not a valid name'),
            ('name: a\nkernel: "/tmp/\\e]0;x\\a\\nfake"\n',
             "kernel: cannot use /tmp/\\x1b]0;x\\x07\\x0afake: No such file"),
        ]
        for text, want in cases:
            cfg = _write(Path(tmp) / "c.yaml", text + (f"kernel: {kernel}\n"
                                                      if "kernel" not in text else ""))
            rc, out, err = _tool("validate", cfg)
            assert rc == 1, err
            _no_terminal_control(err)
            assert want in err, (want, err)
            assert err.count("\n") == 1, err
        rc, _, err = _tool("run", "--smp", "\x1b[2J\x07", BAREMETAL)
        assert rc == 2, err
        _no_terminal_control(err)
        assert '--smp: "\\x1b[2J\\x07" is not a CPU count' in err, err
        odd = Path(tmp) / "\x1b]0;t\x07"
        rc, _, err = _tool("build", BAREMETAL, "-o", odd / "x.fvb")
        assert rc == 3, err
        _no_terminal_control(err)
        assert "\\x1b]0;t\\x07/x.fvb" in err, err
