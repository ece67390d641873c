// SPDX-License-Identifier: MIT
/*
 * fv-cpucheck: what a Linux user-mode program sees of the CPU. Run natively
 * (Linux on OpenSBI) and in a Ferrovisor VM with the same kernel, the
 * output must be identical (tests/integration/test_guest_isa.py): every
 * line is a value, never a timing, and an instruction the hart or the
 * kernel does not allow prints "trap" (caught SIGILL) instead of a value.
 *
 * Static riscv64 Linux program (riscv64-linux-gnu-gcc -static). Instructions
 * GCC 12 / binutils 2.40 do not know are written with .insn.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- SIGILL guard: run a check, report "trap" if it raised SIGILL ---- */

static sigjmp_buf trap_jmp;
static volatile sig_atomic_t trap_armed, trap_hit;

static void on_sigill(int sig)
{
	(void)sig;
	if (!trap_armed)
		_exit(99);
	trap_hit = 1;
	siglongjmp(trap_jmp, 1);
}

/*
 * GUARD(name) { body that prints a result }: runs body once; if it raised
 * SIGILL, prints "<name>: trap" instead of whatever body had left to print.
 */
#define GUARD(name)                                                                                \
	for (int guard_once_ = begin_guard(); guard_once_; guard_once_ = end_guard(name))          \
		if (sigsetjmp(trap_jmp, 1) == 0)

static int begin_guard(void)
{
	fflush(stdout);
	trap_hit = 0;
	trap_armed = 1;
	return 1;
}

static int end_guard(const char *name)
{
	trap_armed = 0;
	if (trap_hit)
		printf("%s: trap\n", name);
	return 0;
}

/* ---- /proc/cpuinfo and hwprobe ---- */

/* The cpuinfo lines that describe the ISA, once per hart. */
static void print_cpuinfo(void)
{
	static const char *const keys[] = {"processor", "hart\t",    "isa",     "hart isa",
	                                   "mmu",       "mvendorid", "marchid", "mimpid"};
	char line[2048];
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f) {
		printf("cpuinfo: unreadable\n");
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strncmp(line, keys[i], strlen(keys[i])) == 0) {
				printf("cpuinfo: %s", line);
				break;
			}
		}
	}
	fclose(f);
}

struct hwprobe_pair {
	int64_t key;
	uint64_t value;
};

#define NR_riscv_hwprobe  258
#define HWPROBE_IMA_EXT_0 4
#define HWPROBE_ZICBOZ_BS 6

/* One key over all online CPUs; -1 = the kernel does not know it (or no hwprobe). */
static int hwprobe(int64_t key, uint64_t *value)
{
	struct hwprobe_pair p = {key, 0};

	if (syscall(NR_riscv_hwprobe, &p, 1, 0, NULL, 0) != 0 || p.key < 0)
		return -1;
	*value = p.value;
	return 0;
}

/* RISCV_HWPROBE_IMA_* / EXT_* bits of key 4, as Linux's uapi numbers them. */
static const char *const ima_bits[] = {
    "fd",     "c",      "v",      "zba",    "zbb",         "zbs",       "zicboz",   "zbc",
    "zbkb",   "zbkc",   "zbkx",   "zknd",   "zkne",        "zknh",      "zksed",    "zksh",
    "zkt",    "zvbb",   "zvbc",   "zvkb",   "zvkg",        "zvkned",    "zvknha",   "zvknhb",
    "zvksed", "zvksh",  "zvkt",   "zfh",    "zfhmin",      "zihintntl", "zvfh",     "zvfhmin",
    "zfa",    "ztso",   "zacas",  "zicond", "zihintpause", "zve32x",    "zve32f",   "zve64x",
    "zve64f", "zve64d", "zimop",  "zca",    "zcb",         "zcd",       "zcf",      "zcmop",
    "zawrs",  "supm",   "zicntr", "zihpm",  "zfbfmin",     "zvfbfmin",  "zvfbfwma", "zicbom",
    "zaamo",  "zalrsc", "zabha",  "zalasr", "zicbop",      "zilsd",     "zclsd",
};

static uint64_t ima_ext;

