// SPDX-License-Identifier: MIT
/*
 * Dirty-page logging (contracts in dirty_log.h): the arch-neutral side. The
 * bitmap is core/dirty_bm.c; stage-2 write protection and the TLB shootdown
 * are the arch hooks of core/dirty_arch.h.
 */
#include "core/dirty_log.h"
#include "core/dirty_arch.h"
#include "core/dirty_bm.h"
#include "core/mem.h"
#include "core/vm.h"
#include "core/console.h"
#include "lib/printf.h"

#define DL_PAGE 4096u

static uint64_t ram_pages(const struct vm *vm)
{
	return vm->ram_size / DL_PAGE;
}

static bool block_present(const struct vm *vm, uint64_t blk)
{
	return (__atomic_load_n(&vm->ram_present[blk / 64], __ATOMIC_ACQUIRE) >> (blk % 64)) & 1;
}

/* (Un)protect every block mapped this boot. Caller holds mem_lock. */
static int all_blocks(struct vm *vm, bool protect)
{
	int ret = 0;
	for (uint64_t b = 0; b < vm->ram_size / VM_RAM_BLOCK; b++) {
		if (!block_present(vm, b))
			continue;
		gpa_t gpa = vm->ram_gpa + b * VM_RAM_BLOCK;
		int r = protect ? arch_dirty_protect(vm, gpa, VM_RAM_BLOCK)
		                : arch_dirty_unprotect(vm, gpa, VM_RAM_BLOCK);
		if (r && !ret)
			ret = r;
	}
	return ret;
}

int dirty_log_start(struct vm *vm, uint64_t *bm)
{
	spin_lock(&vm->mem_lock);
	if (vm->dirty_on) {
		spin_unlock(&vm->mem_lock);
		return -FV_EBUSY;
	}
	vm->dirty_bm = bm;
	/* On before the protection: a block populated from now on is mapped read-only. */
	vm->dirty_on = true;
	int ret = all_blocks(vm, true);
	spin_unlock(&vm->mem_lock);
	arch_dirty_flush_begin(vm);
	if (ret)
		pr_err("vm %s: dirty log: write protection incomplete (%d)", vm->name, ret);
	return ret;
}

uint64_t dirty_log_take(struct vm *vm, uint64_t *out)
{
	uint64_t n = ram_pages(vm), taken = 0;
	spin_lock(&vm->mem_lock);
	if (vm->dirty_on && vm->dirty_bm) {
		taken = dirty_bm_take(vm->dirty_bm, out, 0, n, n);
		/* Protected again in runs, so the next write to each is logged once more. */
		for (uint64_t p = 0, len = 0; p < n; p += len) {
			p = dirty_bm_next_run(out, p, n, &len);
			if (len)
				arch_dirty_protect(vm, vm->ram_gpa + p * DL_PAGE, len * DL_PAGE);
		}
	}
	spin_unlock(&vm->mem_lock);
	arch_dirty_flush_begin(vm);
	return taken == UINT64_MAX ? 0 : taken;
}

void dirty_log_stop(struct vm *vm)
{
	spin_lock(&vm->mem_lock);
	if (vm->dirty_on) {
		vm->dirty_on = false;
		vm->dirty_bm = NULL;
		/* A stale read-only translation left on some CPU only costs a spurious fault,
		 * which the arch handler answers with a local fence. */
		all_blocks(vm, false);
	}
	spin_unlock(&vm->mem_lock);
}

bool dirty_log_flushed(const struct vm *vm)
{
	return arch_dirty_flush_done(vm);
}

/* Whether a log runs, for a write into guest RAM that is already done. */
static bool logging(const struct vm *vm)
{
	/*
	 * Order the write before the flag's load. A log that starts after a load that saw false
	 * reads the page in its first round after its start (the flag's store, then the flush
	 * that round 0 waits for), so that round reads what was written.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&vm->dirty_on, __ATOMIC_RELAXED);
}

/* Mark pages of byte offsets [off, off + n) of the RAM (inside it, n > 0) while logging. */
static void mark_range(struct vm *vm, uint64_t off, uint64_t n)
{
	/* Under mem_lock: the bitmap is the migration's storage, freed after dirty_log_stop. */
	spin_lock(&vm->mem_lock);
	if (vm->dirty_on && vm->dirty_bm)
		dirty_bm_set_range(vm->dirty_bm, off / DL_PAGE, (off + n - 1) / DL_PAGE);
	spin_unlock(&vm->mem_lock);
}

bool dirty_log_written(struct vm *vm, gpa_t gpa, uint64_t len)
{
	if (!logging(vm))
		return false;
	/* Clipped to the RAM without a sum that can wrap (the range may come from a guest). */
	uint64_t off = gpa > vm->ram_gpa ? gpa - vm->ram_gpa : 0;
	uint64_t skip = vm->ram_gpa > gpa ? vm->ram_gpa - gpa : 0;
	if (len <= skip || off >= vm->ram_size)
		return true;
	uint64_t n = len - skip;
	mark_range(vm, off, n < vm->ram_size - off ? n : vm->ram_size - off);
	return true;
}

bool dirty_log_written_hva(struct vm *vm, const void *hva, uint64_t len)
{
	if (!logging(vm))
		return false;
	uintptr_t base = (uintptr_t)mem_phys_to_virt(vm->ram_hpa), h = (uintptr_t)hva;
	/* Not a pointer into this VM's RAM: nothing of its RAM was written through it. */
	if (h < base || h - base >= vm->ram_size || len == 0)
		return true;
	uint64_t off = h - base;
	mark_range(vm, off, len < vm->ram_size - off ? len : vm->ram_size - off);
	return true;
}

void dirty_log_mark_locked(struct vm *vm, gpa_t gpa)
{
	if (!vm->dirty_on || !vm->dirty_bm || gpa < vm->ram_gpa ||
	    gpa - vm->ram_gpa >= vm->ram_size)
		return;
	dirty_bm_set(vm->dirty_bm, (gpa - vm->ram_gpa) / DL_PAGE);
}
