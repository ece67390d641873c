// SPDX-License-Identifier: MIT
/*
 * Register-level attacks on the virtio-mmio window (VIRTIO 1.2 §4.2.2): accesses of the
 * wrong width, misaligned, past the 0x200-byte window, atomics, LR and FP loads on
 * registers (each must fault the guest with an access fault and change nothing, see
 * hyp/vdev/virtio_mmio.h), notifications of queues that do not exist, and a storm of
 * notifications and requests.
 */
#include <stdint.h>

#include "csr.h"
#include "gstring.h"
#include "plat.h"
#include "printf.h"
#include "trap.h"
#include "vh.h"

enum acc { LB, LH, LW, LD, SB, SH, SW, SD, AMOSWAP, LRW, FLW };

static const char *const acc_names[] = {"lb", "lh", "lw",      "ld",   "sb", "sh",
                                        "sw", "sd", "amoswap", "lr.w", "flw"};

struct reg_case {
	enum acc kind;
	unsigned off;
	bool fault;
};

static bool is_store(enum acc k)
{
	return k == SB || k == SH || k == SW || k == SD || k == AMOSWAP;
}

static unsigned width(enum acc k)
{
	switch (k) {
	case LB:
	case SB:
		return 1;
	case LH:
	case SH:
		return 2;
	case LD:
	case SD:
		return 8;
	default:
		return 4;
	}
}

/* One access at addr (stores write 0); true if it trapped, with the record in *rec. */
static bool access(enum acc kind, uintptr_t addr, uint64_t *val, struct trap_record *rec)
{
	uint64_t v = 0;

	trap_expect_begin();
	switch (kind) {
	case LB:
		__asm__ volatile("lb %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory");
		break;
	case LH:
		__asm__ volatile("lh %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory");
		break;
	case LW:
		__asm__ volatile("lw %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory");
		break;
	case LD:
		__asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory");
		break;
	case SB:
		__asm__ volatile("sb zero, 0(%0)" : : "r"(addr) : "memory");
		break;
	case SH:
		__asm__ volatile("sh zero, 0(%0)" : : "r"(addr) : "memory");
		break;
	case SW:
		__asm__ volatile("sw zero, 0(%0)" : : "r"(addr) : "memory");
		break;
	case SD:
		__asm__ volatile("sd zero, 0(%0)" : : "r"(addr) : "memory");
		break;
	case AMOSWAP:
		__asm__ volatile("amoswap.w %0, zero, (%1)" : "=r"(v) : "r"(addr) : "memory");
		break;
	case LRW:
		__asm__ volatile("lr.w %0, (%1)" : "=r"(v) : "r"(addr) : "memory");
		break;
	case FLW:
		__asm__ volatile("flw ft0, 0(%1)\n\tfmv.x.w %0, ft0"
		                 : "=r"(v)
		                 : "r"(addr)
		                 : "ft0", "memory");
		break;
	}
	*val = v;
	return trap_expect_end(rec);
}

static void one_case(const struct reg_case *c)
{
	uintptr_t addr = VH_BASE + c->off;
	struct trap_record rec = {0};
	uint64_t v;
	bool hit = access(c->kind, addr, &v, &rec);
	bool misaligned = (c->off & (width(c->kind) - 1)) != 0;
	unsigned long want = is_store(c->kind) ? EXC_STORE_ACCESS : EXC_LOAD_ACCESS;
	unsigned long alt = is_store(c->kind) ? EXC_STORE_MISALIGNED : EXC_LOAD_MISALIGNED;
	char name[64];
	bool ok;

	if (hit)
		vh_count_fault();
	snprintf(name, sizeof(name), "regs.%s_0x%x_%s", acc_names[c->kind], c->off,
	         c->fault ? "faults" : "allowed");
	if (!c->fault) {
		vh_check(!hit, name, "trapped scause %lu stval 0x%lx", rec.scause, rec.stval);
		return;
	}
	/* A misaligned access may be reported as such by the CPU before the hypervisor sees it. */
	ok = hit && (rec.scause == want || (misaligned && rec.scause == alt)) &&
	     (misaligned || rec.stval == addr);
	vh_check(ok, name, "trapped %d scause %lu (%s) stval 0x%lx", hit, rec.scause,
	         trap_cause_name(rec.scause), rec.stval);
}

