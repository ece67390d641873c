// SPDX-License-Identifier: MIT
/*
 * Structural attacks on the split virtqueue (VIRTIO 1.2 §2.7): descriptor loops, next and
 * head indices out of range, available index jumps, misordered chains, over-long chains
 * and malformed indirect tables. Each must make the device report DEVICE_NEEDS_RESET
 * without a used entry (§2.1.2 and the contract in hyp/vdev/virtq.h), stop processing,
 * and work again after a reset. Also the valid-but-unusual indirect layouts the device
 * MUST accept (§2.7.5.3.2) and requests whose data lands on the rings themselves.
 */
#include <stdint.h>

#include "gstring.h"
#include "printf.h"
#include "vh.h"

#define HDR(slot)    ((uintptr_t)&vh_mem.hdr[slot])
#define STATUS(slot) ((uintptr_t)&vh_mem.status[slot])
#define DATA(i)      ((uintptr_t)vh_mem.data[i])

static void fresh(const char *name, uint64_t features, uint16_t size)
{
	if (!vh_init(features, size))
		vh_check(false, name, "initialisation failed: status 0x%x", vh_rd(R_STATUS));
}

static void set_hdr(unsigned slot, uint32_t type, uint64_t sector)
{
	vh_mem.hdr[slot].type = type;
	vh_mem.hdr[slot].reserved = 0;
	vh_mem.hdr[slot].sector = sector;
	vh_mem.status[slot] = VH_UNTOUCH;
}

/* Make head available and require DEVICE_NEEDS_RESET, a stopped device and a recovery. */
static void structural(const char *name, uint16_t head)
{
	enum vh_outcome o;

	vh_publish(head);
	vh_kick();
	o = vh_wait(1, 100);
	vh_expect(name, o, VH_BROKEN);
	vh_expect_stopped(name);
	vh_recover(name);
}

/* Like structural() but the avail index is set by hand (no ring entry written). */
static void avail_jump(const char *name, uint16_t idx)
{
	fresh(name, VH_FEATURES, VH_QDEF);
	vh_build(0, 0, T_IN, VH_REF_SECTOR, DATA(0), SECTOR, true);
	for (unsigned i = 0; i < VH_QDEF; i++)
		vh_q.avail->ring[i] = 0;
	vh_q.avail->idx = idx;
	vh_kick();
	vh_expect(name, vh_wait(1, 100), VH_BROKEN);
	vh_expect_stopped(name);
	vh_recover(name);
}

