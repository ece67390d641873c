#!/bin/sh
# SPDX-License-Identifier: MIT
# dtb.sh OUT DTC-ARGS... SOURCE: compile a device tree into a temporary file beside OUT and
# replace OUT only when the bytes differ. A rebuild that changes nothing leaves OUT (and the
# hypervisor image that embeds it) untouched, and the rename is atomic: a QEMU or a second
# make reading OUT meanwhile never sees a half-written blob (tests run make in parallel).
set -e
out=$1
shift
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
dtc -q -I dts -O dtb -o "$tmp" "$@"
if cmp -s "$tmp" "$out"; then
	exit 0
fi
chmod 644 "$tmp"
mv -f "$tmp" "$out"
