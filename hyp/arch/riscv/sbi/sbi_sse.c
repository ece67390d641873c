// SPDX-License-Identifier: MIT
/*
 * SBI Supervisor Software Events extension (EID "SSE"), SBI v3.0 chapter 17.
 *
 * Guests get the two software-injected events: local 0xffff0000 (one per vCPU, state in
 * vcpu_arch.sse) and global 0xffff8000 (one per VM, state in vm_arch.sse under sse_lock).
 * The event logic is in sse_core.c; this file validates the guest's arguments, moves
 * attributes through guest memory, and delivers events: before every guest entry,
 * sbi_sse_deliver() injects the most urgent pending, enabled event into VS-mode if the hart
 * has unmasked events and the event is more urgent than the one it is handling (if any).
 * Injection does not depend on sstatus.SIE ("preempts all other traps and interrupts").
 *
 * Cross-CPU: sbi_sse_inject on another vCPU sets its local_pending bit (or the VM's global
 * pending flag under sse_lock) and then wakes/kicks it; the target delivers on its own CPU.
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi/sbi_ext.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "core/vcpu.h"
#include "core/dirty_log.h"
#include "core/vm.h"

/* The VM's global event state for this boot; caller holds sse_lock. */
static struct riscv_sse_vm *vm_sse(struct vm *vm)
{
	struct riscv_sse_vm *g = &vm->arch.sse;
	if (g->boot != vm->boots) {
		sse_reset(&g->ev, 0);
		__atomic_store_n(&g->pending, false, __ATOMIC_RELEASE);
		g->running_hart = -1;
		g->boot = vm->boots;
	}
	return g;
}

