// SPDX-License-Identifier: MIT
/*
 * snap_test: the service-VM side of the snapshot tests
 * (tests/integration/test_snapshot.py), over the control channel (the FVCP client of
 * guests/common/fvcp_client.c).
 *
 * Without an initrd (first run): wait until the "calc" VM (guests/snap_calc)
 * is a few rounds into its computation, snapshot it (SNAP_BEGIN/READ/END,
 * with the session's hostile cases), print the stream as base64 lines
 * ("SNAPB64 ...") for the host to keep, refuse corrupted, truncated and
 * misordered restores (each leaves no VM and no memory behind), destroy calc
 * and restore it as "calc2", which finishes the computation.
 * With an initrd (second run of the hypervisor): the initrd is such a
 * snapshot; restore it as "calc3" and let it finish.
 * Portable: the riscv64 entry is main.c, the arm64 one guests/arm64/snap_test (the same
 * checks run on both ports, tests/integration/test_snapshot.py's ARCH_MATRIX).
 */
#include "fdt.h"
#include "plat.h"
#include "printf.h"
#include "test.h"
#include "snap_test.h"

#include "fvcp_client.h"

#define CALC      "calc"
#define SNAP_MAX  (24u << 20)             /* the benchmark's largest VM (bench/fvbench/snap.py) */
#define PIECE     (CTL_MAX_PAYLOAD - 16u) /* data bytes in one RESTORE_DATA */
#define LIST_SIZE 88u

static uint8_t snap[SNAP_MAX];
static uint32_t snap_len;
static unsigned calc_round; /* the last "progress R/" seen on calc's console */
static unsigned filled;     /* "snap_fill: filled" lines seen (benchmark mode) */

/* "progress R/N" in a console event of calc: remember R. */
static void on_event(const struct ctl_hdr *h, const uint8_t *p)
{
	if (h->type != CTL_T_EV_CONSOLE || h->len < 40)
		return;
	const uint8_t *s = p + 40;
	uint32_t n = h->len - 40;
	for (uint32_t i = 0; i + 6 <= n; i++)
		if (s[i] == 'f' && s[i + 1] == 'i' && s[i + 2] == 'l' && s[i + 3] == 'l' &&
		    s[i + 4] == 'e' && s[i + 5] == 'd')
			filled++;
	if (!fvcp_name_is(p + 8, CALC))
		return;
	for (uint32_t i = 0; i + 9 < n; i++) {
		if (s[i] != 'p' || s[i + 1] != 'r' || s[i + 8] != ' ')
			continue;
		unsigned r = 0;
		for (uint32_t k = i + 9; k < n && s[k] >= '0' && s[k] <= '9'; k++)
			r = r * 10 + (unsigned)(s[k] - '0');
		if (r > calc_round)
			calc_round = r;
	}
}

static long snap_read(uint32_t id, uint32_t max, uint64_t off)
{
	uint8_t b[16];
	ctl_put32(b, id);
	ctl_put32(b + 4, max);
	ctl_put64(b + 8, off);
	return fvcp_call(CTL_T_SNAP_READ, b, sizeof(b));
}

static long id_flags(uint16_t type, uint32_t id, uint32_t flags)
{
	uint8_t b[8];
	ctl_put32(b, id);
	ctl_put32(b + 4, flags);
	return fvcp_call(type, b, sizeof(b));
}

/* SNAP_BEGIN, asked again while the paused VM's vCPUs are still leaving their CPUs. */
static long snap_begin(const uint8_t *req)
{
	long st;
	for (unsigned tries = 0;
	     (st = fvcp_call(CTL_T_SNAP_BEGIN, req, 40)) == CTL_E_BUSY && tries < 200; tries++)
		fvcp_pump(10);
	return st;
}

