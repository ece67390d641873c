#!/bin/sh
# SPDX-License-Identifier: MIT
# Fail if an object file (hyp/lib/string.c's) calls memset, memcpy or memmove: inside those
# very functions a call the compiler made from a byte loop would recurse forever.
# usage: check-no-self-calls.sh OBJDUMP OBJECT
set -eu
objdump=$1
obj=$2
calls=$("$objdump" -dr "$obj" | grep -E 'R_RISCV_(CALL|CALL_PLT|JAL)[[:space:]]+(memset|memcpy|memmove)$' || true)
if [ -n "$calls" ]; then
	echo "$obj: calls the string functions it defines (would recurse):" >&2
	echo "$calls" >&2
	exit 1
fi
