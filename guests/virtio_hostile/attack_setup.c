// SPDX-License-Identifier: MIT
/*
 * Attacks on device initialisation (VIRTIO 1.2 §3.1, §4.2.3): queue sizes and ring
 * addresses that QueueReady must refuse (DEVICE_NEEDS_RESET, queue not ready), ring
 * placements at the very end of RAM that it must accept, queue registers written while
 * the queue is live or for queues that do not exist, and feature / status games.
 */
#include <stdint.h>

#include "csr.h"
#include "gstring.h"
#include "plat.h"
#include "printf.h"
#include "vh.h"

#define DESC  ((uintptr_t)vh_mem.desc)
#define AVAIL ((uintptr_t)&vh_mem.avail)
#define USED  ((uintptr_t)&vh_mem.used)

/* Ring sizes in bytes for queue size n (spec §2.7). */
#define DESC_BYTES(n)  (16u * (n))
#define AVAIL_BYTES(n) (6u + 2u * (n))
#define USED_BYTES(n)  (6u + 8u * (n))

static void bad_setup(const char *name, uint32_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	uint32_t ready, st;

	vh_negotiate(VH_FEATURES);
	vh_queue_program(size, desc, avail, used);
	vh_wr(R_QUEUE_READY, 1);
	ready = vh_rd(R_QUEUE_READY);
	st = vh_rd(R_STATUS);
	vh_check(ready == 0 && (st & ST_NEEDS_RESET), name, "QueueReady %u status 0x%x", ready, st);
	vh_recover(name);
}

/* A legal but unusual placement: initialise there and serve one read. */
static void good_setup(const char *name, uint64_t desc, uint64_t avail, uint64_t used)
{
	enum vh_outcome o = VH_DROPPED;
	bool up = vh_init_at(VH_FEATURES, VH_QDEF, desc, avail, used);

	if (up) {
		memset(vh_mem.data[0], 0, SECTOR);
		o = vh_rw(T_IN, VH_REF_SECTOR, vh_mem.data[0], SECTOR, NULL);
	}
	vh_check(up && o == VH_OK && vh_matches(vh_mem.data[0], VH_REF_SECTOR, SECTOR), name,
	         "init %d, read %s, status 0x%x", up, vh_outcome_name(o), vh_rd(R_STATUS));
	vh_recover(name);
}

static void queue_setup_attacks(void)
{
	uint64_t end = vh_ram_end();
	const uint32_t sizes[] = {0, 3, 100, 255, 257, 512, 32768, 0x10000, 0xffffffffu};
	char name[64];

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(name, sizeof(name), "setup.queue_size_0x%x", sizes[i]);
		bad_setup(name, sizes[i], DESC, AVAIL, USED);
	}
	bad_setup("setup.desc_at_ram_end", VH_QDEF, end, AVAIL, USED);
	bad_setup("setup.desc_straddles_ram_end", VH_QDEF, end - DESC_BYTES(VH_QDEF) + 16, AVAIL,
	          USED);
	bad_setup("setup.desc_misaligned", VH_QDEF, DESC + 8, AVAIL, USED);
	bad_setup("setup.desc_at_zero", VH_QDEF, 0, AVAIL, USED);
	bad_setup("setup.desc_in_mmio", VH_QDEF, VH_BASE, AVAIL, USED);
	bad_setup("setup.desc_high_bits", VH_QDEF, DESC | (1ULL << 40), AVAIL, USED);
	bad_setup("setup.desc_wraps", VH_QDEF, 0xffffffffffffff00ULL, AVAIL, USED);
	bad_setup("setup.avail_odd", VH_QDEF, DESC, AVAIL + 1, USED);
	bad_setup("setup.avail_straddles_ram_end", VH_QDEF, DESC, end - AVAIL_BYTES(VH_QDEF) + 2,
	          USED);
	bad_setup("setup.avail_high_half_only", VH_QDEF, DESC, 0xffffffff00000000ULL, USED);
	bad_setup("setup.used_misaligned", VH_QDEF, DESC, AVAIL, USED + 2);
	bad_setup("setup.used_straddles_ram_end", VH_QDEF, DESC, AVAIL,
	          end - USED_BYTES(VH_QDEF) + 2);
	bad_setup("setup.used_wraps", VH_QDEF, DESC, AVAIL, 0xfffffffffffffffcULL);
	bad_setup("setup.used_below_ram", VH_QDEF, DESC, AVAIL, 0x7ffffff0ULL);

	/* The last bytes of RAM are fine (the used ring can end 2 bytes short at best). */
	good_setup("setup.desc_ends_at_ram_end", end - DESC_BYTES(VH_QDEF), AVAIL, USED);
	good_setup("setup.avail_ends_at_ram_end", DESC, end - AVAIL_BYTES(VH_QDEF), USED);
	good_setup("setup.used_near_ram_end", DESC, AVAIL, end - USED_BYTES(VH_QDEF) - 2);
	/* Overlapping rings are the driver's problem, not a reason to fault. */
	good_setup("setup.rings_share_a_page", DESC, DESC + DESC_BYTES(VH_QDEF),
	           DESC + DESC_BYTES(VH_QDEF) + 64);
}

