// SPDX-License-Identifier: MIT
/*
 * SBI Debug Triggers extension (EID "DBTR"), SBI spec 3.0 chapter "Debug
 * Triggers", for guests, backed by the host's triggers through the
 * firmware's DBTR (the trigger CSRs are M-mode only).
 *
 * Each vCPU has up to RISCV_DBTR_MAX virtual triggers (struct
 * riscv_dbtr_state, plain data): what the guest installed, in its own
 * encoding. While the vCPU is loaded on a CPU, its enabled triggers are
 * installed in that CPU's host triggers with s/u turned into vs/vu (so they
 * fire only under V=1, never in the hypervisor); arch_vcpu_put removes them
 * and arch_vcpu_load installs them again, so triggers follow the vCPU across
 * rescheduling and CPUs. Hits are breakpoint exceptions, which hedeleg sends
 * straight to the guest. Only mcontrol6 with action 0 is offered
 * (dbtr_trig.c has the checks; docs/sbi/dbtr.md the reasons).
 */
#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi/dbtr_trig.h"
#include "arch/riscv/sbi/sbi_ext.h"
#include "core/console.h"
#include "core/percpu.h"
#include "core/vcpu.h"
#include "core/dirty_log.h"
#include "core/vm.h"
#include "lib/string.h"

#define ENTRY_BYTES 32UL /* four XLEN words per trigger (XLEN / 2 bytes) */

/* One entry of the guest's shared memory (SBI 3.0 layout). */
struct dbtr_entry {
	uint64_t w[4];
};

/*
 * Host triggers usable on every CPU (the minimum over CPUs), capped at
 * RISCV_DBTR_MAX. Written only by riscv_dbtr_cpu_init on each CPU, normally
 * before any VM starts (hyp_main waits up to 1 s for all CPUs). A late CPU
 * can only lower them, which keeps every shared memory range checked with
 * the older, larger count inside the VM's RAM.
 */
static unsigned host_trigs = RISCV_DBTR_MAX;
static bool host_ok = true;

/*
 * Layout of the firmware's shared memory entries. The spec has four words
 * per trigger with trig_idx written back into word 0; OpenSBI 1.5.1 uses
 * five (its trig_idx goes to word 4, after tdata3). Found once at boot by
 * installing a trigger that can never fire (no mode bits) and seeing where
 * the index lands.
 */
#define HOST_WORDS_MAX 5
static unsigned host_words = 4; /* words per entry */
static unsigned host_idx_word;  /* word that receives trig_idx on install */
static bool host_layout_known;

/* Per CPU: the shared memory this hypervisor gives the firmware's DBTR (physical = virtual). */
static uint64_t host_shmem[FV_MAX_CPUS][RISCV_DBTR_MAX * HOST_WORDS_MAX]
    __attribute__((aligned(64)));

static unsigned guest_max(void)
{
	return host_ok ? host_trigs : 0;
}

#define HOST_SENTINEL 0x5a5a5a5a5a5a5a5aUL

/* Find the entry layout (see host_words); false if the firmware's DBTR does not work. */
static bool host_detect_layout(uint64_t *shm)
{
	for (unsigned i = 0; i < HOST_WORDS_MAX * 2; i++)
		shm[i] = HOST_SENTINEL;
	/* mcontrol6, execute, no m/s/u/vs/vu bit: armed nowhere. */
	shm[1] = (DBTR_TYPE_MCONTROL6 << DBTR_TDATA1_TYPE_SHIFT) | DBTR_MC6_EXECUTE;
	shm[2] = 0;
	shm[3] = 0;
	struct sbiret r = sbi_call(SBI_EXT_DBTR, SBI_DBTR_INSTALL_TRIGGERS, 1, 0, 0, 0, 0, 0);
	if (r.error != SBI_SUCCESS)
		return false;
	uint64_t idx;
	if (shm[0] != HOST_SENTINEL) {
		host_words = 4;
		host_idx_word = 0;
		idx = shm[0];
	} else if (shm[4] != HOST_SENTINEL) {
		host_words = 5;
		host_idx_word = 4;
		idx = shm[4];
	} else {
		return false;
	}
	if (idx >= 64)
		return false;
	r = sbi_call(SBI_EXT_DBTR, SBI_DBTR_UNINSTALL, 0, 1UL << idx, 0, 0, 0, 0);
	return r.error == SBI_SUCCESS;
}

