// SPDX-License-Identifier: MIT
/*
 * Fakes of the core modules vm.c calls besides the scheduler (fake_arch.h): the page pool and
 * heap (host memory, counted, failing on demand), the log, the control channel and profiler
 * notifications, the VM's UART, RTC and virtio devices, image staging and device service.
 * Each counts what is held so a test can assert that a failed creation gave everything back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_arch.h"
#include "core/console.h"
#include "core/ctl.h"
#include "core/mem.h"
#include "core/prof.h"
#include "core/vconsole.h"
#include "core/vm_rtc.h"
#include "core/vm_stage.h"
#include "core/vm_virtio.h"
#include "lib/fv_err.h"

static bool alloc_fails(void)
{
	unsigned n = fake_rec.allocs++;
	return fake_fail.alloc_after >= 0 && n >= (unsigned)fake_fail.alloc_after;
}

void *mem_zalloc_aligned(size_t size, size_t align)
{
	if (alloc_fails())
		return NULL;
	size_t rounded = (size + align - 1) / align * align;
	void *p = aligned_alloc(align, rounded);
	if (p) {
		memset(p, 0, rounded);
		fake_rec.allocs_live++;
	}
	return p;
}

void *mem_zalloc(size_t size)
{
	return mem_zalloc_aligned(size, 16);
}

void mem_free(void *p)
{
	if (!p)
		return;
	fake_rec.allocs_live--;
	free(p);
}

int mem_alloc_pages(size_t npages, size_t align_pages, hpa_t *out)
{
	if (alloc_fails())
		return -FV_ENOMEM;
	void *p = aligned_alloc(align_pages * PAGE_SIZE, npages * PAGE_SIZE);
	if (!p)
		return -FV_ENOMEM;
	/* Stale data: the VM must never see it (its RAM is zeroed on first touch). */
	memset(p, 0xa5, npages * PAGE_SIZE);
	fake_rec.pages_live += (long)npages;
	*out = (hpa_t)(uintptr_t)p;
	return 0;
}

int mem_alloc_pages_low(size_t npages, size_t align_pages, hpa_t *out)
{
	return mem_alloc_pages(npages, align_pages, out);
}

void mem_free_pages(hpa_t pa, size_t npages)
{
	fake_rec.pages_live -= (long)npages;
	free((void *)(uintptr_t)pa);
}

void mem_stats(struct page_alloc_stats *pages, struct heap_stats *heap)
{
	memset(pages, 0, sizeof(*pages));
	memset(heap, 0, sizeof(*heap));
}

void log_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fake_rec.last_log, sizeof(fake_rec.last_log), fmt, ap);
	va_end(ap);
}

void ctl_vm_event(struct vm *vm, unsigned old_state, unsigned new_state, const char *cause)
{
	UNUSED(vm);
	UNUSED(old_state);
	UNUSED(new_state);
	UNUSED(cause);
}

void ctl_vm_freed(struct vm *vm)
{
	UNUSED(vm);
	fake_rec.ctl_freed++;
}

void prof_vm_freed(const struct vm *vm)
{
	UNUSED(vm);
}

void vconsole_init(struct vm *vm)
{
	UNUSED(vm);
}

int vconsole_attach(struct vm *vm, gpa_t base)
{
	UNUSED(vm);
	UNUSED(base);
	return fake_fail.vconsole_attach ? -FV_EEXIST : 0;
}

void vconsole_reset(struct vm *vm)
{
	UNUSED(vm);
}

void vconsole_flush(struct vm *vm)
{
	UNUSED(vm);
}

int vm_rtc_init(struct vm *vm)
{
	UNUSED(vm);
	return fake_fail.vm_rtc_init ? -FV_EEXIST : 0;
}

void vm_rtc_reset(struct vm *vm)
{
	UNUSED(vm);
}

void vm_rtc_stop(struct vm *vm)
{
	UNUSED(vm);
}

/* Devices are the last step: on failure vm_virtio_create gives back its own (contract). */
int vm_virtio_create(struct vm *vm)
{
	UNUSED(vm);
	if (fake_fail.vm_virtio_create)
		return -FV_EBUSY;
	fake_rec.virtio_live++;
	return 0;
}

void vm_virtio_destroy(struct vm *vm)
{
	UNUSED(vm);
	fake_rec.virtio_live--;
}

void vm_virtio_reset(struct vm *vm)
{
	UNUSED(vm);
}

void vm_virtio_service(struct vcpu *v)
{
	UNUSED(v);
	fake_rec.virtio_service++;
}

void vm_stage_move(struct vm_stage *dst, struct vm_stage *src)
{
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

void vm_stage_abort(struct vm_stage *st)
{
	memset(st, 0, sizeof(*st));
}
