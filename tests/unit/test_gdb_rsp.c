/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for the gdb stub: RSP framing (hyp/core/gdb_rsp.c:
 * checksums, escapes, run-length, bad packets) and the command layer
 * (hyp/core/gdb_stub.c) against a fake target.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/gdb_rsp.h"
#include "core/gdb_stub.h"
#include "lib/fv_err.h"

static enum gdb_rsp_event feed_str(struct gdb_rsp *r, const char *s, size_t n)
{
	enum gdb_rsp_event ev = GDB_RSP_NONE;
	for (size_t i = 0; i < n; i++) {
		enum gdb_rsp_event e = gdb_rsp_feed(r, (uint8_t)s[i]);
		if (e != GDB_RSP_NONE)
			ev = e;
	}
	return ev;
}

static void test_checksum_good_and_bad(void **state)
{
	(void)state;
	struct gdb_rsp r;
	gdb_rsp_init(&r);
	assert_int_equal(feed_str(&r, "$g#67", 5), GDB_RSP_PACKET);
	assert_string_equal((char *)r.buf, "g");
	assert_int_equal(feed_str(&r, "$g#68", 5), GDB_RSP_BAD);
	assert_int_equal(feed_str(&r, "$g#6z", 5), GDB_RSP_BAD);
	assert_int_equal(feed_str(&r, "$?#3F", 5), GDB_RSP_PACKET); /* upper-case digits */
	assert_int_equal(feed_str(&r, "+", 1), GDB_RSP_ACK);
	assert_int_equal(feed_str(&r, "-", 1), GDB_RSP_NAK);
	assert_int_equal(feed_str(&r, "\x03", 1), GDB_RSP_INTERRUPT);
	/* Noise between packets is ignored; a `$` inside a packet restarts it. */
	assert_int_equal(feed_str(&r, "xyz", 3), GDB_RSP_NONE);
	assert_int_equal(feed_str(&r, "$ab$", 4), GDB_RSP_BAD);
	assert_int_equal(feed_str(&r, "g#67", 4), GDB_RSP_PACKET);
}

static void test_escape_and_runs(void **state)
{
	(void)state;
	struct gdb_rsp r;
	uint8_t out[64];
	gdb_rsp_init(&r);
	/* Encoder escapes $ # } * and compresses runs; the decoder undoes both. */
	const uint8_t payload[] = {'a', '$', '#', '}', '*', '0', '0', '0', '0', '0', '0', '0', '0'};
	size_t n = gdb_rsp_encode(payload, sizeof(payload), out, sizeof(out));
	assert_true(n > 0);
	assert_memory_equal(out,
	                    "$a}\x04}\x03}]}\x0a"
	                    "0*",
	                    12);
	assert_int_equal(feed_str(&r, (const char *)out, n), GDB_RSP_PACKET);
	assert_int_equal(r.len, sizeof(payload));
	assert_memory_equal(r.buf, payload, sizeof(payload));
	/* Runs of 6 or 7 repeats would need `#`/`$` as the count: never emitted. */
	uint8_t seven[8];
	memset(seven, 'x', sizeof(seven));
	n = gdb_rsp_encode(seven, sizeof(seven), out, sizeof(out));
	for (size_t i = 1; i + 3 < n; i++)
		assert_true(out[i] != '#' && out[i] != '$');
	assert_int_equal(feed_str(&r, (const char *)out, n), GDB_RSP_PACKET);
	assert_int_equal(r.len, 8);
	/* A run without a byte before it, or with a count below 3, is malformed. */
	assert_int_equal(feed_str(&r, "$*!#0b", 6), GDB_RSP_BAD);
	assert_int_equal(feed_str(&r, "$a*\x1e#00", 7), GDB_RSP_BAD);
	/* A packet ending in a lone escape is malformed. */
	assert_int_equal(feed_str(&r, "$a}#de", 6), GDB_RSP_BAD);
	/* Too small an output buffer: 0, no overflow. */
	assert_int_equal(gdb_rsp_encode(payload, sizeof(payload), out, 6), 0);
}

