#!/bin/sh
# SPDX-License-Identifier: MIT
# Fail when arch-neutral code (by default hyp/core, hyp/lib, hyp/vdev, hyp/drivers: everything
# outside hyp/arch) names an architecture in code.
#
# Usage: scripts/check-core-neutral.sh [DIR...]
#
# Every C/assembly file under the directories is read with its comments removed
# (string and character literals are kept: a log word is code too), then searched
# case-insensitively for the words of issue #16's grep: riscv, rv64, hart, plic, sbi, hsm,
# plus the other architectures' own vocabulary, so that the ARM64 and x86_64 ports
# keep core as clean (aarch64, arm64, gicv, psci, x86, svm, vmcb, apic), and the addresses of
# the boards' guest-physical maps (QEMU RISC-V virt's and arm64 virt's RAM, UART, interrupt
# controller, RTC and virtio-mmio bases: hyp/arch/<isa>/guest_map.c). Hits are printed as
# file:line: text; exit status 1 if there is any, 0 otherwise. Comments may still name an
# architecture (to explain a design choice by example); code may not: it goes behind an arch
# hook (hyp/core/arch.h) or into an arch header (hyp/arch/<isa>/include/arch/).
set -eu
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- hyp/core hyp/lib hyp/vdev hyp/drivers
exec python3 - "$@" <<'PY'
import os, re, sys

WORDS = re.compile(r"riscv|rv64|hart|plic|sbi|hsm|aarch64|arm64|gicv|psci|x86|\bsvm|vmcb|apic",
                   re.IGNORECASE)
MAP_ADDRS = re.compile(r"\b0x0*(80000000|40000000|10000000|c000000|10001000|101000|9000000|"
                       r"9010000|80a0000|8000000|a000000)(ULL|UL|LL|U|L)?\b", re.IGNORECASE)

def strip_comments(text):
    """Blank out /* */ and // comments, keeping newlines and string/char literals."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join("\n" if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)

hits = 0
for top in sys.argv[1:]:
    for root, dirs, files in os.walk(top):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith((".c", ".h", ".S")):
                continue
            path = os.path.join(root, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            for no, line in enumerate(strip_comments(text).split("\n"), 1):
                if WORDS.search(line) or MAP_ADDRS.search(line):
                    print(f"{path}:{no}: {text.split(chr(10))[no - 1].strip()}")
                    hits += 1
sys.stdout.flush()
if hits:
    print(f"check-core-neutral: {hits} line(s) of architecture-specific code in {' '.join(sys.argv[1:])}"
          " (move it behind a hook of hyp/core/arch.h or into hyp/arch/<isa>/)", file=sys.stderr)
    sys.exit(1)
print(f"check-core-neutral: ok ({' '.join(sys.argv[1:])})")
PY
