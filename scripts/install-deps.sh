#!/bin/sh
# SPDX-License-Identifier: MIT
# Install everything Ferrovisor needs to build, run and test (Debian 12 host).
# Idempotent: does nothing when all tools are present. Needs root (or sudo).
set -eu

need_tools="qemu-system-riscv64 riscv64-linux-gnu-gcc dtc clang-format cppcheck cpio gnuplot clang qemu-img"
# The dashboard tests drive headless Chromium through chromedriver (python3-selenium).
need_tools="$need_tools chromium chromedriver"
need_pkgs_check_ui="python3-selenium"
need_pkgs_check="libfdt-dev libyaml-dev libcmocka-dev libc6-dev-riscv64-cross libc6-dev-arm64-cross libmicrohttpd-dev libcjson-dev libcurl4-openssl-dev nettle-dev e2fsprogs gdb-multiarch"
# The arm64 port (make ARCH=arm64, tests/integration/test_arm64_*.py).
need_tools="$need_tools qemu-system-aarch64 aarch64-linux-gnu-gcc"
# Metrics tests (issue 12): a real Prometheus server and promtool.
need_tools="$need_tools prometheus promtool"

missing=0
for t in $need_tools; do
	command -v "$t" >/dev/null 2>&1 || missing=1
done
for p in $need_pkgs_check $need_pkgs_check_ui; do
	dpkg -s "$p" >/dev/null 2>&1 || missing=1
done
# The ferrovisord tests read docs/api/openapi.yaml with PyYAML (Debian: python3-yaml).
python3 -c 'import yaml' >/dev/null 2>&1 || missing=1
if command -v qemu-system-riscv64 >/dev/null 2>&1; then
	# QEMU 7.2 (bookworm) lacks pieces we rely on; require 10.x from backports.
	case "$(qemu-system-riscv64 --version | head -n1)" in
	*"version 1"[0-9]*) ;;
	*) missing=1 ;;
	esac
fi
[ "$missing" = 0 ] && { echo "install-deps: all dependencies present"; exit 0; }

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

# Add bookworm-backports with the same mirror as the existing sources.
if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
	uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1 | awk '{print $2}')
	if [ -z "$uri" ]; then
		uri=$(grep -hs '^deb ' /etc/apt/sources.list 2>/dev/null | grep -v security | head -n1 | awk '{print $2}')
	fi
	[ -n "$uri" ] || uri="http://deb.debian.org/debian"
	echo "install-deps: adding bookworm-backports from $uri"
	printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" |
		$SUDO tee /etc/apt/sources.list.d/ferrovisor-backports.sources >/dev/null
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends -t bookworm-backports \
	qemu-system-riscv qemu-system-arm qemu-system-x86 qemu-utils
$SUDO apt-get install -y -q --no-install-recommends \
	gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu libc6-dev-riscv64-cross \
	gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross \
	device-tree-compiler cpio xz-utils zstd clang-format cppcheck \
	libfdt-dev libyaml-dev libcmocka-dev libmicrohttpd-dev libcjson-dev libcurl4-openssl-dev python3-yaml nettle-dev e2fsprogs gdb-multiarch \
	python3 pkg-config make gcc libc6-dev \
	gpgv debian-archive-keyring ca-certificates gnuplot-nox clang
$SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver python3-selenium
$SUDO apt-get install -y -q --no-install-recommends prometheus
echo "install-deps: done"
