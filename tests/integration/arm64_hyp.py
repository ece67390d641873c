# SPDX-License-Identifier: MIT
"""Helpers for tests of Ferrovisor's arm64 port (ARCH=arm64, qemu-system-aarch64).

The arm64 hypervisor, its test guests and configurations are built here on first use
(`make ARCH=arm64 hyp arm64-test-configs`, a few seconds), under a file lock so that
parallel test modules build once: `make test` builds only the default architecture.
"""

import fcntl
import shutil
import subprocess

import fvtest

QEMU_ARM64 = fvtest.os.environ.get("FV_QEMU_ARM64", "qemu-system-aarch64")
HYP_BIN = fvtest.BUILD_DIR / "arm64" / "ferrovisor.bin"
CONFIG_DIR = fvtest.BUILD_DIR / "config"
# The machine the port targets (docs/arm64.md): EL2 present, GICv3, QEMU's own PSCI.
MACHINE = "virt,virtualization=on,gic-version=3"

_built = False


def skip_reason():
    """Why the arm64 tests cannot run here (None if they can): only a missing emulator."""
    if shutil.which(QEMU_ARM64) is None:
        return f"{QEMU_ARM64} not installed (scripts/install-deps.sh installs qemu-system-arm)"
    return None


def build():
    """Build the arm64 hypervisor and test configurations once per process (locked)."""
    global _built
    if _built:
        return
    fvtest.BUILD_DIR.mkdir(parents=True, exist_ok=True)
    with open(fvtest.BUILD_DIR / ".arm64-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        r = subprocess.run(["make", "-s", "ARCH=arm64", "hyp", "arm64-test-configs"],
                           cwd=fvtest.REPO_ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise fvtest.TestFailure("make ARCH=arm64 failed:\n" + r.stdout[-2000:] +
                                 r.stderr[-2000:])
    _built = True


def config_path(name):
    """build/config/arm64-test-<name>.dtb (tests/integration/configs-arm64/<name>.dts)."""
    build()
    path = CONFIG_DIR / f"arm64-test-{name}.dtb"
    if not path.is_file():
        raise fvtest.TestFailure(f"{path} missing after make ARCH=arm64 arm64-test-configs")
    return path


def hyp_cmd(config=None, smp=2, mem="1G", extra=None, config_file=None):
    """QEMU booting the arm64 hypervisor at EL2 (-kernel loads it as an arm64 Image);
    config = a test configuration name (or config_file a built blob) handed over as the
    initrd (the boot bundle), else the built-in configuration. The PL011 is on stdio, no monitor."""
    build()
    more = ["-initrd", str(config_path(config))] if config else []
    if config_file:
        more = ["-initrd", str(config_file)]
    return [QEMU_ARM64, "-M", MACHINE, "-cpu", "max", "-smp", str(smp), "-m", str(mem),
            "-display", "none", "-monitor", "none", "-serial", "stdio",
            "-kernel", str(HYP_BIN)] + more + list(extra or [])


def linux_config_path(name="linux"):
    """build/config/arm64-test-linux-<name>.dtb from tests/integration/configs-arm64-linux,
    with the Debian arm64 kernel of the test's suite; fvtest.Skip when that suite's arm64
    images are not cached (`make ARCH=arm64 images` fetches them)."""
    build()
    suite = fvtest.kernel_suite()
    cache = fvtest.Path(fvtest.os.environ.get("FERROVISOR_CACHE", fvtest.Path.home() /
                                              ".cache" / "ferrovisor"))
    if not (cache / "images" / "arm64" / suite / "manifest.txt").is_file():
        raise fvtest.Skip(f"no Debian arm64 {suite} images cached (make ARCH=arm64 images)")
    target = f"build/config/arm64-test-linux-{name}.dtb"
    with open(fvtest.BUILD_DIR / ".arm64-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        r = subprocess.run(["make", "-s", "ARCH=arm64", f"KERNEL={suite}", target],
                           cwd=fvtest.REPO_ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise fvtest.TestFailure(f"make {target} failed:\n" + r.stdout[-2000:] + r.stderr[-2000:])
    return fvtest.REPO_ROOT / target


def twin_config_path(name):
    """The arm64 twin of the riscv64 test configuration `name` (hyp.config_path on arm64):
    a Linux one (linux-X) is tests/integration/configs-arm64-linux/X.dts built per kernel suite
    from build/arm64/images/<suite> (the composed images: the svc-initramfs holds ferrovisord
    for aarch64) as build/config/arm64/<suite>/test-linux-X.dtb; a bare-metal one is
    configs-arm64/<name>.dts. fvtest.Skip when the suite's arm64 images are not cached;
    TestFailure when the configuration has no arm64 twin yet."""
    build()
    if not name.startswith("linux"):
        return config_path(name)
    twin = name[len("linux-"):] if name.startswith("linux-") else name
    dts = fvtest.REPO_ROOT / "tests" / "integration" / "configs-arm64-linux" / f"{twin}.dts"
    if not dts.is_file():
        raise fvtest.TestFailure(f"configuration {name} has no arm64 twin ({dts} missing)")
    suite = fvtest.kernel_suite()
    cache = fvtest.Path(fvtest.os.environ.get("FERROVISOR_CACHE", fvtest.Path.home() /
                                              ".cache" / "ferrovisor"))
    if not (cache / "images" / "arm64" / suite / "manifest.txt").is_file():
        raise fvtest.Skip(f"no Debian arm64 {suite} images cached (make ARCH=arm64 images)")
    target = f"build/config/arm64/{suite}/test-linux-{twin}.dtb"
    with open(fvtest.BUILD_DIR / ".arm64-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        r = subprocess.run(["make", "-s", "ARCH=arm64", f"KERNEL={suite}", target],
                           cwd=fvtest.REPO_ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise fvtest.TestFailure(f"make {target} failed:\n" + r.stdout[-2000:] + r.stderr[-2000:])
    return fvtest.REPO_ROOT / target

