/* SPDX-License-Identifier: MIT */
/*
 * Host unit test of the ELF core writer (tools/ferrovisord/fvd_core.c): a dump of two
 * vCPUs and two RAM regions is written to a temporary file and parsed back field by field
 * (ELF header, program headers, notes in the riscv64 Linux layouts, RAM contents at the
 * segment offsets, zero runs as holes); bad regions and reader errors are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "../../tools/ferrovisord/fvd_core.h"

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* RAM: byte = low bits of the address, except a zero page at region 0 + 0x2000. */
static unsigned reads;
static int fail_at = -1;

static int fake_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	(void)ctx;
	assert_true(len > 0 && len <= FVD_DUMP_CHUNK);
	if (fail_at >= 0 && reads == (unsigned)fail_at)
		return FVD_E_IO;
	reads++;
	uint8_t *p = buf;
	for (size_t i = 0; i < len; i++) {
		uint64_t a = gpa + i;
		p[i] = (a >= 0x80002000 && a < 0x80003000) ? 0 : (uint8_t)(a * 13 + (a >> 12));
	}
	return 0;
}

static void make_info(struct fvd_dump_info *di)
{
	memset(di, 0, sizeof(*di));
	strcpy(di->name, "crashy");
	di->state = FVD_VM_CRASHED;
	di->boots = 2;
	strcpy(di->cause, "unexpected trap scause=2 sepc=0x80001234: stopping VM");
	di->nr_regions = 2;
	di->region[0].gpa = 0x80000000;
	di->region[0].size = 5 * 4096 + 100; /* not a multiple of a page or of a chunk */
	di->region[1].gpa = 0x90000000;
	di->region[1].size = 3 * FVD_DUMP_CHUNK;
	di->nr_vcpus = 2;
	for (unsigned v = 0; v < 2; v++) {
		di->vcpu[v].index = v;
		di->vcpu[v].state = v;
		for (unsigned r = 0; r < FVD_DUMP_NR_REGS; r++)
			di->vcpu[v].reg[r] = 0x1000ull * (v + 1) + r;
	}
}

static uint8_t *write_core(const struct fvd_dump_info *di, uint64_t *size, int *err)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	reads = 0;
	*err = fvd_core_write(f, di, fake_read, NULL, size);
	if (*err) {
		fclose(f);
		return NULL;
	}
	struct stat st;
	assert_int_equal(fstat(fileno(f), &st), 0);
	assert_int_equal((uint64_t)st.st_size, *size);
	uint8_t *buf = malloc(*size);
	assert_non_null(buf);
	rewind(f);
	assert_int_equal(fread(buf, 1, *size, f), *size);
	fclose(f);
	return buf;
}

