# SPDX-License-Identifier: MIT
# Isolated apt for fetching Debian packages by name (sourced by scripts/fetch-guest-images.sh
# and scripts/fetch-guest-libs.sh; POSIX sh). The caller sets: arch (Debian architecture),
# keyring (archive keyring file), tmp (scratch directory), and defines say(). apt gets its own
# sources list, state, cache and preferences under $tmp/apt/<suite>; the host apt state is
# never touched and nothing is installed.

# Mirror URIs: derived from the host's apt sources (deb822 and one-line).

host_source_pairs() { # prints "uri suite" for every deb source of the host
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
		function flush() {
			if (types ~ /(^| )deb( |$)/ && enabled != "no")
				for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print u[i], s[j]
			types = ""; enabled = ""; nu = 0; ns = 0
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		{ key = tolower($1); sub(/:$/, "", key) }
		key == "types" { types = ""; for (i = 2; i <= NF; i++) types = types " " $i; types = types " " }
		key == "enabled" { enabled = tolower($2) }
		key == "uris" { for (i = 2; i <= NF; i++) u[++nu] = $i }
		key == "suites" { for (i = 2; i <= NF; i++) s[++ns] = $i }
		END { flush() }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && NF >= 3 { print $2, $3 }'
	done
}

pairs=$(host_source_pairs 2>/dev/null || true)
mirror=${FERROVISOR_DEBIAN_MIRROR:-$(echo "$pairs" | awk '$2 !~ /-(security|backports|updates)$/ && $1 ~ /^https?:/ { print $1; exit }')}
security=${FERROVISOR_DEBIAN_SECURITY:-$(echo "$pairs" | awk '$2 ~ /-security$/ && $1 ~ /^https?:/ { print $1; exit }')}
mirror=${mirror:-http://deb.debian.org/debian}
security=${security:-http://deb.debian.org/debian-security}
mirror=${mirror%/}
security=${security%/}

suite_uri() {
	case "$1" in
	*-security) echo "$security" ;;
	*) echo "$mirror" ;;
	esac
}

# ---------------------------------------------------------------------------
# Isolated apt, one state directory per suite.

APT_SANDBOX=""
[ "$(id -u)" = 0 ] && APT_SANDBOX="-o APT::Sandbox::User=root"

apt_dir() { echo "$tmp/apt/$1"; }

apt_run() { # suite cmd args...
	d=$(apt_dir "$1")
	shift
	cmd=$1
	shift
	# shellcheck disable=SC2086 # APT_SANDBOX is intentionally split
	"$cmd" -q \
		-o APT::Architecture="$arch" -o APT::Architectures="$arch" \
		-o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts=- \
		-o Dir::Etc::preferences="$d/preferences" -o Dir::Etc::preferencesparts="$d/preferences.d" \
		-o Dir::Etc::Trusted="$keyring" -o Dir::Etc::TrustedParts="$d/trusted.gpg.d" \
		-o Dir::State="$d/state" -o Dir::State::status="$d/state/status" \
		-o Dir::Cache="$d/cache" -o Dir::Cache::archives="$d/cache/archives" \
		-o Dir::Log="$d/log" \
		-o Acquire::Languages=none -o APT::Get::AllowUnauthenticated=false \
		$APT_SANDBOX "$@"
}

# apt_update suite -> 0 if the suite's index for $arch was fetched and verified
apt_update() {
	suite=$1
	d=$(apt_dir "$suite")
	if [ -f "$d/ok" ]; then return 0; fi
	if [ -f "$d/failed" ]; then return 1; fi
	mkdir -p "$d/state/lists/partial" "$d/cache/archives/partial" "$d/preferences.d" \
		"$d/trusted.gpg.d" "$d/log"
	: >"$d/state/status"
	: >"$d/preferences"
	echo "deb [signed-by=$keyring] $(suite_uri "$suite") $suite main" >"$d/sources.list"
	say "apt-get update: $suite ($(suite_uri "$suite"), $arch)"
	if apt_run "$suite" apt-get update >"$d/update.log" 2>&1 &&
		! grep -qE '^(E|W): (Failed|Some index|GPG|The repository)' "$d/update.log" &&
		ls "$d/state/lists/"*_Packages* >/dev/null 2>&1; then
		touch "$d/ok"
		return 0
	fi
	say "suite $suite unusable for $arch:"
	grep -E '^(E:|Err:|W:)|unexpected size|Mirror sync' "$d/update.log" | head -n 4 | sed 's/^/    /' >&2
	# One line of why for unavailable.txt: apt's first error, else its last line.
	why=$(grep -E '^E:' "$d/update.log" | head -n 1)
	[ -n "$why" ] || why=$(grep -E '^W: Failed to fetch' "$d/update.log" | head -n 1 | tr -s ' ')
	[ -n "$why" ] || why=$(grep -E '^(Err:|W:)' "$d/update.log" | head -n 1)
	[ -n "$why" ] || why=$(tail -n 1 "$d/update.log")
	echo "apt-get update $suite: $why" >>"$tmp/reasons"
	touch "$d/failed"
	return 1
}

candidate() { # suite pkg -> candidate version or empty
	apt_run "$1" apt-cache policy "$2" 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" { print $2; exit }'
}

pkg_field() { # suite pkg version field
	apt_run "$1" apt-cache show "$2=$3" 2>/dev/null | awk -v f="$4:" '
		$1 == f { $1 = ""; sub(/^ /, ""); print; exit }
		/^$/ { exit }'
}
