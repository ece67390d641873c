// SPDX-License-Identifier: MIT
/*
 * Fuzz target for the snapshot parser (hyp/core/snap_fmt.c): arbitrary bytes
 * as a snapshot file, pushed in pieces whose sizes the input chooses (first
 * byte). Checked invariants: every RAM write the parser hands over lies in
 * the header's RAM and inside one page, image bytes stay inside the length
 * announced, small sections are at most SNAP_SMALL_MAX, END is reported at
 * most once and snap_rd_finish() agrees with it unless bytes follow END
 * (SNAP_E_TRAILING), and an error is sticky.
 * With the first byte's top bit set the input's header is made a valid
 * migration-stream header (magic, SNAP_F_MIGRATION, sizes 0, CRC), so the
 * fuzzer reaches the migration rules (RAM rounds, state after RAM, END's
 * payload) past the header checksum. A DEVICE section's transport part goes
 * through virtio_snap_get() into a fresh transport: what it accepts has every
 * ready queue's rings inside the header's RAM. A UART section goes through the PL011
 * decoder (hyp/core/snap_pl011.c, arm64 streams): what it accepts keeps the FIFO's
 * indices inside it, and reading the whole FIFO back stays inside it. A migration's BIND
 * sections are handed over only before any RAM or state section, each instance once,
 * and a migration's DEVICE j only after BIND j.
 *
 * Built with libFuzzer or tests/fuzz/driver.c (mk/tools.mk: make fuzz).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctl_proto.h"
#include "core/snap_fmt.h"
#include "core/snap_pl011.h"
#include "vdev/virtio_snap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct snap_rd rd;
static struct snap_hdr hdr;
static uint64_t image_len[2];
static unsigned ends;
static unsigned image_sects;
static bool later; /* a RAM or state section was handed over */
static uint32_t binds;

static int f_header(void *ctx, const struct snap_hdr *h)
{
	(void)ctx;
	hdr = *h;
	return 0;
}

/* Guest RAM as the header describes it: a translation that only bounds, never dereferenced. */
static void *f_xlate(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	if (gpa < hdr.ram_gpa || gpa - hdr.ram_gpa > hdr.ram_size ||
	    len > hdr.ram_size - (gpa - hdr.ram_gpa))
		return NULL;
	return (void *)(uintptr_t)0x1000; /* aligned like the GPA's low bits are checked */
}

static const struct virtio_mmio_host f_host = {.gpa_to_hva = f_xlate};
static const struct virtio_dev_info f_info = {
    .device_id = VIRTIO_ID_BLOCK,
    .features =
        VIRTIO_FEAT(VIRTIO_F_EVENT_IDX) | VIRTIO_FEAT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_FEAT(9),
    .nqueues = 1,
    .queue_max = 256,
    .config_size = 96,
};

/* A DEVICE payload (64 bytes of binding and extras, then the transport) into a transport. */
static void f_device(const uint8_t *p, uint32_t len)
{
	static struct virtio_mmio t;
	const char *why = NULL;
	if (len < 64 + VIRTIO_SNAP_LEN || virtio_mmio_init(&t, &f_info, NULL, NULL, &f_host, NULL))
		return;
	if (virtio_snap_get(&t, p + 64, &why) != 0) {
		if (!why || t.status || t.vq[0].ready)
			abort(); /* refused: said why, left reset */
		return;
	}
	const struct virtq *q = &t.vq[0];
	if (q->ready && (q->size == 0 || q->size > 256 || (q->size & (q->size - 1)) ||
	                 !f_xlate(NULL, q->desc_gpa, 16u * q->size) ||
	                 !f_xlate(NULL, q->used_gpa, 6u + 8u * q->size)))
		abort();
}

/* A UART payload into the PL011 model: accepted only with its invariants. */
static void f_pl011(const uint8_t *p, uint32_t len)
{
	struct vpl011 u;
	vpl011_init(&u, NULL, NULL);
	if (snap_pl011_load(&u, p, len) != 0)
		return;
	if (u.rx_head >= VPL011_FIFO_SIZE || u.rx_count > VPL011_FIFO_SIZE ||
	    u.irq_level != vpl011_irq_pending(&u) || (u.imsc & ~VPL011_INT_ALL))
		abort();
	uint64_t v;
	for (unsigned i = 0; i <= VPL011_FIFO_SIZE; i++)
		if (vpl011_read(&u, VPL011_DR, 4, &v) != 0)
			abort();
	if (u.rx_count)
		abort();
}

