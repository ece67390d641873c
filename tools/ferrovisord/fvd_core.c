// SPDX-License-Identifier: MIT
/* ELF core files of a VM (see fvd_core.h). Every field is written little-endian byte by
 * byte, so the output does not depend on the daemon's own endianness or struct layout. */
#include "fvd_core.h"

#include "fvd_core_va.h"

#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define CORE_EHDR  64u
#define CORE_PHDR  56u
#define CORE_ALIGN 4096u
#define CORE_NOTE_MAX                                                                              \
	(2u * (12u + 12u + FVD_CORE_PRPSINFO_SIZE + 112u) +                                        \
	 FVD_DUMP_MAX_VCPUS * (20u + FVD_CORE_PRSTATUS_SIZE + 20u + FVD_CORE_PRFPREG_SIZE + 12u +  \
	                       12u + 8u + 8u * CORE_NR_CSRS))
#define CORE_NR_CSRS     12u /* regs 32..43 of the dump: VS CSRs and the last trap */
#define CORE_NT_PRSTATUS 1u
#define CORE_NT_PRFPREG  2u
#define CORE_NT_PRPSINFO 3u
#define CORE_SIGSEGV     11u
#define CORE_SIGSTOP     19u

static void core_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void core_put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void core_put64(uint8_t *p, uint64_t v)
{
	core_put32(p, (uint32_t)v);
	core_put32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t core_round(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* Appends one note (name padded to 4, descriptor padded to 4) at n[*len]. */
static void core_note(uint8_t *n, size_t *len, const char *name, uint32_t type, const void *desc,
                      size_t dlen)
{
	size_t nlen = strlen(name) + 1;
	uint8_t *p = n + *len;

	core_put32(p, (uint32_t)nlen);
	core_put32(p + 4, (uint32_t)dlen);
	core_put32(p + 8, type);
	memset(p + 12, 0, core_round(nlen, 4));
	memcpy(p + 12, name, nlen);
	p += 12 + core_round(nlen, 4);
	memset(p, 0, core_round(dlen, 4));
	memcpy(p, desc, dlen);
	*len += 12 + core_round(nlen, 4) + core_round(dlen, 4);
}

/* The notes of *di into n (room CORE_NOTE_MAX); returns their length. */
static size_t core_notes(uint8_t *n, const struct fvd_dump_info *di)
{
	uint8_t d[FVD_CORE_PRSTATUS_SIZE];
	size_t len = 0;
	uint32_t sig = di->state == FVD_VM_CRASHED ? CORE_SIGSEGV : CORE_SIGSTOP;

	/* elf_prpsinfo: pr_pid at 24, pr_fname[16] at 40, pr_psargs[80] at 56. */
	memset(d, 0, FVD_CORE_PRPSINFO_SIZE);
	d[0] = di->state == FVD_VM_CRASHED ? 4 : 3; /* pr_state: 4 zombie-like, 3 stopped */
	d[1] = di->state == FVD_VM_CRASHED ? 'Z' : 'T';
	core_put32(d + 24, 1);
	memcpy(d + 40, di->name, strnlen(di->name, 15));
	snprintf((char *)d + 56, 80, "vm %s (boot %llu)", di->name, (unsigned long long)di->boots);
	core_note(n, &len, "CORE", CORE_NT_PRPSINFO, d, FVD_CORE_PRPSINFO_SIZE);
	for (uint32_t i = 0; i < di->nr_vcpus && i < FVD_DUMP_MAX_VCPUS; i++) {
		const struct fvd_dump_vcpu *v = &di->vcpu[i];
		/* elf_prstatus: si_signo at 0, pr_cursig at 12, pr_pid at 32, pr_reg at 112. */
		memset(d, 0, sizeof(d));
		core_put32(d, sig);
		core_put16(d + 12, (uint16_t)sig);
		core_put32(d + 32, v->index + 1);
		core_put32(d + 36, 1); /* pr_ppid */
		core_put32(d + 40, 1); /* pr_pgrp */
		core_put32(d + 44, 1); /* pr_sid */
		for (unsigned r = 0; r < 32; r++)
			core_put64(d + 112 + 8 * r, v->reg[r]);
		core_note(n, &len, "CORE", CORE_NT_PRSTATUS, d, FVD_CORE_PRSTATUS_SIZE);
		/* elf_fpregset_t as Linux riscv64 writes the D extension: f0..f31, fcsr (u32). */
		memset(d, 0, FVD_CORE_PRFPREG_SIZE);
		for (unsigned r = 0; r < 32; r++)
			core_put64(d + 8 * r, v->reg[44 + r]);
		core_put32(d + 256, (uint32_t)v->reg[76]);
		core_note(n, &len, "CORE", CORE_NT_PRFPREG, d, FVD_CORE_PRFPREG_SIZE);
		/* What Linux's layouts have no room for: index, state, then regs 32..43. */
		uint8_t c[8 + 8 * CORE_NR_CSRS];
		core_put32(c, v->index);
		core_put32(c + 4, v->state);
		for (unsigned r = 0; r < CORE_NR_CSRS; r++)
			core_put64(c + 8 + 8 * r, v->reg[32 + r]);
		core_note(n, &len, "FERROVISOR", FVD_CORE_NT_FV_VCPU, c, sizeof(c));
	}
	char cause[sizeof(di->cause)];
	snprintf(cause, sizeof(cause), "%s", di->cause);
	core_note(n, &len, "FERROVISOR", FVD_CORE_NT_FV_CAUSE, cause, strlen(cause) + 1);
	return len;
}

static bool core_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Copies a region's RAM to f at off; zero chunks become holes. */
static int core_copy(FILE *f, uint64_t off, uint64_t gpa, uint64_t size, fvd_core_read_fn rd,
                     void *ctx)
{
	static uint8_t buf[FVD_DUMP_CHUNK];

	for (uint64_t done = 0; done < size;) {
		size_t n = size - done < FVD_DUMP_CHUNK ? (size_t)(size - done) : FVD_DUMP_CHUNK;
		int err = rd(ctx, gpa + done, buf, n);
		if (err)
			return err;
		if (!core_zero(buf, n)) {
			if (fseeko(f, (off_t)(off + done), SEEK_SET) != 0 ||
			    fwrite(buf, 1, n, f) != n)
				return FVD_E_IO;
		}
		done += n;
	}
	return FVD_OK;
}

/* Page-table entries read back from the RAM already in the file (fvd_core_va.h). */
struct core_ram {
	int fd;
	const struct fvd_dump_info *di;
	const uint64_t *off; /* file offset of each region */
};

static int core_pte(void *ctx, uint64_t pa, uint64_t *pte)
{
	const struct core_ram *r = ctx;
	uint8_t b[8] = {0};

	for (uint32_t i = 0; i < r->di->nr_regions; i++) {
		uint64_t gpa = r->di->region[i].gpa, size = r->di->region[i].size;
		if (pa < gpa || pa - gpa > size - 8 || (pa & 7))
			continue;
		/* A hole past the end of what was written so far reads as zeros. */
		if (pread(r->fd, b, 8, (off_t)(r->off[i] + pa - gpa)) < 0)
			return -1;
		*pte = 0;
		for (int k = 7; k >= 0; k--)
			*pte = (*pte << 8) | b[k];
		return 0;
	}
	return -1;
}

/* The file offset of the RAM behind a run, clipped to its region; 0 if outside RAM. */
static uint64_t core_seg_off(const struct fvd_dump_info *di, const uint64_t *off,
                             struct fvd_core_seg *s)
{
	for (uint32_t i = 0; i < di->nr_regions; i++) {
		uint64_t gpa = di->region[i].gpa, size = di->region[i].size;
		if (s->pa < gpa || s->pa - gpa >= size)
			continue;
		if (s->size > size - (s->pa - gpa))
			s->size = size - (s->pa - gpa);
		return off[i] + (s->pa - gpa);
	}
	return 0;
}

static void core_phdr_load(uint8_t *ph, uint64_t off, uint64_t va, uint64_t pa, uint64_t size)
{
	core_put32(ph, 1);     /* PT_LOAD */
	core_put32(ph + 4, 7); /* RWX: the guest's RAM, whatever it holds */
	core_put64(ph + 8, off);
	core_put64(ph + 16, va);
	core_put64(ph + 24, pa);
	core_put64(ph + 32, size);
	core_put64(ph + 40, size);
	core_put64(ph + 48, CORE_ALIGN);
}

int fvd_core_write(FILE *f, const struct fvd_dump_info *di, fvd_core_read_fn rd, void *ctx,
                   uint64_t *size)
{
	static uint8_t notes[CORE_NOTE_MAX];
	static struct fvd_core_seg vsegs[FVD_CORE_MAX_VSEGS];
	static uint8_t hdr[CORE_EHDR + CORE_PHDR * (1 + FVD_DUMP_MAX_REGION + FVD_CORE_MAX_VSEGS)];
	uint64_t roff[FVD_DUMP_MAX_REGION];
	uint64_t satp[FVD_DUMP_MAX_VCPUS];
	uint32_t nr = di->nr_regions;

	if (nr > FVD_DUMP_MAX_REGION || di->nr_vcpus > FVD_DUMP_MAX_VCPUS)
		return FVD_E_INVAL;
	for (uint32_t i = 0; i < nr; i++) {
		uint64_t a = di->region[i].gpa, s = di->region[i].size;
		if (s == 0 || a + s < a || s < 8)
			return FVD_E_INVAL;
		for (uint32_t j = 0; j < i; j++) {
			uint64_t b = di->region[j].gpa, t = di->region[j].size;
			if (a < b + t && b < a + s)
				return FVD_E_INVAL;
		}
	}
	/* Room for every program header there may be; the notes follow, then the RAM. */
	size_t nlen = core_notes(notes, di);
	size_t hlen = sizeof(hdr);
	uint64_t off = core_round(hlen + nlen, CORE_ALIGN);
	for (uint32_t i = 0; i < nr; i++) {
		roff[i] = off;
		off = core_round(off + di->region[i].size, CORE_ALIGN);
	}
	if (fseeko(f, (off_t)hlen, SEEK_SET) != 0 || fwrite(notes, 1, nlen, f) != nlen)
		return FVD_E_IO;
	for (uint32_t i = 0; i < nr; i++) {
		int err = core_copy(f, roff[i], di->region[i].gpa, di->region[i].size, rd, ctx);
		if (err)
			return err;
	}
	if (fflush(f) != 0)
		return FVD_E_IO;
	/* The guest's own mappings of its upper half, read from the RAM just written. */
	for (uint32_t i = 0; i < di->nr_vcpus; i++)
		satp[i] = di->vcpu[i].reg[39]; /* vsatp */
	struct core_ram ram = {fileno(f), di, roff};
	size_t nv = fvd_core_va_segs(satp, di->nr_vcpus, core_pte, &ram, vsegs, FVD_CORE_MAX_VSEGS);

	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, "\177ELF", 4);
	hdr[4] = 2;                /* ELFCLASS64 */
	hdr[5] = 1;                /* ELFDATA2LSB */
	hdr[6] = 1;                /* EV_CURRENT */
	core_put16(hdr + 16, 4);   /* ET_CORE */
	core_put16(hdr + 18, 243); /* EM_RISCV */
	core_put32(hdr + 20, 1);
	/* e_flags: RVC and the double-float ABI, so gdb reads the FP registers (.reg2). */
	core_put32(hdr + 48, 0x5);
	core_put64(hdr + 32, CORE_EHDR); /* e_phoff */
	core_put16(hdr + 52, CORE_EHDR);
	core_put16(hdr + 54, CORE_PHDR);
	uint8_t *ph = hdr + CORE_EHDR;
	core_put32(ph, 4); /* PT_NOTE */
	core_put64(ph + 8, hlen);
	core_put64(ph + 32, nlen);
	core_put64(ph + 40, nlen);
	core_put64(ph + 48, 4);
	unsigned phnum = 1;
	for (uint32_t i = 0; i < nr; i++, phnum++)
		core_phdr_load(hdr + CORE_EHDR + CORE_PHDR * phnum, roff[i], di->region[i].gpa,
		               di->region[i].gpa, di->region[i].size);
	/* Kernel-virtual runs share the RAM's bytes in the file (p_offset into a region). */
	for (size_t i = 0; i < nv; i++) {
		uint64_t o = core_seg_off(di, roff, &vsegs[i]);
		if (o)
			core_phdr_load(hdr + CORE_EHDR + CORE_PHDR * phnum++, o, vsegs[i].va,
			               vsegs[i].pa, vsegs[i].size);
	}
	core_put16(hdr + 56, (uint16_t)phnum);
	if (fseeko(f, 0, SEEK_SET) != 0 || fwrite(hdr, 1, hlen, f) != hlen)
		return FVD_E_IO;
	/* The file ends at the last byte of RAM even when that byte is a hole. */
	uint64_t last = core_round(hlen + nlen, CORE_ALIGN);
	if (nr)
		last = roff[nr - 1] + di->region[nr - 1].size;
	if (fflush(f) != 0 || ftruncate(fileno(f), (off_t)last) != 0)
		return FVD_E_IO;
	*size = last;
	return FVD_OK;
}
