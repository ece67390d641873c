/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_SCALAR_H
#define FV_TOOLS_SCALAR_H

/*
 * Conversions of YAML scalar text to values, shared by the loader and the
 * command line. Pure functions: no I/O, no allocation.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decimal ("4096") or hexadecimal ("0x1000") without sign or spaces. 0 or -1. */
int scalar_u64(const char *s, uint64_t *out);

/*
 * A size: a number as scalar_u64() or a decimal with a binary unit,
 * "512M", "1G", "64MiB", "4k", "2MB" (all powers of 1024, as the
 * hypervisor's config_parse_size()). 0 or -1.
 */
int scalar_size(const char *s, uint64_t *out);

/* YAML 1.1 booleans: true/false, yes/no, on/off in any case. 0 or -1. */
int scalar_bool(const char *s, bool *out);

/* A plain scalar that YAML reads as null: "", "~", "null" (any case). */
bool scalar_is_null(const char *s);

/* Write v as the shortest exact "<n>G"/"<n>M"/"<n>K" or plain bytes. */
void scalar_fmt_size(uint64_t v, char *buf, size_t len);

/* A MAC address "xx:xx:xx:xx:xx:xx" (hex digits, either case), unicast, not all zero. */
bool scalar_mac_ok(const char *s);

/* A QEMU user-mode port forward: PROTO:HOSTADDR:HOSTPORT-[GUESTADDR]:GUESTPORT. */
struct scalar_fwd {
	bool udp;            /* else tcp */
	char host_addr[16];  /* dotted IPv4 as written, or "" (QEMU: every address) */
	unsigned host_port;  /* 1-65535 */
	unsigned guest_port; /* 1-65535 */
};

/*
 * Parse a port forward such as "tcp:127.0.0.1:8080-:80": PROTO tcp or udp,
 * addresses empty or dotted IPv4 (a guest address "10.0.2.15" is kept in
 * the text only), ports 1-65535 in decimal. 0 or -1. Which host addresses
 * are acceptable is the caller's decision.
 */
int scalar_fwd(const char *s, struct scalar_fwd *out);

/* Edit distance of two short strings, capped at 9 (for "did you mean"). */
unsigned scalar_distance(const char *a, const char *b);

#endif