/* Queue registers of a live queue must be ignored (spec §4.2.2.3). */
static void live_queue_attacks(void)
{
	enum vh_outcome o;
	uint32_t ready;

	vh_init(VH_FEATURES, VH_QDEF);
	vh_wr(R_QUEUE_NUM, 3);
	vh_wr(R_DESC_LO, 0x10);
	vh_wr(R_DESC_HI, 0xffffffffu);
	vh_wr(R_AVAIL_LO, 1);
	vh_wr(R_USED_LO, 2);
	vh_wr(R_QUEUE_READY, 1); /* again, while ready */
	memset(vh_mem.data[0], 0, SECTOR);
	o = vh_rw(T_IN, VH_REF_SECTOR, vh_mem.data[0], SECTOR, NULL);
	vh_check(o == VH_OK && vh_matches(vh_mem.data[0], VH_REF_SECTOR, SECTOR),
	         "setup.live_queue_registers_ignored", "read %s status 0x%x", vh_outcome_name(o),
	         vh_rd(R_STATUS));

	/* QueueReady 0 then 1 on a live queue: off, then on again with the same rings. */
	vh_wr(R_QUEUE_READY, 0);
	ready = vh_rd(R_QUEUE_READY);
	vh_wr(R_QUEUE_READY, 1);
	vh_kick();
	vh_check(ready == 0 && vh_rd(R_QUEUE_READY) == 1, "setup.queue_ready_toggle",
	         "QueueReady read %u after 0, %u after 1", ready, vh_rd(R_QUEUE_READY));
	vh_recover("setup.queue_ready_toggle");

	/* Queues that do not exist: nothing to read, writes ignored, no error state. */
	const uint32_t sels[] = {1, 2, 7, 8, 0xffff, 0xffffffffu};
	bool quiet = true;
	for (unsigned i = 0; i < sizeof(sels) / sizeof(sels[0]); i++) {
		vh_wr(R_QUEUE_SEL, sels[i]);
		quiet = quiet && vh_rd(R_QUEUE_NUMMAX) == 0 && vh_rd(R_QUEUE_READY) == 0;
		vh_wr(R_QUEUE_NUM, 5);
		vh_wr(R_DESC_LO, 0x1234);
		vh_wr(R_AVAIL_LO, 1);
		vh_wr(R_USED_LO, 2);
		vh_wr(R_QUEUE_READY, 1);
		quiet = quiet && vh_rd(R_QUEUE_READY) == 0 && !(vh_rd(R_STATUS) & ST_NEEDS_RESET);
	}
	vh_wr(R_QUEUE_SEL, 0);
	ready = vh_rd(R_QUEUE_READY);
	memset(vh_mem.data[0], 0, SECTOR);
	o = vh_rw(T_IN, VH_REF_SECTOR, vh_mem.data[0], SECTOR, NULL);
	vh_check(quiet && ready == 1 && o == VH_OK &&
	             vh_matches(vh_mem.data[0], VH_REF_SECTOR, SECTOR),
	         "setup.missing_queues_inert", "inert %d, queue 0 ready %u, read %s status 0x%x",
	         quiet, ready, vh_outcome_name(o), vh_rd(R_STATUS));
}

/*
 * Publish a valid read and kick; true if the device consumed it within 200 ms (the disk
 * completes requests asynchronously, by its interrupt, not within the kick).
 */
static bool consumed(unsigned slot_desc)
{
	uint16_t before = vh_q.used->idx;
	uint16_t head =
	    vh_build(slot_desc, 1, T_IN, VH_REF_SECTOR, (uintptr_t)vh_mem.data[1], SECTOR, true);
	uint64_t end;

	vh_publish(head);
	vh_kick();
	end = rdtime() + plat_ms_to_ticks(200);
	while (vh_q.used->idx == before && rdtime() < end)
		(void)vh_rd(R_MAGIC);
	return vh_q.used->idx != before;
}