static void test_core_layout(void **state)
{
	(void)state;
	struct fvd_dump_info di;
	uint64_t size;
	int err;
	make_info(&di);
	uint8_t *b = write_core(&di, &size, &err);
	assert_int_equal(err, 0);
	/* ELF header: 64-bit little-endian core for RISC-V, three program headers. */
	assert_memory_equal(b, "\177ELF\2\1\1", 7);
	assert_int_equal(rd16(b + 16), 4);   /* ET_CORE */
	assert_int_equal(rd16(b + 18), 243); /* EM_RISCV */
	assert_int_equal(rd32(b + 48), 5);   /* RVC, double-float ABI: gdb reads FP regs */
	assert_int_equal(rd64(b + 32), 64);
	assert_int_equal(rd16(b + 54), 56);
	assert_int_equal(rd16(b + 56), 3);
	const uint8_t *ph = b + 64;
	assert_int_equal(rd32(ph), 4); /* PT_NOTE */
	uint64_t noff = rd64(ph + 8), nsz = rd64(ph + 32);
	/* The loads: at their GPAs, page-aligned offsets, full size. */
	for (unsigned i = 0; i < 2; i++) {
		const uint8_t *l = ph + 56 * (i + 1);
		assert_int_equal(rd32(l), 1);
		assert_int_equal(rd64(l + 16), di.region[i].gpa);
		assert_int_equal(rd64(l + 24), di.region[i].gpa);
		assert_int_equal(rd64(l + 32), di.region[i].size);
		assert_int_equal(rd64(l + 40), di.region[i].size);
		uint64_t off = rd64(l + 8);
		assert_int_equal(off % 4096, 0);
		assert_true(off >= noff + nsz && off + di.region[i].size <= size);
		for (uint64_t k = 0; k < di.region[i].size; k += 97) {
			uint8_t want;
			fake_read(NULL, di.region[i].gpa + k, &want, 1);
			assert_int_equal(b[off + k], want);
		}
		if (i == 1)
			assert_int_equal(off + di.region[1].size, size); /* ends at the last byte */
	}
	/* Notes: PRPSINFO, then PRSTATUS + FERROVISOR per vCPU, then the cause. */
	const uint8_t *n = b + noff, *end = b + noff + nsz;
	unsigned prstatus = 0, fv = 0, psinfo = 0, cause = 0, fp = 0;
	while (n < end) {
		uint32_t namesz = rd32(n), descsz = rd32(n + 4), type = rd32(n + 8);
		const char *name = (const char *)n + 12;
		const uint8_t *d = n + 12 + ((namesz + 3) & ~3u);
		if (strcmp(name, "CORE") == 0 && type == 1) {
			assert_int_equal(descsz, FVD_CORE_PRSTATUS_SIZE);
			assert_int_equal(rd16(d + 12), 11); /* pr_cursig: SIGSEGV for a crash */
			assert_int_equal(rd32(d + 32), prstatus + 1); /* pr_pid = vCPU index + 1 */
			for (unsigned r = 0; r < 32; r++)
				assert_int_equal(rd64(d + 112 + 8 * r),
				                 0x1000ull * (prstatus + 1) + r);
			prstatus++;
		} else if (strcmp(name, "CORE") == 0 && type == 2) {
			assert_int_equal(descsz, FVD_CORE_PRFPREG_SIZE);
			assert_int_equal(fp + 1, prstatus); /* right after its vCPU's PRSTATUS */
			for (unsigned r = 0; r < 32; r++)
				assert_int_equal(rd64(d + 8 * r), 0x1000ull * (fp + 1) + 44 + r);
			assert_int_equal(rd32(d + 256), (uint32_t)(0x1000ull * (fp + 1) + 76));
			fp++;
		} else if (strcmp(name, "CORE") == 0 && type == 3) {
			assert_int_equal(descsz, FVD_CORE_PRPSINFO_SIZE);
			assert_string_equal((const char *)d + 40, "crashy");
			psinfo++;
		} else if (strcmp(name, "FERROVISOR") == 0 && type == FVD_CORE_NT_FV_VCPU) {
			assert_int_equal(rd32(d), fv);
			assert_int_equal(rd64(d + 8 + 8 * 7),
			                 0x1000ull * (fv + 1) + 39); /* vsatp */
			fv++;
		} else if (strcmp(name, "FERROVISOR") == 0 && type == FVD_CORE_NT_FV_CAUSE) {
			assert_string_equal((const char *)d, di.cause);
			cause++;
		} else {
			fail_msg("unexpected note %s/%u", name, type);
		}
		n = d + ((descsz + 3) & ~3u);
	}
	assert_ptr_equal(n, end);
	assert_int_equal(prstatus, 2);
	assert_int_equal(fp, 2);
	assert_int_equal(fv, 2);
	assert_int_equal(psinfo, 1);
	assert_int_equal(cause, 1);
	free(b);
}

static void test_core_refusals(void **state)
{
	(void)state;
	struct fvd_dump_info di;
	uint64_t size;
	int err;
	make_info(&di);
	di.region[1].gpa = 0x80004000; /* overlaps region 0 */
	assert_null(write_core(&di, &size, &err));
	assert_int_equal(err, FVD_E_INVAL);
	make_info(&di);
	di.region[1].gpa = UINT64_MAX - 100; /* wraps */
	assert_null(write_core(&di, &size, &err));
	assert_int_equal(err, FVD_E_INVAL);
	make_info(&di);
	di.region[0].size = 0;
	assert_null(write_core(&di, &size, &err));
	assert_int_equal(err, FVD_E_INVAL);
	make_info(&di);
	di.nr_vcpus = FVD_DUMP_MAX_VCPUS + 1;
	assert_null(write_core(&di, &size, &err));
	assert_int_equal(err, FVD_E_INVAL);
	/* A reader that fails half-way: its error, no file claimed. */
	make_info(&di);
	fail_at = 2;
	assert_null(write_core(&di, &size, &err));
	assert_int_equal(err, FVD_E_IO);
	fail_at = -1;
	/* A stopped VM's dump: SIGSTOP as the signal, one vCPU, the maximum of them fits. */
	make_info(&di);
	di.state = FVD_VM_PAUSED;
	di.nr_vcpus = FVD_DUMP_MAX_VCPUS;
	uint8_t *b = write_core(&di, &size, &err);
	assert_int_equal(err, 0);
	const uint8_t *n = b + rd64(b + 64 + 8);
	n += 12 + 8 + FVD_CORE_PRPSINFO_SIZE; /* past PRPSINFO */
	assert_int_equal(rd32(n + 8), 1);
	assert_int_equal(rd16(n + 20 + 12), 19);
	free(b);
}

