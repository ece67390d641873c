// SPDX-License-Identifier: MIT
/*
 * Attacks with request buffers (VIRTIO 1.2 §2.7.4, §5.2.6): guest addresses outside RAM
 * (holes, MMIO, above RAM, wrapping near 2^64, straddling RAM's ends), huge lengths,
 * buffers of the wrong direction, sectors beyond the capacity and malformed requests.
 * A buffer the device cannot reach must never complete with S_OK; what the guest can see
 * of its own RAM and disk must be untouched where the spec forbids a write.
 */
#include <stdint.h>

#include "gstring.h"
#include "printf.h"
#include "vh.h"

#define HDR(slot)    ((uintptr_t)&vh_mem.hdr[slot])
#define STATUS(slot) ((uintptr_t)&vh_mem.status[slot])
#define DATA(i)      ((uintptr_t)vh_mem.data[i])

static void fresh(const char *name)
{
	if (!vh_init(VH_FEATURES, VH_QDEF))
		vh_check(false, name, "initialisation failed: status 0x%x", vh_rd(R_STATUS));
}

/* Refused: DEVICE_NEEDS_RESET or an error status, then a working device again. */
static void refused(const char *name, uint16_t head)
{
	vh_expect(name, vh_submit(head, &vh_mem.status[0]), VH_BROKEN | VH_ERR);
	vh_recover(name);
}

struct bad_buf {
	const char *name;
	uint64_t addr;
	uint32_t len;
};

static void bad_data_buffers(void)
{
	uint64_t end = vh_ram_end();
	const struct bad_buf bufs[] = {
	    {"zero", 0, SECTOR},
	    {"low_page", 0x1000, SECTOR},
	    {"clint", 0x02000000, SECTOR},
	    {"plic", VH_PLIC, SECTOR},
	    {"uart", VH_UART, SECTOR},
	    {"own_registers", VH_BASE, SECTOR},
	    {"straddles_ram_start", 0x80000000ULL - SECTOR, 2 * SECTOR},
	    {"at_ram_end", end, SECTOR},
	    {"straddles_ram_end", end - SECTOR / 2, SECTOR},
	    {"ram_plus_4g", 0x180000000ULL, SECTOR},
	    {"ram_with_bit63", 0x8000000080000000ULL | DATA(0), SECTOR},
	    {"wraps_2_64", 0xfffffffffffff000ULL, 0x2000},
	    {"ends_at_2_64", 0xfffffffffffffe00ULL, SECTOR},
	    {"len_ffffffff", 0x80000000ULL, 0xffffffffu},
	    {"len_ffffffff_at_data", DATA(0), 0xffffffffu},
	    {"len_ram_size_plus_1", 0x80000000ULL, 0},
	};
	char name[80];

	for (unsigned i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
		uint32_t len = bufs[i].len ? bufs[i].len : (uint32_t)(end - 0x80000000ULL) + 1;

		/* A read: the device would write there. */
		snprintf(name, sizeof(name), "buf.read_into_%s", bufs[i].name);
		fresh(name);
		refused(name, vh_build(0, 0, T_IN, VH_REF_SECTOR, bufs[i].addr, len, true));
		/* A write of the reference sector: the device would read there. Recovery reads
		 * the reference sector back, so a write that went through anyway shows. */
		snprintf(name, sizeof(name), "buf.write_from_%s", bufs[i].name);
		fresh(name);
		refused(name, vh_build(0, 0, T_OUT, VH_REF_SECTOR, bufs[i].addr, len, false));
	}
}

static void bad_header_and_status(void)
{
	uint64_t end = vh_ram_end();
	volatile struct vh_desc *t;

	fresh("buf.header_outside_ram");
	vh_build(0, 0, T_IN, VH_REF_SECTOR, DATA(0), SECTOR, true);
	vh_q.desc[0].addr = end;
	refused("buf.header_outside_ram", 0);

	fresh("buf.header_len_huge");
	vh_build(0, 0, T_IN, VH_REF_SECTOR, DATA(0), SECTOR, true);
	vh_q.desc[0].len = 0xffffffffu;
	refused("buf.header_len_huge", 0);

	/* A status byte on the UART's transmit register would print a byte. */
	fresh("buf.status_on_uart");
	vh_build(0, 0, T_IN, VH_REF_SECTOR, DATA(0), SECTOR, true);
	vh_q.desc[2].addr = VH_UART;
	refused("buf.status_on_uart", 0);

	fresh("buf.status_at_ram_end");
	vh_build(0, 0, T_IN, VH_REF_SECTOR, DATA(0), SECTOR, true);
	vh_q.desc[2].addr = end;
	refused("buf.status_at_ram_end", 0);

	/* Two 2 GiB pieces: the 32-bit sum wraps to 0. */
	fresh("buf.total_len_wraps_32bit");
	t = vh_q.desc;
	vh_build(0, 0, T_IN, VH_REF_SECTOR, DATA(0), SECTOR, true);
	vh_set_desc(t, 1, 0x80000000ULL, 0x80000000u, D_WRITE | D_NEXT, 3);
	vh_set_desc(t, 3, 0x80000000ULL, 0x80000000u, D_WRITE | D_NEXT, 2);
	refused("buf.total_len_wraps_32bit", 0);
}

