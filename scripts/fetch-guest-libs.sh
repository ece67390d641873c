#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetch the Debian libraries of the service VM's userland (ferrovisord) by package name,
# with the isolated apt of scripts/fetch-guest-images.sh (scripts/lib/apt-sandbox.sh).
#
#   scripts/fetch-guest-libs.sh [--arch riscv64] [--cache DIR] [--suites "trixie trixie-security"] [--force]
#
# Roots: libmicrohttpd (libmicrohttpd12t64, or libmicrohttpd12 on older suites), libcjson1,
# libc6 and libnettle8t64 (SHA-256 of ferrovisord's tokens and audit log), plus their Depends/Pre-Depends closure (first alternative of each group;
# packages of no use to a busybox initramfs, listed in SKIP below, are left out); and for
# cross-compiling the -dev packages libmicrohttpd-dev, libcjson-dev, libc6-dev,
# linux-libc-dev, nettle-dev (headers, .so links, crt files; their own dependencies are not followed).
# Each package comes from the suite with the highest version (stable: trixie or
# trixie-security; never sid).
#
# Output (default ${FERROVISOR_CACHE:-$HOME/.cache/ferrovisor}/userland/<arch>):
#   debs/*.deb      the packages as apt downloaded them (signature and hash checked by apt)
#   sysroot/        all of them extracted (plus lib -> usr/lib): the --sysroot of the cross build
#   manifest.txt    suites, "package <name> <version> <suite> runtime|dev", sha256 of every
#                   deb, "complete" last. A later run only re-verifies the debs' hashes and
#                   re-extracts the sysroot when it is missing.
set -eu

prog=fetch-guest-libs
FORMAT=1

arch=riscv64
cache=""
force=0
suites=${FERROVISOR_STABLE_SUITES:-trixie trixie-security}
keyring="${FERROVISOR_APT_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}"

RUNTIME_ROOTS="libmicrohttpd12t64|libmicrohttpd12 libcjson1 libc6 libnettle8t64|libnettle8"
DEV_PKGS="libmicrohttpd-dev libcjson-dev libc6-dev linux-libc-dev nettle-dev"
# Dependencies no program in the initramfs uses: gcc's base (docs only), debconf.
SKIP="gcc-14-base gcc-13-base gcc-12-base debconf"

say() { echo "$prog: $*"; }
die() {
	echo "$prog: error: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case "$1" in
	--arch) [ $# -ge 2 ] || die "--arch needs a value"; arch=$2; shift 2 ;;
	--cache) [ $# -ge 2 ] || die "--cache needs a value"; cache=$2; shift 2 ;;
	--suites) [ $# -ge 2 ] || die "--suites needs a value"; suites=$2; shift 2 ;;
	--force) force=1; shift ;;
	-h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
done
for s in $suites; do
	case "$s" in sid | unstable | experimental) die "stable libraries only, not from '$s'" ;; esac
done
for t in apt-get apt-cache dpkg dpkg-deb sha256sum awk; do
	command -v "$t" >/dev/null 2>&1 || die "missing tool '$t' (run scripts/install-deps.sh)"
done
[ -r "$keyring" ] || die "keyring $keyring not readable (apt-get install debian-archive-keyring)"

[ -n "$cache" ] || cache="${FERROVISOR_CACHE:-${HOME:-/root}/.cache/ferrovisor}/userland/$arch"
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
manifest="$cache/manifest.txt"

# Every deb of the manifest present with its hash, and the manifest complete.
cached_ok() {
	[ -f "$manifest" ] && grep -q '^complete$' "$manifest" &&
		grep -q "^format $FORMAT\$" "$manifest" && grep -q "^arch $arch\$" "$manifest" || return 1
	# A cache from before a package was added to the lists is fetched again.
	for p in $DEV_PKGS; do grep -q "^package $p " "$manifest" || return 1; done
	n=0
	while read -r key sum _size path; do
		[ "$key" = file ] || continue
		[ -f "$cache/$path" ] || return 1
		[ "$(sha256sum "$cache/$path" | cut -d' ' -f1)" = "$sum" ] || return 1
		n=$((n + 1))
	done <"$manifest"
	[ "$n" -gt 0 ]
}

