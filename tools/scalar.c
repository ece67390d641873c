// SPDX-License-Identifier: MIT
/* Scalar conversions for the configuration tool (contracts in scalar.h). */
#include "scalar.h"

#include <stdio.h>
#include <string.h>

#include "core/config.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int scalar_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		const char *p = s + 2;
		if (!*p)
			return -1;
		for (; *p; p++) {
			int d = hexval(*p);
			if (d < 0 || v > (UINT64_MAX >> 4))
				return -1;
			v = (v << 4) | (uint64_t)d;
		}
		*out = v;
		return 0;
	}
	if (!*s)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		uint64_t d = (uint64_t)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int scalar_size(const char *s, uint64_t *out)
{
	if (scalar_u64(s, out) == 0)
		return 0;
	/* The hypervisor's own parser: sizes mean the same in YAML and in the blob tools. */
	return config_parse_size(s, out) == 0 ? 0 : -1;
}

static bool word_is(const char *s, const char *w)
{
	for (; *s && *w; s++, w++) {
		char c = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
		if (c != *w)
			return false;
	}
	return !*s && !*w;
}

int scalar_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (word_is(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (word_is(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

bool scalar_is_null(const char *s)
{
	return !*s || strcmp(s, "~") == 0 || word_is(s, "null");
}

void scalar_fmt_size(uint64_t v, char *buf, size_t len)
{
	static const struct {
		unsigned shift;
		char unit;
	} units[] = {{40, 'T'}, {30, 'G'}, {20, 'M'}, {10, 'K'}};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t u = 1ULL << units[i].shift;
		if (v && v % u == 0) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(v / u), units[i].unit);
			return;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
}

bool scalar_mac_ok(const char *s)
{
	if (strlen(s) != 17)
		return false;
	for (unsigned i = 0; i < 17; i++) {
		if (i % 3 == 2 ? s[i] != ':' : hexval(s[i]) < 0)
			return false;
	}
	/* Bit 0 of the first octet set means multicast: not a NIC address; nor is 0. */
	return (hexval(s[1]) & 1) == 0 && strcmp(s, "00:00:00:00:00:00") != 0;
}

/* Decimal 1-65535 in the n bytes at p. */
static bool port_ok(const char *p, size_t n, unsigned *out)
{
	unsigned v = 0;
	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	*out = v;
	return v >= 1 && v <= 65535;
}

/* Empty, or a dotted IPv4 address (four decimal parts 0-255) in the n bytes at p. */
static bool ipv4_ok(const char *p, size_t n)
{
	unsigned parts = 0, digits = 0, v = 0;
	if (n == 0)
		return true;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == '.') {
			if (digits == 0 || v > 255)
				return false;
			parts++;
			digits = 0;
			v = 0;
		} else if (p[i] >= '0' && p[i] <= '9' && digits < 3) {
			v = v * 10 + (unsigned)(p[i] - '0');
			digits++;
		} else {
			return false;
		}
	}
	return parts == 4;
}

int scalar_fwd(const char *s, struct scalar_fwd *out)
{
	const char *c1 = strchr(s, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	const char *dash = c2 ? strchr(c2 + 1, '-') : NULL;
	const char *c3 = dash ? strchr(dash + 1, ':') : NULL;
	if (!c3 || strchr(c3 + 1, ':'))
		return -1;
	size_t plen = (size_t)(c1 - s), hlen = (size_t)(c2 - c1 - 1);
	bool tcp = plen == 3 && strncmp(s, "tcp", 3) == 0;
	bool udp = plen == 3 && strncmp(s, "udp", 3) == 0;
	if ((!tcp && !udp) || hlen >= sizeof(out->host_addr) || !ipv4_ok(c1 + 1, hlen) ||
	    !ipv4_ok(dash + 1, (size_t)(c3 - dash - 1)) ||
	    !port_ok(c2 + 1, (size_t)(dash - c2 - 1), &out->host_port) ||
	    !port_ok(c3 + 1, strlen(c3 + 1), &out->guest_port))
		return -1;
	out->udp = udp;
	memcpy(out->host_addr, c1 + 1, hlen);
	out->host_addr[hlen] = '\0';
	return 0;
}

unsigned scalar_distance(const char *a, const char *b)
{
	enum { N = 32 };
	size_t la = strlen(a), lb = strlen(b);
	if (la >= N || lb >= N)
		return 9;
	unsigned row[N], prev[N];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			unsigned del = prev[j] + 1, ins = row[j - 1] + 1;
			unsigned best = sub < del ? sub : del;
			row[j] = best < ins ? best : ins;
		}
		memcpy(prev, row, (lb + 1) * sizeof(row[0]));
	}
	return prev[lb] > 9 ? 9 : prev[lb];
}
