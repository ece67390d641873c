// SPDX-License-Identifier: MIT
/* The service VM's tokens as a cpio (newc) initrd layer (see svc_tokens.h). */
#include "svc_tokens.h"

#include <stdio.h>
#include <string.h>

#define CPIO_HDR 110u /* "070701" + 13 fields of 8 hex digits */

struct cpio_out {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t base; /* where the archive starts in the layer (after the leading padding) */
};

static void out_bytes(struct cpio_out *o, const void *p, size_t n)
{
	if (o->buf && o->len + n <= o->cap)
		memcpy(o->buf + o->len, p, n);
	o->len += n;
}

/* newc aligns headers and data to 4 bytes from the archive's start (so, with the leading
 * padding, from the initrd's: the kernel checks it against its offset in the initrd). */
static void out_pad4(struct cpio_out *o)
{
	static const uint8_t zero[4];
	out_bytes(o, zero, (4 - ((o->len - o->base) & 3)) & 3);
}

/* One newc entry; mtime 0 so the layer is the same bytes for the same tokens. */
static void cpio_entry(struct cpio_out *o, unsigned ino, unsigned mode, const char *name,
                       const char *data, size_t size)
{
	char hdr[CPIO_HDR + 64]; /* room for the compiler's worst case of each field */
	size_t nlen = strlen(name) + 1;
	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
	         ino, mode, 0u, 0u, (mode & 0040000) ? 2u : 1u, 0u, (unsigned)size, 0u, 0u, 0u, 0u,
	         (unsigned)nlen, 0u);
	out_bytes(o, hdr, CPIO_HDR);
	out_bytes(o, name, nlen);
	out_pad4(o);
	out_bytes(o, data, size);
	out_pad4(o);
}

size_t svc_tokens_layer(const struct model_vm *vm, uint64_t at, uint8_t *buf, size_t cap)
{
	static const uint8_t zero[4];
	struct cpio_out o = {buf, cap, 0, 0};
	char json[MODEL_TOKENS_MAX * 160 + 32];
	size_t n = 0;

	if (!vm->nr_tokens)
		return 0;
	/* Only checked characters go into the JSON: ids, role names and hex digits. */
	n += (size_t)snprintf(json + n, sizeof(json) - n, "{\"tokens\":[");
	for (unsigned i = 0; i < vm->nr_tokens; i++)
		n += (size_t)snprintf(json + n, sizeof(json) - n,
		                      "%s{\"id\":\"%s\",\"role\":\"%s\",\"sha256\":\"%s\"}",
		                      i ? "," : "", vm->tokens[i].id, vm->tokens[i].role,
		                      vm->tokens[i].sha256);
	n += (size_t)snprintf(json + n, sizeof(json) - n, "]}\n");
	/* The layer starts 4-byte aligned in the initrd. */
	out_bytes(&o, zero, (size_t)((4 - (at & 3)) & 3));
	o.base = o.len;
	cpio_entry(&o, 1, 0040755, "etc", "", 0);
	cpio_entry(&o, 2, 0040755, "etc/ferrovisord", "", 0);
	cpio_entry(&o, 3, 0100600, "etc/ferrovisord/tokens.json", json, n);
	cpio_entry(&o, 0, 0, "TRAILER!!!", "", 0);
	return o.len;
}