static bool advertised(const char *ext)
{
	for (size_t i = 0; i < sizeof(ima_bits) / sizeof(ima_bits[0]); i++) {
		if (strcmp(ima_bits[i], ext) == 0)
			return (ima_ext >> i) & 1;
	}
	return false;
}

static void print_hwprobe(void)
{
	uint64_t v;

	for (int64_t key = 0; key < 24; key++) {
		if (hwprobe(key, &v) == 0)
			printf("hwprobe: key %lld = 0x%llx\n", (long long)key,
			       (unsigned long long)v);
		else
			printf("hwprobe: key %lld unknown\n", (long long)key);
	}
	if (hwprobe(HWPROBE_IMA_EXT_0, &ima_ext) != 0)
		ima_ext = 0;
	printf("hwprobe: ima_ext_0 =");
	for (unsigned i = 0; i < 64; i++) {
		if (!((ima_ext >> i) & 1))
			continue;
		if (i < sizeof(ima_bits) / sizeof(ima_bits[0]))
			printf(" %s", ima_bits[i]);
		else
			printf(" bit%u", i);
	}
	printf("\n");
}

/* ---- counters (Zicntr, Zihpm) ---- */

static void check_counters(void)
{
	uint64_t a, b;

	GUARD("counter time")
	{
		__asm__ volatile("rdtime %0" : "=r"(a));
		for (int i = 0; i < 100000; i++)
			__asm__ volatile("" ::: "memory");
		__asm__ volatile("rdtime %0" : "=r"(b));
		printf("counter time: %s\n", b > a ? "monotonic ok" : "not advancing");
	}
	GUARD("counter cycle")
	{
		__asm__ volatile("rdcycle %0" : "=r"(a));
		printf("counter cycle: readable\n");
	}
	GUARD("counter instret")
	{
		__asm__ volatile("rdinstret %0" : "=r"(a));
		printf("counter instret: readable\n");
	}
	GUARD("counter hpmcounter3")
	{
		__asm__ volatile("csrr %0, 0xc03" : "=r"(a));
		printf("counter hpmcounter3: readable\n");
	}
}

/* ---- F/D ---- */

static uint64_t dbits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof(u));
	return u;
}

static uint32_t fbits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof(u));
	return u;
}

static void set_frm(unsigned rm)
{
	__asm__ volatile("fsrm %0" : : "r"(rm));
}

static unsigned get_fflags(void)
{
	unsigned f;
	__asm__ volatile("frflags %0" : "=r"(f));
	return f;
}

static void clear_fflags(void)
{
	__asm__ volatile("fsflags x0");
}

static double div_d(double a, double b)
{
	double r;
	__asm__ volatile("fdiv.d %0, %1, %2, dyn" : "=f"(r) : "f"(a), "f"(b));
	return r;
}

static float div_s(float a, float b)
{
	float r;
	__asm__ volatile("fdiv.s %0, %1, %2, dyn" : "=f"(r) : "f"(a), "f"(b));
	return r;
}

static long cvt_w_d(double a)
{
	long r;
	__asm__ volatile("fcvt.l.d %0, %1, dyn" : "=r"(r) : "f"(a));
	return r;
}

