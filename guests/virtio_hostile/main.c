// SPDX-License-Identifier: MIT
/*
 * virtio_hostile: a guest that owns a virtio-blk device (virtio-mmio slot 0 of its VM, at
 * 0x10001000) and attacks it (meaningful under Ferrovisor only). Each attack is followed by
 * checks that the device reacted as VIRTIO 1.2 and hyp/vdev/virtq.h say (DEVICE_NEEDS_RESET
 * for structural ring errors, an error status or no access for bad buffers, an access fault
 * for bad register accesses) and that a reset, a clean initialisation and a valid read
 * work again. Groups: a valid baseline (write a pattern, read it back), buffers and
 * requests, descriptor chains and indirect tables, queue setup and feature negotiation,
 * register accesses, a notification storm, a reset with a full queue outstanding, and a
 * second vCPU rewriting descriptors under the device's feet.
 *
 * Round 0 prints an FV-CHECK line per check and then FV-RESULT. The guest then keeps
 * going: soak rounds repeat every attack (quietly, failures still print "FV-CHECK FAIL
 * soak<N>.<name>") and end with "vhostile: soak round <N> done", the heartbeat the
 * integration test watches while another VM uses its own disk. After soak round 1 of the
 * first boot on a disk, the guest reboots itself (SBI SRST from its second vCPU) while the
 * device serves a batch; on the second boot (a marker sector on the disk tells) it runs
 * round 0 and the soak rounds again, without rebooting.
 *
 * Needs: vcpus = <2>, a disk on the VM's first virtio slot, at least 32 MiB of RAM.
 */
#include <stdint.h>

#include "csr.h"
#include "gstring.h"
#include "plat.h"
#include "printf.h"
#include "test.h"
#include "vh.h"

#define MULTI_SECTOR  16u
#define SPLIT_SECTOR  40u
#define MAXSEG_SECTOR 100u
#define MAXSEG_DATA   62u /* data descriptors: seg_max of the device */

static bool identity_ok(void)
{
	uint32_t magic = vh_rd(R_MAGIC), version = vh_rd(R_VERSION), id = vh_rd(R_DEVICE_ID);

	return vh_check(magic == 0x74726976u && version == 2 && id == 2, "baseline.identity",
	                "magic 0x%x version %u device %u", magic, version, id);
}

static void rw_check(const char *name, uint64_t sector, uint32_t len)
{
	uint8_t st = 0xff;
	enum vh_outcome o = vh_rw(T_OUT, sector, vh_mem.big, len, &st);
	enum vh_outcome o2 = VH_DROPPED;

	if (o == VH_OK) {
		memset(vh_mem.big + len, 0, len);
		o2 = vh_rw(T_IN, sector, vh_mem.big + len, len, &st);
	}
	vh_check(o == VH_OK && o2 == VH_OK && vh_matches(vh_mem.big + len, sector, len), name,
	         "write %s read %s status %u", vh_outcome_name(o), vh_outcome_name(o2), st);
}

/* A read in odd pieces: header 7 + 9 bytes, data 100 + 3000 + 996 bytes. */
static void split_read(void)
{
	volatile struct vh_desc *t = vh_q.desc;
	uint8_t *a = vh_mem.data[0], *b = vh_mem.data[1], *c = vh_mem.data[2];
	enum vh_outcome o;
	bool ok;

	vh_mem.hdr[0] = (struct vh_blk_hdr){T_IN, 0, MULTI_SECTOR};
	vh_mem.status[0] = VH_UNTOUCH;
	memset(a, 0, 100);
	memset(b, 0, 3000);
	memset(c, 0, 996);
	vh_set_desc(t, 0, (uintptr_t)&vh_mem.hdr[0], 7, D_NEXT, 1);
	vh_set_desc(t, 1, (uintptr_t)&vh_mem.hdr[0] + 7, 9, D_NEXT, 2);
	vh_set_desc(t, 2, (uintptr_t)a, 100, D_WRITE | D_NEXT, 3);
	vh_set_desc(t, 3, (uintptr_t)b, 3000, D_WRITE | D_NEXT, 4);
	vh_set_desc(t, 4, (uintptr_t)c, 996, D_WRITE | D_NEXT, 5);
	vh_set_desc(t, 5, (uintptr_t)&vh_mem.status[0], 1, D_WRITE, 0);
	o = vh_submit(0, &vh_mem.status[0]);
	ok = o == VH_OK;
	for (unsigned i = 0; ok && i < 4096; i++) {
		uint8_t got = i < 100 ? a[i] : i < 3100 ? b[i - 100] : c[i - 3100];
		ok = got == vh_pattern(MULTI_SECTOR + i / SECTOR, i % SECTOR);
	}
	vh_check(ok, "baseline.split_read", "%s", vh_outcome_name(o));
}

