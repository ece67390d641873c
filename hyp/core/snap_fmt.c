// SPDX-License-Identifier: MIT
/*
 * Snapshot stream generator and parser (contracts in snap_fmt.h, format in
 * docs/snapshot-format.md). Pure: no allocation, no hypervisor state; the
 * generator pulls RAM pages and image bytes through its callbacks, the
 * parser pushes checked parts to its consumer's callbacks.
 */
#include "core/snap_fmt.h"
#include "core/ctl_proto.h"
#include "lib/string.h"

_Static_assert(sizeof(SNAP_MAGIC) == 9, "8 magic bytes");

const char *snap_err_name(int err)
{
	static const char *const names[] = {
	    "OK",         "E_MAGIC",     "E_VERSION", "E_ARCH",     "E_HDR_CRC",
	    "E_FIELD",    "E_ORDER",     "E_LENGTH",  "E_CRC",      "E_RANGE",
	    "E_TRAILING", "E_TRUNCATED", "E_SIZE",    "E_CONSUMER",
	};
	_Static_assert(sizeof(names) / sizeof(names[0]) == SNAP_E_COUNT, "one name per error");
	return err >= 0 && err < SNAP_E_COUNT ? names[err] : "?";
}

/* --- header ---------------------------------------------------------------------------------- */

static void put_str(uint8_t *p, const char *s, size_t field)
{
	size_t n = strlen(s);
	memset(p, 0, field);
	memcpy(p, s, n < field - 1 ? n : field - 1);
}

/* A NUL-terminated string of printable ASCII inside @field bytes; copied to @out. */
static bool get_str(const uint8_t *p, size_t field, char *out, bool nonempty)
{
	size_t n = 0;
	while (n < field && p[n])
		n++;
	if (n == field || (nonempty && n == 0))
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	for (size_t i = n; i < field; i++)
		if (p[i])
			return false; /* NUL-padded: nothing hides after the terminator */
	memcpy(out, p, n + 1);
	return true;
}

void snap_hdr_put(uint8_t *p, const struct snap_hdr *h)
{
	memset(p, 0, SNAP_HDR_SIZE);
	memcpy(p, SNAP_MAGIC, 8);
	ctl_put32(p + 8, h->version);
	ctl_put32(p + 12, h->flags);
	put_str(p + 16, h->arch, SNAP_ARCH_MAX);
	put_str(p + 32, h->name, SNAP_NAME_MAX);
	ctl_put64(p + 64, h->total_size);
	ctl_put64(p + 72, h->guest_time);
	ctl_put64(p + 80, h->timebase_hz);
	ctl_put64(p + 88, h->ram_gpa);
	ctl_put64(p + 96, h->ram_size);
	ctl_put32(p + 104, h->nr_vcpus);
	ctl_put32(p + 108, h->nr_sections);
	ctl_put32(p + 124, ctl_crc32c(0, p, 124));
}

int snap_hdr_get(const uint8_t *p, struct snap_hdr *h, const char *arch)
{
	memset(h, 0, sizeof(*h));
	if (memcmp(p, SNAP_MAGIC, 8) != 0)
		return SNAP_E_MAGIC;
	if (ctl_crc32c(0, p, 124) != ctl_get32(p + 124))
		return SNAP_E_HDR_CRC;
	h->version = ctl_get32(p + 8);
	if (h->version != SNAP_VERSION)
		return SNAP_E_VERSION;
	if (!get_str(p + 16, SNAP_ARCH_MAX, h->arch, true))
		return SNAP_E_FIELD;
	if (strcmp(h->arch, arch) != 0)
		return SNAP_E_ARCH;
	if (!get_str(p + 32, SNAP_NAME_MAX, h->name, true))
		return SNAP_E_FIELD;
	h->flags = ctl_get32(p + 12);
	h->total_size = ctl_get64(p + 64);
	h->guest_time = ctl_get64(p + 72);
	h->timebase_hz = ctl_get64(p + 80);
	h->ram_gpa = ctl_get64(p + 88);
	h->ram_size = ctl_get64(p + 96);
	h->nr_vcpus = ctl_get32(p + 104);
	h->nr_sections = ctl_get32(p + 108);
	for (unsigned i = 112; i < 124; i++)
		if (p[i])
			return SNAP_E_FIELD;
	if (h->flags & ~SNAP_F_KNOWN)
		return SNAP_E_FIELD;
	if (h->nr_vcpus == 0 || h->nr_vcpus > SNAP_MAX_VCPUS || h->timebase_hz == 0)
		return SNAP_E_FIELD;
	/* RAM: page-aligned, not empty, bounded, and its end does not wrap. */
	if (h->ram_gpa % SNAP_PAGE || h->ram_size % SNAP_PAGE || h->ram_size == 0 ||
	    h->ram_size > SNAP_RAM_MAX || h->ram_gpa > UINT64_MAX - h->ram_size)
		return SNAP_E_FIELD;
	/* A migration stream's size is not known when it starts: both fields are 0. */
	if (h->flags & SNAP_F_MIGRATION)
		return h->total_size || h->nr_sections ? SNAP_E_FIELD : SNAP_OK;
	/* At least the header, CONFIG, IMAGE 0, VM, VM_ARCH, a vCPU's two sections and END. */
	if (h->nr_sections < 7 ||
	    h->total_size < SNAP_HDR_SIZE + 7 * (SNAP_SECT_HDR + SNAP_SECT_CRC))
		return SNAP_E_FIELD;
	return SNAP_OK;
}