static void test_overlong_packet(void **state)
{
	(void)state;
	static struct gdb_rsp r;
	gdb_rsp_init(&r);
	assert_int_equal(gdb_rsp_feed(&r, '$'), GDB_RSP_NONE);
	uint8_t sum = 0;
	for (int i = 0; i < GDB_RSP_MAX + 10; i++) {
		gdb_rsp_feed(&r, 'A');
		sum = (uint8_t)(sum + 'A');
	}
	char tail[4];
	snprintf(tail, sizeof(tail), "#%02x", sum);
	assert_int_equal(feed_str(&r, tail, 3), GDB_RSP_BAD);
	/* A run that expands past the buffer is refused too. */
	gdb_rsp_init(&r);
	gdb_rsp_feed(&r, '$');
	sum = 0;
	for (int i = 0; i < 100; i++) {
		const char *p = "a*~";
		for (int k = 0; k < 3; k++) {
			gdb_rsp_feed(&r, (uint8_t)p[k]);
			sum = (uint8_t)(sum + p[k]);
		}
	}
	snprintf(tail, sizeof(tail), "#%02x", sum);
	assert_int_equal(feed_str(&r, tail, 3), GDB_RSP_BAD);
}

static void test_hex_helpers(void **state)
{
	(void)state;
	const char *p = "80200000,10";
	uint64_t v;
	assert_true(gdb_hex_u64(&p, &v));
	assert_int_equal(v, 0x80200000);
	assert_int_equal(*p, ',');
	p = "11112222333344445";
	assert_false(gdb_hex_u64(&p, &v)); /* 17 digits overflow */
	p = ",";
	assert_false(gdb_hex_u64(&p, &v));
	char out[17];
	gdb_hex_le(0x1122334455667788ULL, 8, out);
	assert_string_equal(out, "8877665544332211");
	uint8_t b[2];
	assert_true(gdb_hex_decode("a0Ff", b, 2));
	assert_int_equal(b[0], 0xa0);
	assert_int_equal(b[1], 0xff);
	assert_false(gdb_hex_decode("a0g0", b, 2));
}

/* --- fake target --- */

static char sent[16384];
static size_t sent_len;
static uint64_t regs[2][70];
static uint8_t mem[0x100];
static int resumed = -3, halts, detaches, points;

static unsigned f_nr(void *c)
{
	(void)c;
	return 2;
}
static int f_reg_read(void *c, unsigned tid, unsigned r, uint64_t *v, unsigned *size)
{
	(void)c;
	if (r >= 70)
		return -FV_ENOENT;
	*v = regs[tid][r];
	*size = r >= 66 && r <= 68 ? 4 : 8;
	return 0;
}
static int f_reg_write(void *c, unsigned tid, unsigned r, uint64_t v)
{
	(void)c;
	if (r >= 70)
		return -FV_ENOENT;
	regs[tid][r] = v;
	return 0;
}
static int f_mem_read(void *c, unsigned tid, uint64_t a, uint8_t *buf, size_t len, bool phys)
{
	(void)c;
	(void)tid;
	(void)phys;
	if (a < 0x1000 || a + len > 0x1000 + sizeof(mem))
		return -FV_EFAULT;
	memcpy(buf, mem + (a - 0x1000), len);
	return 0;
}
static int f_mem_write(void *c, unsigned tid, uint64_t a, const uint8_t *buf, size_t len, bool phys)
{
	(void)c;
	(void)tid;
	(void)phys;
	if (a < 0x1000 || a + len > 0x1000 + sizeof(mem))
		return -FV_EFAULT;
	memcpy(mem + (a - 0x1000), buf, len);
	return 0;
}
static int f_point(void *c, unsigned tid, unsigned type, uint64_t a, uint64_t kind, bool ins)
{
	(void)c;
	(void)tid;
	(void)a;
	(void)kind;
	if (type > 1)
		return -FV_ENOTSUP;
	points += ins ? 1 : -1;
	return 0;
}
static void f_resume(void *c, int step, bool stepping)
{
	(void)c;
	(void)stepping;
	resumed = step;
}
static void f_halt(void *c)
{
	(void)c;
	halts++;
}
static void f_detach(void *c)
{
	(void)c;
	detaches++;
}
static void f_send(void *c, const uint8_t *buf, size_t len)
{
	(void)c;
	if (sent_len + len < sizeof(sent)) {
		memcpy(sent + sent_len, buf, len);
		sent_len += len;
		sent[sent_len] = 0;
	}
}
static void f_info(void *c, unsigned tid, char *buf, size_t len)
{
	(void)c;
	snprintf(buf, len, "vCPU %u", tid);
}