static void descriptor_attacks(void)
{
	volatile struct vh_desc *t;

	/* A header that points back at itself. */
	fresh("ring.self_loop", VH_FEATURES, VH_QDEF);
	set_hdr(0, T_IN, VH_REF_SECTOR);
	vh_set_desc(vh_q.desc, 0, HDR(0), 16, D_NEXT, 0);
	structural("ring.self_loop", 0);

	/* header -> data -> header ... */
	fresh("ring.loop2", VH_FEATURES, VH_QDEF);
	set_hdr(0, T_IN, VH_REF_SECTOR);
	vh_set_desc(vh_q.desc, 0, HDR(0), 16, D_NEXT, 1);
	vh_set_desc(vh_q.desc, 1, DATA(0), SECTOR, D_WRITE | D_NEXT, 0);
	structural("ring.loop2", 0);

	/* A long chain whose tail jumps back into its middle: every descriptor is valid. */
	fresh("ring.loop_tail", VH_FEATURES, VH_QDEF);
	t = vh_q.desc;
	set_hdr(0, T_IN, VH_REF_SECTOR);
	vh_set_desc(t, 0, HDR(0), 16, D_NEXT, 1);
	for (unsigned i = 1; i < VH_QDEF; i++)
		vh_set_desc(t, i, DATA(0) + 32 * i, 32, D_WRITE | D_NEXT,
		            (uint16_t)(i + 1 < VH_QDEF ? i + 1 : 3));
	structural("ring.loop_tail", 0);

	/* A loop of zero-length descriptors (they carry nothing but still count). */
	fresh("ring.loop_zero_len", VH_FEATURES, VH_QDEF);
	set_hdr(0, T_IN, VH_REF_SECTOR);
	vh_set_desc(vh_q.desc, 0, HDR(0), 16, D_NEXT, 1);
	vh_set_desc(vh_q.desc, 1, 0, 0, D_WRITE | D_NEXT, 1);
	structural("ring.loop_zero_len", 0);

	/*
	 * Index = queue size. Just past the table (vh_mem.desc has room) sits what would be a
	 * valid request, so a device that forgot the bound would complete it.
	 */
	fresh("ring.next_eq_size", VH_FEATURES, VH_QDEF);
	vh_build(0, 0, T_IN, VH_REF_SECTOR, DATA(0), SECTOR, true);
	vh_q.desc[0].next = VH_QDEF;
	vh_set_desc(vh_q.desc, VH_QDEF, DATA(0), SECTOR, D_WRITE | D_NEXT, 2);
	structural("ring.next_eq_size", 0);

	fresh("ring.next_max", VH_FEATURES, VH_QDEF);
	set_hdr(0, T_IN, VH_REF_SECTOR);
	vh_set_desc(vh_q.desc, 0, HDR(0), 16, D_NEXT, 0xffff);
	structural("ring.next_max", 0);

	fresh("ring.head_eq_size", VH_FEATURES, VH_QDEF);
	vh_build(0, 0, T_IN, VH_REF_SECTOR, DATA(0), SECTOR, true);
	vh_set_desc(vh_q.desc, VH_QDEF, HDR(0), 16, D_NEXT, 1); /* header of that request */
	structural("ring.head_eq_size", VH_QDEF);

	fresh("ring.head_max", VH_FEATURES, VH_QDEF);
	vh_build(0, 0, T_IN, VH_REF_SECTOR, DATA(0), SECTOR, true);
	structural("ring.head_max", 0xffff);

	avail_jump("ring.avail_idx_size_plus_1", VH_QDEF + 1);
	avail_jump("ring.avail_idx_half", 0x8000);
	avail_jump("ring.avail_idx_backwards", 0xffff);

	/* spec §2.7.4.2: device-writable descriptors come after device-readable ones. */
	fresh("ring.readable_after_writable", VH_FEATURES, VH_QDEF);
	set_hdr(0, T_IN, VH_REF_SECTOR);
	vh_set_desc(vh_q.desc, 0, DATA(0), SECTOR, D_WRITE | D_NEXT, 1);
	vh_set_desc(vh_q.desc, 1, HDR(0), 16, D_NEXT, 2);
	vh_set_desc(vh_q.desc, 2, STATUS(0), 1, D_WRITE, 0);
	structural("ring.readable_after_writable", 0);

	/* 65 descriptors: more than the device's segment limit (seg_max 62 + 2). */
	fresh("ring.too_many_segments", VH_FEATURES, 128);
	t = vh_q.desc;
	set_hdr(0, T_IN, 100);
	vh_set_desc(t, 0, HDR(0), 16, D_NEXT, 1);
	for (unsigned i = 1; i <= 63; i++)
		vh_set_desc(t, i, (uintptr_t)vh_mem.big + SECTOR * (i - 1), SECTOR,
		            D_WRITE | D_NEXT, (uint16_t)(i + 1));
	vh_set_desc(t, 64, STATUS(0), 1, D_WRITE, 0);
	structural("ring.too_many_segments", 0);
}

/* Point descriptor 0 at indirect table ind[0] of n entries. */
static void use_indirect(unsigned n, uint16_t flags)
{
	vh_set_desc(vh_q.desc, 0, (uintptr_t)vh_mem.ind[0], 16u * n, flags, 0);
}

/* A valid request in indirect table ind[k] (3 entries), data into data buffer d. */
static void fill_indirect(unsigned k, uint64_t sector, unsigned d)
{
	set_hdr(k, T_IN, sector);
	vh_set_desc(vh_mem.ind[k], 0, HDR(k), 16, D_NEXT, 1);
	vh_set_desc(vh_mem.ind[k], 1, DATA(d), SECTOR, D_WRITE | D_NEXT, 2);
	vh_set_desc(vh_mem.ind[k], 2, STATUS(k), 1, D_WRITE, 0);
}

static void indirect_bad(const char *name, uint64_t addr, uint32_t len, uint16_t flags)
{
	fresh(name, VH_FEATURES, VH_QDEF);
	fill_indirect(0, VH_REF_SECTOR, 0);
	vh_set_desc(vh_q.desc, 0, addr, len, flags, 1);
	vh_set_desc(vh_q.desc, 1, STATUS(1), 1, D_WRITE, 0);
	structural(name, 0);
}

