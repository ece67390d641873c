// SPDX-License-Identifier: MIT
/*
 * The hypervisor shell's `prof` command (prof.h): a profiling session without a service VM,
 * and a summary of its samples: how many of the guest, of the hypervisor (and of those, in
 * the idle loop), and the hypervisor pcs seen most often, for `nm build/riscv64/
 * ferrovisor.elf` or addr2line. Console tick context, like the control channel's ops.
 */
#include "core/prof.h"

#include "core/console.h"
#include "core/ctl_proto.h"
#include "core/vm.h"
#include "lib/printf.h"
#include "lib/string.h"

#define PROF_SHELL_TOP 64u /* distinct hypervisor pcs counted */

static bool parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000u)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = (uint32_t)v;
	return true;
}

struct pc_count {
	uint64_t pc;
	uint32_t n;
};

/* Decode the samples back from PROF_READ's encoding: the same view the daemon gets. */
static void report(unsigned top, void (*print)(const char *line))
{
	static uint8_t chunk[PROF_WIRE_HDR + 64 * PROF_WIRE_SAMPLE];
	static struct pc_count pcs[PROF_SHELL_TOP];
	uint32_t guest = 0, hyp = 0, idle = 0, other = 0, total = 0, dropped = 0, off = 0, st;
	unsigned npcs = 0;
	uint64_t idle_pc = arch_prof_idle_pc();
	char line[120];

	memset(pcs, 0, sizeof(pcs));
	for (;;) {
		uint32_t len = prof_read(off, chunk, sizeof(chunk), &st);
		if (st != 0 || len < PROF_WIRE_HDR) {
			print("prof: stop the session first (prof stop)");
			return;
		}
		uint32_t count =
		    chunk[8] | chunk[9] << 8 | chunk[10] << 16 | (uint32_t)chunk[11] << 24;
		total = chunk[0] | chunk[1] << 8 | chunk[2] << 16 | (uint32_t)chunk[3] << 24;
		dropped = chunk[12] | chunk[13] << 8 | chunk[14] << 16 | (uint32_t)chunk[15] << 24;
		for (uint32_t i = 0; i < count; i++) {
			const uint8_t *s = chunk + PROF_WIRE_HDR + i * PROF_WIRE_SAMPLE;
			uint64_t pc = 0;
			for (int b = 7; b >= 0; b--)
				pc = pc << 8 | s[b];
			if (!(s[12] & PROF_F_HYP)) {
				guest++;
				continue;
			}
			hyp++;
			if (pc == idle_pc) {
				idle++;
				continue;
			}
			unsigned k = 0;
			while (k < npcs && pcs[k].pc != pc)
				k++;
			if (k == npcs && npcs < PROF_SHELL_TOP)
				pcs[npcs++].pc = pc;
			if (k < npcs)
				pcs[k].n++;
			else
				other++;
		}
		off += count;
		if (count == 0 || off >= total)
			break;
	}
	fv_snprintf(line, sizeof(line),
	            "prof: %u samples (%u dropped): %u guest, %u hypervisor (%u idle, %u in exits)",
	            total, dropped, guest, hyp, idle, hyp - idle);
	print(line);
	/* Most frequent first: a selection over a short list. */
	for (unsigned r = 0; r < top && r < npcs; r++) {
		unsigned best = r;
		for (unsigned k = r + 1; k < npcs; k++)
			if (pcs[k].n > pcs[best].n)
				best = k;
		struct pc_count t = pcs[r];
		pcs[r] = pcs[best];
		pcs[best] = t;
		fv_snprintf(line, sizeof(line), "prof: hypervisor pc 0x%lx %u",
		            (unsigned long)pcs[r].pc, pcs[r].n);
		print(line);
	}
	if (other) {
		fv_snprintf(line, sizeof(line), "prof: %u more at other hypervisor pcs", other);
		print(line);
	}
}

void prof_shell(int argc, char **argv, void (*print)(const char *line))
{
	uint32_t n;
	if (argc >= 3 && argc <= 4 && strcmp(argv[1], "start") == 0) {
		struct vm *vm = vm_find(argv[2]);
		uint32_t period = 1000;
		if (!vm) {
			print("prof: no such VM");
			return;
		}
		if (argc == 4 && !parse_u32(argv[3], &period)) {
			print("prof: the period is a number of microseconds (100..1000000)");
			return;
		}
		uint32_t st = prof_start(vm, period);
		if (st)
			print(st == CTL_E_BUSY ? "prof: a session already runs"
			                       : "prof: cannot start (period 100..1000000 us)");
		return;
	}
	if (argc == 2 && strcmp(argv[1], "stop") == 0) {
		prof_stop();
		return;
	}
	if ((argc == 2 || argc == 3) && strcmp(argv[1], "report") == 0) {
		n = 20;
		if (argc == 3 && !parse_u32(argv[2], &n)) {
			print("prof: report [N]: N hypervisor pcs");
			return;
		}
		report(n, print);
		return;
	}
	print("usage: prof start VM [PERIOD_US] | prof stop | prof report [N]");
}
