// SPDX-License-Identifier: MIT
/*
 * BASE extension (EID 0x10), SBI spec v3.0 chapter 4, plus the binary-encoding rules every
 * extension shares (chapter 3): unknown EIDs/FIDs -> SBI_ERR_NOT_SUPPORTED, and every
 * register except a0/a1 preserved across an ECALL.
 */
#include <stdint.h>

#include "printf.h"
#include "sbi.h"
#include "suite.h"
#include "suite_util.h"
#include "test.h"

#define NATIVE_V2 "OpenSBI 1.5.1 implements SBI 2.0"

static void spec_version(void)
{
	struct sbiret r = sbi_get_spec_version();
	unsigned long v = (unsigned long)r.value;

	test_check_eq("base.get_spec_version.success", r.error, SBI_SUCCESS);
	printf("sbi_test: spec version 0x%lx (%lu.%lu)\n", v, (v >> 24) & 0x7f, v & 0xffffff);
	/* Bit 31 and (on RV64) bits 32 and above are reserved and must be 0. */
	test_checkf((v >> 31) == 0, "base.get_spec_version.reserved_bits_zero", "got 0x%lx", v);
	suite_check_native_dev(((v >> 24) & 0x7f) == 3 && (v & 0xffffff) == 0,
	                       "base.get_spec_version.is_3_0", NATIVE_V2, "got %lu.%lu",
	                       (v >> 24) & 0x7f, v & 0xffffff);
}

static void impl_ids(void)
{
	struct sbiret r;

	r = sbi_get_impl_id();
	test_check_eq("base.get_impl_id.success", r.error, SBI_SUCCESS);
	printf("sbi_test: impl id %ld (0x%lx)\n", r.value, (unsigned long)r.value);
	r = sbi_get_impl_version();
	test_check_eq("base.get_impl_version.success", r.error, SBI_SUCCESS);
	printf("sbi_test: impl version 0x%lx\n", (unsigned long)r.value);

	/* Each must return a value legal for the CSR; mvendorid is a 32-bit register. */
	r = sbi_get_mvendorid();
	test_check_eq("base.get_mvendorid.success", r.error, SBI_SUCCESS);
	test_checkf((unsigned long)r.value <= 0xffffffffUL, "base.get_mvendorid.fits_32_bits",
	            "got 0x%lx", (unsigned long)r.value);
	printf("sbi_test: mvendorid 0x%lx\n", (unsigned long)r.value);
	r = sbi_get_marchid();
	test_check_eq("base.get_marchid.success", r.error, SBI_SUCCESS);
	printf("sbi_test: marchid 0x%lx\n", (unsigned long)r.value);
	r = sbi_get_mimpid();
	test_check_eq("base.get_mimpid.success", r.error, SBI_SUCCESS);
	printf("sbi_test: mimpid 0x%lx\n", (unsigned long)r.value);
}

static void probe(void)
{
	static const struct {
		unsigned long eid;
		const char *name;
	} present[] = {
	    {SBI_EXT_BASE, "base"},     {SBI_EXT_TIME, "time"}, {SBI_EXT_IPI, "ipi"},
	    {SBI_EXT_RFENCE, "rfence"}, {SBI_EXT_HSM, "hsm"},   {SBI_EXT_SRST, "srst"},
	    {SBI_EXT_DBCN, "dbcn"},
	};
	/* EIDs no implementation of ours offers: unallocated, and the first/last of the
	 * experimental (0x08000000-0x08FFFFFF), vendor (0x09000000-0x09FFFFFF) and firmware
	 * (0x0A000000-0x0AFFFFFF) ranges, the reserved legacy EIDs, and -1. */
	static const struct {
		unsigned long eid;
		const char *name;
	} absent[] = {
	    {0x12345678UL, "unallocated"},
	    {0x08000000UL, "experimental_first"},
	    {0x08FFFFFFUL, "experimental_last"},
	    {0x09000000UL, "vendor_first"},
	    {0x09FFFFFFUL, "vendor_last"},
	    {0x0A000000UL, "firmware_first"},
	    {0x0AFFFFFFUL, "firmware_last"},
	    {0x09UL, "legacy_reserved_0x09"},
	    {0x0FUL, "legacy_reserved_0x0f"},
	    {0x11UL, "after_base"},
	    {0xFFFFFFFFFFFFFFFFUL, "minus_one"},
	    /* EIDs are signed 32-bit values: BASE's id with garbage above bit 31 is none. */
	    {0xdeadbeef00000010UL, "base_upper_bits"},
	};
	char name[80];
	struct sbiret r;

	for (unsigned int i = 0; i < sizeof(present) / sizeof(present[0]); i++) {
		r = sbi_probe_extension((long)present[i].eid);
		snprintf(name, sizeof(name), "base.probe_extension.%s", present[i].name);
		test_checkf(r.error == SBI_SUCCESS && r.value != 0, name, "error %ld value %ld",
		            r.error, r.value);
	}
	for (unsigned int i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		r = sbi_probe_extension((long)absent[i].eid);
		snprintf(name, sizeof(name), "base.probe_extension.absent_%s", absent[i].name);
		test_checkf(r.error == SBI_SUCCESS && r.value == 0, name, "error %ld value %ld",
		            r.error, r.value);
		/* What probe calls absent must answer NOT_SUPPORTED when called (chapter 3). */
		r = sbi_ecall(absent[i].eid, 0, 0, 0, 0, 0, 0, 0);
		snprintf(name, sizeof(name), "base.ecall.absent_%s_not_supported", absent[i].name);
		test_check_eq(name, r.error, SBI_ERR_NOT_SUPPORTED);
	}
}

