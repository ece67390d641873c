// SPDX-License-Identifier: MIT
/*
 * SBI Debug Console extension (EID "DBCN"), SBI spec v2.0 chapter 12.
 * Output joins the VM's console stream (same line buffer and tag as its
 * UART); input reads what the console multiplexer queued for the VM.
 * Buffers are guest physical addresses and must lie inside guest RAM.
 */
#include "arch/riscv/sbi/sbi_ext.h"
#include "core/vconsole.h"
#include "core/vcpu.h"
#include "core/dirty_log.h"
#include "core/vm.h"

/* Per call, so one guest cannot hold the console for long. */
#define DBCN_MAX_CHUNK 4096UL

void sbi_dbcn_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                      struct sbi_result *r)
{
	struct vm *vm = v->vm;
	unsigned long num = a[0], lo = a[1], hi = a[2];
	switch (fid) {
	case 0:   /* console_write(num_bytes, base_lo, base_hi) */
	case 1: { /* console_read(num_bytes, base_lo, base_hi) */
		/* On RV64 the whole address is in base_lo; base_hi must be 0. */
		if (hi != 0 || !sbi_range_in(lo, num, vm->ram_gpa, vm->ram_size)) {
			r->error = SBI_ERR_INVALID_PARAM;
			return;
		}
		unsigned long n = num < DBCN_MAX_CHUNK ? num : DBCN_MAX_CHUNK;
		uint8_t *buf = vm_gpa_to_hva(vm, lo, n);
		if (n && !buf) {
			r->error = SBI_ERR_INVALID_PARAM;
			return;
		}
		if (fid == 0)
			r->value = (long)vconsole_write(vm, buf, n);
		else if ((r->value = (long)vconsole_read(vm, buf, n)) > 0)
			dirty_log_written(vm, lo, (uint64_t)r->value); /* behind stage 2 */
		break;
	}
	case 2:                                                /* console_write_byte(byte) */
		vconsole_write(vm, (const uint8_t *)&a[0], 1); /* little-endian: low byte */
		break;
	default:
		r->error = SBI_ERR_NOT_SUPPORTED;
		break;
	}
}
