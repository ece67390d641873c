/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_DIRTY_LOG_H
#define FV_CORE_DIRTY_LOG_H

/*
 * Dirty-page logging of a VM for live migration (docs/snapshots.md, "Live
 * migration"). While it is on, every page of the VM's RAM is mapped without
 * write permission in stage 2; the guest's first write to a page faults, the
 * arch fault handler marks the page in vm->dirty_bm (dirty_log_mark_locked)
 * and gives its write permission back, and the guest goes on. Blocks the
 * guest touches for the first time are mapped without write permission too,
 * so their first write is logged like any other. Taking the bitmap clears it
 * and protects the pages again. Called on the console tick (the control
 * channel's context); state under vm->mem_lock.
 */
#include "lib/types.h"

struct vm;

/*
 * Start logging @vm into @bm (the caller's storage, dirty_bm_words(ram pages)
 * words, zeroed; it must outlive dirty_log_stop): every mapped block is
 * write-protected and a flush begun. 0, or -FV_EBUSY (already logging).
 */
int dirty_log_start(struct vm *vm, uint64_t *bm);
/*
 * Read and clear the whole log into @out (as many words as the log), protect
 * the pages taken again and begin a flush. Returns the pages taken.
 */
uint64_t dirty_log_take(struct vm *vm, uint64_t *out);
/* Stop logging: write permission back everywhere; vm->dirty_bm forgotten. */
void dirty_log_stop(struct vm *vm);
/* Whether the last flush is complete: page contents read from now on are logged when
 * they change. */
bool dirty_log_flushed(const struct vm *vm);
/* The guest wrote @gpa (in its RAM) while logging: mark it. Caller holds mem_lock. */
void dirty_log_mark_locked(struct vm *vm, gpa_t gpa);
/*
 * The hypervisor itself wrote [@gpa, @gpa + @len) of @vm's RAM (a virtio device, an SBI
 * shared-memory record, the debugger), not through the guest's stage 2, so the write
 * protection did not see it: mark those pages while a log runs. Call it AFTER the write: a
 * log taken between a mark and its write would send the old page and never see it again.
 * The part outside the VM's RAM is ignored. Returns whether a log runs; when none does it
 * costs a fence and one flag test. Any CPU, any context (takes mem_lock while logging).
 */
bool dirty_log_written(struct vm *vm, gpa_t gpa, uint64_t len);
/* The same for a host pointer into @vm's RAM (as vm_gpa_to_hva returned it). */
bool dirty_log_written_hva(struct vm *vm, const void *hva, uint64_t len);

#endif