void riscv_dbtr_cpu_init(void)
{
	struct cpu *c = cpu_this();
	struct sbiret r = {SBI_ERR_NOT_SUPPORTED, 0};
	if (c->id < FV_MAX_CPUS && sbi_fw_probe(SBI_EXT_DBTR) > 0)
		r = sbi_call(SBI_EXT_DBTR, SBI_DBTR_SET_SHMEM, (unsigned long)host_shmem[c->id], 0,
		             0, 0, 0, 0);
	if (r.error == SBI_SUCCESS && !host_layout_known) {
		/* The first CPU to get here (the boot CPU, before secondaries start) finds it. */
		if (!host_detect_layout(host_shmem[c->id]))
			r.error = SBI_ERR_FAILED;
		host_layout_known = true;
	}
	if (r.error != SBI_SUCCESS) {
		host_ok = false;
		pr_info("dbtr: firmware debug triggers unavailable on cpu %u (error %ld): guests "
		        "get none",
		        c->id, r.error);
		return;
	}
	r = sbi_call(SBI_EXT_DBTR, SBI_DBTR_NUM_TRIGGERS, 0, 0, 0, 0, 0, 0);
	if (r.error != SBI_SUCCESS || r.value < 0)
		r.value = 0;
	if ((unsigned long)r.value < host_trigs)
		host_trigs = (unsigned)r.value;
	if (c->id == 0)
		pr_info("dbtr: %ld firmware debug trigger(s), %u-word entries; guests get %u per "
		        "vCPU",
		        r.value, host_words, guest_max());
}

/* Take this vCPU's triggers out of the CPU's host triggers. */
static void host_remove(struct vcpu *v)
{
	struct riscv_dbtr_state *d = &v->arch.dbtr;
	unsigned long mask = 0;
	for (unsigned i = 0; i < d->host_nr; i++)
		mask |= 1UL << d->host_idx[i];
	if (mask)
		sbi_call(SBI_EXT_DBTR, SBI_DBTR_UNINSTALL, 0, mask, 0, 0, 0, 0);
	d->host_nr = 0;
}

/* Install this vCPU's enabled triggers in the CPU's host triggers; false if the firmware refused.
 */
static bool host_install(struct vcpu *v)
{
	struct riscv_dbtr_state *d = &v->arch.dbtr;
	struct cpu *c = cpu_this();
	unsigned n = 0;
	if (!host_ok || c->id >= FV_MAX_CPUS)
		return false;
	uint64_t *shm = host_shmem[c->id];
	for (unsigned i = 0; i < RISCV_DBTR_MAX; i++) {
		const struct riscv_dbtr_trig *t = &d->trig[i];
		if (!(t->state & SBI_DBTR_STATE_MAPPED) || !dbtr_trig_modes(t->tdata1))
			continue;
		uint64_t *e = shm + n * host_words;
		for (unsigned w = 0; w < host_words; w++)
			e[w] = 0;
		e[1] = dbtr_trig_to_host(t->tdata1);
		e[2] = t->tdata2;
		e[3] = t->tdata3;
		e[host_idx_word] = HOST_SENTINEL;
		n++;
	}
	if (!n)
		return true;
	struct sbiret r = sbi_call(SBI_EXT_DBTR, SBI_DBTR_INSTALL_TRIGGERS, n, 0, 0, 0, 0, 0);
	if (r.error != SBI_SUCCESS)
		return false;
	for (unsigned i = 0; i < n; i++) {
		uint64_t idx = shm[i * host_words + host_idx_word];
		/* host_remove needs every index as a bit of one mask. */
		if (idx >= 64) {
			d->host_nr = (uint8_t)i;
			host_remove(v);
			return false;
		}
		d->host_idx[i] = (uint8_t)idx;
		d->host_nr = (uint8_t)(i + 1);
	}
	return true;
}

void riscv_dbtr_load(struct vcpu *v)
{
	if (!host_install(v))
		pr_warn("dbtr: vCPU %u of VM %s: firmware refused its triggers on cpu %u", v->id,
		        v->vm->name, cpu_this()->id);
}

void riscv_dbtr_put(struct vcpu *v)
{
	host_remove(v);
}

/* After the guest changed its triggers (it is loaded here): make the host match. */
static long resync(struct vcpu *v)
{
	host_remove(v);
	return host_install(v) ? SBI_SUCCESS : SBI_ERR_FAILED;
}

static uint64_t installed_mask(const struct riscv_dbtr_state *d)
{
	uint64_t m = 0;
	for (unsigned i = 0; i < RISCV_DBTR_MAX; i++)
		if (d->trig[i].state & SBI_DBTR_STATE_MAPPED)
			m |= 1ULL << i;
	return m;
}

/* The guest's shared memory for n entries, or NULL (checked at set_shmem, re-checked here). */
static struct dbtr_entry *guest_entries(struct vcpu *v, unsigned long n)
{
	return vm_gpa_to_hva(v->vm, v->arch.dbtr.shmem, n * ENTRY_BYTES);
}