static void check_fp(void)
{
	static const char *const rm_name[] = {"rne", "rtz", "rdn", "rup", "rmm"};
	volatile double x = 2.0, y = 3.0, z = 0.1;
	volatile float fx = 2.0f, fy = 3.0f;
	double r;
	float fr;

	r = x / y;
	printf("fp d div: %a 0x%016llx\n", r, (unsigned long long)dbits(r));
	__asm__ volatile("fsqrt.d %0, %1" : "=f"(r) : "f"(x));
	printf("fp d sqrt: %a 0x%016llx\n", r, (unsigned long long)dbits(r));
	__asm__ volatile("fmadd.d %0, %1, %2, %3" : "=f"(r) : "f"(z), "f"(y), "f"(x));
	printf("fp d fma: %a 0x%016llx\n", r, (unsigned long long)dbits(r));
	r = z * 3.0 - 0.3;
	printf("fp d mulsub: %a\n", r);
	fr = fx / fy;
	printf("fp s div: %a 0x%08x\n", (double)fr, fbits(fr));
	__asm__ volatile("fsqrt.s %0, %1" : "=f"(fr) : "f"(fx));
	printf("fp s sqrt: %a 0x%08x\n", (double)fr, fbits(fr));
	printf("fp cvt: %ld %ld %u\n", (long)(double)x * 7, (long)(y * -2.5),
	       (unsigned)(float)(fx * 1e9f));

	for (unsigned rm = 0; rm < 5; rm++) {
		set_frm(rm);
		double d1 = div_d(1.0, 3.0), d2 = div_d(-1.0, 3.0);
		float s1 = div_s(1.0f, 3.0f);
		long c1 = cvt_w_d(2.5), c2 = cvt_w_d(-2.5), c3 = cvt_w_d(3.5);
		set_frm(0);
		printf("fp frm %s: 1/3=0x%016llx -1/3=0x%016llx 1/3f=0x%08x "
		       "cvt(2.5,-2.5,3.5)=%ld,%ld,%ld\n",
		       rm_name[rm], (unsigned long long)dbits(d1), (unsigned long long)dbits(d2),
		       fbits(s1), c1, c2, c3);
	}

	struct {
		const char *name;
		double a, b;
	} flag_cases[] = {
	    {"1/3 (NX)", 1.0, 3.0},
	    {"1/0 (DZ)", 1.0, 0.0},
	    {"0/0 (NV)", 0.0, 0.0},
	    {"max/0.5 (OF)", 1.7976931348623157e308, 0.5},
	    {"min/3 (UF)", 2.2250738585072014e-308, 3.0},
	    {"4/2 (exact)", 4.0, 2.0},
	};
	for (size_t i = 0; i < sizeof(flag_cases) / sizeof(flag_cases[0]); i++) {
		clear_fflags();
		r = div_d(flag_cases[i].a, flag_cases[i].b);
		unsigned fl = get_fflags();
		printf("fp flags %s: result 0x%016llx fflags 0x%02x\n", flag_cases[i].name,
		       (unsigned long long)dbits(r), fl);
	}
	clear_fflags();
	unsigned fcsr;
	__asm__ volatile("frcsr %0" : "=r"(fcsr));
	printf("fp fcsr after clear: 0x%x\n", fcsr);

	/* Zfa: fli.d 1.0 (entry 16), fminm.d with a NaN (NaN-propagating, unlike fmin.d). */
	GUARD("fp zfa")
	{
		double one, m;
		volatile double nan = __builtin_nan("");
		__asm__ volatile(".insn r 0x53, 0, 0x79, %0, f16, f1" : "=f"(one));
		__asm__ volatile(".insn r 0x53, 2, 0x15, %0, %1, %2"
		                 : "=f"(m)
		                 : "f"(one), "f"(nan));
		printf("fp zfa: fli.d=0x%016llx fminm.d=0x%016llx\n",
		       (unsigned long long)dbits(one), (unsigned long long)dbits(m));
	}
}

/* ---- A, Zacas, Zabha, Zawrs ---- */

static void check_amo(void)
{
	static const uint64_t init = 0x8000000000000005ULL;
	volatile uint64_t mem;
	volatile uint32_t mem32;
	uint64_t old, v = 0x00000000000000f3ULL;
	uint32_t old32, v32 = 0xfffffff0U;

	/* LR/SC loop: add 1000 times 3. */
	mem = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t tmp, fail;
		__asm__ volatile("1: lr.d %0, (%2)\n"
		                 "   addi %0, %0, 3\n"
		                 "   sc.d %1, %0, (%2)\n"
		                 "   bnez %1, 1b\n"
		                 : "=&r"(tmp), "=&r"(fail)
		                 : "r"(&mem)
		                 : "memory");
	}
	printf("amo lr/sc loop: %llu\n", (unsigned long long)mem);

#define AMO_D(op)                                                                                  \
	do {                                                                                       \
		mem = init;                                                                        \
		__asm__ volatile(op ".d %0, %2, (%1)" : "=r"(old) : "r"(&mem), "r"(v) : "memory"); \
		printf("amo " op ".d: old 0x%016llx new 0x%016llx\n", (unsigned long long)old,     \
		       (unsigned long long)mem);                                                   \
	} while (0)