static void sect_hdr(uint8_t *p, uint16_t type, uint16_t inst, uint64_t len)
{
	ctl_put16(p, type);
	ctl_put16(p + 2, inst);
	ctl_put32(p + 4, 0);
	ctl_put64(p + 8, len);
}

size_t snap_sect_put(uint8_t *out, size_t cap, uint16_t type, uint16_t inst, const void *payload,
                     uint32_t len)
{
	size_t n = SNAP_SECT_HDR + (size_t)len + SNAP_SECT_CRC;
	if (len > SNAP_SMALL_MAX || n > cap)
		return 0;
	sect_hdr(out, type, inst, len);
	if (len)
		memcpy(out + SNAP_SECT_HDR, payload, len);
	ctl_put32(out + SNAP_SECT_HDR + len, ctl_crc32c(0, out, SNAP_SECT_HDR + len));
	return n;
}

/* --- generator ----------------------------------------------------------------------------- */

static bool page_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;
	for (unsigned i = 0; i < SNAP_PAGE / 8; i++)
		if (w[i])
			return false;
	return true;
}

static bool nz_bit(const struct snap_gen *g, uint64_t page)
{
	return (g->nz[page / 8] >> (page % 8)) & 1;
}

static uint64_t chunk_pages(uint64_t npages, uint64_t c)
{
	uint64_t first = c * SNAP_CHUNK_PAGES;
	return npages - first < SNAP_CHUNK_PAGES ? npages - first : SNAP_CHUNK_PAGES;
}

static uint64_t chunk_pop(const struct snap_gen *g, uint64_t c)
{
	uint64_t n = 0, first = c * SNAP_CHUNK_PAGES, cp = chunk_pages(g->npages, c);
	for (uint64_t i = 0; i < cp; i++)
		n += nz_bit(g, first + i);
	return n;
}