static uint64_t state_of(uint64_t tdata1)
{
	uint64_t s = SBI_DBTR_STATE_MAPPED;
	if (tdata1 & DBTR_MC6_S)
		s |= SBI_DBTR_STATE_S;
	if (tdata1 & DBTR_MC6_U)
		s |= SBI_DBTR_STATE_U;
	return s;
}

static void set_shmem(struct vcpu *v, const unsigned long *a, struct sbi_result *r)
{
	struct riscv_dbtr_state *d = &v->arch.dbtr;
	unsigned long lo = a[0], hi = a[1], flags = a[2];
	if (flags != 0) {
		r->error = SBI_ERR_INVALID_PARAM;
		return;
	}
	if (lo == ~0UL && hi == ~0UL) {
		d->shmem_on = false;
		d->shmem = 0;
		return;
	}
	if (lo & 7) {
		r->error = SBI_ERR_INVALID_PARAM;
		return;
	}
	/* RV64: the whole address is in lo; the window must lie in the VM's RAM. */
	if (hi != 0 ||
	    !sbi_range_in(lo, guest_max() * ENTRY_BYTES, v->vm->ram_gpa, v->vm->ram_size)) {
		r->error = SBI_ERR_INVALID_ADDRESS;
		return;
	}
	d->shmem = lo;
	d->shmem_on = true;
}

static void read_trigs(struct vcpu *v, unsigned long base, unsigned long count,
                       struct sbi_result *r)
{
	struct riscv_dbtr_state *d = &v->arch.dbtr;
	unsigned max = guest_max();
	if (!d->shmem_on) {
		r->error = SBI_ERR_NO_SHMEM;
		return;
	}
	/* The spec's "base + count >= trig_max" would forbid reading the last trigger. */
	if (base >= max || count > max - base) {
		r->error = SBI_ERR_BAD_RANGE;
		return;
	}
	struct dbtr_entry *e = guest_entries(v, count);
	if (!e) {
		r->error = SBI_ERR_FAILED;
		return;
	}
	for (unsigned long i = 0; i < count; i++) {
		const struct riscv_dbtr_trig *t = &d->trig[base + i];
		e[i].w[0] = t->state;
		e[i].w[1] = t->tdata1;
		e[i].w[2] = t->tdata2;
		e[i].w[3] = t->tdata3;
	}
	/* Written behind the guest's stage 2: a live migration's log must see it. */
	dirty_log_written(v->vm, d->shmem, count * ENTRY_BYTES);
}

/*
 * Common start of install and update: the shared memory must be set and count within
 * the guest's triggers, then count entries are copied out of guest memory once, so the
 * other vCPU of the VM cannot change them between the checks and their use. Returns
 * SBI_SUCCESS, or NO_SHMEM, BAD_RANGE, or FAILED if the shared memory is unusable.
 */
static long copy_in(struct vcpu *v, unsigned long count, struct dbtr_entry *out)
{
	if (!v->arch.dbtr.shmem_on)
		return SBI_ERR_NO_SHMEM;
	if (count > guest_max())
		return SBI_ERR_BAD_RANGE;
	struct dbtr_entry *e = guest_entries(v, count);
	if (!e)
		return SBI_ERR_FAILED;
	memcpy(out, e, count * sizeof(*out));
	return SBI_SUCCESS;
}

/* Load a checked entry's tdata1..3 into trigger t and remember its s/u bits for enable. */
static void trig_load(struct riscv_dbtr_trig *t, const struct dbtr_entry *e)
{
	t->tdata1 = e->w[1];
	t->tdata2 = e->w[2];
	t->tdata3 = e->w[3];
	t->state = state_of(t->tdata1);
}

