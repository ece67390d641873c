/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_SBI_SSE_CORE_H
#define FV_ARCH_RISCV_SBI_SSE_CORE_H

/*
 * SSE (Supervisor Software Events, SBI v3.0 chapter 17): the pure part, compiled on the host
 * too. One struct sse_event per event and holder (a hart for local events, the VM for global
 * ones): its state machine (UNUSED -> REGISTERED -> ENABLED -> RUNNING), its attributes, and
 * the register transformations of injection and completion. No locking here: the callers
 * (sbi_sse.c) serialise access.
 *
 * Events offered: the software-injected local (0xffff0000) and global (0xffff8000) events.
 * Other event ids (RAS, double trap, PMU overflow, platform) have no source here and are
 * reported as invalid.
 */
#include "lib/types.h"
#include "arch/riscv/sbi.h"

#define SSE_EVENT_LOCAL_SW  0xffff0000U
#define SSE_EVENT_GLOBAL_SW 0xffff8000U

/* Event states (STATUS[1:0]). */
#define SSE_STATE_UNUSED     0
#define SSE_STATE_REGISTERED 1
#define SSE_STATE_ENABLED    2
#define SSE_STATE_RUNNING    3

/* Attribute ids. */
#define SSE_ATTR_STATUS            0
#define SSE_ATTR_PRIORITY          1
#define SSE_ATTR_CONFIG            2
#define SSE_ATTR_PREFERRED_HART    3
#define SSE_ATTR_ENTRY_PC          4
#define SSE_ATTR_ENTRY_ARG         5
#define SSE_ATTR_INTERRUPTED_SEPC  6
#define SSE_ATTR_INTERRUPTED_FLAGS 7
#define SSE_ATTR_INTERRUPTED_A6    8
#define SSE_ATTR_INTERRUPTED_A7    9
#define SSE_NR_ATTRS               10

#define SSE_STATUS_PENDING    BIT(2)
#define SSE_STATUS_INJECTABLE BIT(3)
#define SSE_CONFIG_ONESHOT    BIT(0)
/* INTERRUPTED_FLAGS: sstatus.SPP, sstatus.SPIE (hstatus.SPV/SPVP stay 0: guests have no H). */
#define SSE_FLAG_SPP  BIT(0)
#define SSE_FLAG_SPIE BIT(1)

/* One event as one holder sees it. Plain data (part of vCPU/VM state). */
struct sse_event {
	uint8_t state;
	uint32_t priority;
	uint64_t config;
	uint64_t preferred_hart;
	uint64_t entry_pc, entry_arg;
	uint64_t int_sepc, int_flags, int_a6, int_a7;
};

/*
 * The supervisor state that injection and completion change (SBI v3.0 "Software Event
 * Injection"/"Completion"), as seen by the guest: pc, the privilege it runs in (true =
 * S/VS), its sstatus (vsstatus), sepc (vsepc), a6, a7.
 */
struct sse_regs {
	uint64_t pc;
	bool smode;
	uint64_t sstatus;
	uint64_t sepc;
	uint64_t a6, a7;
};

/* True for the event ids this implementation offers; *global set for global ones. */
bool sse_event_supported(uint32_t event_id, bool *global);
/* True if event a (prio_a, id_a) is more urgent than b: lower priority, then lower id. */
bool sse_more_urgent(uint32_t prio_a, uint32_t id_a, uint32_t prio_b, uint32_t id_b);

/* State transitions; each returns SBI_SUCCESS, SBI_ERR_INVALID_STATE or _INVALID_PARAM. */
long sse_register(struct sse_event *e, uint64_t entry_pc, uint64_t entry_arg);
long sse_unregister(struct sse_event *e);
long sse_enable(struct sse_event *e);
long sse_disable(struct sse_event *e);
/* Reset an event to UNUSED with all attributes at their reset values. */
void sse_reset(struct sse_event *e, uint64_t preferred_hart);

/*
 * Read attributes [base, base + count) into out[0..count). SBI_ERR_INVALID_PARAM if count is
 * 0, SBI_ERR_BAD_RANGE if any id does not exist. `pending` feeds STATUS[2].
 */
long sse_attrs_read(const struct sse_event *e, uint32_t base, uint32_t count, bool pending,
                    uint64_t *out);
/*
 * Write attributes [base, base + count) from in[0..count), all or nothing.
 * SBI_ERR_INVALID_PARAM: count 0, reserved bits set, PREFERRED_HART not < nr_harts.
 * SBI_ERR_BAD_RANGE: an id does not exist or is read-only (PREFERRED_HART of a local event).
 * SBI_ERR_INVALID_STATE: PRIORITY/CONFIG/PREFERRED_HART outside UNUSED/REGISTERED, or
 * INTERRUPTED_* outside RUNNING.
 */
long sse_attrs_write(struct sse_event *e, uint32_t base, uint32_t count, const uint64_t *in,
                     bool global, unsigned nr_harts);

/* Deliver e on hart `hartid`: save the interrupted state into e, redirect r, e -> RUNNING. */
void sse_inject(struct sse_event *e, struct sse_regs *r, unsigned long hartid);
/* Complete e (RUNNING): restore r from e and sstatus; e -> ENABLED (REGISTERED if one-shot). */
void sse_complete(struct sse_event *e, struct sse_regs *r);

#endif