int snap_gen_init(struct snap_gen *g, const struct snap_gen_ops *ops, void *ctx,
                  const struct snap_hdr *hdr, const void *cfg, uint32_t cfg_len,
                  const uint64_t image_len[2], const uint8_t *post, uint32_t post_len,
                  uint32_t post_sections, uint8_t *nz)
{
	memset(g, 0, offsetof(struct snap_gen, tmp));
	if (cfg_len > SNAP_SMALL_MAX || image_len[0] == 0 || image_len[0] > SNAP_IMAGE_MAX ||
	    image_len[1] > SNAP_IMAGE_MAX || hdr->ram_size % SNAP_PAGE || hdr->ram_size == 0)
		return SNAP_E_FIELD;
	g->ops = ops;
	g->ctx = ctx;
	g->hdr = *hdr;
	g->post = post;
	g->post_len = post_len;
	g->image_len[0] = image_len[0];
	g->image_len[1] = image_len[1];
	g->nz = nz;
	g->npages = hdr->ram_size / SNAP_PAGE;
	memset(nz, 0, snap_gen_bitmap_bytes(hdr->ram_size));
	for (uint64_t p = 0; p < g->npages; p++) {
		const uint8_t *pg = ops->page(ctx, hdr->ram_gpa + p * SNAP_PAGE);
		if (pg && !page_zero(pg))
			nz[p / 8] |= (uint8_t)(1u << (p % 8));
	}
	uint64_t total = SNAP_HDR_SIZE + SNAP_SECT_HDR + cfg_len + SNAP_SECT_CRC + post_len;
	uint32_t sections = 1 + post_sections + 1; /* CONFIG, state, END */
	for (unsigned i = 0; i < 2; i++)
		if (image_len[i]) {
			total += SNAP_SECT_HDR + image_len[i] + SNAP_SECT_CRC;
			sections++;
		}
	uint64_t chunks = (g->npages + SNAP_CHUNK_PAGES - 1) / SNAP_CHUNK_PAGES;
	for (uint64_t c = 0; c < chunks; c++) {
		uint64_t pop = chunk_pop(g, c);
		if (!pop)
			continue; /* an all-zero chunk is not written at all */
		total += SNAP_SECT_HDR + SNAP_RAM_HEAD + (chunk_pages(g->npages, c) + 7) / 8 +
		         pop * SNAP_PAGE + SNAP_SECT_CRC;
		sections++;
	}
	total += SNAP_SECT_HDR + SNAP_SECT_CRC; /* END */
	g->hdr.version = SNAP_VERSION;
	g->hdr.total_size = total;
	g->hdr.nr_sections = sections;
	snap_hdr_put(g->tmp, &g->hdr);
	g->tmp_len = SNAP_HDR_SIZE + (uint32_t)snap_sect_put(g->tmp + SNAP_HDR_SIZE,
	                                                     sizeof(g->tmp) - SNAP_HDR_SIZE,
	                                                     SNAP_S_CONFIG, 0, cfg, cfg_len);
	g->stage = SG_PRE;
	return SNAP_OK;
}

/* Copy @avail bytes at most into out; the CRC follows what a streamed section emits. */
static size_t take(struct snap_gen *g, uint8_t *out, size_t cap, const uint8_t *src, uint64_t avail,
                   bool crc)
{
	size_t n = avail < cap ? (size_t)avail : cap;
	memcpy(out, src, n);
	/* Over the copy: a migration reads RAM the guest may be writing meanwhile. */
	if (crc)
		g->crc = ctl_crc32c(g->crc, out, n);
	g->pos += n;
	return n;
}

static void next_chunk(struct snap_gen *g, uint64_t c);

static void next_image(struct snap_gen *g, unsigned inst)
{
	while (inst < 2 && !g->image_len[inst])
		inst++;
	if (inst == 2) {
		/* A migration stream's first segment ends after the images and its BIND
		 * sections (kept in post until the first round replaces them). */
		g->stage = g->mig && !g->post_len ? SG_DONE : SG_POST;
		g->sub_off = 0;
		return;
	}
	g->stage = SG_IMAGE;
	g->sub = inst;
	g->sub_off = 0;
	g->sub_len = g->image_len[inst];
	g->part = 0;
	g->crc = 0;
	sect_hdr(g->tmp, SNAP_S_IMAGE, (uint16_t)inst, g->sub_len);
	g->tmp_len = SNAP_SECT_HDR;
	g->tmp_off = 0;
}

static uint64_t next_nz(const struct snap_gen *g, uint64_t from, uint64_t end)
{
	while (from < end && !nz_bit(g, from))
		from++;
	return from;
}

static void next_chunk(struct snap_gen *g, uint64_t c)
{
	uint64_t chunks = (g->npages + SNAP_CHUNK_PAGES - 1) / SNAP_CHUNK_PAGES;
	while (c < chunks && !chunk_pop(g, c))
		c++;
	g->tmp_off = 0;
	if (c == chunks && g->mig && !g->final) {
		g->stage = SG_DONE; /* end of a pre-copy round */
		return;
	}
	if (c == chunks) {
		/* A migration's END carries the guest time at the final pause. */
		uint8_t t[SNAP_MIG_END_LEN];
		ctl_put64(t, g->hdr.guest_time);
		g->stage = SG_END;
		g->tmp_len = (uint32_t)snap_sect_put(g->tmp, sizeof(g->tmp), SNAP_S_END, 0, t,
		                                     g->mig ? SNAP_MIG_END_LEN : 0);
		return;
	}
	uint64_t first = c * SNAP_CHUNK_PAGES, cp = chunk_pages(g->npages, c);
	uint32_t bm = (uint32_t)((cp + 7) / 8);
	g->stage = SG_RAM;
	g->sub = (unsigned)c;
	g->part = 0;
	g->crc = 0;
	g->sub_off = 0;
	g->sub_len = chunk_pop(g, c) * SNAP_PAGE;
	sect_hdr(g->tmp, SNAP_S_RAM, 0, SNAP_RAM_HEAD + bm + g->sub_len);
	uint8_t *h = g->tmp + SNAP_SECT_HDR;
	ctl_put64(h, g->hdr.ram_gpa + first * SNAP_PAGE);
	ctl_put32(h + 8, (uint32_t)cp);
	ctl_put32(h + 12, 0);
	memset(h + SNAP_RAM_HEAD, 0, bm);
	for (uint64_t i = 0; i < cp; i++)
		if (nz_bit(g, first + i))
			h[SNAP_RAM_HEAD + i / 8] |= (uint8_t)(1u << (i % 8));
	g->tmp_len = SNAP_SECT_HDR + SNAP_RAM_HEAD + bm;
	g->page_cur = next_nz(g, first, first + cp);
	g->page_off = 0;
}