extract_sysroot() {
	rm -rf "$cache/sysroot.new"
	mkdir -p "$cache/sysroot.new"
	for deb in "$cache"/debs/*.deb; do dpkg-deb -x "$deb" "$cache/sysroot.new"; done
	# Merged /usr: the debs ship /usr/lib only, their linker scripts name /lib.
	[ -e "$cache/sysroot.new/lib" ] || ln -s usr/lib "$cache/sysroot.new/lib"
	rm -rf "$cache/sysroot"
	mv "$cache/sysroot.new" "$cache/sysroot"
}

if [ "$force" = 0 ] && cached_ok; then
	[ -d "$cache/sysroot/usr/include" ] || extract_sysroot
	say "cached: $cache ($(grep -c '^package ' "$manifest") packages)"
	exit 0
fi

tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=scripts/lib/apt-sandbox.sh
. "$(dirname "$0")/lib/apt-sandbox.sh"

usable=""
for s in $suites; do
	if apt_update "$s"; then usable="$usable $s"; fi
done
[ -n "$usable" ] || die "no suite usable: $suites ($(cat "$tmp/reasons" 2>/dev/null))"

# best pkg -> "suite version" of the highest candidate over the usable suites, or empty
best() {
	bs=""
	bv=""
	for s in $usable; do
		v=$(candidate "$s" "$1")
		[ -n "$v" ] || continue
		if [ -z "$bv" ] || dpkg --compare-versions "$v" gt "$bv"; then
			bs=$s
			bv=$v
		fi
	done
	[ -n "$bv" ] && echo "$bs $bv"
}

# deps suite pkg version -> first alternative of every Depends/Pre-Depends group
deps() {
	apt_run "$1" apt-cache show "$2=$3" 2>/dev/null | awk '
		/^$/ { exit }
		/^(Depends|Pre-Depends):/ {
			sub(/^[A-Za-z-]+:[ ]*/, "")
			n = split($0, groups, ",")
			for (i = 1; i <= n; i++) {
				g = groups[i]; sub(/\|.*/, "", g); sub(/\(.*/, "", g); sub(/:any/, "", g)
				gsub(/[ \t]/, "", g); if (g != "") print g
			}
		}'
}

chosen="" # lines "name version suite role"
have() { echo "$chosen" | awk -v p="$1" '$1 == p { f = 1 } END { exit !f }'; }

add_pkg() { # name role follow
	have "$1" && return 0
	case " $SKIP " in *" $1 "*) say "skipping $1 (not needed in the initramfs)"; return 0 ;; esac
	sv=$(best "$1") || return 1
	set -- "$1" "$2" "$3" "${sv%% *}" "${sv#* }"
	chosen="$chosen$1 $5 $4 $2
"
	[ "$3" = follow ] || return 0
	for d in $(deps "$4" "$1" "$5"); do
		add_pkg "$d" runtime follow || die "$d (needed by $1) not found in:$usable"
	done
}

for root in $RUNTIME_ROOTS; do
	ok=0
	for name in $(echo "$root" | tr '|' ' '); do
		if add_pkg "$name" runtime follow; then ok=1; break; fi
	done
	[ "$ok" = 1 ] || die "none of $root found in:$usable"
done
for p in $DEV_PKGS; do
	add_pkg "$p" dev nofollow || die "$p not found in:$usable"
done

debdir="$tmp/debs"
mkdir -p "$debdir"
for s in $usable; do
	list=$(echo "$chosen" | awk -v s="$s" '$3 == s { printf "%s=%s ", $1, $2 }')
	[ -n "$list" ] || continue
	say "apt-get download ($s): $list"
	# shellcheck disable=SC2086 # one word per package
	(cd "$debdir" && apt_run "$s" apt-get download $list) >"$tmp/download.log" 2>&1 || {
		cat "$tmp/download.log" >&2
		die "apt-get download from $s failed"
	}
done

rm -f "$manifest"
rm -rf "$cache/debs"
mv "$debdir" "$cache/debs"
extract_sysroot
{
	echo "# Ferrovisor service VM libraries, written by scripts/fetch-guest-libs.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "format $FORMAT"
	echo "arch $arch"
	echo "suites$usable"
	echo "mirror $mirror"
	echo "$chosen" | awk 'NF == 4 { print "package", $1, $2, $3, $4 }'
	(cd "$cache" && for f in debs/*.deb; do
		echo "file $(sha256sum "$f" | cut -d' ' -f1) $(wc -c <"$f" | tr -d ' ') $f"
	done)
	echo "complete"
} >"$manifest.new"
mv "$manifest.new" "$manifest"
say "$(grep -c '^package ' "$manifest") packages from$usable: $cache"
