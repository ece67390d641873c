// SPDX-License-Identifier: MIT
/*
 * Attacks in time, with the VM's second vCPU: a device reset while a full queue of large
 * requests is outstanding (after it the device must neither complete nor write anything:
 * VIRTIO 1.2 §2.1.2, §4.2.3.1), a whole-VM reboot (SBI SRST) at the same point, and
 * descriptors and ring entries rewritten while the first vCPU submits requests (a device
 * that fetched a guest value twice could validate one and use another; every request must
 * still either complete correctly, fail, or break the queue).
 */
#include <stdint.h>

#include "csr.h"
#include "gstring.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "smp.h"
#include "vh.h"

#define BATCH_SECTORS (VH_BIG_SIZE / SECTOR)

static volatile uint16_t reset_at;

/*
 * 256 requests, each reading 512 KiB into the same buffer: far beyond what the device
 * serves per notification (its budget), so most are still queued when a reset comes.
 * Published, not kicked.
 */
static void prepare_batch(void)
{
	uint64_t cap;

	vh_init(VH_FEATURES, VH_QMAX);
	cap = vh_capacity();
	for (unsigned k = 0; k < VH_QMAX; k++) {
		uint64_t sector = (k * BATCH_SECTORS) % (cap - BATCH_SECTORS);

		vh_mem.hdr[k] = (struct vh_blk_hdr){T_IN, 0, sector};
		vh_mem.status[k] = VH_UNTOUCH;
		vh_set_desc(vh_mem.ind[k], 0, (uintptr_t)&vh_mem.hdr[k], 16, D_NEXT, 1);
		vh_set_desc(vh_mem.ind[k], 1, (uintptr_t)vh_mem.big, VH_BIG_SIZE, D_WRITE | D_NEXT,
		            2);
		vh_set_desc(vh_mem.ind[k], 2, (uintptr_t)&vh_mem.status[k], 1, D_WRITE, 0);
		vh_set_desc(vh_q.desc, k, (uintptr_t)vh_mem.ind[k], 48, D_INDIRECT, 0);
		vh_publish((uint16_t)k);
	}
}

/* Wait (bounded) until the device has completed something from the batch. */
static void wait_first_completion(void)
{
	volatile uint16_t *used_idx = &vh_mem.used.idx;
	uint64_t end = rdtime() + plat_ms_to_ticks(2000);

	while (*used_idx == 0 && rdtime() < end)
		cpu_relax();
}

/*
 * Second vCPU: once the first completion appears (the device is inside the batch), write 0
 * to Status. Its trapped store waits for the device lock, so the reset lands between two
 * slices of the device's work while the rest of the batch is still queued. (The vCPU that
 * kicked cannot do this itself: the hypervisor finishes the backlog before that vCPU runs
 * another instruction.)
 */
static void resetter(unsigned long hartid, unsigned long opaque)
{
	(void)hartid;
	(void)opaque;
	wait_first_completion();
	vh_wr(R_STATUS, 0);
	reset_at = vh_mem.used.idx;
}