static void install(struct vcpu *v, unsigned long count, struct sbi_result *r)
{
	struct riscv_dbtr_state *d = &v->arch.dbtr;
	struct dbtr_entry in[RISCV_DBTR_MAX];
	unsigned slot[RISCV_DBTR_MAX];
	r->error = copy_in(v, count, in);
	if (r->error != SBI_SUCCESS)
		return;
	for (unsigned long i = 0; i < count; i++) {
		long err = dbtr_trig_check(in[i].w[1], in[i].w[3]);
		if (err != SBI_SUCCESS) {
			r->error = err;
			r->value = (long)i;
			return;
		}
	}
	uint64_t used = installed_mask(d);
	unsigned n = 0;
	for (unsigned i = 0; i < guest_max() && n < count; i++)
		if (!(used & (1ULL << i)))
			slot[n++] = i;
	if (n < count) {
		r->error = SBI_ERR_FAILED;
		r->value = (long)n; /* the first configuration without a free trigger */
		return;
	}
	for (unsigned long i = 0; i < count; i++)
		trig_load(&d->trig[slot[i]], &in[i]);
	if (resync(v) != SBI_SUCCESS) {
		for (unsigned long i = 0; i < count; i++)
			memset(&d->trig[slot[i]], 0, sizeof(d->trig[0]));
		resync(v);
		r->error = SBI_ERR_FAILED;
		return;
	}
	struct dbtr_entry *e = guest_entries(v, count);
	for (unsigned long i = 0; e && i < count; i++)
		e[i].w[0] = slot[i];
	if (e)
		dirty_log_written(v->vm, d->shmem, count * ENTRY_BYTES);
}

static void update(struct vcpu *v, unsigned long count, struct sbi_result *r)
{
	struct riscv_dbtr_state *d = &v->arch.dbtr;
	struct dbtr_entry in[RISCV_DBTR_MAX];
	r->error = copy_in(v, count, in);
	if (r->error != SBI_SUCCESS)
		return;
	for (unsigned long i = 0; i < count; i++) {
		uint64_t idx = in[i].w[0];
		long err = SBI_SUCCESS;
		if (idx >= guest_max())
			err = SBI_ERR_INVALID_PARAM;
		else if (!(d->trig[idx].state & SBI_DBTR_STATE_MAPPED))
			err = SBI_ERR_FAILED;
		else
			err = dbtr_trig_check(in[i].w[1], in[i].w[3]);
		/* Type and chain must match the installed trigger's: both are mcontrol6, unchained.
		 */
		if (err != SBI_SUCCESS) {
			r->error = err;
			r->value = (long)i;
			return;
		}
	}
	for (unsigned long i = 0; i < count; i++)
		trig_load(&d->trig[in[i].w[0]], &in[i]);
	r->error = resync(v);
}

enum set_op { OP_UNINSTALL, OP_ENABLE, OP_DISABLE };

static void apply_set(struct vcpu *v, enum set_op op, unsigned long base, unsigned long mask,
                      struct sbi_result *r)
{
	struct riscv_dbtr_state *d = &v->arch.dbtr;
	uint64_t set;
	r->error = dbtr_trig_set(base, mask, guest_max(), installed_mask(d), &set);
	if (r->error != SBI_SUCCESS)
		return;
	for (unsigned i = 0; i < RISCV_DBTR_MAX; i++) {
		struct riscv_dbtr_trig *t = &d->trig[i];
		if (!(set & (1ULL << i)))
			continue;
		if (op == OP_UNINSTALL) {
			memset(t, 0, sizeof(*t));
		} else if (op == OP_DISABLE) {
			t->tdata1 &= ~(DBTR_MC6_S | DBTR_MC6_U);
		} else {
			/* Enable restores the s/u bits saved in trig_state at install/update. */
			t->tdata1 &= ~(DBTR_MC6_S | DBTR_MC6_U);
			if (t->state & SBI_DBTR_STATE_S)
				t->tdata1 |= DBTR_MC6_S;
			if (t->state & SBI_DBTR_STATE_U)
				t->tdata1 |= DBTR_MC6_U;
		}
	}
	r->error = resync(v);
}

void sbi_dbtr_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                      struct sbi_result *r)
{
	switch (fid) {
	case SBI_DBTR_NUM_TRIGGERS:
		/* 0 asks for trig_max; otherwise how many triggers can take that tdata1. */
		if (a[0] == 0 || dbtr_trig_check(a[0], 0) == SBI_SUCCESS)
			r->value = (long)guest_max();
		break;
	case SBI_DBTR_SET_SHMEM:
		set_shmem(v, a, r);
		break;
	case SBI_DBTR_READ_TRIGGERS:
		read_trigs(v, a[0], a[1], r);
		break;
	case SBI_DBTR_INSTALL_TRIGGERS:
		install(v, a[0], r);
		break;
	case SBI_DBTR_UPDATE_TRIGGERS:
		update(v, a[0], r);
		break;
	case SBI_DBTR_UNINSTALL:
		apply_set(v, OP_UNINSTALL, a[0], a[1], r);
		break;
	case SBI_DBTR_ENABLE:
		apply_set(v, OP_ENABLE, a[0], a[1], r);
		break;
	case SBI_DBTR_DISABLE:
		apply_set(v, OP_DISABLE, a[0], a[1], r);
		break;
	default:
		r->error = SBI_ERR_NOT_SUPPORTED;
		break;
	}
}
