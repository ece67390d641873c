// SPDX-License-Identifier: MIT
/*
 * DBCN extension (EID "DBCN"), SBI spec v3.0 chapter 12: console_write (partial writes
 * allowed: continue where the last call stopped), console_read, console_write_byte (only the
 * low 8 bits of a0 count), and the shared-memory range rules of chapter 3: a buffer not
 * entirely in memory the guest may access -> SBI_ERR_INVALID_PARAM. Natively the buffers
 * outside RAM are skipped: OpenSBI's root domain lets S-mode name them and would fault in
 * M-mode. Both harts also write at once.
 */
#include <stdint.h>

#include "config.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "suite.h"
#include "suite_util.h"
#include "test.h"
#include "uart.h"

#define HAMMER_ROUNDS 10

#define NATIVE_ROOT_DOMAIN "OpenSBI's root domain allows S-mode this range; M-mode would fault"

static volatile uint64_t hammer_errors;
static char rbuf[64];

/* Write all of s with console_write, continuing after partial writes. */
static long write_all(const char *s, unsigned long len, unsigned long *done)
{
	struct sbiret r;

	*done = 0;
	for (int tries = 0; *done < len && tries < 1000; tries++) {
		r = sbi_debug_console_write(len - *done, (unsigned long)s + *done, 0);
		if (r.error != SBI_SUCCESS)
			return r.error;
		if ((unsigned long)r.value > len - *done)
			return SBI_ERR_FAILED; /* more than asked for: caught by the caller */
		*done += (unsigned long)r.value;
	}
	return SBI_SUCCESS;
}

static void valid_calls(void)
{
	static const char msg[] = "sbi_test: dbcn console_write line\n";
	static const char bytes[] = "sbi_test: dbcn write_byte line\n";
	static const char upper[] = "sbi_test: dbcn write_byte upper bits ignored\n";
	unsigned long done = 0, flags;
	long werr, berr = SBI_SUCCESS, uerr = SBI_SUCCESS, value = 0;
	struct sbiret r;

	/* Hold the console lock so the DBCN lines stay whole. */
	flags = uart_lock();
	werr = write_all(msg, sizeof(msg) - 1, &done);
	for (unsigned int i = 0; i < sizeof(bytes) - 1; i++) {
		r = sbi_debug_console_write_byte((uint8_t)bytes[i]);
		if (r.error != SBI_SUCCESS)
			berr = r.error;
		value |= r.value;
	}
	/* The byte is uint8_t: bits 8 and up of a0 are not part of it. */
	for (unsigned int i = 0; i < sizeof(upper) - 1; i++) {
		r = sbi_ecall(SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE,
		              0xdeadbeefcafe0000UL | (unsigned char)upper[i], 0, 0, 0, 0, 0);
		if (r.error != SBI_SUCCESS)
			uerr = r.error;
	}
	uart_unlock(flags);
	test_check_eq("dbcn.console_write.success", werr, SBI_SUCCESS);
	test_check_eq("dbcn.console_write.count", (long)done, (long)sizeof(msg) - 1);
	test_check_eq("dbcn.console_write_byte.success", berr, SBI_SUCCESS);
	test_check_eq("dbcn.console_write_byte.value_zero", value, 0);
	test_check_eq("dbcn.console_write_byte.upper_bits_ignored", uerr, SBI_SUCCESS);

	r = sbi_debug_console_write(0, (unsigned long)msg, 0);
	test_checkf(r.error == SBI_SUCCESS && r.value == 0, "dbcn.console_write.zero_bytes",
	            "error %ld value %ld", r.error, r.value);
	r = sbi_debug_console_read(sizeof(rbuf), (unsigned long)rbuf, 0);
	test_checkf(r.error == SBI_SUCCESS && r.value >= 0 && r.value <= (long)sizeof(rbuf),
	            "dbcn.console_read.success", "error %ld value %ld", r.error, r.value);
	r = sbi_debug_console_read(0, (unsigned long)rbuf, 0);
	test_checkf(r.error == SBI_SUCCESS && r.value == 0, "dbcn.console_read.zero_bytes",
	            "error %ld value %ld", r.error, r.value);
	/* A buffer ending exactly at the end of RAM is valid. */
	unsigned long end = plat_ram_base() + plat_ram_size();
	r = sbi_debug_console_read(16, end - 16, 0);
	test_checkf(r.error == SBI_SUCCESS && r.value >= 0 && r.value <= 16,
	            "dbcn.console_read.ends_at_ram_end", "error %ld value %ld", r.error, r.value);
}