static const uint8_t zero_page[SNAP_PAGE];

/* The data bytes of the current streamed section at sub_off: pointer and count available. */
static const uint8_t *stream_data(struct snap_gen *g, uint64_t *avail)
{
	if (g->stage == SG_IMAGE) {
		uint64_t left = g->sub_len - g->sub_off;
		const uint8_t *p = g->ops->image(g->ctx, g->sub, g->sub_off, avail);
		if (!p || *avail == 0) {
			/* The caller's images are fixed while it streams: cannot happen. Zeros keep
			 * the stream's length (the restore then boots a broken image, but the
			 * stream stays parseable). */
			*avail = left < SNAP_PAGE ? left : SNAP_PAGE;
			return zero_page;
		}
		if (*avail > left)
			*avail = left;
		return p;
	}
	*avail = SNAP_PAGE - g->page_off;
	const uint8_t *pg = g->ops->page(g->ctx, g->hdr.ram_gpa + g->page_cur * SNAP_PAGE);
	/* Scanned non-zero, so present; a NULL now would be a caller bug: emit zeros. */
	return (pg ? pg : zero_page) + g->page_off;
}

/* Advance a streamed section by @n data bytes. */
static void stream_advance(struct snap_gen *g, size_t n)
{
	g->sub_off += n;
	if (g->stage == SG_RAM) {
		g->page_off += (uint32_t)n;
		if (g->page_off == SNAP_PAGE) {
			uint64_t end =
			    (uint64_t)g->sub * SNAP_CHUNK_PAGES + chunk_pages(g->npages, g->sub);
			g->page_cur = next_nz(g, g->page_cur + 1, end);
			g->page_off = 0;
		}
	}
}

/* One step of a streamed section (IMAGE or RAM): head, data, CRC. Bytes produced. */
static size_t stream_step(struct snap_gen *g, uint8_t *out, size_t cap)
{
	size_t n = 0;
	if (g->part == 0) {
		n = take(g, out, cap, g->tmp + g->tmp_off, g->tmp_len - g->tmp_off, true);
		g->tmp_off += (uint32_t)n;
		if (g->tmp_off == g->tmp_len)
			g->part = 1;
	} else if (g->part == 1) {
		if (g->sub_off < g->sub_len) {
			uint64_t avail = 0;
			const uint8_t *p = stream_data(g, &avail);
			n = take(g, out, cap, p, avail, true);
			stream_advance(g, n);
		}
		if (g->sub_off == g->sub_len) {
			ctl_put32(g->tail, g->crc);
			g->part = 2;
			g->tmp_off = 0;
		}
	} else {
		n = take(g, out, cap, g->tail + g->tmp_off, SNAP_SECT_CRC - g->tmp_off, false);
		g->tmp_off += (uint32_t)n;
		if (g->tmp_off == SNAP_SECT_CRC) {
			if (g->stage == SG_IMAGE)
				next_image(g, g->sub + 1);
			else
				next_chunk(g, (uint64_t)g->sub + 1);
		}
	}
	return n;
}

