// SPDX-License-Identifier: MIT
/* Landing point of a non-retentive resume (see resume.h). */
#include "resume.h"

struct resume_state resume_seen[GUEST_MAX_HARTS];

void resume_landed(unsigned long hartid, unsigned long opaque, unsigned long sstatus,
                   unsigned long satp)
{
	/* resume_entry only calls this with hartid < GUEST_MAX_HARTS. */
	struct resume_state *st = &resume_seen[hartid];

	st->hartid = hartid;
	st->opaque = opaque;
	st->sstatus = sstatus;
	st->satp = satp;
	st->landed++;
	__asm__ volatile("fence rw, rw" : : : "memory");
	__builtin_longjmp(st->jmp, 1);
}