static void indirect_attacks(void)
{
	uint64_t ram_end = vh_ram_end();
	uintptr_t ind0 = (uintptr_t)vh_mem.ind[0];
	enum vh_outcome o;

	fresh("indirect.not_negotiated", VH_FEATURES & ~F_INDIRECT, VH_QDEF);
	fill_indirect(0, VH_REF_SECTOR, 0);
	use_indirect(3, D_INDIRECT);
	structural("indirect.not_negotiated", 0);

	/* Inside the table: 1 -> 2 -> 1 ... */
	fresh("indirect.loop", VH_FEATURES, VH_QDEF);
	fill_indirect(0, VH_REF_SECTOR, 0);
	vh_mem.ind[0][2].flags = D_WRITE | D_NEXT;
	vh_mem.ind[0][2].next = 1;
	use_indirect(3, D_INDIRECT);
	structural("indirect.loop", 0);

	fresh("indirect.self_loop", VH_FEATURES, VH_QDEF);
	fill_indirect(0, VH_REF_SECTOR, 0);
	vh_mem.ind[0][0].next = 0;
	use_indirect(4, D_INDIRECT);
	structural("indirect.self_loop", 0);

	/* An indirect descriptor inside an indirect table (table 1 is valid). */
	fresh("indirect.nested", VH_FEATURES, VH_QDEF);
	fill_indirect(1, VH_REF_SECTOR, 0);
	vh_set_desc(vh_mem.ind[0], 0, (uintptr_t)vh_mem.ind[1], 48, D_INDIRECT, 0);
	use_indirect(1, D_INDIRECT);
	structural("indirect.nested", 0);

	/* The table pointing at itself. */
	fresh("indirect.nested_self", VH_FEATURES, VH_QDEF);
	vh_set_desc(vh_mem.ind[0], 0, ind0, 16, D_INDIRECT, 0);
	use_indirect(1, D_INDIRECT);
	structural("indirect.nested_self", 0);

	fresh("indirect.next_out_of_table", VH_FEATURES, VH_QDEF);
	fill_indirect(0, VH_REF_SECTOR, 0);
	vh_mem.ind[0][1].next = 3;
	use_indirect(3, D_INDIRECT);
	structural("indirect.next_out_of_table", 0);

	indirect_bad("indirect.with_next", ind0, 48, D_INDIRECT | D_NEXT);
	indirect_bad("indirect.len_not_multiple", ind0, 40, D_INDIRECT);
	indirect_bad("indirect.len_zero", ind0, 0, D_INDIRECT);
	indirect_bad("indirect.len_huge", ind0, 0xfffffff0u, D_INDIRECT);
	indirect_bad("indirect.table_at_ram_end", ram_end, 48, D_INDIRECT);
	indirect_bad("indirect.table_straddles_ram_end", ram_end - 32, 48, D_INDIRECT);
	indirect_bad("indirect.table_in_mmio", VH_BASE, 48, D_INDIRECT);
	indirect_bad("indirect.table_at_zero", 0, 48, D_INDIRECT);
	indirect_bad("indirect.table_wraps", 0xfffffffffffffff0ULL, 48, D_INDIRECT);

	/* spec §2.7.5.3.2: WRITE on the table descriptor is ignored... */
	fresh("indirect.write_flag_ignored", VH_FEATURES, VH_QDEF);
	fill_indirect(0, VH_REF_SECTOR, 0);
	memset(vh_mem.data[0], 0, SECTOR);
	use_indirect(3, D_INDIRECT | D_WRITE);
	o = vh_submit(0, &vh_mem.status[0]);
	vh_check(o == VH_OK && vh_matches(vh_mem.data[0], VH_REF_SECTOR, SECTOR),
	         "indirect.write_flag_ignored", "outcome %s", vh_outcome_name(o));

	/* ...and direct descriptors followed by one indirect one are valid. */
	fresh("indirect.after_direct", VH_FEATURES, VH_QDEF);
	set_hdr(0, T_IN, VH_REF_SECTOR);
	memset(vh_mem.data[0], 0, SECTOR);
	vh_set_desc(vh_q.desc, 0, HDR(0), 16, D_NEXT, 1);
	vh_set_desc(vh_mem.ind[0], 0, DATA(0), SECTOR, D_WRITE | D_NEXT, 1);
	vh_set_desc(vh_mem.ind[0], 1, STATUS(0), 1, D_WRITE, 0);
	vh_set_desc(vh_q.desc, 1, ind0, 32, D_INDIRECT, 0);
	o = vh_submit(0, &vh_mem.status[0]);
	vh_check(o == VH_OK && vh_matches(vh_mem.data[0], VH_REF_SECTOR, SECTOR),
	         "indirect.after_direct", "outcome %s", vh_outcome_name(o));
}