size_t snap_gen_read(struct snap_gen *g, uint8_t *out, size_t cap)
{
	size_t done = 0;
	while (done < cap && g->stage != SG_DONE) {
		size_t n = 0;
		switch (g->stage) {
		case SG_PRE:
		case SG_END:
			n = take(g, out + done, cap - done, g->tmp + g->tmp_off,
			         g->tmp_len - g->tmp_off, false);
			g->tmp_off += (uint32_t)n;
			if (g->tmp_off == g->tmp_len) {
				if (g->stage == SG_END)
					g->stage = SG_DONE;
				else
					next_image(g, 0);
			}
			break;
		case SG_IMAGE:
		case SG_RAM:
			n = stream_step(g, out + done, cap - done);
			break;
		case SG_POST:
			n = take(g, out + done, cap - done, g->post + g->sub_off,
			         g->post_len - g->sub_off, false);
			g->sub_off += n;
			if (g->sub_off == g->post_len && g->pre) {
				g->pre = false;
				g->stage = SG_DONE; /* the BIND sections end the first segment */
			} else if (g->sub_off == g->post_len) {
				next_chunk(g, 0);
			}
			break;
		case SG_DONE:
			break;
		}
		done += n;
	}
	return done;
}

/* --- migration segments (snap_fmt.h) --------------------------------------------------------- */

/* Bytes of the RAM sections the bitmap describes. */
static uint64_t ram_bytes(const struct snap_gen *g)
{
	uint64_t total = 0, chunks = (g->npages + SNAP_CHUNK_PAGES - 1) / SNAP_CHUNK_PAGES;
	for (uint64_t c = 0; c < chunks; c++) {
		uint64_t pop = chunk_pop(g, c);
		if (pop)
			total += SNAP_SECT_HDR + SNAP_RAM_HEAD +
			         (chunk_pages(g->npages, c) + 7) / 8 + pop * SNAP_PAGE +
			         SNAP_SECT_CRC;
	}
	return total;
}

int snap_gen_mig_init(struct snap_gen *g, const struct snap_gen_ops *ops, void *ctx,
                      const struct snap_hdr *hdr, const void *cfg, uint32_t cfg_len,
                      const uint64_t image_len[2], const uint8_t *bind, uint32_t bind_len,
                      uint8_t *nz)
{
	memset(g, 0, offsetof(struct snap_gen, tmp));
	if (cfg_len > SNAP_SMALL_MAX || image_len[0] == 0 || image_len[0] > SNAP_IMAGE_MAX ||
	    (bind_len && !bind) || image_len[1] > SNAP_IMAGE_MAX || hdr->ram_size % SNAP_PAGE ||
	    hdr->ram_size == 0)
		return SNAP_E_FIELD;
	g->ops = ops;
	g->ctx = ctx;
	g->hdr = *hdr;
	g->mig = true;
	g->image_len[0] = image_len[0];
	g->image_len[1] = image_len[1];
	g->nz = nz;
	g->npages = hdr->ram_size / SNAP_PAGE;
	memset(nz, 0, snap_gen_bitmap_bytes(hdr->ram_size));
	g->hdr.version = SNAP_VERSION;
	g->hdr.flags |= SNAP_F_MIGRATION;
	g->hdr.total_size = 0;
	g->hdr.nr_sections = 0;
	snap_hdr_put(g->tmp, &g->hdr);
	g->tmp_len = SNAP_HDR_SIZE + (uint32_t)snap_sect_put(g->tmp + SNAP_HDR_SIZE,
	                                                     sizeof(g->tmp) - SNAP_HDR_SIZE,
	                                                     SNAP_S_CONFIG, 0, cfg, cfg_len);
	g->post = bind;
	g->post_len = bind_len;
	g->pre = bind_len != 0;
	g->pre_len = g->tmp_len + bind_len;
	for (unsigned i = 0; i < 2; i++)
		if (image_len[i])
			g->pre_len += SNAP_SECT_HDR + image_len[i] + SNAP_SECT_CRC;
	g->stage = SG_PRE;
	return SNAP_OK;
}

uint64_t snap_gen_mig_pre_bytes(const struct snap_gen *g)
{
	return g->pre_len;
}

uint64_t snap_gen_mig_round(struct snap_gen *g, const uint8_t *post, uint32_t post_len, bool final)
{
	if (!g->mig || g->stage != SG_DONE || g->final)
		return UINT64_MAX;
	uint64_t bytes = ram_bytes(g);
	g->final = final;
	g->post = post;
	g->post_len = final ? post_len : 0;
	g->sub_off = 0;
	if (final)
		bytes += g->post_len + SNAP_SECT_HDR + SNAP_MIG_END_LEN + SNAP_SECT_CRC; /* END */
	if (g->post_len)
		g->stage = SG_POST;
	else
		next_chunk(g, 0);
	return bytes;
}

/* --- parser -------------------------------------------------------------------------------- */