#define AMO_W(op)                                                                                  \
	do {                                                                                       \
		mem32 = (uint32_t)init;                                                            \
		__asm__ volatile(op ".w %0, %2, (%1)"                                              \
		                 : "=r"(old32)                                                     \
		                 : "r"(&mem32), "r"(v32)                                           \
		                 : "memory");                                                      \
		printf("amo " op ".w: old 0x%08x new 0x%08x\n", old32, mem32);                     \
	} while (0)
	AMO_D("amoswap");
	AMO_D("amoadd");
	AMO_D("amoxor");
	AMO_D("amoand");
	AMO_D("amoor");
	AMO_D("amomin");
	AMO_D("amomax");
	AMO_D("amominu");
	AMO_D("amomaxu");
	AMO_W("amoswap");
	AMO_W("amoadd");
	AMO_W("amoxor");
	AMO_W("amoand");
	AMO_W("amoor");
	AMO_W("amomin");
	AMO_W("amomax");
	AMO_W("amominu");
	AMO_W("amomaxu");

	/* Zacas: amocas.d/w, rd = expected in, old value out. Tried whatever hwprobe says. */
	printf("amo zacas advertised: %s\n", advertised("zacas") ? "yes" : "no");
	GUARD("amo amocas.d")
	{
		uint64_t exp = init;
		mem = init;
		__asm__ volatile(".insn r 0x2f, 3, 0x14, %0, %1, %2"
		                 : "+r"(exp)
		                 : "r"(&mem), "r"(v)
		                 : "memory");
		printf("amo amocas.d: old 0x%016llx new 0x%016llx\n", (unsigned long long)exp,
		       (unsigned long long)mem);
	}
	GUARD("amo amocas.w miss")
	{
		uint64_t exp = 1;
		mem32 = 7;
		__asm__ volatile(".insn r 0x2f, 2, 0x14, %0, %1, %2"
		                 : "+r"(exp)
		                 : "r"(&mem32), "r"(v32)
		                 : "memory");
		printf("amo amocas.w miss: old 0x%llx new 0x%08x\n", (unsigned long long)exp,
		       mem32);
	}
	/* Zabha: byte and halfword AMOs (amoadd.b, amoswap.h). */
	GUARD("amo zabha")
	{
		volatile uint8_t b = 0xfe;
		volatile uint16_t h = 0x1234;
		uint64_t ob, oh;
		__asm__ volatile(".insn r 0x2f, 0, 0x00, %0, %1, %2"
		                 : "=r"(ob)
		                 : "r"(&b), "r"(3UL)
		                 : "memory");
		__asm__ volatile(".insn r 0x2f, 1, 0x04, %0, %1, %2"
		                 : "=r"(oh)
		                 : "r"(&h), "r"(0xabcdUL)
		                 : "memory");
		printf(
		    "amo zabha: amoadd.b old 0x%llx new 0x%02x amoswap.h old 0x%llx new 0x%04x\n",
		    (unsigned long long)ob, b, (unsigned long long)oh, h);
	}
	/* Zawrs: wait on a reservation; completes (maybe at once) unless the mode forbids it. */
	printf("amo zawrs advertised: %s\n", advertised("zawrs") ? "yes" : "no");
	GUARD("amo wrs.nto")
	{
		uint64_t t;
		__asm__ volatile("lr.d %0, (%1)\n .4byte 0x00d00073"
		                 : "=r"(t)
		                 : "r"(&mem)
		                 : "memory");
		printf("amo wrs.nto: completed\n");
	}
	GUARD("amo wrs.sto")
	{
		uint64_t t;
		__asm__ volatile("lr.d %0, (%1)\n .4byte 0x01d00073"
		                 : "=r"(t)
		                 : "r"(&mem)
		                 : "memory");
		printf("amo wrs.sto: completed\n");
	}
}

/* ---- bit manipulation, Zicond, hints ---- */

#define R2(name, insn, a, b)                                                                       \
	GUARD(name)                                                                                \
	{                                                                                          \
		uint64_t r_;                                                                       \
		__asm__ volatile(".option push\n.option arch, +zba, +zbb, +zbs, +zbc\n" insn       \
		                 " %0, %1, %2\n.option pop"                                        \
		                 : "=r"(r_)                                                        \
		                 : "r"(a), "r"(b));                                                \
		printf("%s: 0x%016llx\n", name, (unsigned long long)r_);                           \
	}