/* Save calc into snap[]; the hostile session cases on the way. */
static void suite_save(void)
{
	uint8_t b[40];
	fvcp_put_name(b, CALC);
	ctl_put32(b + 32, 0);
	ctl_put32(b + 36, 0);
	test_check_eq("snap.begin.ok", snap_begin(b), CTL_OK);
	uint32_t id = ctl_get32(fvcp_payload());
	uint64_t total = ctl_get64(fvcp_payload() + 8);
	printf("snap_test: snapshot of calc at round %u: id %u, %lu bytes\n", calc_round, id,
	       (unsigned long)total);
	test_check(total > 128 && total <= SNAP_MAX, "snap.begin.size");
	uint32_t count;
	test_check_eq("snap.begin.paused", fvcp_list_state(CALC, NULL, &count), CTL_VM_PAUSED);
	test_check_eq("snap.begin.busy", fvcp_call(CTL_T_SNAP_BEGIN, b, 40), CTL_E_BUSY);
	fvcp_put_name(b, "svc");
	test_check_eq("snap.begin.self", fvcp_call(CTL_T_SNAP_BEGIN, b, 40), CTL_E_PERMISSION);
	fvcp_put_name(b, "nosuch");
	test_check_eq("snap.begin.no_vm", fvcp_call(CTL_T_SNAP_BEGIN, b, 40), CTL_E_NO_VM);
	fvcp_put_name(b, CALC);
	ctl_put32(b + 36, 1);
	test_check_eq("snap.begin.reserved", fvcp_call(CTL_T_SNAP_BEGIN, b, 40), CTL_E_BAD_FIELD);
	test_check_eq("snap.read.wrong_id", snap_read(id + 1, 4096, 0), CTL_E_NO_UPLOAD);
	test_check_eq("snap.read.zero_max", snap_read(id, 0, 0), CTL_E_BAD_FIELD);
	test_check_eq("snap.read.too_big", snap_read(id, CTL_SNAP_CHUNK + 1, 0), CTL_E_BAD_FIELD);
	test_check_eq("snap.read.skip_ahead", snap_read(id, 4096, 100), CTL_E_SEQUENCE);
	uint64_t off = 0;
	unsigned reads = 0;
	bool ok = true;
	while (off < total && ok) {
		ok = snap_read(id, CTL_SNAP_CHUNK, off) == CTL_OK && fvcp_last()->len > 0 &&
		     off + fvcp_last()->len <= total;
		for (uint32_t i = 0; ok && i < fvcp_last()->len; i++)
			snap[off + i] = fvcp_payload()[i];
		off += fvcp_last()->len;
		reads++;
	}
	test_check(ok && off == total, "snap.read.all");
	test_check(reads > 2, "snap.read.pieces");
	test_check(snap_read(id, 4096, off) == CTL_OK && fvcp_last()->len == 0, "snap.read.end");
	test_check_eq("snap.read.rewind", snap_read(id, 4096, 0), CTL_E_SEQUENCE);
	test_check_eq("snap.end.bad_flags", id_flags(CTL_T_SNAP_END, id, 2), CTL_E_BAD_FIELD);
	test_check_eq("snap.end.ok", id_flags(CTL_T_SNAP_END, id, 0), CTL_OK);
	test_check_eq("snap.end.closed", id_flags(CTL_T_SNAP_END, id, 0), CTL_E_NO_UPLOAD);
	test_check_eq("snap.end.left_paused", fvcp_list_state(CALC, NULL, &count), CTL_VM_PAUSED);
	snap_len = (uint32_t)off;
}

/* Print the snapshot as base64 lines for the host (57 bytes a line). */
static void dump_base64(void)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char line[80];
	for (uint32_t off = 0; off < snap_len; off += 57) {
		uint32_t n = snap_len - off < 57 ? snap_len - off : 57, o = 0;
		for (uint32_t i = 0; i < n; i += 3) {
			uint32_t v = (uint32_t)snap[off + i] << 16;
			if (i + 1 < n)
				v |= (uint32_t)snap[off + i + 1] << 8;
			if (i + 2 < n)
				v |= snap[off + i + 2];
			line[o++] = tab[(v >> 18) & 63];
			line[o++] = tab[(v >> 12) & 63];
			line[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
			line[o++] = i + 2 < n ? tab[v & 63] : '=';
		}
		line[o] = 0;
		printf("SNAPB64 %s\n", line);
	}
	printf("SNAPEND %u\n", snap_len);
}