static int f_section(void *ctx, uint16_t type, uint16_t inst, const uint8_t *p, uint32_t len)
{
	(void)ctx;
	if (len > SNAP_SMALL_MAX || type == SNAP_S_RAM || type == SNAP_S_IMAGE)
		abort();
	if (type == SNAP_S_BIND) {
		if (!(hdr.flags & SNAP_F_MIGRATION) || later || inst >= 32 ||
		    (binds & (1u << inst)))
			abort();
		binds |= 1u << inst;
	} else if (type != SNAP_S_CONFIG && type != SNAP_S_END) {
		later = true;
	}
	if (type == SNAP_S_DEVICE && (hdr.flags & SNAP_F_MIGRATION) &&
	    (inst >= 32 || !(binds & (1u << inst))))
		abort();
	if (type == SNAP_S_DEVICE)
		f_device(p, len);
	if (type == SNAP_S_UART)
		f_pl011(p, len);
	volatile uint8_t sink = 0;
	for (uint32_t i = 0; i < len; i++)
		sink ^= p[i]; /* ASan: the whole payload is readable */
	(void)sink;
	return 0;
}

static int f_image_begin(void *ctx, unsigned inst, uint64_t len)
{
	(void)ctx;
	if (inst > 1 || len == 0 || len > SNAP_IMAGE_MAX)
		abort();
	image_len[inst] = len;
	image_sects++;
	return 0;
}

static int f_image(void *ctx, unsigned inst, uint64_t off, const uint8_t *p, uint32_t n)
{
	(void)ctx;
	(void)p;
	if (inst > 1 || n == 0 || off + n > image_len[inst])
		abort();
	return 0;
}

static int f_ram(void *ctx, uint64_t gpa, const uint8_t *p, uint32_t n)
{
	(void)ctx;
	(void)p;
	later = true;
	if (n == 0 || gpa < hdr.ram_gpa || gpa - hdr.ram_gpa >= hdr.ram_size ||
	    n > hdr.ram_size - (gpa - hdr.ram_gpa) || gpa / SNAP_PAGE != (gpa + n - 1) / SNAP_PAGE)
		abort();
	return 0;
}

static int f_end(void *ctx)
{
	(void)ctx;
	ends++;
	return 0;
}

static const struct snap_rd_ops ops = {f_header, f_section, f_image_begin, f_image, f_ram, f_end};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static uint8_t mig[1u << 20];
	size_t piece = (size_t)(data[0] & 0x7f) * 37 + 1;
	bool as_mig = data[0] & 0x80;
	data++;
	size--;
	if (as_mig && size >= SNAP_HDR_SIZE && size <= sizeof(mig)) {
		memcpy(mig, data, size);
		memcpy(mig, SNAP_MAGIC, 8);
		ctl_put32(mig + 8, SNAP_VERSION);
		ctl_put32(mig + 12, SNAP_F_MIGRATION | (mig[12] & SNAP_F_RUNNING));
		memcpy(mig + 16, "riscv64", 8);
		memset(mig + 24, 0, 8);
		memset(mig + 64, 0, 8);   /* total size */
		memset(mig + 108, 0, 16); /* section count, reserved */
		ctl_put32(mig + 124, ctl_crc32c(0, mig, 124));
		data = mig;
	}
	memset(&hdr, 0, sizeof(hdr));
	image_len[0] = image_len[1] = 0;
	ends = image_sects = 0;
	later = false;
	binds = 0;
	snap_rd_init(&rd, &ops, NULL, "riscv64");
	int first_err = 0;
	for (size_t off = 0; off < size; off += piece) {
		size_t k = size - off < piece ? size - off : piece;
		int err = snap_rd_push(&rd, data + off, k);
		if (first_err && err != first_err)
			abort(); /* sticky */
		if (err && !first_err)
			first_err = err;
	}
	int fin = snap_rd_finish(&rd);
	/* END is reported once at most; a stream that finishes well reported it, and one that
	 * reported it can only fail on bytes after it. */
	if (ends > 1 || (fin == 0 && ends != 1) || (ends == 1 && fin && fin != SNAP_E_TRAILING) ||
	    image_sects > 2)
		abort();
	if (first_err && fin != first_err)
		abort();
	return 0;
}