#define R1(name, insn, a)                                                                          \
	GUARD(name)                                                                                \
	{                                                                                          \
		uint64_t r_;                                                                       \
		__asm__ volatile(".option push\n.option arch, +zba, +zbb, +zbs, +zbc\n" insn       \
		                 " %0, %1\n.option pop"                                            \
		                 : "=r"(r_)                                                        \
		                 : "r"(a));                                                        \
		printf("%s: 0x%016llx\n", name, (unsigned long long)r_);                           \
	}

static void check_bitmanip(void)
{
	uint64_t a = 0x8000000123456789ULL, b = 0x00000000fffffffdULL, s = 37;

	R2("zba sh1add", "sh1add", a, b);
	R2("zba sh2add", "sh2add", a, b);
	R2("zba sh3add", "sh3add", a, b);
	R2("zba add.uw", "add.uw", b | 0xff00000000000000ULL, a);
	R2("zba sh3add.uw", "sh3add.uw", b | 0xff00000000000000ULL, a);
	R1("zbb clz", "clz", b);
	R1("zbb ctz", "ctz", a << 4);
	R1("zbb cpop", "cpop", a);
	R1("zbb clzw", "clzw", b >> 9);
	R1("zbb sext.b", "sext.b", a);
	R1("zbb sext.h", "sext.h", b);
	R1("zbb zext.h", "zext.h", b);
	R1("zbb rev8", "rev8", a);
	R1("zbb orc.b", "orc.b", a);
	R2("zbb min", "min", a, b);
	R2("zbb maxu", "maxu", a, b);
	R2("zbb andn", "andn", a, b);
	R2("zbb orn", "orn", a, b);
	R2("zbb xnor", "xnor", a, b);
	R2("zbb rol", "rol", a, s);
	R2("zbb rorw", "rorw", a, s);
	R2("zbs bset", "bset", a, s);
	R2("zbs bclr", "bclr", a, s - 37 + 63);
	R2("zbs binv", "binv", a, s);
	R2("zbs bext", "bext", a, s - 37 + 63);
	R2("zbc clmul", "clmul", a, b);
	R2("zbc clmulh", "clmulh", a, b);
	R2("zbc clmulr", "clmulr", a, b);

	printf("zicond advertised: %s\n", advertised("zicond") ? "yes" : "no");
	GUARD("zicond")
	{
		uint64_t r1, r2, r3;
		__asm__ volatile(".insn r 0x33, 5, 7, %0, %1, %2" : "=r"(r1) : "r"(a), "r"(0UL));
		__asm__ volatile(".insn r 0x33, 5, 7, %0, %1, %2" : "=r"(r2) : "r"(a), "r"(s));
		__asm__ volatile(".insn r 0x33, 7, 7, %0, %1, %2" : "=r"(r3) : "r"(a), "r"(0UL));
		printf(
		    "zicond: czero.eqz(a,0)=0x%llx czero.eqz(a,37)=0x%llx czero.nez(a,0)=0x%llx\n",
		    (unsigned long long)r1, (unsigned long long)r2, (unsigned long long)r3);
	}
	GUARD("zimop")
	{
		uint64_t r = 5;
		__asm__ volatile(".insn i 0x73, 4, %0, %1, -2020" : "+r"(r) : "r"(a));
		printf("zimop: mop.r.0=0x%llx\n", (unsigned long long)r);
	}
	GUARD("hints")
	{
		__asm__ volatile(".option push\n.option arch, +zihintpause\npause\n.option pop");
		__asm__ volatile(".insn r 0x33, 0, 0, x0, x0, x5"); /* ntl.all */
		printf("hints: pause ntl.all ok\n");
	}
}

/* ---- Zicbom, Zicboz, Zicbop ---- */

