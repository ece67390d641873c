# SPDX-License-Identifier: MIT
"""Small expect-like library for Ferrovisor's QEMU integration tests (Python 3 stdlib only).

A test is a function ``test_<name>()`` in ``tests/integration/test_*.py`` that raises on
failure (``assert`` or ``TestFailure``) and may raise ``Skip("reason")``.  Typical use::

    import fvtest

    def test_hello():
        with fvtest.Qemu(fvtest.qemu_riscv_cmd(fvtest.guest_image("hello"))) as vm:
            vm.expect(r"hello from hart \\d+", timeout=30)

Every QEMU console is copied as it arrives to ``build/test-logs/<test>.log`` (a second QEMU
in the same test goes to ``<test>.2.log`` ...), so a test killed by the runner's timeout
still leaves its console behind.  The runner names the test through $FV_TEST_NAME.
"""

import atexit
import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = REPO_ROOT / "build"
GUEST_DIR = BUILD_DIR / "guests"
LOG_DIR = BUILD_DIR / "test-logs"

QEMU_RISCV = os.environ.get("FV_QEMU_RISCV", "qemu-system-riscv64")

RESULT_RE = r"FV-RESULT (PASS|FAIL[^\r\n]*)"
# One verdict line of a test guest: PASS, FAIL (with details) or SKIP (with the reason).
CHECK_RE = r"FV-CHECK (PASS|FAIL|SKIP) (\S+)[ \t]*([^\r\n]*)"


class TestFailure(AssertionError):
    """A test failed; the message carries the reason and the console tail."""


class Skip(Exception):
    """Raise from a test to report it skipped with a reason."""


def timeout(seconds):
    """Decorator: per-test timeout in seconds for the runner (default 300)."""

    def deco(func):
        func.fv_timeout = seconds
        return func

    return deco


def kernel_matrix(func):
    """Decorator: run this test once per Debian kernel suite (the runner expands it into
    `test[stable]` and `test[unstable]`); a module can say KERNEL_MATRIX = True instead."""
    func.fv_kernel_matrix = True
    return func


def arch_matrix(func):
    """Decorator: also run this test on the arm64 port (the runner adds `test[arm64]` with
    $FV_ARCH=arm64); a module can say ARCH_MATRIX = True instead."""
    func.fv_arch_matrix = True
    return func


def current_test_name():
    """Name of the running test as set by the runner (or 'adhoc' outside it)."""
    return os.environ.get("FV_TEST_NAME", "adhoc")


def log_safe(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def parse_checks(output, vm=None):
    """The guest verdicts in `output` as {name: (verdict, detail)}, in console order.

    verdict is "PASS", "FAIL" or "SKIP" (a check that does not apply on this SBI
    implementation: neither a pass nor a failure). With `vm`, only lines tagged "[vm] ".
    A name reported twice keeps its worst verdict (FAIL over PASS over SKIP).
    """
    rank = {"SKIP": 0, "PASS": 1, "FAIL": 2}
    checks = {}
    for m in re.finditer(vm_prefix(vm) + CHECK_RE, output, re.M):
        verdict, name, detail = m.group(1), m.group(2), m.group(3).strip()
        old = checks.get(name)
        if old is None or rank[verdict] > rank[old[0]]:
            checks[name] = (verdict, detail)
    return checks


def guest_image(name, kind="bin"):
    """Path of build/guests/<name>.<kind>; fails clearly if the guests were not built."""
    path = GUEST_DIR / f"{name}.{kind}"
    if not path.is_file():
        raise TestFailure(f"{path} missing: run `make -C guests` first")
    return str(path)


def qemu_riscv_cmd(kernel, smp=2, mem="512M", extra=None, bios="default", machine="virt",
                   cpu="rv64"):
    """QEMU command line for `-M virt` with the ns16550 UART on stdio and no monitor.

    `-nographic` would add a `mon:stdio` monitor multiplexed with the serial port, which
    then clashes with `-serial stdio`; `-display none -monitor none -serial stdio` gives
    exactly one stdio user: the guest's UART.
    """
    cmd = [
        QEMU_RISCV, "-M", machine, "-cpu", cpu, "-smp", str(smp), "-m", str(mem),
        "-display", "none", "-bios", bios, "-kernel", str(kernel),
        "-monitor", "none", "-serial", "stdio",
        # Modern (version 2) virtio-mmio, as Ferrovisor's drivers and Linux's expect.
        "-global", "virtio-mmio.force-legacy=false",
    ]
    return cmd + list(extra or [])


def virtio_disk(path, slot, size="64M", fmt="raw"):
    """QEMU options attaching disk image `path` (created sparse with `size` if missing) to
    virtio-mmio slot `slot` (0x10001000 + slot * 0x1000)."""
    p = Path(path)
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["truncate", "-s", size, str(p)], check=True)
    return ["-drive", f"file={p},if=none,format={fmt},id=fvdisk{slot},cache=writeback",
            "-device", f"virtio-blk-device,drive=fvdisk{slot},bus=virtio-mmio-bus.{slot}"]


