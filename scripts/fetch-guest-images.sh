#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetch a stock Debian Linux kernel + busybox-static by package name and build
# a small initramfs for Ferrovisor guests.
#
#   scripts/fetch-guest-images.sh --matrix [--arch A] [--cache DIR] [--force]
#       both kernel suites side by side: DIR/stable (trixie, or trixie-security
#       when its kernel is newer; never sid) and DIR/unstable (sid). A suite
#       that cannot be fetched keeps a complete set cached before (said so),
#       else gets DIR/<suite>/unavailable.txt with the reason. Fails only when
#       neither suite is usable. DIR defaults to the cache below.
#   scripts/fetch-guest-images.sh --kernel stable|unstable [--arch A] [--cache DIR] [--force]
#       one of them into DIR (exit 3: unavailable, reason in DIR/unavailable.txt)
#   scripts/fetch-guest-images.sh [--arch riscv64|arm64|amd64] [--cache DIR]
#                                 [--suites "trixie trixie-security sid"] [--force]
#       the first suite that has a kernel (no suite guarantee)
# Suites per kernel: $FERROVISOR_STABLE_SUITES ("trixie trixie-security"),
# $FERROVISOR_UNSTABLE_SUITES ("sid"); --suites overrides both.
#
# Output (default cache ${FERROVISOR_CACHE:-$HOME/.cache/ferrovisor}/images/<arch>):
#   Image               kernel image (magic-checked)
#   initramfs.cpio.gz   busybox + virtio modules + /init (see guests/linux/README.md)
#   busybox             the static busybox from busybox-static
#   modules/*.ko        the decompressed modules put into the initramfs
#   debs/*.deb          the packages as apt downloaded them (signature+hash checked)
#   manifest.txt        suites, package names/versions, sha256 of every file above
#
# apt runs in an isolated configuration (own sources list, state, cache and
# preferences; host keyring /usr/share/keyrings/debian-archive-keyring.gpg via
# Signed-By); the host's apt state is never touched and nothing is installed.
set -eu

prog=fetch-guest-images
FORMAT=1 # bump when the layout of the cache/initramfs changes

arch=riscv64
cache=""
force=0
suites=""
label=""
matrix=0
keyring="${FERROVISOR_APT_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}"

usage() {
	sed -n '2,37p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-0}"
}
say() { echo "$prog: $*"; }
die() {
	# Once a --kernel run has its cache, a failure is an unavailable suite.
	if [ "${fetching:-0}" = 1 ]; then
		unavailable "$@"
	fi
	echo "$prog: error: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case "$1" in
	--arch) [ $# -ge 2 ] || usage 2; arch=$2; shift 2 ;;
	--arch=*) arch=${1#*=}; shift ;;
	--cache) [ $# -ge 2 ] || usage 2; cache=$2; shift 2 ;;
	--cache=*) cache=${1#*=}; shift ;;
	--suites) [ $# -ge 2 ] || usage 2; suites=$2; shift 2 ;;
	--suites=*) suites=${1#*=}; shift ;;
	--force) force=1; shift ;;
	--kernel) [ $# -ge 2 ] || usage 2; label=$2; shift 2 ;;
	--kernel=*) label=${1#*=}; shift ;;
	--matrix) matrix=1; shift ;;
	-h | --help) usage 0 ;;
	*) echo "$prog: unknown argument: $1" >&2; usage 2 ;;
	esac
done

# Per-architecture facts: Debian kernel flavour, ELF e_machine of busybox.
case "$arch" in
riscv64) flavour=riscv64; elf_machine=f300 ;;
arm64) flavour=arm64; elf_machine=b700 ;;
amd64) flavour=amd64; elf_machine=3e00 ;;
*) die "unsupported --arch '$arch' (riscv64, arm64, amd64)" ;;
esac

# Modules wanted in the initramfs, in load order (missing ones are skipped:
# they are built in on that kernel or absent). Dependencies found in the
# modules' .modinfo are added and ordered first automatically.
WANT_MODULES="failover net_failover virtio_mmio virtio_blk virtio_net virtio_console virtio_rng crc32c_generic ext4"

[ -n "$cache" ] || cache="${FERROVISOR_CACHE:-${HOME:-/root}/.cache/ferrovisor}/images/$arch"
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
manifest="$cache/manifest.txt"

