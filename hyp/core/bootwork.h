/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_BOOTWORK_H
#define FV_CORE_BOOTWORK_H

/*
 * Work that must run in the boot CPU's console-tick context (the context that
 * runs the shell, owns the VM table and dispatches control requests; ctl.h,
 * vconsole.c), asked for by any CPU so that it runs now instead of at the
 * next 10 ms tick. A request sets a bit and, the first time, sends the boot
 * CPU an IPI; the boot CPU runs the bit's handler from its host-interrupt
 * path (bootwork_run), with no lock held, as the tick itself does.
 *
 * Bounded work: a handler does at most a budget's worth and returns true when
 * more remains; that bit then waits BOOTWORK_REQUEUE_NS on a timer. And a
 * round that took T (at least BOOTWORK_PACE_MIN_NS) is followed by a pause of
 * BOOTWORK_PACE_FACTOR x T before the next: requests meanwhile send no IPI and
 * wait for the timer. So rounds take at most about a third of the boot CPU
 * however fast a source (a hostile service VM, or just a large upload) feeds
 * them: the vCPUs that CPU runs keep the rest (a 200 ms heartbeat witness
 * missed beats during Linux uploads with rounds back to back).
 * The 10 ms console tick still runs everything as a fallback.
 */
#include "lib/types.h"

enum bootwork_bit {
	BOOTWORK_CTL = 1u << 0, /* control channel: decode, answer, push output (ctl.c) */
	BOOTWORK_CON = 1u << 1, /* console input arrived: hand it to VMs (vconsole.c) */
};

#define BOOTWORK_REQUEUE_NS   200000ULL  /* 200 us between rounds of a busy source */
#define BOOTWORK_PACE_MIN_NS  50000ULL   /* rounds shorter than this are not paced */
#define BOOTWORK_PAUSE_MAX_NS 2000000ULL /* a pause never exceeds 2 ms (host stalls) */
#define BOOTWORK_PACE_FACTOR  2u         /* pause after a long round, in round lengths */

struct bootwork_stats {
	uint64_t requests; /* requests that sent an IPI (the first of a burst) */
	uint64_t runs;     /* rounds run on the boot CPU */
	uint64_t requeues; /* rounds that left work for the requeue timer */
	uint64_t paced;    /* long rounds followed by a pause as long as they took */
};

/* The calling CPU (the boot CPU, before other CPUs start) runs the work. */
void bootwork_init(void);
/* Ask for @bits to run on the boot CPU soon. Any CPU, any locks held (leaf). */
void bootwork_request(unsigned bits);
/* Boot CPU host-interrupt path, no lock held: run requested work. Other CPUs: no-op. */
void bootwork_run(void);
/* Counters, read racily for display. */
void bootwork_get_stats(struct bootwork_stats *out);

#endif