/* A write in pieces of 1 + 1023 bytes, read back whole. */
static void split_write(void)
{
	volatile struct vh_desc *t = vh_q.desc;
	enum vh_outcome o, o2 = VH_DROPPED;

	vh_fill(vh_mem.big, SPLIT_SECTOR, 2 * SECTOR);
	vh_mem.hdr[0] = (struct vh_blk_hdr){T_OUT, 0, SPLIT_SECTOR};
	vh_mem.status[0] = VH_UNTOUCH;
	vh_set_desc(t, 0, (uintptr_t)&vh_mem.hdr[0], 16, D_NEXT, 1);
	vh_set_desc(t, 1, (uintptr_t)vh_mem.big, 1, D_NEXT, 2);
	vh_set_desc(t, 2, (uintptr_t)vh_mem.big + 1, 2 * SECTOR - 1, D_NEXT, 3);
	vh_set_desc(t, 3, (uintptr_t)&vh_mem.status[0], 1, D_WRITE, 0);
	o = vh_submit(0, &vh_mem.status[0]);
	if (o == VH_OK) {
		memset(vh_mem.data[0], 0, 2 * SECTOR);
		o2 = vh_rw(T_IN, SPLIT_SECTOR, vh_mem.data[0], 2 * SECTOR, NULL);
	}
	vh_check(o == VH_OK && o2 == VH_OK && vh_matches(vh_mem.data[0], SPLIT_SECTOR, 2 * SECTOR),
	         "baseline.split_write", "write %s read %s", vh_outcome_name(o),
	         vh_outcome_name(o2));
}

/* The longest chain the device takes: header, 62 data descriptors, status. */
static void max_segments(void)
{
	volatile struct vh_desc *t;
	uint8_t *buf = vh_mem.big + 64 * 1024;
	enum vh_outcome o;

	vh_init(VH_FEATURES, 128);
	t = vh_q.desc;
	vh_fill(vh_mem.big, MAXSEG_SECTOR, MAXSEG_DATA * SECTOR);
	rw_check("baseline.max_segments_prepare", MAXSEG_SECTOR, MAXSEG_DATA * SECTOR);
	vh_mem.hdr[0] = (struct vh_blk_hdr){T_IN, 0, MAXSEG_SECTOR};
	vh_mem.status[0] = VH_UNTOUCH;
	memset(buf, 0, MAXSEG_DATA * SECTOR);
	vh_set_desc(t, 10, (uintptr_t)&vh_mem.hdr[0], 16, D_NEXT, 11);
	for (unsigned i = 0; i < MAXSEG_DATA; i++)
		vh_set_desc(t, 11 + i, (uintptr_t)buf + i * SECTOR, SECTOR, D_WRITE | D_NEXT,
		            (uint16_t)(12 + i));
	vh_set_desc(t, 11 + MAXSEG_DATA, (uintptr_t)&vh_mem.status[0], 1, D_WRITE, 0);
	o = vh_submit(10, &vh_mem.status[0]);
	vh_check(o == VH_OK && vh_matches(buf, MAXSEG_SECTOR, MAXSEG_DATA * SECTOR),
	         "baseline.max_segments", "%s", vh_outcome_name(o));
}