# ---------------------------------------------------------------------------
# Manifest helpers. Lines: "key value..." ; files as "file <sha256> <size> <path>".

manifest_get() { # key -> first value(s) of that key
	[ -f "$manifest" ] && awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$manifest"
}

# Verify all "file" lines (optionally only those under a prefix). Returns 1 on
# any mismatch or missing file, or if there is no such line at all.
manifest_check() {
	prefix=${1:-}
	[ -f "$manifest" ] || return 1
	grep -q '^complete$' "$manifest" || return 1
	n=0
	while read -r key sum _size path; do
		[ "$key" = file ] || continue
		case "$path" in "$prefix"*) ;; *) continue ;; esac
		[ -f "$cache/$path" ] || return 1
		got=$(sha256sum "$cache/$path" | cut -d' ' -f1)
		[ "$got" = "$sum" ] || return 1
		n=$((n + 1))
	done <"$manifest"
	[ "$n" -gt 0 ]
}

# complete_set dir -> 0 if dir holds a finished fetch (manifest ends with "complete")
complete_set() { [ -f "$1/manifest.txt" ] && grep -q '^complete$' "$1/manifest.txt"; }

if [ "$matrix" = 1 ]; then
	# One run per kernel suite, each in its own directory; their failures are
	# recorded, not fatal, unless no suite is usable at all.
	usable=""
	for k in stable unstable; do
		set -- --arch "$arch" --cache "$cache/$k" --kernel "$k"
		[ "$force" = 0 ] || set -- "$@" --force
		[ -z "$suites" ] || set -- "$@" --suites "$suites"
		rc=0
		sh "$0" "$@" || rc=$?
		if complete_set "$cache/$k"; then
			usable="$usable $k"
		elif [ -f "$cache/$k/unavailable.txt" ]; then
			say "$k: unavailable (why: $cache/$k/unavailable.txt)"
		else
			say "$k: failed (exit $rc)"
		fi
	done
	[ -n "$usable" ] || die "no kernel suite usable (see */unavailable.txt in $cache)"
	say "usable kernel suites:$usable"
	exit 0
fi

case "$label" in
"") suites=${suites:-${FERROVISOR_SUITES:-trixie trixie-security sid}} ;;
stable)
	suites=${suites:-${FERROVISOR_STABLE_SUITES:-trixie trixie-security}}
	for s in $suites; do
		case "$s" in sid | unstable | experimental | rc-buggy)
			die "--kernel stable never takes a kernel from '$s'" ;;
		esac
	done
	;;
unstable)
	suites=${suites:-${FERROVISOR_UNSTABLE_SUITES:-sid}}
	for s in $suites; do
		case "$s" in sid | unstable) ;; *) die "--kernel unstable takes sid only, not '$s'" ;; esac
	done
	;;
*) die "--kernel '$label': stable or unstable" ;;
esac
[ -z "$label" ] || fetching=1

# A kernel suite that cannot be fetched: keep a complete set from an earlier run
# (it is what the tests used so far), else record why and exit 3. Without
# --kernel, any failure is fatal as before.
unavailable() {
	why=$*
	if [ -z "$label" ]; then
		echo "$prog: error: $why" >&2
		exit 1
	fi
	if manifest_check; then
		say "$label: fetch failed ($why); keeping the set cached before:" \
			"kernel $(manifest_get kernel-release) from $(manifest_get kernel-suite)"
		rm -f "$cache/unavailable.txt"
		exit 0
	fi
	{
		echo "$suites not fetched: $why"
		echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) scripts/fetch-guest-images.sh --kernel $label"
	} >"$cache/unavailable.txt"
	say "$label: unavailable: $suites not fetched: $why"
	exit 3
}

for t in apt-get apt-cache dpkg dpkg-deb cpio gzip xz sha256sum od find sort awk; do
	command -v "$t" >/dev/null 2>&1 || die "missing tool '$t' (run scripts/install-deps.sh)"
done
[ -r "$keyring" ] || die "keyring $keyring not readable (apt-get install debian-archive-keyring)"

# ---------------------------------------------------------------------------
# The /init and /etc/inittab put into the initramfs. Their text is hashed into
# the manifest so that a change here rebuilds the initramfs (from cached debs).