static void width_attacks(void)
{
	static const struct reg_case cases[] = {
	    {LB, R_STATUS, true},      {LH, R_STATUS, true},      {LD, R_MAGIC, true},
	    {LD, R_STATUS, true},      {LW, R_STATUS + 2, true},  {LW, R_STATUS + 1, true},
	    {LW, 0x200, true},         {LB, 0x200, true},         {LW, 0x400, true},
	    {LW, 0xffc, true},         {LB, 0xfff, true},         {LD, 0xff8, true},
	    {LD, 0x1fc, true},         {LW, 0x1000, true},        {SB, R_STATUS, true},
	    {SB, R_NOTIFY, true},      {SH, R_NOTIFY, true},      {SD, R_STATUS, true},
	    {SD, R_NOTIFY, true},      {SW, R_STATUS + 1, true},  {SW, R_NOTIFY + 2, true},
	    {SW, 0x200, true},         {SW, 0xffc, true},         {SD, 0x1000, true},
	    {AMOSWAP, R_STATUS, true}, {AMOSWAP, R_NOTIFY, true}, {LRW, R_STATUS, true},
	    {FLW, R_STATUS, true},     {LW, 0x074, false},        {SW, 0x074, false},
	    {LB, 0x1ff, false},        {SB, 0x1ff, false},        {LD, 0x1f8, false},
	    {LD, R_CONFIG, false},     {LB, R_CONFIG, false},     {LH, R_CONFIG + 2, false},
	    {SD, R_CONFIG, false},
	};
	uint64_t cap, v;
	uint32_t st0, st1;
	uint16_t used;
	unsigned long f0 = vh_faults(), want = 0;
	enum vh_outcome o;
	struct trap_record rec;

	vh_init(VH_FEATURES, VH_QDEF);
	cap = vh_capacity();
	st0 = vh_rd(R_STATUS);
	/* A request waits in the ring: an accepted notify of any width would consume it. */
	memset(vh_mem.data[0], 0, SECTOR);
	vh_publish(vh_build(0, 0, T_IN, VH_REF_SECTOR, (uintptr_t)vh_mem.data[0], SECTOR, true));
	used = vh_q.used->idx;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		one_case(&cases[i]);
		want += cases[i].fault;
	}
	vh_check(vh_faults() - f0 == want, "regs.fault_count", "%lu faults, expected %lu",
	         vh_faults() - f0, want);
	/* Config space takes any width: the 64-bit capacity read whole and in pieces. */
	access(LD, VH_BASE + R_CONFIG, &v, &rec);
	vh_check(v == cap && vh_capacity() == cap, "regs.config_capacity_64bit",
	         "ld 0x%lx, lw pair 0x%lx", (unsigned long)v, (unsigned long)cap);
	access(LH, VH_BASE + R_CONFIG + 2, &v, &rec);
	vh_check((uint16_t)v == (uint16_t)(cap >> 16), "regs.config_capacity_16bit", "lh 0x%lx",
	         (unsigned long)v);
	access(LB, VH_BASE + 0x1ff, &v, &rec);
	vh_check(v == 0, "regs.config_past_end_reads_0", "lb 0x%lx", (unsigned long)v);
	st1 = vh_rd(R_STATUS);
	vh_check(st1 == st0 && vh_q.used->idx == used && vh_rd(R_MAGIC) == 0x74726976u,
	         "regs.refused_accesses_changed_nothing", "status 0x%x -> 0x%x, used idx %u -> %u",
	         st0, st1, used, vh_q.used->idx);
	vh_kick();
	o = vh_wait(1, VH_WAIT_MS);
	vh_check(o == VH_OK && vh_mem.status[0] == S_OK &&
	             vh_matches(vh_mem.data[0], VH_REF_SECTOR, SECTOR),
	         "regs.device_works_after_bad_accesses", "%s status %u", vh_outcome_name(o),
	         vh_mem.status[0]);
}

static void missing_queue_notifies(void)
{
	const uint32_t queues[] = {1, 2, 7, 8, 255, 0xffff, 0x10000, 0x7fffffffu, 0xffffffffu};
	enum vh_outcome o;
	uint16_t used;

	vh_init(VH_FEATURES, VH_QDEF);
	memset(vh_mem.data[0], 0, SECTOR);
	vh_publish(vh_build(0, 0, T_IN, VH_REF_SECTOR, (uintptr_t)vh_mem.data[0], SECTOR, true));
	used = vh_q.used->idx;
	for (unsigned i = 0; i < sizeof(queues) / sizeof(queues[0]); i++)
		vh_wr(R_NOTIFY, queues[i]);
	for (int i = 0; i < 8; i++)
		(void)vh_rd(R_MAGIC);
	/* Completions are asynchronous: give a wrongly accepted request time to show. */
	vh_sleep_ms(20);
	vh_check(vh_q.used->idx == used && !(vh_rd(R_STATUS) & ST_NEEDS_RESET),
	         "regs.notify_missing_queues_ignored", "used idx %u -> %u status 0x%x", used,
	         vh_q.used->idx, vh_rd(R_STATUS));
	vh_kick();
	o = vh_wait(1, VH_WAIT_MS);
	vh_check(o == VH_OK && vh_matches(vh_mem.data[0], VH_REF_SECTOR, SECTOR),
	         "regs.notify_queue0_after", "%s", vh_outcome_name(o));
	/* InterruptACK with every bit: harmless. */
	vh_wr(R_ISR_ACK, 0xffffffffu);
	vh_check(vh_rd(R_ISR) == 0, "regs.isr_ack_all_bits", "isr 0x%x", vh_rd(R_ISR));
}