/* Data ending exactly at the end of RAM is legal. */
static void buffer_at_ram_end(void)
{
	uint8_t *last = (uint8_t *)(uintptr_t)(vh_ram_end() - SECTOR);
	enum vh_outcome o;

	fresh("buf.data_ends_at_ram_end");
	memset(last, 0, SECTOR);
	o = vh_submit(vh_build(0, 0, T_IN, VH_REF_SECTOR, (uintptr_t)last, SECTOR, true),
	              &vh_mem.status[0]);
	vh_check(o == VH_OK && vh_matches(last, VH_REF_SECTOR, SECTOR), "buf.data_ends_at_ram_end",
	         "outcome %s", vh_outcome_name(o));
}

/* A request that must complete with status want and leave buffer buf (len) untouched. */
static void must_fail(const char *name, uint32_t type, uint64_t sector, uint32_t len, uint8_t want)
{
	uint8_t st = 0xff;
	enum vh_outcome o;

	fresh(name);
	memset(vh_mem.big, VH_UNTOUCH, len);
	o = vh_rw(type, sector, vh_mem.big, len, &st);
	vh_check((o == VH_OK || o == VH_ERR) && st == want && vh_all(vh_mem.big, VH_UNTOUCH, len),
	         name, "outcome %s status %u (want %u), buffer %s", vh_outcome_name(o), st, want,
	         vh_all(vh_mem.big, VH_UNTOUCH, len) ? "untouched" : "WRITTEN");
	vh_recover(name);
}

static void capacity_attacks(void)
{
	uint64_t cap;
	uint8_t st = 0xff;
	enum vh_outcome o;

	fresh("cap");
	cap = vh_capacity();
	must_fail("cap.read_at_capacity", T_IN, cap, SECTOR, S_IOERR);
	must_fail("cap.read_straddles_capacity", T_IN, cap - 1, 2 * SECTOR, S_IOERR);
	must_fail("cap.read_sector_2_63", T_IN, 1ULL << 63, SECTOR, S_IOERR);
	must_fail("cap.read_sector_max", T_IN, ~0ULL, SECTOR, S_IOERR);
	must_fail("cap.read_sector_wraps", T_IN, ~0ULL - 1, 4 * SECTOR, S_IOERR);
	must_fail("cap.read_partial_sector", T_IN, VH_REF_SECTOR, 100, S_IOERR);
	/* Writes beyond the end: IOERR, and the last sector keeps the baseline's data. */
	vh_fill(vh_mem.big, 0x5555, 2 * SECTOR);
	fresh("cap.write_straddles_capacity");
	o = vh_rw(T_OUT, cap - 1, vh_mem.big, 2 * SECTOR, &st);
	vh_check(o == VH_ERR && st == S_IOERR, "cap.write_straddles_capacity", "%s status %u",
	         vh_outcome_name(o), st);
	o = vh_rw(T_OUT, cap, vh_mem.big, SECTOR, &st);
	vh_check(o == VH_ERR && st == S_IOERR, "cap.write_at_capacity", "%s status %u",
	         vh_outcome_name(o), st);
	o = vh_rw(T_OUT, ~0ULL, vh_mem.big, 2 * SECTOR, &st);
	vh_check(o == VH_ERR && st == S_IOERR, "cap.write_sector_max", "%s status %u",
	         vh_outcome_name(o), st);
	memset(vh_mem.data[0], 0, SECTOR);
	o = vh_rw(T_IN, cap - 1, vh_mem.data[0], SECTOR, &st);
	vh_check(o == VH_OK && vh_matches(vh_mem.data[0], cap - 1, SECTOR),
	         "cap.last_sector_intact", "%s status %u", vh_outcome_name(o), st);
}

static void direction_attacks(void)
{
	uint16_t head;
	enum vh_outcome o;
	uint32_t len;

	/* A read whose data buffer is device-readable: the device MUST NOT write it
	 * (spec §2.7.4). Either outcome is fine as long as the buffer stays as it was. */
	fresh("dir.read_into_readable_buffer");
	memset(vh_mem.data[0], VH_UNTOUCH, SECTOR);
	head = vh_build(0, 0, T_IN, VH_REF_SECTOR, DATA(0), SECTOR, false);
	o = vh_submit(head, &vh_mem.status[0]);
	len = vh_q.used->ring[0].len;
	vh_check((o & (VH_OK | VH_ERR | VH_BROKEN)) && vh_all(vh_mem.data[0], VH_UNTOUCH, SECTOR) &&
	             (o == VH_BROKEN || len <= 1),
	         "dir.read_into_readable_buffer", "outcome %s used len %u, buffer %s",
	         vh_outcome_name(o), len,
	         vh_all(vh_mem.data[0], VH_UNTOUCH, SECTOR) ? "untouched" : "WRITTEN");
	vh_recover("dir.read_into_readable_buffer");

	/* A write whose data is device-writable carries no data: the reference sector must
	 * not change (checked by the recovery read). */
	fresh("dir.write_from_writable_buffer");
	memset(vh_mem.data[0], 0, SECTOR);
	head = vh_build(0, 0, T_OUT, VH_REF_SECTOR, DATA(0), SECTOR, true);
	o = vh_submit(head, &vh_mem.status[0]);
	vh_expect("dir.write_from_writable_buffer", o, VH_OK | VH_ERR | VH_BROKEN);
	vh_recover("dir.write_from_writable_buffer");
}