init_script() {
	cat <<'EOF'
#!/bin/sh
# Ferrovisor guest initramfs /init (generated by scripts/fetch-guest-images.sh)
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /root /usr/bin /usr/sbin
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
/bin/busybox --install -s
# The kernel may have had no /dev/console to give us: take it from devtmpfs.
# A failed redirection on exec would end this shell, so try it in a subshell.
console_ok() { (exec 0</dev/console) 2>/dev/null; }
console_ok && exec 0</dev/console 1>/dev/console 2>&1
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /tmp 2>/dev/null
hostname ferrovisor-guest

kver=$(uname -r)
loaded=""
failed=""
for m in $(cat /etc/fv-modules 2>/dev/null); do
	ko=/lib/modules/$kver/$m.ko
	[ -f "$ko" ] || continue
	if [ -d "/sys/module/$m" ] && [ -e "/sys/module/$m/initstate" ]; then
		loaded="$loaded $m"
		continue
	fi
	if out=$(insmod "$ko" 2>&1); then
		loaded="$loaded $m"
	else
		failed="$failed $m"
		echo "FERROVISOR-INIT: insmod $m failed: $out"
	fi
done
# console=hvc0: the virtio console appears only once virtio_mmio is loaded.
case " $(cat /proc/cmdline) " in
*" console=hvc"*)
	for i in 1 2 3 4 5 6 7 8 9 10; do console_ok && break; sleep 0.2; done
	console_ok && exec 0</dev/console 1>/dev/console 2>&1
	;;
esac
echo "FERROVISOR-INIT: modules loaded:${loaded:- none}${failed:+ failed:$failed}"
echo "FERROVISOR-INIT: up"
echo "FERROVISOR-INIT: nproc=$(nproc) kernel=$kver uptime=$(cut -d' ' -f1 /proc/uptime)"

mode=shell
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	fv.init=*) mode=${arg#fv.init=} ;;
	esac
done

case "$mode" in
poweroff)
	sync
	poweroff -f
	;;
bench)
	# Hook: an executable /etc/fv-bench (added by a later initramfs layer)
	# runs here; its output goes to the console.
	[ -x /etc/fv-bench ] && /etc/fv-bench
	echo "FERROVISOR-BENCH: done uptime=$(cut -d' ' -f1 /proc/uptime)"
	sync
	poweroff -f
	;;
esac

# Interactive: busybox init becomes PID 1, respawns a job-control shell on the
# console and handles poweroff/reboot (SIGUSR2/SIGTERM from those applets).
exec /sbin/init
EOF
}

inittab() {
	cat <<'EOF'
# Ferrovisor guest inittab (busybox init)
::respawn:/bin/cttyhack /bin/sh -l
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/sync
::shutdown:/bin/umount -a -r 2>/dev/null
::restart:/sbin/init
EOF
}

profile() {
	cat <<'EOF'
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
export PS1='fv-guest:\w# '
EOF
}

init_sha=$({ init_script; inittab; profile; echo "format $FORMAT $WANT_MODULES"; } | sha256sum | cut -d' ' -f1)

if [ "$force" = 0 ] && manifest_check &&
	[ "$(manifest_get init-sha256)" = "$init_sha" ] &&
	[ "$(manifest_get format)" = "$FORMAT" ] &&
	[ "$(manifest_get arch)" = "$arch" ]; then
	say "cached: $cache (kernel $(manifest_get kernel-release), suite $(manifest_get kernel-suite))"
	rm -f "$cache/unavailable.txt"
	# Up to date for make, which compares the manifest with this script.
	[ -z "$(find "$0" -newer "$manifest")" ] || touch "$manifest"
	exit 0
fi

tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------
# Mirrors and the isolated apt (apt_run, apt_update, candidate, pkg_field).

# shellcheck source=scripts/lib/apt-sandbox.sh
. "$(dirname "$0")/lib/apt-sandbox.sh"

