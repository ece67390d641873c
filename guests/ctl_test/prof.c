// SPDX-License-Identifier: MIT
/*
 * ctl_test: the profiler's control ops (docs/control-protocol.md "Profiler") against
 * the real hypervisor. Hostile requests first (bad period, reserved bits, lengths, an
 * unknown VM), then one session on the "hello" witness: a second start is E_BUSY and a
 * read during it E_BAD_STATE; after the stop every sample is read back in chunks whose
 * counts add up to the total, each well formed (depth bounded, hypervisor samples
 * flagged with vCPU 0xffffffff and a non-zero pc). The witness idles in wfi most of the
 * time, so the idle CPU's hypervisor samples must be there.
 */
#include "ct.h"
#include "printf.h"
#include "test.h"

#define PROF_SAMPLE_BYTES 80u
#define PROF_HDR_BYTES    16u

static long prof_start(const char *name, uint32_t period, uint32_t rsvd, size_t len)
{
	uint8_t b[40] = {0};
	for (unsigned i = 0; name[i] && i < CTL_NAME_MAX - 1; i++)
		b[i] = (uint8_t)name[i];
	ctl_put32(b + 32, period);
	ctl_put32(b + 36, rsvd);
	return fvcp_call(CTL_T_PROF_START, b, len);
}

static long prof_read(uint32_t offset, uint32_t rsvd)
{
	uint8_t b[8];
	ctl_put32(b, offset);
	ctl_put32(b + 4, rsvd);
	return fvcp_call(CTL_T_PROF_READ, b, sizeof(b));
}

void suite_prof(void)
{
	uint32_t len;
	const uint8_t *r;

	test_check_eq("prof.start.period_low", prof_start("hello", 99, 0, 40), CTL_E_BAD_FIELD);
	test_check_eq("prof.start.period_high", prof_start("hello", 1000001, 0, 40),
	              CTL_E_BAD_FIELD);
	test_check_eq("prof.start.reserved", prof_start("hello", 1000, 1, 40), CTL_E_BAD_FIELD);
	test_check_eq("prof.start.no_vm", prof_start("nosuch", 1000, 0, 40), CTL_E_NO_VM);
	test_check_eq("prof.start.truncated", prof_start("hello", 1000, 0, 36), CTL_E_TRUNCATED);
	test_check_eq("prof.stop.idle", fvcp_call(CTL_T_PROF_STOP, NULL, 0), CTL_OK);

	test_check_eq("prof.start.ok", prof_start("hello", 500, 0, 40), CTL_OK);
	test_check_eq("prof.start.busy", prof_start("hello", 500, 0, 40), CTL_E_BUSY);
	test_check_eq("prof.read.while_running", prof_read(0, 0), CTL_E_BAD_STATE);
	fvcp_pump(400);
	test_check_eq("prof.stop.ok", fvcp_call(CTL_T_PROF_STOP, NULL, 0), CTL_OK);
	test_check_eq("prof.stop.again", fvcp_call(CTL_T_PROF_STOP, NULL, 0), CTL_OK);
	test_check_eq("prof.read.reserved", prof_read(0, 1), CTL_E_BAD_FIELD);

	uint32_t total = 0, got = 0, hyp = 0, bad = 0, chunks = 0;
	bool ok = true;
	do {
		if (prof_read(got, 0) != CTL_OK) {
			ok = false;
			break;
		}
		r = ct_resp(&len);
		uint32_t n = ctl_get32(r + 8);
		total = ctl_get32(r);
		if (len != PROF_HDR_BYTES + n * PROF_SAMPLE_BYTES || ctl_get32(r + 4) != got) {
			ok = false;
			break;
		}
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *s = r + PROF_HDR_BYTES + i * PROF_SAMPLE_BYTES;
			bool is_hyp = s[12] & 1;
			hyp += is_hyp;
			if (s[13] > 8 || ctl_get64(s) == 0 ||
			    (is_hyp ? ctl_get32(s + 8) != 0xffffffffu : ctl_get32(s + 8) != 0))
				bad++;
		}
		got += n;
		chunks++;
		if (!n)
			break;
	} while (got < total);
	printf("ctl_test: profile of hello: %u samples (%u of the hypervisor) in %u chunks\n",
	       total, hyp, chunks);
	test_check(ok && got == total, "prof.read.chunks_add_up");
	test_check(total > 0, "prof.read.samples");
	test_check(hyp > 0, "prof.read.hypervisor_samples");
	test_check_eq("prof.read.well_formed", bad, 0);
	test_check_eq("prof.read.past_end", prof_read(total + 5, 0), CTL_OK);
	r = ct_resp(&len);
	test_check(len == PROF_HDR_BYTES && ctl_get32(r + 8) == 0, "prof.read.past_end.empty");
}