static void request_attacks(void)
{
	volatile struct vh_desc *t;
	enum vh_outcome o;
	uint8_t st = 0xff;

	fresh("req.unsupported_type");
	o = vh_rw(0x7fffffffu, VH_REF_SECTOR, vh_mem.data[0], SECTOR, &st);
	vh_check(o == VH_ERR && st == S_UNSUPP, "req.unsupported_type", "%s status %u",
	         vh_outcome_name(o), st);

	/* No device-writable byte: nowhere to put a status; returned with length 0. */
	fresh("req.no_writable_byte");
	t = vh_q.desc;
	vh_build(0, 0, T_IN, VH_REF_SECTOR, DATA(0), SECTOR, false);
	t[1].flags = 0;
	memset(vh_mem.data[0], VH_UNTOUCH, SECTOR);
	o = vh_submit(0, &vh_mem.status[0]);
	vh_check((o == VH_ERR && vh_q.used->ring[0].len == 0 && vh_mem.status[0] == VH_UNTOUCH &&
	          vh_all(vh_mem.data[0], VH_UNTOUCH, SECTOR)) ||
	             o == VH_BROKEN,
	         "req.no_writable_byte", "%s used len %u", vh_outcome_name(o),
	         vh_q.used->ring[0].len);
	vh_recover("req.no_writable_byte");

	/* A header shorter than 16 bytes. */
	fresh("req.short_header");
	vh_build(0, 0, T_IN, VH_REF_SECTOR, DATA(0), SECTOR, true);
	vh_q.desc[0].len = 8;
	o = vh_submit(0, &vh_mem.status[0]);
	vh_check((o == VH_ERR && vh_mem.status[0] == S_IOERR) || o == VH_BROKEN, "req.short_header",
	         "%s status %u", vh_outcome_name(o), vh_mem.status[0]);
	vh_recover("req.short_header");

	/* Legal framings the device must not assume away (spec §2.7.4): a header in three
	 * pieces, zero-length descriptors, data and status in one writable buffer. */
	fresh("req.header_in_three_pieces");
	t = vh_q.desc;
	vh_build(0, 0, T_IN, VH_REF_SECTOR, DATA(0), SECTOR, true);
	vh_set_desc(t, 0, HDR(0), 5, D_NEXT, 3);
	vh_set_desc(t, 3, HDR(0) + 5, 0, D_NEXT, 4);
	vh_set_desc(t, 4, HDR(0) + 5, 5, D_NEXT, 5);
	vh_set_desc(t, 5, HDR(0) + 10, 6, D_NEXT, 1);
	memset(vh_mem.data[0], 0, SECTOR);
	o = vh_submit(0, &vh_mem.status[0]);
	vh_check(o == VH_OK && vh_matches(vh_mem.data[0], VH_REF_SECTOR, SECTOR),
	         "req.header_in_three_pieces", "%s", vh_outcome_name(o));

	fresh("req.status_inside_data_buffer");
	t = vh_q.desc;
	vh_build(0, 0, T_IN, VH_REF_SECTOR, DATA(0), SECTOR, true);
	vh_set_desc(t, 1, DATA(0), SECTOR + 1, D_WRITE, 0);
	memset(vh_mem.data[0], 0xff, SECTOR + 1);
	o = vh_submit(0, &vh_mem.data[0][SECTOR]);
	vh_check(o == VH_OK && vh_matches(vh_mem.data[0], VH_REF_SECTOR, SECTOR),
	         "req.status_inside_data_buffer", "%s status %u", vh_outcome_name(o),
	         vh_mem.data[0][SECTOR]);

	/* GET_ID into a 4-byte buffer: 4 bytes, nothing past them. */
	fresh("req.get_id_short_buffer");
	memset(vh_mem.data[0], VH_UNTOUCH, 64);
	o = vh_rw(T_GET_ID, 0, vh_mem.data[0], 4, &st);
	vh_check(o == VH_OK && vh_mem.data[0][0] == 'f' &&
	             vh_all(vh_mem.data[0] + 4, VH_UNTOUCH, 60),
	         "req.get_id_short_buffer", "%s id[0] 0x%x", vh_outcome_name(o), vh_mem.data[0][0]);
}

void vh_attack_buffers(void)
{
	if (vh_round() == 0)
		printf("vhostile: == buffers and requests ==\n");
	bad_data_buffers();
	bad_header_and_status();
	buffer_at_ram_end();
	capacity_attacks();
	direction_attacks();
	request_attacks();
}
