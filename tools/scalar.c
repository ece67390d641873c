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
	/* Bit 0 of the first octet set means multicast: not a NIC address. */
	return (hexval(s[1]) & 1) == 0;
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