/*
 * Restore @n bytes of @s as @name in pieces; the status of the first refusal
 * (BEGIN, a DATA, or COMMIT), CTL_OK when committed.
 */
static long restore(const uint8_t *s, uint32_t n, uint64_t announced, const char *name,
                    uint32_t flags)
{
	static uint8_t b[CTL_MAX_PAYLOAD];
	fvcp_put_name(b, name);
	ctl_put64(b + 32, announced);
	long st = fvcp_call(CTL_T_RESTORE_BEGIN, b, 40);
	if (st != CTL_OK)
		return st;
	uint32_t id = ctl_get32(fvcp_payload());
	for (uint32_t off = 0; off < n; off += PIECE) {
		uint32_t k = n - off < PIECE ? n - off : PIECE;
		ctl_put32(b, id);
		ctl_put32(b + 4, 0);
		ctl_put64(b + 8, off);
		for (uint32_t i = 0; i < k; i++)
			b[16 + i] = s[off + i];
		st = fvcp_call(CTL_T_RESTORE_DATA, b, 16 + k);
		if (st != CTL_OK)
			return st;
	}
	return id_flags(CTL_T_RESTORE_COMMIT, id, flags);
}

/* After a refused restore: no VM of that name, the VM count and free memory as before. */
static void check_clean(const char *what, const char *name, uint32_t count0, uint64_t free0)
{
	char n1[64], n2[64], n3[64];
	snprintf(n1, sizeof(n1), "snap.restore.%s.no_vm", what);
	snprintf(n2, sizeof(n2), "snap.restore.%s.vm_count", what);
	snprintf(n3, sizeof(n3), "snap.restore.%s.memory_back", what);
	uint32_t count = 0;
	long st = 0;
	uint64_t until = plat_now() + plat_ms_to_ticks(3000);
	/* The half-made VM is reaped on the hypervisor's tick: give it a moment. */
	do {
		fvcp_pump(20);
		st = fvcp_list_state(name, NULL, &count);
	} while ((st != -1 || count != count0 || fvcp_host_free() != free0) && plat_now() < until);
	test_check_eq(n1, st, -1);
	test_check_eq(n2, count, count0);
	test_check_eq(n3, fvcp_host_free(), free0);
}

static void suite_refused(void)
{
	uint32_t count0;
	(void)fvcp_list_state(CALC, NULL, &count0);
	uint64_t free0 = fvcp_host_free();
	printf("snap_test: %u VMs, %lu KiB free before the refused restores\n", count0,
	       (unsigned long)(free0 >> 10));
	/* A flipped byte deep in the RAM sections: the section's CRC refuses it. */
	uint32_t at = snap_len - 3000;
	snap[at] ^= 0x20;
	test_check_eq("snap.restore.flipped_ram", restore(snap, snap_len, snap_len, "bad1", 0),
	              CTL_E_UPLOAD_CRC);
	snap[at] ^= 0x20;
	check_clean("flipped_ram", "bad1", count0, free0);
	/* A flipped header byte: refused on the first piece. */
	snap[40] ^= 1;
	test_check_eq("snap.restore.flipped_header", restore(snap, snap_len, snap_len, "bad2", 0),
	              CTL_E_UPLOAD_CRC);
	snap[40] ^= 1;
	check_clean("flipped_header", "bad2", count0, free0);
	/* Truncated: all the bytes announced arrive, but END never does. */
	test_check_eq("snap.restore.truncated",
	              restore(snap, snap_len - 100, snap_len - 100, "bad3", 0), CTL_E_BAD_FIELD);
	check_clean("truncated", "bad3", count0, free0);
	/* More bytes than announced, a name in use, out-of-order data, abort. */
	test_check_eq("snap.restore.past_size", restore(snap, snap_len, snap_len - 100, "bad4", 0),
	              CTL_E_UPLOAD_SIZE);
	uint32_t id = ctl_get32(fvcp_payload());
	(void)id;
	uint8_t b[40];
	fvcp_put_name(b, "bad5");
	ctl_put64(b + 32, snap_len);
	test_check_eq("snap.restore.one_at_a_time", fvcp_call(CTL_T_RESTORE_BEGIN, b, 40),
	              CTL_E_BUSY);
	/* The open restore (bad4) is abandoned by ABORT with the id RESTORE_BEGIN gave. */
	test_check_eq("snap.restore.abort_wrong_id", id_flags(CTL_T_RESTORE_ABORT, 0x7fffffff, 0),
	              CTL_E_NO_UPLOAD);
	uint32_t open_id = 0;
	for (uint32_t guess = 1; guess < 64 && !open_id; guess++)
		if (id_flags(CTL_T_RESTORE_ABORT, guess, 0) == CTL_OK)
			open_id = guess;
	test_check(open_id != 0, "snap.restore.abort");
	check_clean("abort", "bad4", count0, free0);
	fvcp_put_name(b, CALC);
	test_check_eq("snap.restore.name_taken", fvcp_call(CTL_T_RESTORE_BEGIN, b, 40),
	              CTL_E_BAD_STATE);
	fvcp_put_name(b, "bad6");
	ctl_put64(b + 32, 16);
	test_check_eq("snap.restore.too_small", fvcp_call(CTL_T_RESTORE_BEGIN, b, 40),
	              CTL_E_BAD_FIELD);
}