void snap_rd_init(struct snap_rd *r, const struct snap_rd_ops *ops, void *ctx, const char *arch)
{
	memset(r, 0, offsetof(struct snap_rd, buf));
	r->ops = ops;
	r->ctx = ctx;
	r->arch = arch;
	r->st = SR_HDR;
	r->need = SNAP_HDR_SIZE;
}

static bool state_type(uint16_t t)
{
	return (t >= SNAP_S_VM && t <= SNAP_S_UART) || t == SNAP_S_DEVICE;
}

/* The section rules of snap_fmt.h: order, uniqueness, instance ranges. */
static int check_order(struct snap_rd *r)
{
	uint16_t t = r->type;
	if (r->phase == 0) {
		if (t != SNAP_S_CONFIG || r->inst)
			return SNAP_E_ORDER;
		r->phase = 1;
		return SNAP_OK;
	}
	if (r->phase == 1) {
		if (t == SNAP_S_IMAGE) {
			if (r->inst != r->images || r->images >= 2)
				return SNAP_E_ORDER;
			r->images++;
			return SNAP_OK;
		}
		if (!r->images)
			return SNAP_E_ORDER; /* the kernel image is required */
		r->phase = 2;
	}
	/* A migration stream's device bindings: right after the images, before any RAM or
	 * state section (the destination makes the VM's devices from them). */
	if (t == SNAP_S_BIND) {
		if (!r->mig || r->phase != 2 || r->state_begun || r->inst >= SNAP_MAX_DEVICES ||
		    (r->seen[t] & (1ull << r->inst)))
			return SNAP_E_ORDER;
		r->seen[t] |= 1ull << r->inst;
		return SNAP_OK;
	}
	/* A migration stream sends pre-copy RAM before the state sections. */
	if ((r->phase == 2 || (r->mig && r->phase == 3)) && state_type(t)) {
		bool per_vcpu = t == SNAP_S_VCPU || t == SNAP_S_VCPU_ARCH;
		if (t == SNAP_S_DEVICE ? r->inst >= SNAP_MAX_DEVICES
		    : per_vcpu         ? r->inst >= r->hdr.nr_vcpus
		                       : r->inst != 0)
			return SNAP_E_ORDER;
		if (r->seen[t] & (1ull << r->inst))
			return SNAP_E_ORDER;
		/* In a migration stream only a device bound at the start has its state. */
		if (t == SNAP_S_DEVICE && r->mig && !(r->seen[SNAP_S_BIND] & (1ull << r->inst)))
			return SNAP_E_ORDER;
		r->seen[t] |= 1ull << r->inst;
		r->state_begun = true;
		return SNAP_OK;
	}
	if (r->phase >= 2 && (t == SNAP_S_RAM || t == SNAP_S_END)) {
		r->phase = t == SNAP_S_RAM ? 3 : 4;
		return r->inst ? SNAP_E_ORDER : SNAP_OK;
	}
	return SNAP_E_ORDER;
}

/* Every VM carries its VM and VM_ARCH sections and both sections of each vCPU; in a
 * migration stream every bound device its DEVICE section. */
static bool required_seen(const struct snap_rd *r)
{
	uint64_t all = r->hdr.nr_vcpus == 64 ? ~0ull : (1ull << r->hdr.nr_vcpus) - 1;
	return r->seen[SNAP_S_VM] == 1 && r->seen[SNAP_S_VM_ARCH] == 1 &&
	       r->seen[SNAP_S_VCPU] == all && r->seen[SNAP_S_VCPU_ARCH] == all &&
	       (!r->mig || r->seen[SNAP_S_DEVICE] == r->seen[SNAP_S_BIND]);
}

static int fail(struct snap_rd *r, int err)
{
	r->err = err;
	return err;
}

static void expect(struct snap_rd *r, enum snap_rd_state st, uint32_t need)
{
	r->st = st;
	r->have = 0;
	r->need = need;
}