void vh_attack_reset_batch(void)
{
	static struct vh_used_elem snap[VH_QMAX];
	long hart = smp_find_other_hart(smp_hartid());
	uint16_t done, later;
	uint32_t st, ready;
	bool quiet, stopped;
	struct sbiret r;

	if (vh_round() == 0)
		printf("vhostile: == reset with a full queue outstanding ==\n");
	if (hart < 0) {
		vh_check(false, "reset.second_vcpu", "no second vCPU (configure vcpus = <2>)");
		return;
	}
	prepare_batch();
	reset_at = 0xffff;
	__asm__ volatile("fence rw, rw" : : : "memory");
	r = smp_start_hart((unsigned long)hart, resetter, 0);
	vh_check(r.error == SBI_SUCCESS, "reset.start_second_vcpu", "hart_start %ld", r.error);
	vh_kick();
	stopped = smp_wait_status((unsigned long)hart, SBI_HSM_STOPPED, 10000);
	vh_check(stopped, "reset.second_vcpu_stopped", "hart %ld still running", hart);
	st = vh_rd(R_STATUS);
	done = vh_q.used->idx;
	vh_wr(R_QUEUE_SEL, 0);
	ready = vh_rd(R_QUEUE_READY);
	vh_check(st == 0 && ready == 0, "reset.batch_reset_from_other_vcpu", "status 0x%x ready %u",
	         st, ready);

	/* Poison what the device could still write, give it plenty of exits and time. */
	memset(vh_mem.big, VH_UNTOUCH, VH_BIG_SIZE);
	memset(vh_mem.status, VH_UNTOUCH, sizeof(vh_mem.status));
	for (unsigned k = 0; k < VH_QMAX; k++)
		snap[k] = (struct vh_used_elem){vh_q.used->ring[k].id, vh_q.used->ring[k].len};
	for (int i = 0; i < 200; i++)
		(void)vh_rd(R_MAGIC);
	vh_sleep_ms(20);
	vh_kick(); /* a notification to a reset device: nothing to do */
	for (int i = 0; i < 200; i++)
		(void)vh_rd(R_STATUS);
	later = vh_q.used->idx;
	quiet = later == done && vh_all(vh_mem.big, VH_UNTOUCH, VH_BIG_SIZE) &&
	        vh_all(vh_mem.status, VH_UNTOUCH, sizeof(vh_mem.status));
	for (unsigned k = 0; k < VH_QMAX; k++)
		quiet = quiet && vh_q.used->ring[k].id == snap[k].id &&
		        vh_q.used->ring[k].len == snap[k].len;
	vh_check(quiet, "reset.batch_no_dma_after_reset", "used idx %u -> %u, data %s, status %s",
	         done, later, vh_all(vh_mem.big, VH_UNTOUCH, VH_BIG_SIZE) ? "quiet" : "WRITTEN",
	         vh_all(vh_mem.status, VH_UNTOUCH, sizeof(vh_mem.status)) ? "quiet" : "WRITTEN");
	if (vh_round() == 0)
		printf("vhostile: reset: %u of %u requests completed before the reset (first "
		       "seen by the other vCPU at %u)\n",
		       done, VH_QMAX, reset_at);
	vh_recover("reset.batch");
}

/*
 * A batch of valid large reads is published, then one chain whose data buffer lies past the
 * end of RAM, and all of it kicked at once: the valid requests are in flight on the disk
 * when the device reaches the bad one. The queue must break (DEVICE_NEEDS_RESET) without
 * touching anything outside RAM, and after the reset the requests that were in flight must
 * write nothing more (no data, no status byte, no used element).
 */