static bool wait_round(unsigned r, uint64_t ms)
{
	uint64_t end = plat_now() + plat_ms_to_ticks(ms);
	while (calc_round < r && plat_now() < end)
		fvcp_pump(20);
	return calc_round >= r;
}

static void run_first(void)
{
	test_check_eq("snap.attach", fvcp_call_vm(CTL_T_CONSOLE_ATTACH, CALC), CTL_OK);
	test_check(wait_round(3, 120000), "snap.calc.progress");
	suite_save();
	/* The refused-restore cases edit the snapshot: without one there is nothing to test. */
	if (snap_len < 4096)
		test_abort("no snapshot of calc was read");
	suite_refused();
	uint32_t count;
	test_check_eq("snap.destroy", fvcp_call_vm(CTL_T_VM_DESTROY, CALC), CTL_OK);
	uint64_t until = plat_now() + plat_ms_to_ticks(3000);
	while (fvcp_list_state(CALC, NULL, &count) != -1 && plat_now() < until)
		fvcp_pump(20);
	test_check_eq("snap.destroy.gone", fvcp_list_state(CALC, NULL, &count), -1);
	test_check_eq("snap.restore.ok",
	              restore(snap, snap_len, snap_len, "calc2", CTL_SNAP_RESUME), CTL_OK);
	test_check(fvcp_last()->len == LIST_SIZE && fvcp_name_is(fvcp_payload() + 56, "calc2"),
	           "snap.restore.entry");
	test_check_eq("snap.restore.running", ctl_get32(fvcp_payload() + 4), CTL_VM_RUNNING);
	test_check_eq("snap.restore.vcpus", ctl_get32(fvcp_payload() + 8), 2);
	dump_base64();
}

/* Save VM @name into snap[] (no checks); its size, 0 on failure. */
static uint32_t save_quiet(const char *name)
{
	uint8_t b[40];
	fvcp_put_name(b, name);
	ctl_put64(b + 32, 0);
	if (snap_begin(b) != CTL_OK)
		return 0;
	uint32_t id = ctl_get32(fvcp_payload());
	uint64_t total = ctl_get64(fvcp_payload() + 8), off = 0;
	while (off < total && total <= SNAP_MAX && snap_read(id, CTL_SNAP_CHUNK, off) == CTL_OK &&
	       fvcp_last()->len > 0) {
		for (uint32_t i = 0; i < fvcp_last()->len; i++)
			snap[off + i] = fvcp_payload()[i];
		off += fvcp_last()->len;
	}
	(void)id_flags(CTL_T_SNAP_END, id, CTL_SNAP_RESUME);
	return off == total ? (uint32_t)off : 0;
}