def hyp_image(arch="riscv64"):
    """Path of the built hypervisor image build/<arch>/ferrovisor.bin."""
    path = BUILD_DIR / arch / "ferrovisor.bin"
    if not path.is_file():
        raise TestFailure(f"{path} missing: run `make` first")
    return str(path)


def hyp_cmd(config=None, smp=2, mem="1G", extra=None):
    """QEMU command line booting Ferrovisor; `config` (a configuration blob path) is handed
    over as the initrd, else the hypervisor uses its built-in configuration."""
    more = ["-initrd", str(config)] if config else []
    return qemu_riscv_cmd(hyp_image(), smp=smp, mem=mem, extra=more + list(extra or []))


# ------------------------------------------------------------------ Debian Linux guests

KERNEL_SUITES = ("stable", "unstable")
IMAGES_DIR = BUILD_DIR / "images"
ARCHES = ("riscv64", "arm64")


def arch():
    """The architecture this test runs Ferrovisor on: $FV_ARCH (set by the runner for the
    arm64 runs of an ARCH_MATRIX module), else "riscv64"."""
    a = os.environ.get("FV_ARCH", "riscv64")
    if a not in ARCHES:
        raise TestFailure(f"FV_ARCH={a!r}: not one of {', '.join(ARCHES)}")
    return a


# Each architecture's guest-physical map (hyp/arch/<isa>/guest_map.h): RAM base, UART,
# virtio-mmio device 0 and the stride between devices.
GUEST_MAP = {
    "riscv64": {"ram": 0x80000000, "uart": 0x10000000, "virtio": 0x10001000, "stride": 0x1000},
    "arm64": {"ram": 0x40000000, "uart": 0x09000000, "virtio": 0x0a000000, "stride": 0x200},
}


def guest_virtio_addr(j, arch_name=None):
    """Guest-physical address of a VM's virtio device j on this run's architecture."""
    m = GUEST_MAP[arch_name or arch()]
    return m["virtio"] + j * m["stride"]


def images_dir():
    """Where `make` composes the Debian Linux guests' images of arch(): build/images
    (riscv64) or build/arm64/images (arm64; mk/arch-arm64.mk LINUX_OUT)."""
    return IMAGES_DIR if arch() == "riscv64" else BUILD_DIR / arch() / "images"


def kernel_suite():
    """The Debian kernel suite this test runs against: $FV_KERNEL_SUITE (set by the runner
    for KERNEL_MATRIX tests), else "stable"."""
    suite = os.environ.get("FV_KERNEL_SUITE", "stable")
    if suite not in KERNEL_SUITES:
        raise TestFailure(f"FV_KERNEL_SUITE={suite!r}: not one of {', '.join(KERNEL_SUITES)}")
    return suite