/* A guest with Sv39 paging: its tables in 64 KiB of RAM at 0x80000000. */
static uint8_t pt_ram[64 << 10];

static int pt_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	(void)ctx;
	memcpy(buf, pt_ram + (gpa - 0x80000000), len);
	return 0;
}

static void pt_set(uint64_t pa, uint64_t pte)
{
	for (int i = 0; i < 8; i++)
		pt_ram[pa - 0x80000000 + i] = (uint8_t)(pte >> (8 * i));
}

#define PT_PTR(pa)  ((((pa) >> 12) << 10) | 1)   /* V: a pointer to the next table */
#define PT_LEAF(pa) ((((pa) >> 12) << 10) | 0xf) /* V R W X */

static void test_core_kernel_segments(void **state)
{
	(void)state;
	struct fvd_dump_info di;
	memset(&di, 0, sizeof(di));
	memset(pt_ram, 0, sizeof(pt_ram));
	for (size_t i = 0x4000; i < 0x6000; i++)
		pt_ram[i] = (uint8_t)(i * 7 + 1);
	pt_set(0x80000000 + 8 * 258, PT_PTR(0x80001000)); /* VA 0xffffffc080000000.. */
	pt_set(0x80001000 + 8 * 1, PT_PTR(0x80002000));   /* + 2 MiB */
	pt_set(0x80002000 + 8 * 3, PT_LEAF(0x80004000));  /* + 3 pages: two contiguous pages */
	pt_set(0x80002000 + 8 * 4, PT_LEAF(0x80005000));
	pt_set(0x80002000 + 8 * 5, (((0x80006000ull >> 12) << 10) | 0x5)); /* W without R */
	pt_set(0x80000000 + 8 * 2, PT_LEAF(0x80000000));                   /* lower half */
	pt_set(0x80000000 + 8 * 300, PT_PTR(0x90000000));                  /* table not in RAM */
	pt_set(0x80000000 + 8 * 301, PT_LEAF(0x90000000)); /* a gigapage outside RAM */
	strcpy(di.name, "paged");
	di.state = FVD_VM_PAUSED;
	di.nr_regions = 1;
	di.region[0].gpa = 0x80000000;
	di.region[0].size = sizeof(pt_ram);
	di.nr_vcpus = 2;
	di.vcpu[0].reg[39] = (8ull << 60) | (0x80000000 >> 12); /* vsatp: Sv39 */
	di.vcpu[1].reg[39] = di.vcpu[0].reg[39];                /* the same tables: once */
	FILE *f = tmpfile();
	uint64_t size;
	assert_int_equal(fvd_core_write(f, &di, pt_read, NULL, &size), 0);
	uint8_t *b = malloc(size);
	rewind(f);
	assert_int_equal(fread(b, 1, size, f), size);
	fclose(f);
	assert_int_equal(rd16(b + 56), 3); /* note, RAM, one kernel run */
	const uint8_t *ram = b + 64 + 56, *va = b + 64 + 2 * 56;
	assert_int_equal(rd64(va + 16), 0xffffffc080203000ull);
	assert_int_equal(rd64(va + 24), 0x80004000);
	assert_int_equal(rd64(va + 32), 0x2000);
	assert_int_equal(rd64(va + 8), rd64(ram + 8) + 0x4000); /* the RAM's own bytes */
	assert_memory_equal(b + rd64(va + 8), pt_ram + 0x4000, 0x2000);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_core_layout),
	    cmocka_unit_test(test_core_refusals),
	    cmocka_unit_test(test_core_kernel_segments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
