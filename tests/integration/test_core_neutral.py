# SPDX-License-Identifier: MIT
"""Core knows no architecture (issue 16): the check and the ARCH= switch.

scripts/check-core-neutral.sh (make check-neutral, part of make ci) passes on hyp/core (and
hyp/lib, hyp/vdev, hyp/drivers) and
fails, naming file and line, on a tree whose code names an architecture, while comments may;
make ARCH= refuses an architecture that does not exist or is not ported yet.
"""

import subprocess
import tempfile
from pathlib import Path

import fvtest

SCRIPT = fvtest.REPO_ROOT / "scripts" / "check-core-neutral.sh"


def _check(*dirs):
    return subprocess.run(["sh", str(SCRIPT), *map(str, dirs)], capture_output=True,
                          text=True, timeout=60, cwd=str(fvtest.REPO_ROOT))


def test_core_is_neutral():
    r = _check()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "check-core-neutral: ok (hyp/core hyp/lib hyp/vdev hyp/drivers)" in r.stdout


def test_check_fails_on_code_not_on_comments():
    with tempfile.TemporaryDirectory() as d:
        core = Path(d) / "core"
        core.mkdir()
        # Comments of every form may name an architecture.
        (core / "clean.c").write_text(
            "/* RISC-V harts speak SBI; the PLIC\n * raises HSM events */\n"
            "int x; // rv64 only\n"
            "static const char *s = \"a // b\"; /* riscv */\n")
        r = _check(core)
        assert r.returncode == 0, r.stdout + r.stderr
        # Code may not: identifiers, preprocessor tests, string literals, other arches.
        (core / "dirty.h").write_text(
            "/* fine */\n#if defined(__riscv)\n#endif\n"
            "struct vplic plic;\n"
            "const char *w = \"hart\"; /* a log word is code */\n"
            "void f(void) { psci_call(); } // PSCI\n")
        r = _check(core)
        assert r.returncode == 1, r.stdout + r.stderr
        hits = [l for l in r.stdout.splitlines() if l.startswith(str(core))]
        assert [h.split(":")[1] for h in hits] == ["2", "4", "5", "6"], hits
        assert "dirty.h" in hits[0] and "4 line(s)" in r.stderr
        # A comment opener inside a string is not a comment: what follows is code.
        (core / "dirty.h").unlink()
        (core / "str.c").write_text("const char *p = \"/*\"; int sbi_calls; /* */\n")
        r = _check(core)
        assert r.returncode == 1 and "str.c:1:" in r.stdout, r.stdout


def test_arch_switch():
    def make(arch):
        return subprocess.run(["make", "-n", f"ARCH={arch}", "hyp"], capture_output=True,
                              text=True, timeout=120, cwd=str(fvtest.REPO_ROOT))
    # The arm64 port (hyp/arch/arm64, docs/arm64.md) selects its own flags and linker script.
    r = make("arm64")
    assert r.returncode == 0, r.stderr
    out = subprocess.run(["make", "-n", "-B", "ARCH=arm64", "hyp"], capture_output=True,
                         text=True, timeout=120, cwd=str(fvtest.REPO_ROOT)).stdout
    assert "aarch64-linux-gnu-gcc" in out and "hyp/arch/arm64/linker.ld" in out, out[:2000]
    assert "-march=rv64" not in out, out[:2000]
    r = make("sparc")
    assert r.returncode != 0 and "ARCH=sparc: unknown architecture" in r.stderr, r.stderr
    r = make("riscv64")
    assert r.returncode == 0, r.stderr
    # The default selects the RISC-V directories, flags and linker script.
    out = subprocess.run(["make", "-n", "-B", "hyp"], capture_output=True, text=True,
                         timeout=120, cwd=str(fvtest.REPO_ROOT)).stdout
    assert "-march=rv64imac_zicsr_zifencei" in out and "hyp/arch/riscv/linker.ld" in out, out[:2000]