void vh_attack_bad_mid_flight(void)
{
	const unsigned valid = 48;
	uint64_t cap, end;
	uint32_t st = 0;
	uint16_t done, later;
	bool quiet;

	if (vh_round() == 0)
		printf("vhostile: == a buffer outside RAM while requests are in flight ==\n");
	vh_init(VH_FEATURES, VH_QMAX);
	cap = vh_capacity();
	for (unsigned k = 0; k <= valid; k++) {
		uint64_t sector = (k * BATCH_SECTORS) % (cap - BATCH_SECTORS);
		uint64_t data = k < valid ? (uintptr_t)vh_mem.big : vh_ram_end();

		vh_mem.hdr[k] = (struct vh_blk_hdr){T_IN, 0, sector};
		vh_mem.status[k] = VH_UNTOUCH;
		vh_set_desc(vh_mem.ind[k], 0, (uintptr_t)&vh_mem.hdr[k], 16, D_NEXT, 1);
		vh_set_desc(vh_mem.ind[k], 1, data, k < valid ? VH_BIG_SIZE : SECTOR,
		            D_WRITE | D_NEXT, 2);
		vh_set_desc(vh_mem.ind[k], 2, (uintptr_t)&vh_mem.status[k], 1, D_WRITE, 0);
		vh_set_desc(vh_q.desc, k, (uintptr_t)vh_mem.ind[k], 48, D_INDIRECT, 0);
		vh_publish((uint16_t)k);
	}
	vh_kick();
	end = rdtime() + plat_ms_to_ticks(VH_WAIT_MS);
	while (!((st = vh_rd(R_STATUS)) & ST_NEEDS_RESET) && rdtime() < end)
		cpu_relax();
	vh_check(st & ST_NEEDS_RESET, "badmid.queue_broken", "status 0x%x, used idx %u", st,
	         vh_q.used->idx);
	vh_check(vh_mem.status[valid] == VH_UNTOUCH, "badmid.bad_request_not_answered",
	         "status byte 0x%x", vh_mem.status[valid]);
	vh_reset();
	done = vh_q.used->idx;
	/* Poison what the requests still in flight could write, give them time and exits. */
	memset(vh_mem.big, VH_UNTOUCH, VH_BIG_SIZE);
	memset(vh_mem.status, VH_UNTOUCH, sizeof(vh_mem.status));
	for (int i = 0; i < 200; i++)
		(void)vh_rd(R_MAGIC);
	vh_sleep_ms(50);
	later = vh_q.used->idx;
	quiet = later == done && vh_all(vh_mem.big, VH_UNTOUCH, VH_BIG_SIZE) &&
	        vh_all(vh_mem.status, VH_UNTOUCH, sizeof(vh_mem.status));
	vh_check(quiet, "badmid.no_dma_after_reset", "used idx %u -> %u, data %s, status %s", done,
	         later, vh_all(vh_mem.big, VH_UNTOUCH, VH_BIG_SIZE) ? "quiet" : "WRITTEN",
	         vh_all(vh_mem.status, VH_UNTOUCH, sizeof(vh_mem.status)) ? "quiet" : "WRITTEN");
	vh_recover("badmid");
}

/* --- a VM reboot in the middle of a batch ---------------------------------------------- */

static void rebooter(unsigned long hartid, unsigned long opaque)
{
	struct sbiret r;

	(void)hartid;
	(void)opaque;
	wait_first_completion();
	r = sbi_system_reset(SBI_SRST_COLD_REBOOT, SBI_SRST_REASON_NONE);
	printf("vhostile: system_reset returned %ld\n", r.error);
}

void vh_reboot_mid_batch(void)
{
	long hart = smp_find_other_hart(smp_hartid());
	struct sbiret r;

	if (hart < 0) {
		vh_check(false, "reboot.second_vcpu", "no second vCPU (configure vcpus = <2>)");
		return;
	}
	printf("vhostile: rebooting the VM from the other vCPU in the middle of a batch\n");
	prepare_batch();
	r = smp_start_hart((unsigned long)hart, rebooter, 0);
	vh_check(r.error == SBI_SUCCESS, "reboot.start_second_vcpu", "hart_start %ld", r.error);
	vh_kick();
	/* The hypervisor stops this vCPU at its next exit; the timer wakes us if it does not. */
	vh_sleep_ms(10000);
	vh_check(false, "reboot.mid_batch", "still running 10 s after the reboot request");
}

/* --- two vCPUs ---------------------------------------------------------------------------- */

static volatile int race_run;

static void spin(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		cpu_relax();
}
static volatile unsigned long race_writes;

/*
 * Runs on the second vCPU: keeps flipping the data descriptor (desc 1) and the avail ring
 * entries between their valid values and hostile ones, one field at a time.
 */