# Kernel resolution for one suite. Prints "stub_pkg pkg=ver pkg=ver ..." for
# the packages holding the kernel and its modules, or fails.
resolve_kernel() {
	suite=$1
	# Real (non-meta) image packages: linux-image-<abi>-<flavour>[-unsigned],
	# <abi> as 6.12.117+deb13 or 6.1.0-28 (not -rt-, -cloud-, -dbg variants).
	abi=$(apt_run "$suite" apt-cache pkgnames linux-image- 2>/dev/null |
		sed -n -E "s/^linux-image-([0-9][0-9.]*(-[0-9]+)?(\+[a-z0-9.~]+)?)-$flavour(-unsigned)?\$/\1/p" |
		sort -u -V | tail -n 1)
	[ -n "$abi" ] || return 1
	img=""
	for p in "linux-image-$abi-$flavour-unsigned" "linux-image-$abi-$flavour"; do
		v=$(candidate "$suite" "$p")
		if [ -n "$v" ]; then img=$p; imgver=$v; break; fi
	done
	[ -n "$img" ] || return 1
	# sid layout: the image package is a stub depending on linux-binary-<abi>
	# (the kernel) and linux-modules-<abi> (the modules). Follow its Depends.
	deps=$(pkg_field "$suite" "$img" "$imgver" Depends | tr ',' '\n' |
		sed -e 's/|.*//' -e 's/(.*)//' -e 's/^ *//' -e 's/ *$//' -e 's/:.*//' |
		grep -E '^linux-(binary|modules)-' || true)
	if [ -z "$deps" ]; then
		echo "$img $img=$imgver"
		return 0
	fi
	out="$img"
	for p in $deps; do
		v=$(candidate "$suite" "$p")
		[ -n "$v" ] || return 1
		out="$out $p=$v"
	done
	echo "$out"
}

# why_not -> the reasons collected so far on one line (for unavailable.txt)
why_not() {
	[ -f "$tmp/reasons" ] && tr '\n' ';' <"$tmp/reasons" | sed -e 's/;$//' -e 's/;/; /g'
}

# pick_newest_kernel -> like pick kernel, but the highest image package version
# over all $suites (stable: trixie-security only when it is newer than trixie).
pick_newest_kernel() {
	best=""
	for suite in $suites; do
		apt_update "$suite" || continue
		if ! r=$(resolve_kernel "$suite"); then
			echo "$suite: no linux-image-*-$flavour" >>"$tmp/reasons"
			continue
		fi
		first=${r#* }
		first=${first%% *}
		v=${first#*=}
		say "kernel candidate in $suite: ${first%%=*} $v"
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
			best=$v
			chosen_suite=$suite
			kernel_stub=${r%% *}
			chosen_pkgs=${r#* }
		fi
	done
	[ -n "$best" ]
}

# pick what -> sets chosen_suite and chosen_pkgs ("pkg=ver ...")
pick() {
	what=$1
	if [ "$what" = kernel ] && [ -n "$label" ]; then
		pick_newest_kernel
		return
	fi
	for suite in $suites; do
		apt_update "$suite" || continue
		case "$what" in
		kernel)
			if r=$(resolve_kernel "$suite"); then
				chosen_suite=$suite
				kernel_stub=${r%% *}
				chosen_pkgs=${r#* }
				return 0
			fi
			;;
		*)
			v=$(candidate "$suite" "$what")
			if [ -n "$v" ]; then
				chosen_suite=$suite
				chosen_pkgs="$what=$v"
				return 0
			fi
			;;
		esac
		say "$what: not available in $suite/$arch, trying the next suite"
	done
	return 1
}

download() { # suite destdir pkg=ver...
	suite=$1
	dest=$2
	shift 2
	mkdir -p "$dest"
	(cd "$dest" && apt_run "$suite" apt-get download "$@") >"$tmp/download.log" 2>&1 || {
		cat "$tmp/download.log" >&2
		die "apt-get download $* from $suite failed"
	}
}

debdir="$tmp/debs"
pkglines=""
if [ "$force" = 0 ] && manifest_check debs/ && [ "$(manifest_get arch)" = "$arch" ]; then
	# Only the initramfs recipe changed (or an output file was damaged):
	# rebuild from the packages already verified and cached.
	say "rebuilding from cached packages in $cache/debs"
	mkdir -p "$debdir"
	cp "$cache"/debs/*.deb "$debdir/"
	kernel_suite=$(manifest_get kernel-suite)
	busybox_suite=$(manifest_get busybox-suite)
	kernel_stub=$(manifest_get kernel-package)
	pkglines=$(grep '^package ' "$manifest")
else
	t0=$(date +%s)
	pick kernel || die "no linux-image-*-$flavour kernel found in: $suites ($(why_not))"
	kernel_suite=$chosen_suite
	kernel_pkgs=$chosen_pkgs
	say "kernel: $kernel_stub -> $kernel_pkgs (suite $kernel_suite)"
	pick busybox-static || die "busybox-static not found in: $suites ($(why_not))"
	busybox_suite=$chosen_suite
	busybox_pkgs=$chosen_pkgs
	say "busybox: $busybox_pkgs (suite $busybox_suite)"
	# shellcheck disable=SC2086
	download "$kernel_suite" "$debdir" $kernel_pkgs
	# shellcheck disable=SC2086
	download "$busybox_suite" "$debdir" $busybox_pkgs
	for p in $kernel_pkgs; do pkglines="${pkglines}package ${p%%=*} ${p#*=} $kernel_suite
"; done
	for p in $busybox_pkgs; do pkglines="${pkglines}package ${p%%=*} ${p#*=} $busybox_suite
"; done
	pkglines=$(printf '%s' "$pkglines")
	say "fetched in $(($(date +%s) - t0)) s"
fi

# ---------------------------------------------------------------------------
# Extract.

root="$tmp/root"
mkdir -p "$root"
for deb in "$debdir"/*.deb; do
	[ -f "$deb" ] || die "no packages downloaded"
	dpkg-deb -x "$deb" "$root"
done

hex_at() { # file offset count -> hex bytes
	od -An -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'
}

check_kernel_magic() { # file -> 0 if it is an $arch kernel image
	case "$arch" in
	riscv64) [ "$(hex_at "$1" 48 8)" = 5249534356000000 ] && [ "$(hex_at "$1" 56 4)" = 52534305 ] ;;
	arm64) [ "$(hex_at "$1" 56 4)" = 41524d64 ] ;;
	amd64) [ "$(hex_at "$1" 514 4)" = 48647253 ] ;; # bzImage "HdrS"
	esac
}

kimage=""
for k in "$root"/boot/vmlinux-* "$root"/boot/vmlinuz-* "$root"/usr/lib/modules/*/vmlinuz \
	"$root"/lib/modules/*/vmlinuz "$root"/usr/lib/linux/*/vmlinuz; do
	[ -f "$k" ] || continue
	c="$tmp/Image.candidate"
	case "$(hex_at "$k" 0 2)" in
	1f8b) gzip -dc "$k" >"$c" ;;
	*) cp "$k" "$c" ;;
	esac
	if check_kernel_magic "$c"; then
		kimage=$k
		mv "$c" "$tmp/Image"
		break
	fi
	say "warning: $k has no $arch Image magic, skipped"