/*
 * Benchmark mode (bootargs "bench", bench/fvbench/snap.py): each VM f4, f16 that exists
 * is saved and restored (as f4r, f16r) once its RAM is filled; one JSON line each with
 * the stream size and the time of the save and of the restore in microseconds.
 */
static void run_bench(void)
{
	static const char *const vms[] = {"f4", "f16"};
	uint64_t hz = plat_ms_to_ticks(1000);
	for (unsigned i = 0; i < 2; i++)
		(void)fvcp_call_vm(CTL_T_CONSOLE_ATTACH, vms[i]);
	uint64_t until = plat_now() + plat_ms_to_ticks(60000);
	while (filled < 2 && plat_now() < until)
		fvcp_pump(20);
	for (unsigned i = 0; i < 2; i++) {
		char rname[16];
		snprintf(rname, sizeof(rname), "%sr", vms[i]);
		uint64_t t0 = plat_now();
		uint32_t n = save_quiet(vms[i]);
		uint64_t t1 = plat_now();
		long st = n ? restore(snap, n, n, rname, 0) : -1;
		uint64_t t2 = plat_now();
		if (!n || st != CTL_OK) {
			printf(
			    "{\"bench\":\"snap\",\"vm\":\"%s\",\"error\":\"save %u bytes, restore "
			    "%ld\"}\n",
			    vms[i], n, st);
			continue;
		}
		printf("{\"bench\":\"snap\",\"vm\":\"%s\",\"bytes\":%u,\"save_us\":%lu,"
		       "\"restore_us\":%lu}\n",
		       vms[i], n, (unsigned long)((t1 - t0) * 1000000 / hz),
		       (unsigned long)((t2 - t1) * 1000000 / hz));
		(void)fvcp_call_vm(CTL_T_VM_DESTROY, rname);
	}
	printf("{\"bench\":\"snap\",\"done\":true}\n");
}

/* Second run: the initrd is a snapshot of the first run; restore it as calc3. */
static void run_second(const uint8_t *s, uint32_t n)
{
	test_check_eq("snap.restore_file.ok", restore(s, n, n, "calc3", CTL_SNAP_RESUME), CTL_OK);
	test_check(fvcp_last()->len == LIST_SIZE && fvcp_name_is(fvcp_payload() + 56, "calc3"),
	           "snap.restore_file.entry");
}

void snap_test_run(unsigned long dtb, uint64_t ctl_base)
{
	if (!fvcp_init(ctl_base, on_event, NULL, 5000))
		test_abort("control channel: no running virtio-console");
	uint8_t h[40] = {0};
	ctl_put16(h, 1);
	ctl_put16(h + 2, 1);
	ctl_put32(h + 4, CTL_MAX_FRAME);
	fvcp_put_name(h + 8, "snap_test");
	test_check_eq("snap.hello", fvcp_call(CTL_T_HELLO, h, 40), CTL_OK);
	uint32_t l1 = 0, l2 = 0;
	const uint8_t *ps = fdt_get_prop(dtb, "chosen", "linux,initrd-start", &l1);
	const uint8_t *pe = fdt_get_prop(dtb, "chosen", "linux,initrd-end", &l2);
	uint64_t start = 0, end = 0;
	for (uint32_t i = 0; ps && i < l1; i++)
		start = start << 8 | ps[i];
	for (uint32_t i = 0; pe && i < l2; i++)
		end = end << 8 | pe[i];
	uint32_t bl = 0;
	const char *args = fdt_get_prop(dtb, "chosen", "bootargs", &bl);
	if (args && bl >= 5 && args[0] == 'b' && args[1] == 'e' && args[2] == 'n' &&
	    args[3] == 'c' && args[4] == 'h')
		run_bench();
	else if (ps && pe && end > start)
		run_second((const uint8_t *)(uintptr_t)start, (uint32_t)(end - start));
	else
		run_first();
	test_finish();
}