/* A section header is complete in buf. */
static int on_sect_hdr(struct snap_rd *r)
{
	r->type = ctl_get16(r->buf);
	r->inst = ctl_get16(r->buf + 2);
	r->len = ctl_get64(r->buf + 8);
	r->done = 0;
	r->crc = ctl_crc32c(0, r->buf, SNAP_SECT_HDR);
	if (ctl_get32(r->buf + 4))
		return SNAP_E_FIELD;
	if (++r->nsect > r->hdr.nr_sections && !r->mig)
		return SNAP_E_FIELD;
	int err = check_order(r);
	if (err)
		return err;
	/* The whole section must fit in what the header announced (a migration stream's
	 * size is bounded by its transport instead). */
	if (!r->mig) {
		if (r->pos > r->hdr.total_size)
			return SNAP_E_SIZE;
		uint64_t left = r->hdr.total_size - r->pos;
		if (r->len > left || left - r->len < SNAP_SECT_CRC)
			return SNAP_E_SIZE;
	}
	switch (r->type) {
	case SNAP_S_END:
		if (r->len != (r->mig ? SNAP_MIG_END_LEN : 0))
			return SNAP_E_LENGTH;
		if (r->mig)
			expect(r, SR_SMALL, SNAP_MIG_END_LEN);
		else
			expect(r, SR_CRC, SNAP_SECT_CRC);
		return SNAP_OK;
	case SNAP_S_IMAGE:
		if (r->len == 0 || r->len > SNAP_IMAGE_MAX)
			return SNAP_E_LENGTH;
		expect(r, SR_IMAGE, 0);
		return r->ops->image_begin(r->ctx, r->inst, r->len) ? SNAP_E_CONSUMER : SNAP_OK;
	case SNAP_S_RAM:
		if (r->len < SNAP_RAM_HEAD + 1 + SNAP_PAGE)
			return SNAP_E_LENGTH;
		expect(r, SR_RAM_HEAD, SNAP_RAM_HEAD);
		return SNAP_OK;
	default:
		if (r->len > SNAP_SMALL_MAX)
			return SNAP_E_LENGTH;
		expect(r, SR_SMALL, (uint32_t)r->len);
		return SNAP_OK;
	}
}

static unsigned popcount8(uint8_t b)
{
	unsigned n = 0;
	for (; b; b &= (uint8_t)(b - 1))
		n++;
	return n;
}

/* The RAM head (first 16 bytes) or its bitmap is complete in buf. */
static int on_ram_head(struct snap_rd *r)
{
	if (r->done == 0) {
		uint64_t gpa = ctl_get64(r->buf);
		uint32_t np = ctl_get32(r->buf + 8);
		if (ctl_get32(r->buf + 12) || np == 0 || np > SNAP_CHUNK_PAGES || gpa % SNAP_PAGE)
			return SNAP_E_FIELD;
		/* Inside the VM's RAM and above the previous chunk, with no sum that can wrap;
		 * a migration stream's later rounds send pages again (the later copy wins). */
		uint64_t lo =
		    !r->mig && r->ram_next > r->hdr.ram_gpa ? r->ram_next : r->hdr.ram_gpa;
		if (gpa < lo || gpa - r->hdr.ram_gpa > r->hdr.ram_size ||
		    (uint64_t)np * SNAP_PAGE > r->hdr.ram_size - (gpa - r->hdr.ram_gpa))
			return SNAP_E_RANGE;
		r->ram_gpa = gpa;
		r->ram_npages = np;
		r->done = SNAP_RAM_HEAD;
		r->st = SR_RAM_HEAD;
		r->have = 0;
		r->need = (np + 7) / 8;
		return SNAP_OK;
	}
	uint32_t bm = r->need, pop = 0;
	memcpy(r->ram_bm, r->buf, bm);
	for (uint32_t i = 0; i < bm; i++)
		pop += popcount8(r->ram_bm[i]);
	/* Bits past the chunk's pages are zero: one encoding per chunk. */
	if (r->ram_npages % 8 && (r->ram_bm[bm - 1] >> (r->ram_npages % 8)))
		return SNAP_E_FIELD;
	if (pop == 0)
		return SNAP_E_FIELD;
	if (r->len != SNAP_RAM_HEAD + bm + (uint64_t)pop * SNAP_PAGE)
		return SNAP_E_LENGTH;
	r->done += bm;
	r->ram_next = r->ram_gpa + (uint64_t)r->ram_npages * SNAP_PAGE;
	r->ram_bit = 0;
	while (!((r->ram_bm[r->ram_bit / 8] >> (r->ram_bit % 8)) & 1))
		r->ram_bit++;
	r->ram_page_off = 0;
	expect(r, SR_RAM_PAGE, 0);
	return SNAP_OK;
}