static const struct gdb_stub_ops fake = {
    .nr_threads = f_nr,
    .reg_read = f_reg_read,
    .reg_write = f_reg_write,
    .mem_read = f_mem_read,
    .mem_write = f_mem_write,
    .point = f_point,
    .resume = f_resume,
    .halt = f_halt,
    .detach = f_detach,
    .send = f_send,
    .thread_info = f_info,
    .target_xml = "<target>xml</target>",
};

static struct gdb_stub stub;

/* Send one packet; return the payload of the reply packet (acks stripped). */
static const char *ask(const char *payload)
{
	uint8_t frame[8192];
	size_t n = gdb_rsp_encode((const uint8_t *)payload, strlen(payload), frame, sizeof(frame));
	sent_len = 0;
	sent[0] = 0;
	gdb_stub_input(&stub, frame, n);
	/* Decode the reply as gdb would (run-length, escapes). */
	static struct gdb_rsp dec;
	gdb_rsp_init(&dec);
	for (size_t i = 0; i < sent_len; i++)
		if (gdb_rsp_feed(&dec, (uint8_t)sent[i]) == GDB_RSP_PACKET && sent[i + 1] == 0)
			return (const char *)dec.buf;
	/* Several packets (console output first): the last one is the reply. */
	gdb_rsp_init(&dec);
	const char *last = NULL;
	for (size_t i = 0; i < sent_len; i++)
		if (gdb_rsp_feed(&dec, (uint8_t)sent[i]) == GDB_RSP_PACKET)
			last = (const char *)dec.buf;
	return last;
}

static void halted_stub(void)
{
	gdb_stub_init(&stub, &fake, NULL);
	halts = 0;
	assert_null(ask("?")); /* running: halt requested, no reply yet */
	assert_int_equal(halts, 1);
	sent_len = 0;
	gdb_stub_stopped(&stub, 1, GDB_SIGINT, "");
	assert_string_equal(sent, "$T02thread:2;#d5");
}

static void test_stub_session(void **state)
{
	(void)state;
	halts = 0;
	halted_stub();
	assert_string_equal(ask("?"), "T02thread:2;");
	assert_non_null(strstr(ask("qSupported:multiprocess+"), "qXfer:features:read+"));
	assert_string_equal(ask("qfThreadInfo"), "m1,2");
	assert_string_equal(ask("qsThreadInfo"), "l");
	assert_string_equal(ask("qC"), "QC2");
	assert_string_equal(ask("qXfer:features:read:target.xml:0,5"), "m<targ");
	assert_string_equal(ask("qXfer:features:read:target.xml:5,100"), "let>xml</target>");
	assert_string_equal(ask("qXfer:features:read:target.xml:100,5"), "l");
	assert_string_equal(ask("Hg1"), "OK");
	regs[0][1] = 0x1122;
	regs[0][32] = 0x80200000;
	const char *g = ask("g");
	assert_int_equal(strlen(g), 33 * 16);
	assert_memory_equal(g + 16, "2211000000000000", 16);
	assert_string_equal(ask("p20"), "0000208000000000");
	assert_string_equal(ask("P20=0400208000000000"), "OK");
	assert_int_equal(regs[0][32], 0x80200004);
	assert_string_equal(ask("p44"), "00000000"); /* fcsr: 4 bytes */
	assert_string_equal(ask("p1000"), "E01");
	assert_string_equal(ask("Hg3"), "E01"); /* no such thread */
	assert_string_equal(ask("T2"), "OK");
	assert_string_equal(ask("T9"), "E01");
	assert_string_equal(ask("M1000,2:abcd"), "OK");
	assert_string_equal(ask("m1000,2"), "abcd");
	assert_string_equal(ask("m0,4"), "E14");
	assert_string_equal(ask("m1000,100000"), "E01"); /* beyond GDB_MEM_MAX */
	assert_string_equal(ask("M1000,2:abc"), "E01");
	assert_string_equal(ask("Z0,1000,4"), "OK");
	assert_int_equal(points, 1);
	assert_string_equal(ask("z0,1000,4"), "OK");
	assert_string_equal(ask("Z2,1000,4"), ""); /* not offered */
	assert_string_equal(ask("Z9,1000,4"), "E01");
	assert_string_equal(ask("qRcmd,67706120313030302034"), "OK"); /* "gpa 1000 4" */
	assert_non_null(strstr(sent, "$O")); /* the dump came as console output first */
	assert_string_equal(ask("vCont?"), "vCont;c;C;s;S");
	assert_string_equal(ask("xyz"), "");
	/* Step one thread: only it runs; the stop reply names it. */
	assert_null(ask("vCont;s:2;c"));
	assert_int_equal(resumed, 1);
	assert_string_equal(ask("g"), "E01"); /* running */
	sent_len = 0;
	gdb_stub_stopped(&stub, 1, GDB_SIGTRAP, "");
	assert_non_null(strstr(sent, "T05thread:2;"));
	assert_null(ask("c"));
	assert_int_equal(resumed, -1);
	gdb_stub_stopped(&stub, 0, GDB_SIGTRAP, "");
	/* gdb's software single step: continue one thread only. */
	assert_null(ask("vCont;c:2"));
	assert_int_equal(resumed, 1);
	gdb_stub_stopped(&stub, 1, GDB_SIGTRAP, "");
	assert_null(ask("vCont;c:1;c"));
	assert_int_equal(resumed, -1);
	/* Ctrl-C while running asks for a halt; SIGINT stop reply follows. */
	sent_len = 0;
	halts = 0;
	gdb_stub_input(&stub, (const uint8_t *)"\x03", 1);
	assert_int_equal(halts, 1);
	gdb_stub_stopped(&stub, 0, -1, "");
	assert_non_null(strstr(sent, "T02thread:1;"));
	assert_string_equal(ask("D"), "OK");
	assert_int_equal(detaches, 1);
}