static void bad_buffers(void)
{
	unsigned long base = plat_ram_base(), end = base + plat_ram_size();
	static const char *const fns[2] = {"console_write", "console_read"};
	const struct {
		const char *name;
		unsigned long num, lo, hi;
		bool native_safe;
	} cases[] = {
	    /* Natively this starts in OpenSBI's own (M-mode only) memory: denied. */
	    {"huge_length", 1UL << 40, GUEST_RAM_BASE, 0, true},
	    /* Natively OpenSBI's range check wraps around and it prints all of memory. */
	    {"length_wraps", ~0UL, GUEST_RAM_BASE + 0x1000, 0, false},
	    /* Beyond what this guest may touch. */
	    {"crosses_ram_end", 32, end - 16, 0, false},
	    {"at_ram_end", 16, end, 0, false},
	    {"below_ram", 16, base - 0x1000, 0, false},
	    {"address_zero", 16, 0, 0, false},
	    {"mmio_uart", 4, GUEST_UART_BASE, 0, false},
	    {"top_of_address_space", 16, ~0UL - 7, 0, false},
	};
	char name[96];

	for (int f = 0; f < 2; f++) {
		for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			snprintf(name, sizeof(name), "dbcn.%s.%s", fns[f], cases[i].name);
			if (!cases[i].native_safe && !suite_under_ferrovisor()) {
				test_skip(name, NATIVE_ROOT_DOMAIN);
				continue;
			}
			struct sbiret r = sbi_ecall(SBI_EXT_DBCN, (unsigned long)f, cases[i].num,
			                            cases[i].lo, cases[i].hi, 0, 0, 0);
			test_checkf(r.error == SBI_ERR_INVALID_PARAM, name,
			            "error %ld (%s) value %ld", r.error, sbi_err_name(r.error),
			            r.value);
		}
		/* Physical address >= 2^64 (base_addr_hi != 0) is not RAM on this machine. */
		snprintf(name, sizeof(name), "dbcn.%s.addr_hi_nonzero", fns[f]);
		struct sbiret r =
		    sbi_ecall(SBI_EXT_DBCN, (unsigned long)f, 4, (unsigned long)rbuf, 1, 0, 0, 0);
		suite_check_eq_native_dev(name, r.error, SBI_ERR_INVALID_PARAM,
		                          "OpenSBI answers SBI_ERR_FAILED");
	}
}

static void hammer(unsigned long hart)
{
	char line[64];
	unsigned long done;
	int n;

	for (int i = 0; i < HAMMER_ROUNDS; i++) {
		n = snprintf(line, sizeof(line), "sbi_test: dbcn concurrent hart %lu line %d\n",
		             hart, i);
		/* Unlocked on purpose: the SBI must cope with both harts writing at once. */
		if (write_all(line, (unsigned long)n, &done) != SBI_SUCCESS ||
		    done != (unsigned long)n)
			__atomic_fetch_add(&hammer_errors, 1, __ATOMIC_RELAXED);
	}
}

static void concurrent(void)
{
	if (suite_other() < 0 || !test_check(suite_worker_start(), "dbcn.concurrent.worker_up"))
		return;
	hammer_errors = 0;
	bool posted = suite_worker_post(hammer, (unsigned long)suite_other());
	hammer(suite_self());
	test_check(posted && suite_worker_wait(20000), "dbcn.concurrent.finishes");
	test_check_eq("dbcn.concurrent.errors", (long)hammer_errors, 0);
	test_check(suite_worker_stop(), "dbcn.concurrent.worker_stopped");
}

void sbi_suite_dbcn(void)
{
	bool present = suite_ext_begin(SBI_EXT_DBCN, "dbcn");

	(void)present; /* absent: the checks below print SKIP (native) after a FAIL (here) */
	valid_calls();
	bad_buffers();
	concurrent();
	suite_ext_end();
}