/* The CRC trailer is complete: check it and hand the section over. */
static int on_crc(struct snap_rd *r)
{
	if (ctl_get32(r->tail) != r->crc)
		return SNAP_E_CRC;
	if (r->type == SNAP_S_END) {
		if (!r->mig && (r->pos != r->hdr.total_size || r->nsect != r->hdr.nr_sections))
			return SNAP_E_SIZE;
		if (!required_seen(r))
			return SNAP_E_ORDER;
		/* A migration's END payload (the guest time) goes to the consumer first. */
		if (r->mig && r->ops->section(r->ctx, SNAP_S_END, 0, r->buf, SNAP_MIG_END_LEN))
			return SNAP_E_CONSUMER;
		r->st = SR_DONE;
		return r->ops->end(r->ctx) ? SNAP_E_CONSUMER : SNAP_OK;
	}
	if (r->type != SNAP_S_IMAGE && r->type != SNAP_S_RAM &&
	    r->ops->section(r->ctx, r->type, r->inst, r->buf, (uint32_t)r->len))
		return SNAP_E_CONSUMER;
	expect(r, SR_SECT, SNAP_SECT_HDR);
	return SNAP_OK;
}

/* Streamed bytes of an IMAGE or RAM section; returns bytes used. */
static size_t stream_in(struct snap_rd *r, const uint8_t *p, size_t n, int *err)
{
	uint64_t want = r->st == SR_IMAGE ? r->len - r->done : SNAP_PAGE - r->ram_page_off;
	uint32_t k = (uint32_t)(n < want ? n : want);
	r->crc = ctl_crc32c(r->crc, p, k);
	if (r->st == SR_IMAGE) {
		if (r->ops->image(r->ctx, r->inst, r->done, p, k))
			*err = SNAP_E_CONSUMER;
	} else {
		uint64_t gpa = r->ram_gpa + (uint64_t)r->ram_bit * SNAP_PAGE + r->ram_page_off;
		if (r->ops->ram(r->ctx, gpa, p, k))
			*err = SNAP_E_CONSUMER;
		r->ram_page_off += k;
		if (r->ram_page_off == SNAP_PAGE) {
			r->ram_page_off = 0;
			do
				r->ram_bit++;
			while (r->ram_bit < r->ram_npages &&
			       !((r->ram_bm[r->ram_bit / 8] >> (r->ram_bit % 8)) & 1));
		}
	}
	r->done += k;
	if (r->done == r->len)
		expect(r, SR_CRC, SNAP_SECT_CRC);
	return k;
}

int snap_rd_push(struct snap_rd *r, const uint8_t *p, size_t n)
{
	while (n && !r->err) {
		size_t k;
		int err = SNAP_OK;
		if (r->st == SR_DONE)
			return fail(r, SNAP_E_TRAILING);
		if (r->st == SR_IMAGE || r->st == SR_RAM_PAGE) {
			k = stream_in(r, p, n, &err);
		} else {
			/* Fixed-size items gather in buf (the CRC trailer in tail). */
			uint8_t *dst = r->st == SR_CRC ? r->tail : r->buf;
			k = r->need - r->have < n ? r->need - r->have : n;
			memcpy(dst + r->have, p, k);
			if (r->st == SR_SMALL || r->st == SR_RAM_HEAD)
				r->crc = ctl_crc32c(r->crc, p, k);
			r->have += (uint32_t)k;
		}
		r->pos += k;
		p += k;
		n -= k;
		if (!err && r->st != SR_IMAGE && r->st != SR_RAM_PAGE && r->have == r->need) {
			switch (r->st) {
			case SR_HDR:
				err = snap_hdr_get(r->buf, &r->hdr, r->arch);
				r->mig = r->hdr.flags & SNAP_F_MIGRATION;
				if (!err && r->ops->header(r->ctx, &r->hdr))
					err = SNAP_E_CONSUMER;
				if (!err)
					expect(r, SR_SECT, SNAP_SECT_HDR);
				break;
			case SR_SECT:
				err = on_sect_hdr(r);
				break;
			case SR_SMALL:
				r->done = r->len;
				expect(r, SR_CRC, SNAP_SECT_CRC);
				break;
			case SR_RAM_HEAD:
				err = on_ram_head(r);
				break;
			case SR_CRC:
				err = on_crc(r);
				break;
			default:
				break;
			}
		}
		if (err)
			return fail(r, err);
	}
	return r->err;
}

int snap_rd_finish(const struct snap_rd *r)
{
	if (r->err)
		return r->err;
	return r->st == SR_DONE ? SNAP_OK : SNAP_E_TRUNCATED;
}