static void negotiation_attacks(void)
{
	uint32_t st, feat;
	bool ok;
	enum vh_outcome o;

	/* Features the device does not offer, or without VERSION_1: FEATURES_OK refused. */
	ok = vh_negotiate(VH_FEATURES | (1ULL << 63));
	vh_check(!ok, "neg.unoffered_feature_63", "FEATURES_OK accepted");
	ok = vh_negotiate(VH_FEATURES | 1ULL);
	vh_check(!ok, "neg.unoffered_feature_0", "FEATURES_OK accepted");
	ok = vh_negotiate(VH_FEATURES & ~F_VERSION_1);
	vh_check(!ok, "neg.no_version_1", "FEATURES_OK accepted");

	/* DRIVER_OK without FEATURES_OK must not stick nor start the queue. */
	vh_init(VH_FEATURES, VH_QDEF); /* vh_q at the default rings, zeroed */
	vh_negotiate(VH_FEATURES | (1ULL << 63));
	vh_queue_program(VH_QDEF, DESC, AVAIL, USED);
	vh_wr(R_QUEUE_READY, 1);
	vh_wr(R_STATUS, ST_ACK | ST_DRIVER | ST_DRIVER_OK);
	st = vh_rd(R_STATUS);
	ok = consumed(0);
	vh_check(!(st & ST_DRIVER_OK) && !ok, "neg.driver_ok_without_features_ok",
	         "status 0x%x, request consumed %d", st, ok);
	vh_recover("neg.driver_ok_without_features_ok");

	/* Buffers kicked before DRIVER_OK must not be consumed (spec §3.1.2). */
	vh_init(VH_FEATURES, VH_QDEF);
	vh_negotiate(VH_FEATURES);
	vh_queue_program(VH_QDEF, DESC, AVAIL, USED);
	vh_wr(R_QUEUE_READY, 1);
	ok = consumed(0);
	vh_check(!ok, "neg.kick_before_driver_ok", "request consumed before DRIVER_OK");
	vh_recover("neg.kick_before_driver_ok");

	/* Driver features are frozen at FEATURES_OK: clearing INDIRECT later changes nothing. */
	vh_init(VH_FEATURES, VH_QDEF);
	vh_negotiate(VH_FEATURES);
	vh_wr(R_DRV_FEAT_SEL, 0);
	vh_wr(R_DRV_FEAT, 0);
	vh_wr(R_DRV_FEAT_SEL, 1);
	vh_wr(R_DRV_FEAT, 0);
	vh_queue_program(VH_QDEF, DESC, AVAIL, USED);
	vh_wr(R_QUEUE_READY, 1);
	vh_wr(R_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	vh_mem.hdr[0] = (struct vh_blk_hdr){T_IN, 0, VH_REF_SECTOR};
	vh_mem.status[0] = VH_UNTOUCH;
	vh_set_desc(vh_mem.ind[0], 0, (uintptr_t)&vh_mem.hdr[0], 16, D_NEXT, 1);
	vh_set_desc(vh_mem.ind[0], 1, (uintptr_t)vh_mem.data[0], SECTOR, D_WRITE | D_NEXT, 2);
	vh_set_desc(vh_mem.ind[0], 2, (uintptr_t)&vh_mem.status[0], 1, D_WRITE, 0);
	vh_set_desc(vh_q.desc, 0, (uintptr_t)vh_mem.ind[0], 48, D_INDIRECT, 0);
	memset(vh_mem.data[0], 0, SECTOR);
	o = vh_submit(0, &vh_mem.status[0]);
	vh_check(o == VH_OK && vh_matches(vh_mem.data[0], VH_REF_SECTOR, SECTOR),
	         "neg.features_frozen_after_features_ok", "indirect read %s", vh_outcome_name(o));
	vh_recover("neg.features_frozen_after_features_ok");

	/* The driver cannot set DEVICE_NEEDS_RESET nor clear bits (only a 0 write resets). */
	vh_init(VH_FEATURES, VH_QDEF);
	vh_wr(R_STATUS, vh_rd(R_STATUS) | ST_NEEDS_RESET);
	st = vh_rd(R_STATUS);
	vh_wr(R_STATUS, ST_ACK);
	ok = consumed(0);
	vh_check(!(st & ST_NEEDS_RESET) && (vh_rd(R_STATUS) & ST_DRIVER_OK) && ok,
	         "neg.status_bits_driver_cannot_touch", "status 0x%x then 0x%x, consumed %d", st,
	         vh_rd(R_STATUS), ok);

	/* FAILED stops the device until a reset. */
	vh_init(VH_FEATURES, VH_QDEF);
	vh_wr(R_STATUS, vh_rd(R_STATUS) | ST_FAILED);
	ok = consumed(0);
	vh_check(!ok, "neg.failed_stops_device", "request consumed after FAILED");
	vh_recover("neg.failed_stops_device");

	/* Feature selector beyond the two defined words reads 0 (device features 64..). */
	vh_wr(R_DEV_FEAT_SEL, 2);
	feat = vh_rd(R_DEV_FEAT);
	vh_wr(R_DEV_FEAT_SEL, 0xffffffffu);
	feat |= vh_rd(R_DEV_FEAT);
	vh_wr(R_DEV_FEAT_SEL, 1);
	vh_check(feat == 0 && (vh_rd(R_DEV_FEAT) & 1u), "neg.feature_select_out_of_range",
	         "features beyond word 1 read 0x%x", feat);
	vh_recover("neg.feature_select_out_of_range");
}

void vh_attack_queue_setup(void)
{
	if (vh_round() == 0)
		printf("vhostile: == queue setup and negotiation ==\n");
	queue_setup_attacks();
	live_queue_attacks();
	negotiation_attacks();
}