done
[ -n "$kimage" ] || die "no kernel image with a valid $arch boot header in the packages"

moddir=""
for d in "$root"/usr/lib/modules/* "$root"/lib/modules/*; do
	[ -d "$d/kernel" ] && { moddir=$d; break; }
done
[ -n "$moddir" ] || die "no modules directory (lib/modules/<kver>/kernel) in the packages"
kver=$(basename "$moddir")
say "kernel release $kver, image $(basename "$kimage")"

bb=""
for b in "$root"/usr/bin/busybox "$root"/bin/busybox; do
	[ -f "$b" ] && { bb=$b; break; }
done
[ -n "$bb" ] || die "busybox binary not found in busybox-static"
if [ "$(hex_at "$bb" 0 4)" != 7f454c46 ] || [ "$(hex_at "$bb" 18 2)" != "$elf_machine" ]; then
	die "busybox is not an $arch ELF"
fi

# Modules: locate (name with - or _), decompress, follow .modinfo depends=.
find "$moddir/kernel" -name '*.ko*' >"$tmp/allmods"
mods="$tmp/mods"
mkdir -p "$mods"

find_module() { # name -> path of .ko[.xz|.zst|.gz] or empty
	alt=$(echo "$1" | tr '_' '-')
	grep -E "/($1|$alt)\\.ko(\\.xz|\\.zst|\\.gz)?\$" "$tmp/allmods" | head -n 1
}

ordered=""
visiting=""
add_module() { # name [required-by]; appends deps first, then the module
	case " $ordered " in *" $1 "*) return 0 ;; esac
	case " $visiting " in *" $1 "*) return 0 ;; esac
	src=$(find_module "$1")
	if [ -z "$src" ]; then
		# absent: built in (or not available) on this kernel
		[ -n "${2:-}" ] || say "module $1: not a module in $kver (built in or absent), skipped"
		return 0
	fi
	visiting="$visiting $1"
	out="$mods/$1.ko"
	case "$src" in
	*.ko.xz) xz -dc "$src" >"$out" ;;
	*.ko.zst) command -v zstd >/dev/null 2>&1 || die "zstd needed for $src"; zstd -qdc "$src" >"$out" ;;
	*.ko.gz) gzip -dc "$src" >"$out" ;;
	*) cp "$src" "$out" ;;
	esac
	deps=$(tr '\0' '\n' <"$out" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' ')
	for dep in $deps; do
		dep=$(echo "$dep" | tr '-' '_')
		add_module "$dep" "$1"
	done
	ordered="$ordered $1"
}
for m in $WANT_MODULES; do add_module "$m"; done
ordered=${ordered# }
say "modules: ${ordered:-none}"

# ---------------------------------------------------------------------------
# initramfs: newc cpio, gzip, files owned by root, fixed mtimes (reproducible).

ird="$tmp/initramfs"
mkdir -p "$ird/bin" "$ird/sbin" "$ird/etc" "$ird/proc" "$ird/sys" "$ird/dev" "$ird/tmp" \
	"$ird/run" "$ird/root" "$ird/usr/bin" "$ird/usr/sbin" "$ird/lib/modules/$kver"
cp "$bb" "$ird/bin/busybox"
chmod 0755 "$ird/bin/busybox"
ln -s busybox "$ird/bin/sh"
ln -s ../bin/busybox "$ird/sbin/init"
init_script >"$ird/init"
chmod 0755 "$ird/init"
inittab >"$ird/etc/inittab"
profile >"$ird/etc/profile"
echo "$ordered" | tr ' ' '\n' | sed '/^$/d' >"$ird/etc/fv-modules"
for m in $ordered; do cp "$mods/$m.ko" "$ird/lib/modules/$kver/"; done
# /dev/console for the kernel's initial console (/init copes without it).
mknod -m 600 "$ird/dev/console" c 5 1 2>/dev/null || true
mknod -m 666 "$ird/dev/null" c 1 3 2>/dev/null || true
find "$ird" -exec touch -h -d @0 {} + 2>/dev/null || true
(cd "$ird" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) |
	gzip -9n >"$tmp/initramfs.cpio.gz"

# ---------------------------------------------------------------------------
# Install into the cache (manifest last) and record hashes.

rm -f "$manifest"
rm -rf "$cache/modules" "$cache/debs"
mkdir -p "$cache/modules" "$cache/debs"
mv "$tmp/Image" "$cache/Image"
mv "$tmp/initramfs.cpio.gz" "$cache/initramfs.cpio.gz"
cp "$bb" "$cache/busybox"
chmod 0755 "$cache/busybox"
for m in $ordered; do cp "$mods/$m.ko" "$cache/modules/"; done
mv "$debdir"/*.deb "$cache/debs/"

{
	echo "# Ferrovisor guest images, written by scripts/fetch-guest-images.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "format $FORMAT"
	echo "arch $arch"
	echo "mirror $mirror"
	echo "security-mirror $security"
	[ -z "$label" ] || echo "kernel $label"
	echo "kernel-suite $kernel_suite"
	echo "busybox-suite $busybox_suite"
	echo "kernel-package $kernel_stub"
	echo "kernel-release $kver"
	echo "kernel-source-path ${kimage#"$root"}"
	echo "modules $ordered"
	echo "init-sha256 $init_sha"
	echo "$pkglines"
	(cd "$cache" && for f in Image initramfs.cpio.gz busybox modules/*.ko debs/*.deb; do
		[ -f "$f" ] || continue
		echo "file $(sha256sum "$f" | cut -d' ' -f1) $(wc -c <"$f" | tr -d ' ') $f"
	done)
	echo "complete"
} >"$manifest.new"
mv "$manifest.new" "$manifest"
rm -f "$cache/unavailable.txt"

say "kernel $kver from $kernel_suite ($kernel_stub), busybox from $busybox_suite"
say "Image $(wc -c <"$cache/Image" | tr -d ' ') bytes, initramfs.cpio.gz $(wc -c <"$cache/initramfs.cpio.gz" | tr -d ' ') bytes"
say "done: $cache"