/* The hart that should take the global event: the preferred one unless it cannot. */
static bool global_target_is(struct vm *vm, const struct riscv_sse_vm *g, struct vcpu *v)
{
	uint64_t pref = __atomic_load_n(&g->ev.preferred_hart, __ATOMIC_ACQUIRE);
	if (pref == v->id)
		return true;
	if (pref >= vm->nr_vcpus)
		return true;
	struct vcpu *p = vm->vcpus[pref];
	return !__atomic_load_n(&p->arch.sse.unmasked, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == VCPU_STOPPED;
}

static const struct sse_event *top_running(struct vcpu *v)
{
	struct riscv_sse_hart *h = &v->arch.sse;
	if (h->nr_running == 0)
		return NULL;
	return h->running[h->nr_running - 1] == RISCV_SSE_RUN_LOCAL ? &h->local
	                                                            : &v->vm->arch.sse.ev;
}

static uint32_t top_running_id(struct vcpu *v)
{
	struct riscv_sse_hart *h = &v->arch.sse;
	return h->running[h->nr_running - 1] == RISCV_SSE_RUN_LOCAL ? SSE_EVENT_LOCAL_SW
	                                                            : SSE_EVENT_GLOBAL_SW;
}

/* May event (prio, id) interrupt what v is doing now? */
static bool may_preempt(struct vcpu *v, uint32_t prio, uint32_t id)
{
	const struct sse_event *top = top_running(v);
	return !top || sse_more_urgent(prio, id, top->priority, top_running_id(v));
}

static bool local_ready(struct vcpu *v)
{
	struct riscv_sse_hart *h = &v->arch.sse;
	return (__atomic_load_n(&h->local_pending, __ATOMIC_ACQUIRE) & 1) &&
	       h->local.state == SSE_STATE_ENABLED;
}

static bool global_ready(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct riscv_sse_vm *g = &vm->arch.sse;
	return g->boot == vm->boots && __atomic_load_n(&g->pending, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&g->ev.state, __ATOMIC_ACQUIRE) == SSE_STATE_ENABLED &&
	       global_target_is(vm, g, v);
}

bool sbi_sse_deliverable(struct vcpu *v)
{
	struct riscv_sse_hart *h = &v->arch.sse;
	if (!__atomic_load_n(&h->unmasked, __ATOMIC_ACQUIRE))
		return false;
	if (local_ready(v) && may_preempt(v, h->local.priority, SSE_EVENT_LOCAL_SW))
		return true;
	return global_ready(v) && may_preempt(v, v->vm->arch.sse.ev.priority, SSE_EVENT_GLOBAL_SW);
}

/* The guest's supervisor state (vCPU loaded on this CPU: VS CSRs are live). */
static void regs_get(struct vcpu *v, struct sse_regs *r)
{
	struct riscv_guest_ctx *ctx = &v->arch.ctx;
	r->pc = ctx->sepc;
	r->smode = (ctx->sstatus & SSTATUS_SPP) != 0;
	r->sstatus = csr_read(vsstatus);
	r->sepc = csr_read(vsepc);
	r->a6 = ctx->x[16];
	r->a7 = ctx->x[17];
}

static void regs_put(struct vcpu *v, const struct sse_regs *r)
{
	struct riscv_guest_ctx *ctx = &v->arch.ctx;
	ctx->sepc = r->pc;
	if (r->smode)
		ctx->sstatus |= SSTATUS_SPP;
	else
		ctx->sstatus &= ~SSTATUS_SPP;
	csr_write(vsstatus, r->sstatus);
	csr_write(vsepc, r->sepc);
	ctx->x[16] = r->a6;
	ctx->x[17] = r->a7;
}

static void deliver(struct vcpu *v, struct sse_event *e, uint8_t which)
{
	struct riscv_sse_hart *h = &v->arch.sse;
	struct sse_regs r;
	regs_get(v, &r);
	sse_inject(e, &r, v->id);
	regs_put(v, &r);
	h->running[h->nr_running++] = which;
}

static void sse_deliver_pending(struct vcpu *v);

void sbi_sse_deliver(struct vcpu *v)
{
	/*
	 * Runs before every guest entry: nothing pending (the usual case) is
	 * decided by two loads here, without the frame of the full check;
	 * local_ready() and global_ready() test the same flags again.
	 */
	if ((__atomic_load_n(&v->arch.sse.local_pending, __ATOMIC_RELAXED) & 1) ||
	    __atomic_load_n(&v->vm->arch.sse.pending, __ATOMIC_RELAXED))
		sse_deliver_pending(v);
}

static void __attribute__((noinline)) sse_deliver_pending(struct vcpu *v)
{
	struct riscv_sse_hart *h = &v->arch.sse;
	struct vm *vm = v->vm;
	if (!h->unmasked || h->nr_running >= 2)
		return;
	bool loc = local_ready(v) && may_preempt(v, h->local.priority, SSE_EVENT_LOCAL_SW);
	if (global_ready(v)) {
		spin_lock(&vm->arch.sse_lock);
		struct riscv_sse_vm *g = vm_sse(vm);
		/* Re-check under the lock: another vCPU may have taken it. */
		if (g->pending && g->ev.state == SSE_STATE_ENABLED &&
		    may_preempt(v, g->ev.priority, SSE_EVENT_GLOBAL_SW) &&
		    (!loc || sse_more_urgent(g->ev.priority, SSE_EVENT_GLOBAL_SW, h->local.priority,
		                             SSE_EVENT_LOCAL_SW))) {
			__atomic_store_n(&g->pending, false, __ATOMIC_RELEASE);
			g->running_hart = (int)v->id;
			deliver(v, &g->ev, RISCV_SSE_RUN_GLOBAL);
			spin_unlock(&vm->arch.sse_lock);
			return;
		}
		spin_unlock(&vm->arch.sse_lock);
	}
	if (loc) {
		__atomic_fetch_and(&h->local_pending, ~1U, __ATOMIC_ACQ_REL);
		deliver(v, &h->local, RISCV_SSE_RUN_LOCAL);
	}
}

void sbi_sse_vcpu_reset(struct vcpu *v)
{
	struct vm *vm = v->vm;
	/* A global event this hart was handling is released: its context is gone. */
	spin_lock(&vm->arch.sse_lock);
	struct riscv_sse_vm *g = vm_sse(vm);
	if (g->running_hart == (int)v->id) {
		g->running_hart = -1;
		g->ev.state = SSE_STATE_ENABLED;
	}
	spin_unlock(&vm->arch.sse_lock);
}

static void complete(struct vcpu *v, struct sbi_result *r)
{
	struct riscv_sse_hart *h = &v->arch.sse;
	struct vm *vm = v->vm;
	struct sse_regs regs;
	if (h->nr_running == 0)
		return; /* nothing running: SUCCESS, no effect */
	uint8_t which = h->running[--h->nr_running];
	regs_get(v, &regs);
	if (which == RISCV_SSE_RUN_LOCAL) {
		sse_complete(&h->local, &regs);
	} else {
		spin_lock(&vm->arch.sse_lock);
		struct riscv_sse_vm *g = vm_sse(vm);
		sse_complete(&g->ev, &regs);
		g->running_hart = -1;
		spin_unlock(&vm->arch.sse_lock);
	}
	regs_put(v, &regs);
	/* The interrupted context resumes as it was: a0/a1 and pc are not the call's. */
	r->no_return = true;
}

static void kick_global_target(struct vm *vm, uint64_t pref)
{
	if (pref < vm->nr_vcpus &&
	    __atomic_load_n(&vm->vcpus[pref]->arch.sse.unmasked, __ATOMIC_ACQUIRE)) {
		vcpu_kick(vm->vcpus[pref]);
		return;
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(vm->vcpus[i]);
}

static long inject(struct vcpu *v, uint32_t id, bool global, unsigned long hart)
{
	struct vm *vm = v->vm;
	if (global) {
		spin_lock(&vm->arch.sse_lock);
		struct riscv_sse_vm *g = vm_sse(vm);
		__atomic_store_n(&g->pending, true, __ATOMIC_RELEASE);
		uint64_t pref = g->ev.preferred_hart;
		spin_unlock(&vm->arch.sse_lock);
		kick_global_target(vm, pref);
		return SBI_SUCCESS;
	}
	UNUSED(id);
	if (hart >= vm->nr_vcpus)
		return SBI_ERR_INVALID_PARAM;
	struct vcpu *t = vm->vcpus[hart];
	__atomic_fetch_or(&t->arch.sse.local_pending, 1U, __ATOMIC_ACQ_REL);
	if (t != v)
		vcpu_kick(t); /* the caller delivers at its own next entry */
	return SBI_SUCCESS;
}

/* Guest buffer of count attributes at lo/hi: XLEN/8-aligned, inside RAM. */
static uint64_t *attr_buf(struct vm *vm, unsigned long lo, unsigned long hi, uint32_t count)
{
	uint64_t len = (uint64_t)count * 8;
	if (hi != 0 || (lo & 7) || !sbi_range_in(lo, len, vm->ram_gpa, vm->ram_size))
		return NULL;
	return vm_gpa_to_hva(vm, lo, len);
}

static long attrs(struct vcpu *v, bool write, const unsigned long *a)
{
	struct vm *vm = v->vm;
	uint32_t id = (uint32_t)a[0], base = (uint32_t)a[1], count = (uint32_t)a[2];
	uint64_t tmp[SSE_NR_ATTRS];
	bool global;
	long rc;
	if (!sse_event_supported(id, &global) || count == 0)
		return SBI_ERR_INVALID_PARAM;
	if (base >= SSE_NR_ATTRS || count > SSE_NR_ATTRS - base)
		return SBI_ERR_BAD_RANGE;
	uint64_t *buf = attr_buf(vm, a[3], a[4], count);
	if (!buf)
		return SBI_ERR_INVALID_ADDRESS;
	if (write) {
		/* Copy first: the guest may change its buffer while we look at it. */
		for (uint32_t i = 0; i < count; i++)
			tmp[i] = __atomic_load_n(&buf[i], __ATOMIC_RELAXED);
	}
	if (!global) {
		struct riscv_sse_hart *h = &v->arch.sse;
		/* A local event's PREFERRED_HART is read-only: the hart itself. */
		h->local.preferred_hart = v->id;
		if (write)
			return sse_attrs_write(&h->local, base, count, tmp, false, vm->nr_vcpus);
		rc = sse_attrs_read(&h->local, base, count,
		                    __atomic_load_n(&h->local_pending, __ATOMIC_ACQUIRE) & 1, tmp);
	} else {
		spin_lock(&vm->arch.sse_lock);
		struct riscv_sse_vm *g = vm_sse(vm);
		if (write) {
			/* Only the hart running the handler may rewrite its interrupted state. */
			bool ints = base + count > SSE_ATTR_INTERRUPTED_SEPC;
			if (ints && g->ev.state == SSE_STATE_RUNNING &&
			    g->running_hart != (int)v->id)
				rc = SBI_ERR_INVALID_STATE;
			else
				rc = sse_attrs_write(&g->ev, base, count, tmp, true, vm->nr_vcpus);
		} else {
			rc = sse_attrs_read(&g->ev, base, count, g->pending, tmp);
		}
		spin_unlock(&vm->arch.sse_lock);
		if (write)
			return rc;
	}
	if (rc == SBI_SUCCESS) {
		for (uint32_t i = 0; i < count; i++)
			__atomic_store_n(&buf[i], tmp[i], __ATOMIC_RELAXED);
		/* Written behind the guest's stage 2: a live migration's log must see it. */
		dirty_log_written(vm, a[3], (uint64_t)count * 8);
	}
	return rc;
}

/* register/unregister/enable/disable on the event named by a[0]. */
static long transition(struct vcpu *v, unsigned long fid, const unsigned long *a)
{
	struct vm *vm = v->vm;
	uint32_t id = (uint32_t)a[0];
	bool global;
	long rc;
	if (!sse_event_supported(id, &global))
		return SBI_ERR_INVALID_PARAM;
	struct sse_event *e = &v->arch.sse.local;
	uint64_t pref = 0;
	if (global) {
		spin_lock(&vm->arch.sse_lock);
		e = &vm_sse(vm)->ev;
	}
	switch (fid) {
	case 2:
		rc = sse_register(e, a[1], a[2]);
		break;
	case 3:
		rc = sse_unregister(e);
		break;
	case 4:
		rc = sse_enable(e);
		break;
	default:
		rc = sse_disable(e);
		break;
	}
	if (global) {
		pref = e->preferred_hart;
		spin_unlock(&vm->arch.sse_lock);
		/* Enabled with an injection already pending: get it delivered. */
		if (fid == 4 && rc == SBI_SUCCESS &&
		    __atomic_load_n(&vm->arch.sse.pending, __ATOMIC_ACQUIRE))
			kick_global_target(vm, pref);
	}
	return rc;
}

void sbi_sse_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                     struct sbi_result *r)
{
	struct riscv_sse_hart *h = &v->arch.sse;
	bool global;
	switch (fid) {
	case 0: /* read_attrs(event_id, base_attr_id, attr_count, phys_lo, phys_hi) */
	case 1: /* write_attrs */
		r->error = attrs(v, fid == 1, a);
		break;
	case 2: /* register(event_id, entry_pc, entry_arg) */
	case 3: /* unregister(event_id) */
	case 4: /* enable(event_id) */
	case 5: /* disable(event_id) */
		r->error = transition(v, fid, a);
		break;
	case 6: /* complete() */
		complete(v, r);
		break;
	case 7: /* inject(event_id, hart_id) */
		if (!sse_event_supported((uint32_t)a[0], &global))
			r->error = SBI_ERR_INVALID_PARAM;
		else
			r->error = inject(v, (uint32_t)a[0], global, a[1]);
		break;
	case 8: /* hart_unmask() */
		if (h->unmasked)
			r->error = SBI_ERR_ALREADY_STARTED;
		else
			__atomic_store_n(&h->unmasked, true, __ATOMIC_RELEASE);
		break;
	case 9: /* hart_mask() */
		if (!h->unmasked)
			r->error = SBI_ERR_ALREADY_STOPPED;
		else
			__atomic_store_n(&h->unmasked, false, __ATOMIC_RELEASE);
		break;
	default:
		r->error = SBI_ERR_NOT_SUPPORTED;
		break;
	}
}
