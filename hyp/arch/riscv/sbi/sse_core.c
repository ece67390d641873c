// SPDX-License-Identifier: MIT
/* SSE event state machine, attributes and register transformations (pure; see sse_core.h). */
#include "arch/riscv/sbi/sse_core.h"
#include "arch/riscv/csr.h"

bool sse_event_supported(uint32_t event_id, bool *global)
{
	/* Bit 15 of the id selects a global event (SBI v3.0 "Software Event Identification"). */
	*global = (event_id & BIT(15)) != 0;
	return event_id == SSE_EVENT_LOCAL_SW || event_id == SSE_EVENT_GLOBAL_SW;
}

bool sse_more_urgent(uint32_t prio_a, uint32_t id_a, uint32_t prio_b, uint32_t id_b)
{
	return prio_a < prio_b || (prio_a == prio_b && id_a < id_b);
}

long sse_register(struct sse_event *e, uint64_t entry_pc, uint64_t entry_arg)
{
	if (entry_pc & 1)
		return SBI_ERR_INVALID_PARAM; /* must be 2-byte aligned */
	if (e->state != SSE_STATE_UNUSED)
		return SBI_ERR_INVALID_STATE;
	e->entry_pc = entry_pc;
	e->entry_arg = entry_arg;
	e->state = SSE_STATE_REGISTERED;
	return SBI_SUCCESS;
}

long sse_unregister(struct sse_event *e)
{
	if (e->state != SSE_STATE_REGISTERED)
		return SBI_ERR_INVALID_STATE;
	e->state = SSE_STATE_UNUSED;
	return SBI_SUCCESS;
}

long sse_enable(struct sse_event *e)
{
	if (e->state != SSE_STATE_REGISTERED)
		return SBI_ERR_INVALID_STATE;
	e->state = SSE_STATE_ENABLED;
	return SBI_SUCCESS;
}

long sse_disable(struct sse_event *e)
{
	if (e->state != SSE_STATE_ENABLED)
		return SBI_ERR_INVALID_STATE;
	e->state = SSE_STATE_REGISTERED;
	return SBI_SUCCESS;
}

void sse_reset(struct sse_event *e, uint64_t preferred_hart)
{
	*e = (struct sse_event){0};
	e->preferred_hart = preferred_hart;
}

static uint64_t attr_get(const struct sse_event *e, uint32_t id, bool pending)
{
	switch (id) {
	case SSE_ATTR_STATUS:
		/* Only software-injected events exist here, so injection is always allowed. */
		return e->state | (pending ? SSE_STATUS_PENDING : 0) | SSE_STATUS_INJECTABLE;
	case SSE_ATTR_PRIORITY:
		return e->priority;
	case SSE_ATTR_CONFIG:
		return e->config;
	case SSE_ATTR_PREFERRED_HART:
		return e->preferred_hart;
	case SSE_ATTR_ENTRY_PC:
		return e->entry_pc;
	case SSE_ATTR_ENTRY_ARG:
		return e->entry_arg;
	case SSE_ATTR_INTERRUPTED_SEPC:
		return e->int_sepc;
	case SSE_ATTR_INTERRUPTED_FLAGS:
		return e->int_flags;
	case SSE_ATTR_INTERRUPTED_A6:
		return e->int_a6;
	default:
		return e->int_a7;
	}
}

/* [base, base + count) within the attribute ids, overflow-safe. */
static bool attrs_exist(uint32_t base, uint32_t count)
{
	return base < SSE_NR_ATTRS && count <= SSE_NR_ATTRS - base;
}

long sse_attrs_read(const struct sse_event *e, uint32_t base, uint32_t count, bool pending,
                    uint64_t *out)
{
	if (count == 0)
		return SBI_ERR_INVALID_PARAM;
	if (!attrs_exist(base, count))
		return SBI_ERR_BAD_RANGE;
	for (uint32_t i = 0; i < count; i++)
		out[i] = attr_get(e, base + i, pending);
	return SBI_SUCCESS;
}