class LinuxImages:
    """A suite's test images in build/images/<suite>/ (made by `make`): `image` (the Debian
    kernel), `initramfs` (the cached busybox initramfs + the guest userland layer), `info`
    (manifest keys: kernel-release, kernel-suite, kernel-package, ...), `packages`
    [(name, version, debian suite)], `image_sha256`, `userland` {program: sha256}."""

    def __init__(self, suite, directory):
        self.suite = suite
        self.dir = Path(directory)
        self.image = self.dir / "Image"
        self.initramfs = self.dir / "initramfs.cpio.gz"
        self.info, self.packages, self.files, self.userland = {}, [], {}, {}
        for line in (self.dir / "manifest.txt").read_text().splitlines():
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            if parts[0] == "package" and len(parts) == 4:
                self.packages.append(tuple(parts[1:]))
            elif parts[0] == "file" and len(parts) == 4:
                self.files[parts[3]] = parts[1]
            elif parts[0] == "userland" and len(parts) >= 3:
                self.userland[parts[1]] = parts[2]
            elif len(parts) >= 2:
                self.info.setdefault(parts[0], " ".join(parts[1:]))
        self.release = self.info.get("kernel-release", "?")
        self.image_sha256 = self.files.get("Image", "?")

    def describe(self):
        """One line naming the kernel: release, suite, package=version, Image sha256."""
        pkgs = " ".join(f"{n}={v}" for n, v, _ in self.packages if not n.startswith("busybox"))
        return (f"kernel {self.release} suite {self.suite} "
                f"({self.info.get('kernel-suite', '?')}) {pkgs} "
                f"Image sha256 {self.image_sha256}")


def linux_images(suite=None):
    """LinuxImages of `suite` (default: kernel_suite()); TestFailure if not built."""
    suite = suite or kernel_suite()
    d = images_dir() / suite
    if arch() != "riscv64" and not (d / "manifest.txt").is_file():
        # Composed on the test's first configuration build (arm64_hyp.twin_config_path); until
        # then the cache's own set names the same kernel (the runner's FV-KERNEL line).
        d = Path(os.environ.get("FERROVISOR_CACHE", Path.home() / ".cache" / "ferrovisor")) \
            / "images" / arch() / suite
    for f in ("manifest.txt", "Image", "initramfs.cpio.gz"):
        if not (d / f).is_file():
            raise TestFailure(f"{d / f} missing: run `make all {d.relative_to(REPO_ROOT)}/"
                              "initramfs.cpio.gz` (needs `make images`)")
    return LinuxImages(suite, d)


_kernel_line_cache = []


def _kernel_line():
    """'kernel ... Image sha256 ...' of the current suite, for the top of console logs."""
    if not _kernel_line_cache:
        try:
            _kernel_line_cache.append("FV-KERNEL: " + linux_images().describe())
        except TestFailure as e:
            _kernel_line_cache.append(f"FV-KERNEL: suite {kernel_suite()}: {e}")
    return _kernel_line_cache[0]


def native_linux_cmd(append="console=ttyS0 earlycon=sbi", suite=None, smp=2, mem="1G",
                     extra=None):
    """QEMU booting the suite's Debian kernel and layered initramfs natively on OpenSBI
    (no Ferrovisor), to compare a guest's behaviour with the VM's; -no-reboot so that a
    guest reboot ends QEMU."""
    imgs = linux_images(suite)
    more = ["-initrd", str(imgs.initramfs), "-append", append, "-no-reboot"]
    return qemu_riscv_cmd(imgs.image, smp=smp, mem=mem, extra=more + list(extra or []))


def vm_prefix(vm):
    """Regex prefix of a console line the hypervisor tagged for VM `vm` ("[vm] ")."""
    return r"^\[" + re.escape(vm) + r"\] " if vm else r"^"


_live = []
_live_lock = threading.Lock()
_log_counter = [0]