void vh_attack_registers(void)
{
	if (vh_round() == 0)
		printf("vhostile: == register accesses ==\n");
	width_attacks();
	missing_queue_notifies();
}

/* --- notification and request storm ------------------------------------------------------- */

#define STORM_SECTOR 300u

static void storm_batch(void)
{
	enum vh_outcome o;
	unsigned bad = 0;
	uint8_t st = 0xff;

	/* Sixteen sectors of pattern, then sixteen indirect reads of them at once. */
	vh_init(VH_FEATURES, VH_QDEF);
	vh_fill(vh_mem.big, STORM_SECTOR, VH_QDEF * SECTOR);
	o = vh_rw(T_OUT, STORM_SECTOR, vh_mem.big, VH_QDEF * SECTOR, &st);
	vh_check(o == VH_OK, "storm.prepare", "%s status %u", vh_outcome_name(o), st);
	memset(vh_mem.big, 0, VH_QDEF * SECTOR);
	vh_init(VH_FEATURES, VH_QDEF);
	for (unsigned k = 0; k < VH_QDEF; k++) {
		vh_mem.hdr[k] = (struct vh_blk_hdr){T_IN, 0, STORM_SECTOR + k};
		vh_mem.status[k] = VH_UNTOUCH;
		vh_set_desc(vh_mem.ind[k], 0, (uintptr_t)&vh_mem.hdr[k], 16, D_NEXT, 1);
		vh_set_desc(vh_mem.ind[k], 1, (uintptr_t)vh_mem.big + k * SECTOR, SECTOR,
		            D_WRITE | D_NEXT, 2);
		vh_set_desc(vh_mem.ind[k], 2, (uintptr_t)&vh_mem.status[k], 1, D_WRITE, 0);
		vh_set_desc(vh_q.desc, k, (uintptr_t)vh_mem.ind[k], 48, D_INDIRECT, 0);
		vh_publish((uint16_t)k);
	}
	for (int i = 0; i < 500; i++)
		vh_kick();
	o = vh_wait(VH_QDEF, 2 * VH_WAIT_MS);
	for (unsigned k = 0; k < VH_QDEF; k++)
		bad += vh_mem.status[k] != S_OK;
	vh_check(o == VH_OK && vh_q.used->idx == VH_QDEF && bad == 0 &&
	             vh_matches(vh_mem.big, STORM_SECTOR, VH_QDEF * SECTOR),
	         "storm.full_queue_kicked_500_times", "%s used idx %u, %u bad status",
	         vh_outcome_name(o), vh_q.used->idx, bad);
}

void vh_attack_storm(void)
{
	unsigned n = vh_round() == 0 ? 20000 : 2000, reqs = vh_round() == 0 ? 2000 : 200;
	uint64_t t0, t1, t2;
	unsigned bad = 0;
	enum vh_outcome o;

	if (vh_round() == 0)
		printf("vhostile: == notification storm ==\n");
	vh_init(VH_FEATURES, VH_QDEF);
	t0 = rdtime();
	for (unsigned i = 0; i < n; i++)
		vh_wr(R_NOTIFY, 0);
	t1 = rdtime();
	for (unsigned i = 0; i < n; i++)
		vh_wr(R_NOTIFY, (uint32_t)vh_rng());
	memset(vh_mem.data[0], 0, SECTOR);
	o = vh_rw(T_IN, VH_REF_SECTOR, vh_mem.data[0], SECTOR, NULL);
	vh_check(o == VH_OK && vh_matches(vh_mem.data[0], VH_REF_SECTOR, SECTOR) &&
	             vh_q.used->idx == 1,
	         "storm.notify_flood", "%s used idx %u", vh_outcome_name(o), vh_q.used->idx);
	storm_batch();
	vh_init(VH_FEATURES, VH_QDEF);
	t2 = rdtime();
	unsigned first_bad = reqs, first_o = VH_OK;
	for (unsigned i = 0; i < reqs; i++) {
		unsigned s = STORM_SECTOR + i % VH_QDEF;
		o = vh_rw(T_IN, s, vh_mem.data[0], SECTOR, NULL);
		if (o != VH_OK || (i % 97 == 0 && !vh_matches(vh_mem.data[0], s, SECTOR))) {
			if (bad++ == 0) {
				first_bad = i;
				first_o = o;
			}
		}
	}
	vh_check(bad == 0, "storm.request_roundtrips",
	         "%u of %u requests failed, the first (#%u) %s, used idx %u status 0x%x", bad, reqs,
	         first_bad, vh_outcome_name(first_o), vh_q.used->idx, vh_rd(R_STATUS));
	if (vh_round() == 0)
		printf("vhostile: storm: %u empty notifies in %lu us, %u requests in %lu us\n", n,
		       (unsigned long)plat_ticks_to_us(t1 - t0), reqs,
		       (unsigned long)plat_ticks_to_us(rdtime() - t2));
}