/* Check one write; SBI_SUCCESS if value may go into attribute id. */
static long attr_check(const struct sse_event *e, uint32_t id, uint64_t value, bool global,
                       unsigned nr_harts)
{
	bool idle = e->state == SSE_STATE_UNUSED || e->state == SSE_STATE_REGISTERED;
	switch (id) {
	case SSE_ATTR_PRIORITY:
		/* Only the lower 32 bits are used (the rest "always set to zero"). */
		return idle ? SBI_SUCCESS : SBI_ERR_INVALID_STATE;
	case SSE_ATTR_CONFIG:
		if (value & ~(uint64_t)SSE_CONFIG_ONESHOT)
			return SBI_ERR_INVALID_PARAM;
		return idle ? SBI_SUCCESS : SBI_ERR_INVALID_STATE;
	case SSE_ATTR_PREFERRED_HART:
		if (!global)
			return SBI_ERR_BAD_RANGE; /* read-only for local events */
		if (value >= nr_harts)
			return SBI_ERR_INVALID_PARAM;
		return idle ? SBI_SUCCESS : SBI_ERR_INVALID_STATE;
	case SSE_ATTR_INTERRUPTED_FLAGS:
		if (value & ~(uint64_t)(SSE_FLAG_SPP | SSE_FLAG_SPIE))
			return SBI_ERR_INVALID_PARAM;
		return e->state == SSE_STATE_RUNNING ? SBI_SUCCESS : SBI_ERR_INVALID_STATE;
	case SSE_ATTR_INTERRUPTED_SEPC:
	case SSE_ATTR_INTERRUPTED_A6:
	case SSE_ATTR_INTERRUPTED_A7:
		return e->state == SSE_STATE_RUNNING ? SBI_SUCCESS : SBI_ERR_INVALID_STATE;
	default: /* STATUS, ENTRY_PC, ENTRY_ARG */
		return SBI_ERR_BAD_RANGE;
	}
}

long sse_attrs_write(struct sse_event *e, uint32_t base, uint32_t count, const uint64_t *in,
                     bool global, unsigned nr_harts)
{
	long rc;

	if (count == 0)
		return SBI_ERR_INVALID_PARAM;
	if (!attrs_exist(base, count))
		return SBI_ERR_BAD_RANGE;
	/* All or nothing: check every value before changing any. */
	for (uint32_t i = 0; i < count; i++) {
		rc = attr_check(e, base + i, in[i], global, nr_harts);
		if (rc != SBI_SUCCESS)
			return rc;
	}
	for (uint32_t i = 0; i < count; i++) {
		uint64_t v = in[i];
		switch (base + i) {
		case SSE_ATTR_PRIORITY:
			e->priority = (uint32_t)v;
			break;
		case SSE_ATTR_CONFIG:
			e->config = v;
			break;
		case SSE_ATTR_PREFERRED_HART:
			e->preferred_hart = v;
			break;
		case SSE_ATTR_INTERRUPTED_SEPC:
			e->int_sepc = v;
			break;
		case SSE_ATTR_INTERRUPTED_FLAGS:
			e->int_flags = v;
			break;
		case SSE_ATTR_INTERRUPTED_A6:
			e->int_a6 = v;
			break;
		default:
			e->int_a7 = v;
			break;
		}
	}
	return SBI_SUCCESS;
}

void sse_inject(struct sse_event *e, struct sse_regs *r, unsigned long hartid)
{
	/* Save the interrupted supervisor state. */
	e->int_flags = ((r->sstatus & SSTATUS_SPP) ? SSE_FLAG_SPP : 0) |
	               ((r->sstatus & SSTATUS_SPIE) ? SSE_FLAG_SPIE : 0);
	e->int_sepc = r->sepc;
	e->int_a6 = r->a6;
	e->int_a7 = r->a7;
	/* Redirect to the handler as if a trap had been taken into S-mode. */
	r->a6 = hartid;
	r->a7 = e->entry_arg;
	r->sepc = r->pc;
	r->sstatus &= ~(SSTATUS_SPP | SSTATUS_SPIE);
	if (r->smode)
		r->sstatus |= SSTATUS_SPP;
	if (r->sstatus & SSTATUS_SIE)
		r->sstatus |= SSTATUS_SPIE;
	r->sstatus &= ~SSTATUS_SIE;
	r->smode = true;
	r->pc = e->entry_pc;
	e->state = SSE_STATE_RUNNING;
}

void sse_complete(struct sse_event *e, struct sse_regs *r)
{
	r->pc = r->sepc;
	r->smode = (r->sstatus & SSTATUS_SPP) != 0;
	r->sstatus &= ~SSTATUS_SIE;
	if (r->sstatus & SSTATUS_SPIE)
		r->sstatus |= SSTATUS_SIE;
	r->sstatus &= ~(SSTATUS_SPP | SSTATUS_SPIE);
	if (e->int_flags & SSE_FLAG_SPIE)
		r->sstatus |= SSTATUS_SPIE;
	if (e->int_flags & SSE_FLAG_SPP)
		r->sstatus |= SSTATUS_SPP;
	r->a7 = e->int_a7;
	r->a6 = e->int_a6;
	r->sepc = e->int_sepc;
	e->state = (e->config & SSE_CONFIG_ONESHOT) ? SSE_STATE_REGISTERED : SSE_STATE_ENABLED;
}