void vh_baseline(void)
{
	enum vh_outcome o;
	uint8_t st = 0xff;
	uint64_t cap;
	char id[21];

	if (vh_round() == 0)
		printf("vhostile: == baseline ==\n");
	identity_ok();
	vh_check(vh_init(VH_FEATURES, VH_QDEF), "baseline.init", "status 0x%x", vh_rd(R_STATUS));
	cap = vh_capacity();
	vh_check(cap >= 4096, "baseline.capacity", "%lu sectors", (unsigned long)cap);

	/* The reference sector every recovery reads back, and a few more. */
	vh_fill(vh_mem.big, VH_REF_SECTOR, SECTOR);
	rw_check("baseline.write_read_reference", VH_REF_SECTOR, SECTOR);
	vh_fill(vh_mem.big, MULTI_SECTOR, 8 * SECTOR);
	rw_check("baseline.write_read_4k", MULTI_SECTOR, 8 * SECTOR);
	vh_fill(vh_mem.big, cap - 1, SECTOR);
	rw_check("baseline.write_read_last_sector", cap - 1, SECTOR);
	split_read();
	split_write();

	memset(vh_mem.data[0], 0, 64);
	o = vh_rw(T_GET_ID, 0, vh_mem.data[0], 20, &st);
	memcpy(id, vh_mem.data[0], 20);
	id[20] = 0;
	vh_check(o == VH_OK && memcmp(id, "fv-", 3) == 0, "baseline.get_id", "%s id '%s'",
	         vh_outcome_name(o), id);
	o = vh_rw(T_FLUSH, 0, NULL, 0, &st);
	vh_check(o == VH_OK, "baseline.flush", "%s status %u", vh_outcome_name(o), st);
	max_segments();
}

/*
 * The disk remembers whether this guest already rebooted itself (the reboot gives it
 * fresh RAM): a marker sector, written just before the reboot.
 */
#define BOOT_SECTOR 4000u
static const char boot_marker[16] = "vhostile-reboot";

static bool boot_marker_present(void)
{
	vh_init(VH_FEATURES, VH_QDEF);
	memset(vh_mem.data[0], 0, SECTOR);
	return vh_rw(T_IN, BOOT_SECTOR, vh_mem.data[0], SECTOR, NULL) == VH_OK &&
	       memcmp(vh_mem.data[0], boot_marker, sizeof(boot_marker)) == 0;
}

static void boot_marker_write(void)
{
	enum vh_outcome o;

	vh_init(VH_FEATURES, VH_QDEF);
	memset(vh_mem.data[0], 0, SECTOR);
	memcpy(vh_mem.data[0], boot_marker, sizeof(boot_marker));
	o = vh_rw(T_OUT, BOOT_SECTOR, vh_mem.data[0], SECTOR, NULL);
	vh_check(o == VH_OK, "reboot.write_marker", "%s", vh_outcome_name(o));
}

static void round_all(void)
{
	vh_baseline();
	vh_attack_buffers();
	vh_attack_ring();
	vh_attack_queue_setup();
	vh_attack_registers();
	vh_attack_storm();
	vh_attack_reset_batch();
	vh_attack_bad_mid_flight();
	vh_attack_race();
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	bool rebooted;

	(void)dtb;
	irq_disable();
	csr_write(sie, 0);
	printf("vhostile: start on hart %lu, RAM 0x%lx-0x%lx, device at 0x%lx\n", hartid,
	       (unsigned long)plat_ram_base(), (unsigned long)vh_ram_end(), VH_BASE);
	vh_set_round(0);
	if (vh_rd(R_MAGIC) != 0x74726976u || vh_rd(R_DEVICE_ID) != 2) {
		/* No disk on the first slot: every later check would fail the same way. */
		test_checkf(false, "baseline.device_present", "magic 0x%x device id %u",
		            vh_rd(R_MAGIC), vh_rd(R_DEVICE_ID));
		test_finish();
	}
	rebooted = boot_marker_present();
	printf("vhostile: %s boot\n", rebooted ? "second" : "first");
	round_all();
	printf("vhostile: round 0 done: %u checks, %u failed, %lu faults\n", test_checks(),
	       test_failures(), vh_faults());
	if (test_failures() == 0)
		printf("FV-RESULT PASS\n");
	else
		printf("FV-RESULT FAIL (%u failed)\n", test_failures());
	for (unsigned round = 1;; round++) {
		uint64_t t0 = rdtime();

		vh_sleep_ms(300);
		vh_set_round(round);
		round_all();
		printf("vhostile: soak round %u done in %lu ms: %u failed so far, %lu faults\n",
		       round, (unsigned long)(plat_ticks_to_us(rdtime() - t0) / 1000),
		       test_failures(), vh_faults());
		/* Once per disk: a VM reboot while a batch is being served (does not return). */
		if (round == 1 && !rebooted) {
			boot_marker_write();
			vh_reboot_mid_batch();
		}
	}
}