def _kill_all():
    with _live_lock:
        procs = list(_live)
    for q in procs:
        q.kill()


atexit.register(_kill_all)


class Qemu:
    """One QEMU process with its console captured.

    Output is decoded as latin-1 and kept in full (``output``); ``expect`` searches forward
    from the end of the previous match, like pexpect.
    """

    def __init__(self, cmd, name=None, log_path=None, env=None, start=True):
        self.cmd = [str(c) for c in cmd]
        self.name = name or current_test_name()
        self.env = env
        self._buf = []
        self._text = ""
        self._pos = 0
        self._eof = False
        self._cond = threading.Condition()
        self._proc = None
        self._reader = None
        self._log = None
        if log_path is None:
            _log_counter[0] += 1
            n = _log_counter[0]
            suffix = "" if n == 1 else f".{n}"
            log_path = LOG_DIR / f"{log_safe(self.name)}{suffix}.log"
        self.log_path = Path(log_path)
        if start:
            self.start()

    # -- lifecycle ---------------------------------------------------------------------
    def start(self):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w", encoding="latin-1", newline="")
        self._log.write("# " + " ".join(self.cmd) + "\n")
        if os.environ.get("FV_KERNEL_SUITE"):
            self._log.write(f"# {_kernel_line()}\n")
        self._log.flush()
        self.started_at = time.monotonic()
        self._proc = subprocess.Popen(
            self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=self.env, cwd=str(REPO_ROOT))
        with _live_lock:
            _live.append(self)
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        return self

    def _read_loop(self):
        fd = self._proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                break
            chunk = data.decode("latin-1")
            with self._cond:
                self._text += chunk
                self._cond.notify_all()
            try:
                self._log.write(chunk)
                self._log.flush()
            except ValueError:
                pass
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.kill()
        return False

    def kill(self):
        """Kill QEMU (if still running) and finish the log."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            try:
                self._proc.kill()
            except OSError:
                pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._finish()

    def _finish(self):
        if self._reader is not None:
            self._reader.join(timeout=5)
        for f in (self._proc.stdin, self._proc.stdout):
            try:
                f.close()
            except (OSError, ValueError):
                pass
        if self._log is not None and not self._log.closed:
            try:
                self._log.write(f"\n# exit code {self._proc.returncode}\n")
            except ValueError:
                pass
            self._log.close()
        with _live_lock:
            if self in _live:
                _live.remove(self)

    # -- console -------------------------------------------------------------------------
    @property
    def output(self):
        """Everything the console printed so far."""
        with self._cond:
            return self._text

    def lines(self):
        return self.output.splitlines()

    def tail(self, n=30):
        return "\n".join(self.lines()[-n:])

    def running(self):
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self):
        return None if self._proc is None else self._proc.poll()

    def fail(self, msg, n=30):
        """A TestFailure carrying msg and the last n console lines (raise it)."""
        return TestFailure(f"{msg}\n--- last {n} console lines ({self.log_path}) ---\n"
                           f"{self.tail(n)}\n---")

    _fail = fail  # older name, kept for existing callers

    def rewind(self, pos=0):
        """Make the next expect() search from offset `pos` of the output (0: everything)."""
        with self._cond:
            self._pos = pos

    def expect(self, pattern, timeout=30.0, flags=re.M):
        """Wait until `pattern` (regex) matches console output after the previous match.

        Returns the re.Match; raises TestFailure (with the console tail) on timeout or if
        QEMU exits first.
        """
        rx = re.compile(pattern, flags) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = rx.search(self._text, self._pos)
                if m:
                    self._pos = m.end()
                    return m
                if self._eof:
                    rc = self._proc.wait()
                    raise self.fail(f"QEMU exited (code {rc}) before /{rx.pattern}/ appeared")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise self.fail(f"timeout after {timeout:.0f}s waiting for /{rx.pattern}/")
                self._cond.wait(min(left, 0.5))

    def expect_seen(self, pattern, timeout=30.0, flags=re.M):
        """Wait until `pattern` occurs anywhere in the output, including before the previous
        match (for events that may already have happened, e.g. a VM that finished early).
        Does not move the expect() position; returns the re.Match."""
        rx = re.compile(pattern, flags)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = rx.search(self._text)
                if m:
                    return m
                if self._eof:
                    rc = self._proc.wait()
                    raise self.fail(f"QEMU exited (code {rc}) before /{rx.pattern}/ appeared")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise self.fail(f"timeout after {timeout:.0f}s waiting for /{rx.pattern}/")
                self._cond.wait(min(left, 0.5))

    def expect_all(self, patterns, timeout=30.0):
        """expect() each pattern in order within one overall timeout; returns the matches."""
        deadline = time.monotonic() + timeout
        return [self.expect(p, max(0.0, deadline - time.monotonic())) for p in patterns]

    def count(self, pattern, flags=re.M):
        """Number of matches of `pattern` in the whole output so far."""
        return len(re.findall(pattern, self.output, flags))

    def send(self, text):
        """Write text (str or bytes) to the console's input."""
        data = text.encode("latin-1") if isinstance(text, str) else text
        self._proc.stdin.write(data)
        self._proc.stdin.flush()

    def wait_exit(self, timeout=30.0):
        """Wait for QEMU to exit; returns its exit code, TestFailure on timeout."""
        try:
            rc = self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise self.fail(f"QEMU still running after {timeout:.0f}s") from None
        self._finish()
        return rc

    def assert_absent(self, pattern, flags=re.M):
        """Fail if `pattern` occurs anywhere in the output so far."""
        m = re.search(pattern, self.output, flags)
        if m:
            raise self.fail(f"unexpected console output: {m.group(0)!r}")

    # -- guest verdicts ----------------------------------------------------------------------
    def expect_result(self, timeout=120.0, vm=None):
        """Wait for the guest's FV-RESULT line; fail unless it is PASS with no FV-CHECK FAIL.

        With `vm`, only lines the hypervisor tagged "[vm] " count (several VMs share the
        console); without it, untagged native output. FV-CHECK SKIP lines (checks that do not
        apply here, e.g. an extension the native SBI lacks) are neither passes nor failures.
        """
        m = self.expect(vm_prefix(vm) + RESULT_RE, timeout)
        fails = re.findall(vm_prefix(vm) + r"FV-CHECK FAIL .*$", self.output, re.M)
        if m.group(1) != "PASS" or fails:
            raise self.fail(("" if vm is None else f"VM {vm}: ") +
                             "guest reported failure: FV-RESULT " + m.group(1) +
                             ("\n" + "\n".join(fails) if fails else ""), n=40)
        return m

    def expect_json(self, key="bench", value=None, timeout=60.0, vm=None):
        """Wait for a console line holding a JSON object with `key` (== value if given),
        optionally tagged for VM `vm`; returns the parsed object."""
        deadline = time.monotonic() + timeout
        while True:
            m = self.expect(vm_prefix(vm) + r"(\{.*\})\r?$",
                            max(0.0, deadline - time.monotonic()))
            try:
                obj = json.loads(m.group(1))
            except ValueError as e:
                raise self.fail(f"invalid JSON line {m.group(0)!r}: {e}") from None
            if key in obj and (value is None or obj[key] == value):
                return obj


def run_guest(image, smp=2, mem="256M", extra=None, timeout=120.0):
    """Boot `image` natively on OpenSBI and require FV-RESULT PASS and a clean exit.

    Returns the full console output.
    """
    with Qemu(qemu_riscv_cmd(image, smp=smp, mem=mem, extra=extra)) as vm:
        vm.expect_result(timeout)
        rc = vm.wait_exit(30)
        if rc != 0:
            raise vm.fail(f"QEMU exit code {rc} after FV-RESULT PASS")
        return vm.output