static void racer(unsigned long hartid, unsigned long opaque)
{
	volatile struct vh_desc *d = &vh_mem.desc[1];
	volatile uint16_t *ring = vh_mem.avail.ring;
	const uint64_t good = (uintptr_t)vh_mem.data[0];
	uint64_t x = 0x853c49e6748fea9bULL ^ hartid ^ opaque;
	unsigned long n = 0;

	while (race_run) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Hold each hostile value for a while, so the device does see it sometimes. */
		unsigned hold = (unsigned)(x >> 40) % 64;
		switch (x % 8) {
		case 0:
			d->addr = 0xfffffffffffff000ULL;
			spin(hold);
			d->addr = good;
			break;
		case 1:
			d->len = 0xffffffffu;
			spin(hold);
			d->len = SECTOR;
			break;
		case 2:
			/*
			 * Back to the header (readable after writable) or out of the table.
			 * Not a self loop: a walk that visits this descriptor twice, once
			 * with each next, is a legal longer chain and not an attack.
			 */
			d->next = (x >> 20) & 1 ? 0 : 0xffff;
			spin(hold);
			d->next = 2;
			break;
		case 3:
			d->flags = D_INDIRECT | D_NEXT;
			spin(hold);
			d->flags = D_WRITE | D_NEXT;
			break;
		case 4:
			ring[(x >> 8) % VH_QDEF] = 0xffff;
			spin(hold);
			ring[(x >> 8) % VH_QDEF] = 0;
			break;
		case 5:
			d->addr = vh_ram_end() - SECTOR / 2;
			spin(hold);
			d->addr = good;
			break;
		default:
			spin(4 * hold); /* let valid requests through too */
			break;
		}
		n++;
	}
	race_writes = n;
}

void vh_attack_race(void)
{
	unsigned iters = vh_round() == 0 ? 1500 : 300;
	unsigned ok = 0, err = 0, broken = 0, lost = 0, corrupt = 0;
	long hart = smp_find_other_hart(smp_hartid());
	struct sbiret r;

	if (vh_round() == 0)
		printf("vhostile: == descriptors rewritten by a second vCPU ==\n");
	if (hart < 0) {
		vh_check(false, "race.second_vcpu", "no second vCPU (configure vcpus = <2>)");
		return;
	}
	vh_init(VH_FEATURES, VH_QDEF);
	race_writes = 0;
	race_run = 1;
	__asm__ volatile("fence rw, rw" : : : "memory");
	r = smp_start_hart((unsigned long)hart, racer, vh_round());
	if (!vh_check(r.error == SBI_SUCCESS, "race.start_second_vcpu", "hart_start %ld",
	              r.error)) {
		race_run = 0;
		return;
	}
	for (unsigned i = 0; i < iters; i++) {
		enum vh_outcome o;

		/* Descriptors 0 and 2 are ours; the racer owns 1 and restores it to this. */
		memset(vh_mem.data[0], 0, SECTOR);
		vh_build(0, 0, T_IN, VH_REF_SECTOR, (uintptr_t)vh_mem.data[0], SECTOR, true);
		o = vh_submit(0, &vh_mem.status[0]);
		if (o == VH_OK) {
			/* Completed: it can only have gone to the one valid buffer, whole. */
			ok++;
			corrupt += vh_q.used->ring[(uint16_t)(vh_q.used_seen - 1) % VH_QDEF].len !=
			               SECTOR + 1 ||
			           !vh_matches(vh_mem.data[0], VH_REF_SECTOR, SECTOR);
		} else if (o == VH_ERR) {
			err++;
		} else if (o == VH_BROKEN) {
			broken++;
		} else {
			lost++;
		}
		if (o != VH_OK && o != VH_ERR && !vh_init(VH_FEATURES, VH_QDEF))
			lost++;
	}
	race_run = 0;
	__asm__ volatile("fence rw, rw" : : : "memory");
	vh_check(smp_wait_status((unsigned long)hart, SBI_HSM_STOPPED, 10000),
	         "race.second_vcpu_stopped", "hart %ld still running", hart);
	vh_check(lost == 0, "race.every_request_answered",
	         "%u requests neither completed nor broke the queue", lost);
	vh_check(corrupt == 0, "race.completed_data_intact", "%u completed reads had wrong data",
	         corrupt);
	if (vh_round() == 0)
		printf("vhostile: race: %u ok, %u error, %u needs-reset of %u; %lu racer writes\n",
		       ok, err, broken, iters, race_writes);
	vh_recover("race");
}