/* Queue size 1: only an indirect request fits (no chain may be longer than the queue). */
static void tiny_queue(void)
{
	enum vh_outcome o;

	fresh("ring.queue_size_1_indirect", VH_FEATURES, 1);
	fill_indirect(0, VH_REF_SECTOR, 0);
	memset(vh_mem.data[0], 0, SECTOR);
	use_indirect(3, D_INDIRECT);
	o = vh_submit(0, &vh_mem.status[0]);
	vh_check(o == VH_OK && vh_matches(vh_mem.data[0], VH_REF_SECTOR, SECTOR),
	         "ring.queue_size_1_indirect", "outcome %s", vh_outcome_name(o));
	o = vh_submit(0, &vh_mem.status[0]);
	vh_check(o == VH_OK, "ring.queue_size_1_second_request", "outcome %s", vh_outcome_name(o));

	fresh("ring.queue_size_1_direct_chain", VH_FEATURES, 1);
	vh_build(0, 0, T_IN, VH_REF_SECTOR, DATA(0), SECTOR, true);
	structural("ring.queue_size_1_direct_chain", 0);
}

/*
 * More than 2^16 requests: the 16-bit avail and used indices wrap. GET_ID requests cost
 * no disk access, sixteen per notification.
 */
static void index_wrap(void)
{
	const unsigned batch = 16, total = 65536 + 2 * 16;
	unsigned done = 0, bad = 0;
	enum vh_outcome o = VH_OK;

	fresh("ring.index_wrap", VH_FEATURES, 64);
	for (unsigned k = 0; k < batch; k++)
		vh_build(3 * k, k, T_GET_ID, 0, DATA(0) + 32 * k, 20, true);
	while (done < total && o == VH_OK) {
		for (unsigned k = 0; k < batch; k++) {
			vh_mem.status[k] = VH_UNTOUCH;
			vh_publish((uint16_t)(3 * k));
		}
		vh_kick();
		o = vh_wait((uint16_t)batch, VH_WAIT_MS);
		for (unsigned k = 0; k < batch && o == VH_OK; k++)
			bad += vh_mem.status[k] != S_OK;
		done += batch;
	}
	vh_check(o == VH_OK && bad == 0 && vh_q.used->idx == (uint16_t)total &&
	             vh_q.avail->idx == (uint16_t)total,
	         "ring.index_wrap_65536", "%u requests, last %s, %u bad status, used idx %u", done,
	         vh_outcome_name(o), bad, vh_q.used->idx);
	vh_recover("ring.index_wrap");
}

/*
 * Data that the device writes over the rings themselves: memory-safe (it is the guest's
 * RAM), so any outcome but a silent drop is acceptable; the device must recover.
 */
static void overlap(const char *name, uintptr_t target, uint32_t len)
{
	enum vh_outcome o;

	fresh(name, VH_FEATURES, VH_QDEF);
	vh_build(0, 0, T_IN, 200, target, len, true);
	o = vh_submit(0, &vh_mem.status[0]);
	vh_expect(name, o, VH_OK | VH_ERR | VH_BROKEN | VH_BADUSED);
	vh_recover(name);
}

static void overlap_attacks(void)
{
	overlap("overlap.data_over_descriptors", (uintptr_t)vh_mem.desc, 4096);
	overlap("overlap.data_over_avail", (uintptr_t)&vh_mem.avail, 4096);
	overlap("overlap.data_over_used", (uintptr_t)&vh_mem.used, 4096);
	overlap("overlap.data_over_header", (uintptr_t)vh_mem.hdr, 4096);
}

void vh_attack_ring(void)
{
	if (vh_round() == 0)
		printf("vhostile: == descriptor chains and rings ==\n");
	descriptor_attacks();
	indirect_attacks();
	tiny_queue();
	index_wrap();
	overlap_attacks();
}
