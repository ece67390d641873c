// SPDX-License-Identifier: MIT
/*
 * FVCP client of the test guests (contract in fvcp_client.h): request/response
 * with sequence numbers over vcon.c, events dispatched to the guest's callback.
 * Portable: the arm64 test guests link it too (guests/arm64/port).
 */
#include "fvcp_client.h"

#include "plat.h"
#include "printf.h"
#include "vcon.h"

static struct ctl_rx crx;
static uint32_t next_seq = 1;
static uint8_t txf[CTL_MAX_FRAME];
static uint8_t last_pl[CTL_MAX_PAYLOAD];
static struct ctl_hdr last;
static fvcp_event_fn event_cb;
static const char *tag;
static uint64_t call_timeout_ms;

bool fvcp_init(uint64_t base, fvcp_event_fn on_event, const char *log_tag, uint64_t call_ms)
{
	event_cb = on_event;
	tag = log_tag;
	call_timeout_ms = call_ms;
	ctl_rx_init(&crx);
	return vcon_init(base);
}

bool fvcp_has(const uint8_t *p, size_t n, const char *s)
{
	size_t m = 0;
	while (s[m])
		m++;
	for (size_t i = 0; i + m <= n; i++) {
		size_t k = 0;
		while (k < m && p[i + k] == (uint8_t)s[k])
			k++;
		if (k == m)
			return true;
	}
	return false;
}

bool fvcp_name_is(const uint8_t *f, const char *s)
{
	unsigned i = 0;
	for (; s[i]; i++)
		if (f[i] != (uint8_t)s[i])
			return false;
	return f[i] == 0;
}

void fvcp_put_name(uint8_t *p, const char *s)
{
	for (unsigned i = 0; i < CTL_NAME_MAX; i++)
		p[i] = 0;
	for (unsigned i = 0; s[i] && i < CTL_NAME_MAX - 1; i++)
		p[i] = (uint8_t)s[i];
}

bool fvcp_next_response(uint64_t ms)
{
	uint64_t end = plat_now() + plat_ms_to_ticks(ms);
	static uint8_t in[4096];
	for (;;) {
		struct ctl_hdr h;
		const uint8_t *p;
		int r = ctl_rx_pop(&crx, &h, &p);
		if (r == CTL_OK) {
			if (h.flags & CTL_F_EVENT) {
				if (event_cb)
					event_cb(&h, p);
				continue;
			}
			last = h;
			for (uint32_t i = 0; i < h.len; i++)
				last_pl[i] = p[i];
			return true;
		}
		if (r > 0) {
			/* The decoder resynchronises by itself; only say what it skipped. */
			if (tag)
				printf("%s: garbage from the hypervisor (%s)\n", tag,
				       ctl_status_name((uint32_t)r));
			continue;
		}
		size_t n = vcon_read(in, sizeof(in));
		size_t off = 0;
		while (off < n)
			off += ctl_rx_push(&crx, in + off, n - off);
		if (!n && plat_now() > end)
			return false;
	}
}

long fvcp_call(uint16_t type, const void *pl, size_t len)
{
	struct ctl_hdr h = {.version = CTL_VERSION, .type = type, .seq = next_seq++};
	size_t n = ctl_encode(txf, sizeof(txf), &h, pl, len);
	vcon_write(txf, n);
	/* Late answers to earlier (timed out or raw) requests are skipped, not taken as ours. */
	while (fvcp_next_response(call_timeout_ms)) {
		if (last.seq == h.seq && last.type == type)
			return (long)last.status;
		if (tag)
			printf("%s: stray response type %u seq %u status %s\n", tag, last.type,
			       last.seq, ctl_status_name(last.status));
	}
	return -1;
}

long fvcp_call_vm(uint16_t type, const char *name)
{
	uint8_t ref[CTL_NAME_MAX];
	fvcp_put_name(ref, name);
	return fvcp_call(type, ref, sizeof(ref));
}

void fvcp_pump(uint64_t ms)
{
	uint64_t end = plat_now() + plat_ms_to_ticks(ms);
	while (plat_now() < end)
		if (fvcp_next_response(10) && tag)
			printf("%s: unexpected response type %u\n", tag, last.type);
}

const struct ctl_hdr *fvcp_last(void)
{
	return &last;
}

const uint8_t *fvcp_payload(void)
{
	return last_pl;
}

long fvcp_list_state(const char *name, uint32_t *flags, uint32_t *count)
{
	/* VM_LIST entries are 88 bytes after an 8-byte count header (docs/control-protocol.md). */
	*count = 0;
	if (fvcp_call(CTL_T_VM_LIST, NULL, 0) != CTL_OK)
		return -2;
	uint32_t n = ctl_get32(last_pl);
	*count = n;
	for (uint32_t i = 0; i < n && 8 + (i + 1) * 88 <= last.len; i++) {
		const uint8_t *e = last_pl + 8 + i * 88;
		if (fvcp_name_is(e + 56, name)) {
			if (flags)
				*flags = ctl_get32(e + 48);
			return (long)ctl_get32(e + 4);
		}
	}
	return -1;
}

uint64_t fvcp_host_free(void)
{
	return fvcp_call(CTL_T_HOST_INFO, NULL, 0) == CTL_OK ? ctl_get64(last_pl + 24) : 0;
}