static void unknown_fids(void)
{
	static const struct {
		unsigned long eid, fid;
		const char *name;
	} calls[] = {
	    {SBI_EXT_BASE, 7, "base.ecall.fid_7"},
	    {SBI_EXT_BASE, 0x7fffffff, "base.ecall.fid_max"},
	    {SBI_EXT_TIME, 1, "time.ecall.fid_1"},
	    {SBI_EXT_IPI, 1, "ipi.ecall.fid_1"},
	    {SBI_EXT_RFENCE, 7, "rfence.ecall.fid_7"},
	    {SBI_EXT_HSM, 4, "hsm.ecall.fid_4"},
	    {SBI_EXT_SRST, 1, "srst.ecall.fid_1"},
	    {SBI_EXT_DBCN, 3, "dbcn.ecall.fid_3"},
	};
	char name[80];

	for (unsigned int i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		snprintf(name, sizeof(name), "%s_not_supported", calls[i].name);
		test_check_eq(name, sbi_ecall(calls[i].eid, calls[i].fid, 0, 0, 0, 0, 0, 0).error,
		              SBI_ERR_NOT_SUPPORTED);
	}
}

static void preserved(void)
{
	static const unsigned long args[6] = {SBI_EXT_BASE, 0x1111, 0x2222, 0x3333, 0x4444, 0x5555};
	static const unsigned long bad[6] = {1, 2, 3, 4, 5, 6};
	struct sbiret r;

	suite_check_regs_preserved("base.get_spec_version.regs_preserved", SBI_EXT_BASE,
	                           SBI_BASE_GET_SPEC_VERSION, args, &r);
	suite_check_regs_preserved("base.probe_extension.regs_preserved", SBI_EXT_BASE,
	                           SBI_BASE_PROBE_EXT, args, &r);
	test_checkf(r.error == SBI_SUCCESS && r.value != 0, "base.probe_extension.via_raw_regs",
	            "error %ld value %ld", r.error, r.value);
	suite_check_regs_preserved("base.ecall.unknown_eid_regs_preserved", 0x12345678UL, 0, bad,
	                           &r);
	test_check_eq("base.ecall.unknown_eid_via_raw_regs", r.error, SBI_ERR_NOT_SUPPORTED);

	/* One harmless call of each other extension of this suite. */
	const unsigned long timer[6] = {~0UL, 0, 0x2222, 0x3333, 0x4444, 0x5555};
	const unsigned long fence[6] = {0, ~0UL, 0, 0, 0x4444, 0x5555};
	const unsigned long status[6] = {suite_self(), 0x1111, 0x2222, 0x3333, 0x4444, 0x5555};
	const unsigned long dbcn[6] = {0, (unsigned long)args, 0, 0x3333, 0x4444, 0x5555};
	const unsigned long srst[6] = {3, 0, 0x2222, 0x3333, 0x4444, 0x5555};
	suite_check_regs_preserved("time.set_timer.regs_preserved", SBI_EXT_TIME, 0, timer, &r);
	suite_check_regs_preserved("rfence.remote_sfence_vma.regs_preserved", SBI_EXT_RFENCE,
	                           SBI_RFENCE_SFENCE_VMA, fence, &r);
	suite_check_regs_preserved("hsm.hart_get_status.regs_preserved", SBI_EXT_HSM,
	                           SBI_HSM_HART_GET_STATUS, status, &r);
	suite_check_regs_preserved("dbcn.console_write.regs_preserved", SBI_EXT_DBCN,
	                           SBI_DBCN_WRITE, dbcn, &r);
	suite_check_regs_preserved("srst.system_reset.regs_preserved", SBI_EXT_SRST, 0, srst, &r);
	test_check_eq("srst.system_reset.reserved_via_raw_regs", r.error, SBI_ERR_INVALID_PARAM);
}

void sbi_suite_base(void)
{
	spec_version();
	impl_ids();
	probe();
	unknown_fids();
	preserved();
}