static void test_stub_noack_and_nak(void **state)
{
	(void)state;
	halted_stub();
	/* With acks: every good packet is acknowledged, a bad one gets `-`. */
	ask("qC");
	assert_int_equal(sent[0], '+');
	sent_len = 0;
	gdb_stub_input(&stub, (const uint8_t *)"$qC#00", 6);
	assert_string_equal(sent, "-");
	/* `-` retransmits the last reply. */
	ask("qC");
	static char last[sizeof(sent)];
	memcpy(last, sent + 1, sent_len);
	sent_len = 0;
	gdb_stub_input(&stub, (const uint8_t *)"-", 1);
	assert_string_equal(sent, last);
	assert_string_equal(ask("QStartNoAckMode"), "OK");
	ask("qC");
	assert_int_equal(sent[0], '$');
	/* A new session (qSupported) starts acknowledging again. */
	ask("qSupported");
	assert_int_equal(sent[0], '+');
}

static void test_stub_hostile_packets(void **state)
{
	(void)state;
	halted_stub();
	static const char *bad[] = {
	    "m",
	    "m,",
	    "m1000",
	    "m1000,",
	    "mffffffffffffffffff,1",
	    "M1000,1",
	    "M1000,1:",
	    "M1000,1:zz",
	    "X1000,4:ab",
	    "p",
	    "P",
	    "P1=",
	    "P1=123",
	    "P1=112233445566778899",
	    "G00",
	    "H",
	    "Hx1",
	    "Hgp",
	    "Z",
	    "Z0",
	    "Z0,",
	    "Z0,1000",
	    "z0,1000,",
	    "c1000",
	    "Cxx",
	    "vCont;x",
	    "vCont;s:99",
	    "qXfer:features:read:other.xml:0,10",
	    "qXfer:features:read:target.xml:",
	    "qRcmd,6",
	    "qRcmd,zz",
	    "qThreadExtraInfo,9",
	    "T",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *r = ask(bad[i]);
		assert_non_null(r);
		assert_true(r[0] == 'E' || r[0] == 0);
	}
	/* Binary X with escaped bytes: exact length after unescaping. */
	const uint8_t x[] = {'X', '1', '0', '0', '0', ',', '2', ':', '#', '}'};
	uint8_t frame[64];
	size_t n = gdb_rsp_encode(x, sizeof(x), frame, sizeof(frame));
	sent_len = 0;
	gdb_stub_input(&stub, frame, n);
	assert_non_null(strstr(sent, "$OK#"));
	assert_int_equal(mem[0], '#');
	assert_int_equal(mem[1], '}');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checksum_good_and_bad), cmocka_unit_test(test_escape_and_runs),
	    cmocka_unit_test(test_overlong_packet),       cmocka_unit_test(test_hex_helpers),
	    cmocka_unit_test(test_stub_session),          cmocka_unit_test(test_stub_noack_and_nak),
	    cmocka_unit_test(test_stub_hostile_packets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