static void check_cbo(void)
{
	static uint8_t buf[3 * 4096] __attribute__((aligned(4096)));
	uint64_t bs = 0;

	if (hwprobe(HWPROBE_ZICBOZ_BS, &bs) != 0)
		bs = 0;
	printf("cbo zicboz advertised: %s block %llu\n", advertised("zicboz") ? "yes" : "no",
	       (unsigned long long)bs);
	memset(buf, 0xaa, sizeof(buf));
	GUARD("cbo zero")
	{
		uint8_t *p = buf + 4096 + 8; /* any address inside the block zeroes the block */
		__asm__ volatile(".insn i 0x0f, 2, x0, %0, 4" : : "r"(p) : "memory");
		size_t zeros = 0, first = sizeof(buf), last = 0;
		for (size_t i = 0; i < sizeof(buf); i++) {
			if (buf[i] == 0) {
				zeros++;
				first = i < first ? i : first;
				last = i;
			} else if (buf[i] != 0xaa) {
				printf("cbo zero: byte %zu is 0x%02x\n", i, buf[i]);
			}
		}
		printf("cbo zero: %zu bytes zeroed at [%zu, %zu] (block %s)\n", zeros, first, last,
		       bs && zeros == bs && first == 4096 && last == 4096 + bs - 1 ? "exact" : "?");
	}
	/* User-mode cbo.clean/flush/inval are allowed only where the kernel set senvcfg. */
	GUARD("cbo clean")
	{
		__asm__ volatile(".insn i 0x0f, 2, x0, %0, 1" : : "r"(buf) : "memory");
		printf("cbo clean: ok\n");
	}
	GUARD("cbo flush")
	{
		__asm__ volatile(".insn i 0x0f, 2, x0, %0, 2" : : "r"(buf) : "memory");
		printf("cbo flush: ok\n");
	}
	GUARD("cbo inval")
	{
		buf[0] = 0x5a;
		__asm__ volatile(".insn i 0x0f, 2, x0, %0, 0" : : "r"(buf) : "memory");
		printf("cbo inval: ok, byte 0x%02x\n", buf[0]);
	}
	GUARD("cbo prefetch")
	{
		/* ORI-encoded hints: prefetch.i/r/w (rd = x0) */
		__asm__ volatile(".insn i 0x13, 6, x0, %0, 0\n"
		                 ".insn i 0x13, 6, x0, %0, 1\n"
		                 ".insn i 0x13, 6, x0, %0, 3"
		                 :
		                 : "r"(buf));
		printf("cbo prefetch: ok\n");
	}
}

/* ---- privileged instructions and CSRs from U-mode: all must trap ---- */

static void check_privileged(void)
{
	uint64_t v;

	GUARD("priv wfi")
	{
		__asm__ volatile("wfi");
		printf("priv wfi: completed\n");
	}
	GUARD("priv sret")
	{
		__asm__ volatile("sret");
		printf("priv sret: completed\n");
	}
	GUARD("priv csrr sstatus")
	{
		__asm__ volatile("csrr %0, sstatus" : "=r"(v));
		printf("priv csrr sstatus: 0x%llx\n", (unsigned long long)v);
	}
	GUARD("priv csrr satp")
	{
		__asm__ volatile("csrr %0, satp" : "=r"(v));
		printf("priv csrr satp: 0x%llx\n", (unsigned long long)v);
	}
	GUARD("priv csrr hstatus")
	{
		__asm__ volatile("csrr %0, 0x600" : "=r"(v));
		printf("priv csrr hstatus: 0x%llx\n", (unsigned long long)v);
	}
	GUARD("priv csrr vsstatus")
	{
		__asm__ volatile("csrr %0, 0x200" : "=r"(v));
		printf("priv csrr vsstatus: 0x%llx\n", (unsigned long long)v);
	}
	GUARD("priv csrr stimecmp")
	{
		__asm__ volatile("csrr %0, 0x14d" : "=r"(v));
		printf("priv csrr stimecmp: 0x%llx\n", (unsigned long long)v);
	}
}

int main(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigill;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGILL, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	printf("FV-CPUCHECK BEGIN\n");
	print_cpuinfo();
	print_hwprobe();
	check_counters();
	check_fp();
	check_amo();
	check_bitmanip();
	check_cbo();
	check_privileged();
	printf("FV-CPUCHECK END\n");
	return 0;
}
