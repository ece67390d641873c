/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the MMIO load/store decoder (hyp/arch/riscv/insn_decode.c).
 * Encodings are built from fields here, independently of the decoder, and
 * every form is swept over all register and offset values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "arch/riscv/insn_decode.h"

#define OPC_LOAD     0x03u
#define OPC_LOAD_FP  0x07u
#define OPC_OP_IMM   0x13u
#define OPC_STORE    0x23u
#define OPC_STORE_FP 0x27u
#define OPC_AMO      0x2fu
#define OPC_SYSTEM   0x73u

/* ---- encoders (from the unprivileged spec's format tables) ---- */

static uint32_t enc_i(unsigned opc, unsigned f3, unsigned rd, unsigned rs1, unsigned imm)
{
	return ((imm & 0xfffu) << 20) | ((rs1 & 31u) << 15) | ((f3 & 7u) << 12) |
	       ((rd & 31u) << 7) | opc;
}

static uint32_t enc_s(unsigned opc, unsigned f3, unsigned rs1, unsigned rs2, unsigned imm)
{
	return (((imm >> 5) & 0x7fu) << 25) | ((rs2 & 31u) << 20) | ((rs1 & 31u) << 15) |
	       ((f3 & 7u) << 12) | ((imm & 0x1fu) << 7) | opc;
}

static uint32_t enc_amo(unsigned funct5, unsigned f3, unsigned rd, unsigned rs1, unsigned rs2)
{
	return (funct5 << 27) | ((rs2 & 31u) << 20) | ((rs1 & 31u) << 15) | (f3 << 12) |
	       ((rd & 31u) << 7) | OPC_AMO;
}

static unsigned bits(unsigned v, unsigned hi, unsigned lo)
{
	return (v >> lo) & ((1u << (hi - lo + 1)) - 1);
}

/* CL/CS: funct3 | imm | rs1' | imm | rd'/rs2' | quadrant 0. reg/base are x8..x15. */
static uint16_t enc_cl_w(unsigned f3, unsigned reg, unsigned base, unsigned off)
{
	return (uint16_t)((f3 << 13) | (bits(off, 5, 3) << 10) | ((base - 8) << 7) |
	                  (bits(off, 2, 2) << 6) | (bits(off, 6, 6) << 5) | ((reg - 8) << 2));
}

static uint16_t enc_cl_d(unsigned f3, unsigned reg, unsigned base, unsigned off)
{
	return (uint16_t)((f3 << 13) | (bits(off, 5, 3) << 10) | ((base - 8) << 7) |
	                  (bits(off, 7, 6) << 5) | ((reg - 8) << 2));
}

static uint16_t c_lw(unsigned r, unsigned b, unsigned o)
{
	return enc_cl_w(2, r, b, o);
}

static uint16_t c_ld(unsigned r, unsigned b, unsigned o)
{
	return enc_cl_d(3, r, b, o);
}

static uint16_t c_sw(unsigned r, unsigned b, unsigned o)
{
	return enc_cl_w(6, r, b, o);
}

static uint16_t c_sd(unsigned r, unsigned b, unsigned o)
{
	return enc_cl_d(7, r, b, o);
}

static uint16_t c_fld(unsigned r, unsigned b, unsigned o)
{
	return enc_cl_d(1, r, b, o);
}

static uint16_t c_fsd(unsigned r, unsigned b, unsigned o)
{
	return enc_cl_d(5, r, b, o);
}

/* CI/CSS stack-pointer forms, quadrant 2. */
static uint16_t c_lwsp(unsigned rd, unsigned b, unsigned o)
{
	(void)b;
	return (uint16_t)((2u << 13) | (bits(o, 5, 5) << 12) | (rd << 7) | (bits(o, 4, 2) << 4) |
	                  (bits(o, 7, 6) << 2) | 2u);
}

static uint16_t c_ldsp_f3(unsigned f3, unsigned rd, unsigned o)
{
	return (uint16_t)((f3 << 13) | (bits(o, 5, 5) << 12) | (rd << 7) | (bits(o, 4, 3) << 5) |
	                  (bits(o, 8, 6) << 2) | 2u);
}

static uint16_t c_ldsp(unsigned rd, unsigned b, unsigned o)
{
	(void)b;
	return c_ldsp_f3(3, rd, o);
}

static uint16_t c_swsp(unsigned rs2, unsigned b, unsigned o)
{
	(void)b;
	return (uint16_t)((6u << 13) | (bits(o, 5, 2) << 9) | (bits(o, 7, 6) << 7) | (rs2 << 2) |
	                  2u);
}

static uint16_t c_sdsp_f3(unsigned f3, unsigned rs2, unsigned o)
{
	return (uint16_t)((f3 << 13) | (bits(o, 5, 3) << 10) | (bits(o, 8, 6) << 7) | (rs2 << 2) |
	                  2u);
}

static uint16_t c_sdsp(unsigned rs2, unsigned b, unsigned o)
{
	(void)b;
	return c_sdsp_f3(7, rs2, o);
}

/* Zcb: quadrant 0, funct3 100, funct6 low bits in 12:10. */
static uint16_t enc_zcb(unsigned f, unsigned bit6, unsigned bit5, unsigned reg, unsigned base)
{
	return (uint16_t)((4u << 13) | (f << 10) | ((base - 8) << 7) | (bit6 << 6) | (bit5 << 5) |
	                  ((reg - 8) << 2));
}

static uint16_t c_lbu(unsigned r, unsigned b, unsigned o)
{
	return enc_zcb(0, o & 1, (o >> 1) & 1, r, b);
}

static uint16_t c_lhu(unsigned r, unsigned b, unsigned o)
{
	return enc_zcb(1, 0, (o >> 1) & 1, r, b);
}

static uint16_t c_lh(unsigned r, unsigned b, unsigned o)
{
	return enc_zcb(1, 1, (o >> 1) & 1, r, b);
}

static uint16_t c_sb(unsigned r, unsigned b, unsigned o)
{
	return enc_zcb(2, o & 1, (o >> 1) & 1, r, b);
}

static uint16_t c_sh(unsigned r, unsigned b, unsigned o)
{
	return enc_zcb(3, 0, (o >> 1) & 1, r, b);
}

/*
 * Transformation per the H-extension spec: immediates become zero and rs1
 * becomes the address offset; for a compressed original, the 32-bit
 * expansion is transformed and then bit 1 cleared.
 */
static uint32_t transform(uint32_t insn32, bool compressed, unsigned addr_off)
{
	uint32_t opc = insn32 & 0x7f;
	uint32_t t;

	if (opc == OPC_STORE || opc == OPC_STORE_FP)
		t = insn32 & ((31u << 20) | (7u << 12) | 0x7fu); /* rs2, funct3, opcode */
	else
		t = insn32 & ((7u << 12) | (31u << 7) | 0x7fu); /* funct3, rd, opcode */
	t |= (addr_off & 31u) << 15;
	if (compressed)
		t &= ~2u;
	return t;
}

/* ---- helpers ---- */

static void expect_access(int ret, const struct mmio_access *a, unsigned width, bool store,
                          bool sext, unsigned reg, unsigned len)
{
	assert_int_equal(ret, INSN_DECODE_MMIO);
	assert_int_equal(a->width, width);
	assert_int_equal(a->is_store, store);
	assert_int_equal(a->sign_extend, sext);
	assert_int_equal(a->reg, reg);
	assert_int_equal(a->insn_len, len);
}

static void expect_same(const struct mmio_access *a, const struct mmio_access *b)
{
	assert_int_equal(a->width, b->width);
	assert_int_equal(a->is_store, b->is_store);
	assert_int_equal(a->sign_extend, b->sign_extend);
	assert_int_equal(a->reg, b->reg);
	assert_int_equal(a->insn_len, b->insn_len);
}

static struct mmio_access poisoned(void)
{
	struct mmio_access a = {0xee, true, true, 0xee, 0xee, 0xee};
	return a;
}

static void expect_untouched(const struct mmio_access *a)
{
	assert_int_equal(a->width, 0xee);
	assert_int_equal(a->reg, 0xee);
	assert_int_equal(a->insn_len, 0xee);
}

static void expect_raw_reject(uint32_t insn, int err)
{
	struct mmio_access a = poisoned();

	assert_int_equal(insn_decode_raw(insn, &a), err);
	expect_untouched(&a);
}

static void expect_tinst_reject(uint64_t v, int err)
{
	struct mmio_access a = poisoned();

	assert_int_equal(insn_decode_transformed(v, &a), err);
	expect_untouched(&a);
}

/* ---- 32-bit loads and stores ---- */

static void test_loads_32(void **state)
{
	/* funct3 -> width, signedness: LB LH LW LD LBU LHU LWU */
	static const unsigned width[7] = {1, 2, 4, 8, 1, 2, 4};
	static const bool sext[7] = {true, true, true, false, false, false, false};
	(void)state;

	for (unsigned f3 = 0; f3 < 7; f3++)
		for (unsigned rd = 0; rd < 32; rd++)
			for (unsigned imm = 0; imm < 4096; imm++) {
				unsigned rs1 = (rd * 7 + imm) & 31;
				uint32_t insn = enc_i(OPC_LOAD, f3, rd, rs1, imm);
				struct mmio_access a, t;

				expect_access(insn_decode_raw(insn, &a), &a, width[f3], false,
				              sext[f3], rd, 4);
				assert_int_equal(a.addr_offset, 0);
				assert_int_equal(
				    insn_decode_transformed(transform(insn, false, imm & 31), &t),
				    INSN_DECODE_MMIO);
				expect_same(&t, &a);
				assert_int_equal(t.addr_offset, imm & 31);
			}
	/* every rs1 (base) value, for completeness */
	for (unsigned rs1 = 0; rs1 < 32; rs1++) {
		struct mmio_access a;

		expect_access(insn_decode_raw(enc_i(OPC_LOAD, 2, 5, rs1, 0x800), &a), &a, 4, false,
		              true, 5, 4);
	}
}

static void test_stores_32(void **state)
{
	(void)state;

	for (unsigned f3 = 0; f3 < 4; f3++)
		for (unsigned rs2 = 0; rs2 < 32; rs2++)
			for (unsigned imm = 0; imm < 4096; imm++) {
				unsigned rs1 = (rs2 * 11 + imm) & 31;
				uint32_t insn = enc_s(OPC_STORE, f3, rs1, rs2, imm);
				struct mmio_access a, t;

				expect_access(insn_decode_raw(insn, &a), &a, 1u << f3, true, false,
				              rs2, 4);
				assert_int_equal(
				    insn_decode_transformed(transform(insn, false, rs1), &t),
				    INSN_DECODE_MMIO);
				expect_same(&t, &a);
				assert_int_equal(t.addr_offset, rs1);
			}
}

/* ---- compressed forms ---- */

struct cform {
	uint16_t (*enc)(unsigned reg, unsigned base, unsigned off);
	unsigned opc, f3; /* 32-bit expansion */
	unsigned reg_lo, reg_hi;
	bool sp_based; /* base is x2 instead of x8..x15 */
	unsigned off_step, off_max;
	unsigned width;
	bool store, sext;
};

static const struct cform cforms[] = {
    {c_lw, OPC_LOAD, 2, 8, 15, false, 4, 124, 4, false, true},   /* c.lw */
    {c_ld, OPC_LOAD, 3, 8, 15, false, 8, 248, 8, false, false},  /* c.ld */
    {c_sw, OPC_STORE, 2, 8, 15, false, 4, 124, 4, true, false},  /* c.sw */
    {c_sd, OPC_STORE, 3, 8, 15, false, 8, 248, 8, true, false},  /* c.sd */
    {c_lwsp, OPC_LOAD, 2, 1, 31, true, 4, 252, 4, false, true},  /* c.lwsp */
    {c_ldsp, OPC_LOAD, 3, 1, 31, true, 8, 504, 8, false, false}, /* c.ldsp */
    {c_swsp, OPC_STORE, 2, 0, 31, true, 4, 252, 4, true, false}, /* c.swsp */
    {c_sdsp, OPC_STORE, 3, 0, 31, true, 8, 504, 8, true, false}, /* c.sdsp */
    {c_lbu, OPC_LOAD, 4, 8, 15, false, 1, 3, 1, false, false},   /* c.lbu */
    {c_lhu, OPC_LOAD, 5, 8, 15, false, 2, 2, 2, false, false},   /* c.lhu */
    {c_lh, OPC_LOAD, 1, 8, 15, false, 2, 2, 2, false, true},     /* c.lh */
    {c_sb, OPC_STORE, 0, 8, 15, false, 1, 3, 1, true, false},    /* c.sb */
    {c_sh, OPC_STORE, 1, 8, 15, false, 2, 2, 2, true, false},    /* c.sh */
};

static void check_cform(const struct cform *f, unsigned reg, unsigned base, unsigned off)
{
	uint16_t c = f->enc(reg, base, off);
	uint32_t x =
	    f->store ? enc_s(f->opc, f->f3, base, reg, off) : enc_i(f->opc, f->f3, reg, base, off);
	struct mmio_access a, b, t;

	expect_access(insn_decode_raw(c, &a), &a, f->width, f->store, f->sext, reg, 2);
	/* bits 31:16 of a compressed instruction are not part of it */
	assert_int_equal(insn_decode_raw(c | 0xdead0000u, &b), INSN_DECODE_MMIO);
	expect_same(&a, &b);
	/* the 32-bit expansion decodes the same, except for the length */
	expect_access(insn_decode_raw(x, &b), &b, f->width, f->store, f->sext, reg, 4);
	/* transformed per the spec: expand, transform, clear bit 1 */
	assert_int_equal(insn_decode_transformed(transform(x, true, off & 31), &t),
	                 INSN_DECODE_MMIO);
	expect_same(&t, &a);
	assert_int_equal(t.addr_offset, off & 31);
}

static void test_compressed(void **state)
{
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(cforms); i++) {
		const struct cform *f = &cforms[i];
		unsigned base_lo = f->sp_based ? 2 : 8, base_hi = f->sp_based ? 2 : 15;

		for (unsigned reg = f->reg_lo; reg <= f->reg_hi; reg++)
			for (unsigned base = base_lo; base <= base_hi; base++)
				for (unsigned off = 0; off <= f->off_max; off += f->off_step)
					check_cform(f, reg, base, off);
	}
}

static void test_compressed_known_encodings(void **state)
{
	struct mmio_access a;
	(void)state;

	/* c.lw a0, 0(a1) = 0x4188; c.sdsp s0, 8(sp) = 0xe422; c.ldsp ra, 8(sp) = 0x60a2 */
	expect_access(insn_decode_raw(0x4188, &a), &a, 4, false, true, 10, 2);
	expect_access(insn_decode_raw(0xe422, &a), &a, 8, true, false, 8, 2);
	expect_access(insn_decode_raw(0x60a2, &a), &a, 8, false, false, 1, 2);
	/* lw a0, 0(a1) = 0x0005a503; sd ra, 8(sp) = 0x00113423 */
	expect_access(insn_decode_raw(0x0005a503, &a), &a, 4, false, true, 10, 4);
	expect_access(insn_decode_raw(0x00113423, &a), &a, 8, true, false, 1, 4);
}

/* The test's own encoders agree with GNU as 2.40 (-march=rv64gc) output. */
static void test_encoders_match_assembler(void **state)
{
	(void)state;

	assert_int_equal(c_lw(10, 11, 0), 0x4188);                       /* c.lw a0, 0(a1) */
	assert_int_equal(c_lw(9, 15, 124), 0x5fe4);                      /* c.lw s1, 124(a5) */
	assert_int_equal(c_ld(13, 8, 248), 0x7c74);                      /* c.ld a3, 248(s0) */
	assert_int_equal(c_sw(14, 12, 68), 0xc278);                      /* c.sw a4, 68(a2) */
	assert_int_equal(c_sdsp(8, 2, 8), 0xe422);                       /* c.sdsp s0, 8(sp) */
	assert_int_equal(c_sdsp(31, 2, 504), 0xfffe);                    /* c.sdsp t6, 504(sp) */
	assert_int_equal(c_ldsp(1, 2, 8), 0x60a2);                       /* c.ldsp ra, 8(sp) */
	assert_int_equal(c_ldsp(27, 2, 456), 0x6dbe);                    /* c.ldsp s11, 456(sp) */
	assert_int_equal(c_lwsp(5, 2, 252), 0x52fe);                     /* c.lwsp t0, 252(sp) */
	assert_int_equal(c_lwsp(17, 2, 36), 0x5892);                     /* c.lwsp a7, 36(sp) */
	assert_int_equal(c_swsp(30, 2, 200), 0xc5fa);                    /* c.swsp t5, 200(sp) */
	assert_int_equal(c_fld(10, 11, 8), 0x2588);                      /* c.fld fa0, 8(a1) */
	assert_int_equal(enc_i(OPC_LOAD, 5, 28, 22, 0x800), 0x800b5e03); /* lhu t3, -2048(s6) */
	assert_int_equal(enc_s(OPC_STORE, 0, 3, 29, 2047), 0x7fd18fa3);  /* sb t4, 2047(gp) */
}

/* ---- rejections ---- */

static void test_reject_raw(void **state)
{
	(void)state;

	/* reserved integer load/store funct3 */
	expect_raw_reject(enc_i(OPC_LOAD, 7, 5, 6, 0), -FV_EINVAL);
	for (unsigned f3 = 4; f3 < 8; f3++)
		expect_raw_reject(enc_s(OPC_STORE, f3, 6, 5, 0), -FV_EINVAL);
	/* FP and vector loads/stores: every width encoding of LOAD-FP/STORE-FP */
	for (unsigned f3 = 0; f3 < 8; f3++) {
		expect_raw_reject(enc_i(OPC_LOAD_FP, f3, 5, 6, 12), -FV_ENOTSUP);
		expect_raw_reject(enc_s(OPC_STORE_FP, f3, 6, 5, 12), -FV_ENOTSUP);
	}
	/* LR.W/D, SC.W/D, AMOSWAP, AMOADD, AMOOR */
	for (unsigned f3 = 2; f3 < 4; f3++) {
		expect_raw_reject(enc_amo(0x02, f3, 5, 6, 0), -FV_ENOTSUP);
		expect_raw_reject(enc_amo(0x03, f3, 5, 6, 7), -FV_ENOTSUP);
		expect_raw_reject(enc_amo(0x01, f3, 5, 6, 7), -FV_ENOTSUP);
		expect_raw_reject(enc_amo(0x00, f3, 5, 6, 7), -FV_ENOTSUP);
		expect_raw_reject(enc_amo(0x08, f3, 5, 6, 7), -FV_ENOTSUP);
	}
	/* not memory accesses */
	expect_raw_reject(enc_i(OPC_OP_IMM, 0, 5, 6, 1), -FV_EINVAL); /* addi */
	expect_raw_reject(0x00000073, -FV_EINVAL);                    /* ecall */
	expect_raw_reject(0x6f, -FV_EINVAL);                          /* jal x0, 0 */
	expect_raw_reject(0xffffffff, -FV_EINVAL);
	expect_raw_reject(0x00000000, -FV_EINVAL); /* defined illegal instruction */
	expect_raw_reject(0x0001, -FV_EINVAL);     /* c.nop */
	/* HLV.W: a hypervisor instruction, never a guest MMIO access */
	expect_raw_reject((0x34u << 25) | (6u << 15) | (4u << 12) | (5u << 7) | OPC_SYSTEM,
	                  -FV_EINVAL);
	/* 48-bit and longer encodings (bits 4:2 = 111) */
	expect_raw_reject(0x0000001f, -FV_EINVAL);
	expect_raw_reject(0x0000003f, -FV_EINVAL);
	expect_raw_reject(0x0000007f, -FV_EINVAL);
	/* compressed FP forms (and Zcmp/Zcmt, which reuse c.fsdsp) */
	expect_raw_reject(c_fld(9, 10, 8), -FV_ENOTSUP);
	expect_raw_reject(c_fsd(9, 10, 8), -FV_ENOTSUP);
	expect_raw_reject(c_ldsp_f3(1, 9, 8), -FV_ENOTSUP); /* c.fldsp */
	expect_raw_reject(c_sdsp_f3(5, 9, 8), -FV_ENOTSUP); /* c.fsdsp */
	/* reserved: c.lwsp / c.ldsp with rd = 0 */
	for (unsigned off = 0; off <= 252; off += 4)
		expect_raw_reject(c_lwsp(0, 2, off), -FV_EINVAL);
	for (unsigned off = 0; off <= 504; off += 8)
		expect_raw_reject(c_ldsp(0, 2, off), -FV_EINVAL);
	/* reserved Zcb slots: c.sh with bit 6 set, funct 1xx in quadrant 0/100 */
	expect_raw_reject(enc_zcb(3, 1, 0, 9, 10), -FV_EINVAL);
	for (unsigned f = 4; f < 8; f++)
		expect_raw_reject(enc_zcb(f, 0, 0, 9, 10), -FV_EINVAL);
	/* other compressed instructions: c.addi4spn, c.li, c.mv, c.ebreak */
	expect_raw_reject(0x0040, -FV_EINVAL);
	expect_raw_reject(0x4505, -FV_EINVAL);
	expect_raw_reject(0x852e, -FV_EINVAL);
	expect_raw_reject(0x9002, -FV_EINVAL);
	/* the htinst pseudoinstruction values mean nothing special as raw bits */
	expect_raw_reject(0x00002000, -FV_ENOTSUP); /* low half = c.fld */
	expect_raw_reject(0x00003020, -FV_ENOTSUP); /* low half = c.fld */
}

static void test_pseudoinstructions(void **state)
{
	static const struct {
		uint32_t v;
		unsigned width;
		bool store;
	} p[] = {
	    {0x00002000, 4, false},
	    {0x00002020, 4, true},
	    {0x00003000, 8, false},
	    {0x00003020, 8, true},
	};
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(p); i++) {
		struct mmio_access a = poisoned();

		assert_int_equal(insn_decode_transformed(p[i].v, &a), INSN_DECODE_VS_PT);
		assert_int_equal(a.width, p[i].width);
		assert_int_equal(a.is_store, p[i].store);
		assert_int_equal(a.insn_len, 0);
		/* the same bits with high garbage are not the pseudoinstruction */
		expect_tinst_reject(p[i].v | (UINT64_C(1) << 32), -FV_EINVAL);
		/* neighbouring values with bits 1:0 = 00 are undefined */
		expect_tinst_reject(p[i].v | 0x4, -FV_EINVAL);
		expect_tinst_reject(p[i].v + 0x2000, -FV_EINVAL);
		expect_tinst_reject(p[i].v | 0x40, -FV_EINVAL);
	}
}

static void test_reject_transformed(void **state)
{
	(void)state;

	expect_tinst_reject(0, -FV_EINVAL);
	/* bits 63:32 nonzero, low half a perfect LW */
	expect_tinst_reject((UINT64_C(1) << 63) | enc_i(OPC_LOAD, 2, 5, 0, 0), -FV_EINVAL);
	expect_tinst_reject((UINT64_C(0xffffffff) << 32) | enc_i(OPC_LOAD, 2, 5, 0, 0), -FV_EINVAL);
	/* bit 0 clear: bits 1:0 = 10 or 00 are never transformed instructions */
	expect_tinst_reject(enc_i(OPC_LOAD, 2, 5, 0, 0) & ~1u, -FV_EINVAL);
	expect_tinst_reject(enc_i(OPC_LOAD, 2, 5, 0, 0) & ~3u, -FV_EINVAL);
	/* transformed FP/vector/AMO: recognised but not emulated */
	expect_tinst_reject(transform(enc_i(OPC_LOAD_FP, 3, 5, 6, 0), false, 0), -FV_ENOTSUP);
	expect_tinst_reject(transform(enc_i(OPC_LOAD_FP, 3, 9, 6, 0), true, 0), -FV_ENOTSUP);
	expect_tinst_reject(transform(enc_s(OPC_STORE_FP, 2, 6, 5, 0), false, 0), -FV_ENOTSUP);
	expect_tinst_reject(enc_amo(0x01, 3, 5, 0, 7), -FV_ENOTSUP);
	expect_tinst_reject(enc_amo(0x02, 2, 5, 0, 0) & ~2u, -FV_ENOTSUP);
	/* reserved funct3 and unrelated opcodes */
	expect_tinst_reject(enc_i(OPC_LOAD, 7, 5, 0, 0), -FV_EINVAL);
	expect_tinst_reject(enc_s(OPC_STORE, 5, 0, 5, 0), -FV_EINVAL);
	expect_tinst_reject(enc_i(OPC_OP_IMM, 0, 5, 0, 0), -FV_EINVAL);
	expect_tinst_reject(0xffffffff, -FV_EINVAL);
}

static void test_transformed_ignores_imm_fields(void **state)
{
	struct mmio_access a, t;
	(void)state;

	/*
	 * The spec says software need not check the zeroed immediate fields
	 * (a future version may put hints there): an untransformed encoding
	 * must decode like its transformed form.
	 */
	for (unsigned imm = 0; imm < 4096; imm += 7) {
		uint32_t ld = enc_i(OPC_LOAD, 6, 17, 3, imm);
		uint32_t st = enc_s(OPC_STORE, 1, 3, 17, imm);

		assert_int_equal(insn_decode_transformed(ld, &t), INSN_DECODE_MMIO);
		assert_int_equal(insn_decode_raw(ld, &a), INSN_DECODE_MMIO);
		expect_same(&t, &a);
		assert_int_equal(insn_decode_transformed(st, &t), INSN_DECODE_MMIO);
		assert_int_equal(insn_decode_raw(st, &a), INSN_DECODE_MMIO);
		expect_same(&t, &a);
	}
}

/* ---- random sweep ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	/* xorshift64 */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void check_consistent(const struct mmio_access *a)
{
	assert_true(a->width == 1 || a->width == 2 || a->width == 4 || a->width == 8);
	assert_true(a->reg < 32);
	assert_true(a->insn_len == 2 || a->insn_len == 4);
	assert_true(a->addr_offset < 32);
	if (a->is_store)
		assert_false(a->sign_extend);
	if (a->sign_extend)
		assert_true(a->width < 8);
}

static void test_random_sweep(void **state)
{
	unsigned accepted_raw = 0, accepted_t = 0;
	(void)state;

	for (unsigned i = 0; i < 2000000; i++) {
		uint64_t r = rng();
		uint32_t insn = (uint32_t)r;
		struct mmio_access a, b;
		int ret = insn_decode_raw(insn, &a);

		assert_true(ret == INSN_DECODE_MMIO || ret == -FV_EINVAL || ret == -FV_ENOTSUP);
		if (ret == INSN_DECODE_MMIO) {
			accepted_raw++;
			check_consistent(&a);
			assert_int_equal(a.addr_offset, 0);
			if ((insn & 3) == 3) {
				uint32_t opc = insn & 0x7f;

				assert_int_equal(a.insn_len, 4);
				assert_true(opc == OPC_LOAD || opc == OPC_STORE);
				assert_int_equal(a.is_store, opc == OPC_STORE);
				/* the transformed form decodes identically */
				assert_int_equal(
				    insn_decode_transformed(transform(insn, false, 0), &b),
				    INSN_DECODE_MMIO);
				expect_same(&a, &b);
			} else {
				assert_int_equal(a.insn_len, 2);
				assert_true((insn & 3) == 0 || (insn & 3) == 2);
				/* upper half must not matter */
				assert_int_equal(insn_decode_raw(insn & 0xffff, &b),
				                 INSN_DECODE_MMIO);
				expect_same(&a, &b);
			}
		}

		/* htinst: random 32-bit values and random 64-bit values */
		ret = insn_decode_transformed((i & 1) ? r : (uint32_t)r, &a);
		assert_true(ret == INSN_DECODE_MMIO || ret == INSN_DECODE_VS_PT ||
		            ret == -FV_EINVAL || ret == -FV_ENOTSUP);
		if (ret == INSN_DECODE_MMIO) {
			uint32_t v = (uint32_t)r;

			accepted_t++;
			check_consistent(&a);
			assert_true((i & 1) == 0 || (r >> 32) == 0);
			assert_true(v & 1);
			assert_int_equal(a.insn_len, (v & 2) ? 4 : 2);
			/* same meaning as the raw 32-bit instruction with bit 1 set */
			assert_int_equal(insn_decode_raw(v | 2, &b), INSN_DECODE_MMIO);
			assert_int_equal(a.width, b.width);
			assert_int_equal(a.is_store, b.is_store);
			assert_int_equal(a.sign_extend, b.sign_extend);
			assert_int_equal(a.reg, b.reg);
		}
	}
	/* loads/stores are 2 of 128 major opcodes: expect a fair number of hits */
	assert_true(accepted_raw > 10000);
	assert_true(accepted_t > 5000);
}

/* ---- value extension ---- */

static void test_extend(void **state)
{
	struct mmio_access a = {0};
	(void)state;

	a.width = 1;
	a.sign_extend = true;
	assert_true(insn_mmio_extend(0x1234567890abcd80ull, &a) == 0xffffffffffffff80ull);
	assert_true(insn_mmio_extend(0x7f, &a) == 0x7f);
	a.sign_extend = false;
	assert_true(insn_mmio_extend(0x1234567890abcd80ull, &a) == 0x80);

	a.width = 2;
	a.sign_extend = true;
	assert_true(insn_mmio_extend(0xffff8000ull, &a) == 0xffffffffffff8000ull);
	assert_true(insn_mmio_extend(0x12347fffull, &a) == 0x7fff);
	a.sign_extend = false;
	assert_true(insn_mmio_extend(0xffff8000ull, &a) == 0x8000);

	a.width = 4;
	a.sign_extend = true;
	assert_true(insn_mmio_extend(0x80000000ull, &a) == 0xffffffff80000000ull);
	assert_true(insn_mmio_extend(0xaaaaaaaa7fffffffull, &a) == 0x7fffffff);
	a.sign_extend = false;
	assert_true(insn_mmio_extend(0xffffffff80000000ull, &a) == 0x80000000ull);

	a.width = 8;
	a.sign_extend = true;
	assert_true(insn_mmio_extend(0x8000000000000001ull, &a) == 0x8000000000000001ull);
	a.sign_extend = false;
	assert_true(insn_mmio_extend(0x8000000000000001ull, &a) == 0x8000000000000001ull);

	/* nonsense widths leave the value alone rather than shifting by -1 */
	a.width = 0;
	assert_true(insn_mmio_extend(0xabcdull, &a) == 0xabcdull);
	a.width = 3;
	assert_true(insn_mmio_extend(0xabcdull, &a) == 0xabcdull);
}

static void test_extend_from_decode(void **state)
{
	struct mmio_access a;
	(void)state;

	/* lb, lbu, lh, lhu, lw, lwu, ld on the same device value */
	assert_int_equal(insn_decode_raw(enc_i(OPC_LOAD, 0, 5, 6, 0), &a), 0);
	assert_true(insn_mmio_extend(0xf0f1f2f3f4f5f6f7ull, &a) == 0xfffffffffffffff7ull);
	assert_int_equal(insn_decode_raw(enc_i(OPC_LOAD, 4, 5, 6, 0), &a), 0);
	assert_true(insn_mmio_extend(0xf0f1f2f3f4f5f6f7ull, &a) == 0xf7ull);
	assert_int_equal(insn_decode_raw(enc_i(OPC_LOAD, 1, 5, 6, 0), &a), 0);
	assert_true(insn_mmio_extend(0xf0f1f2f3f4f5f6f7ull, &a) == 0xfffffffffffff6f7ull);
	assert_int_equal(insn_decode_raw(enc_i(OPC_LOAD, 5, 5, 6, 0), &a), 0);
	assert_true(insn_mmio_extend(0xf0f1f2f3f4f5f6f7ull, &a) == 0xf6f7ull);
	assert_int_equal(insn_decode_raw(enc_i(OPC_LOAD, 2, 5, 6, 0), &a), 0);
	assert_true(insn_mmio_extend(0xf0f1f2f3f4f5f6f7ull, &a) == 0xfffffffff4f5f6f7ull);
	assert_int_equal(insn_decode_raw(enc_i(OPC_LOAD, 6, 5, 6, 0), &a), 0);
	assert_true(insn_mmio_extend(0xf0f1f2f3f4f5f6f7ull, &a) == 0xf4f5f6f7ull);
	assert_int_equal(insn_decode_raw(enc_i(OPC_LOAD, 3, 5, 6, 0), &a), 0);
	assert_true(insn_mmio_extend(0xf0f1f2f3f4f5f6f7ull, &a) == 0xf0f1f2f3f4f5f6f7ull);
	/* stores: truncation only */
	assert_int_equal(insn_decode_raw(enc_s(OPC_STORE, 1, 6, 5, 0), &a), 0);
	assert_true(insn_mmio_extend(0xf0f1f2f3f4f5f6f7ull, &a) == 0xf6f7ull);
}

/* The inline fast path agrees with insn_decode_transformed() wherever it answers. */
static void expect_fast_matches(uint64_t h, unsigned *hits)
{
	struct mmio_access fast, full;
	memset(&fast, 0xa5, sizeof(fast));
	memset(&full, 0x5a, sizeof(full));
	if (!insn_decode_transformed_fast(h, &fast)) {
		/* Declined: the full decoder must not call it an ordinary MMIO load/store. */
		int ret = insn_decode_transformed(h, &full);
		if (ret == INSN_DECODE_MMIO)
			fail_msg("htinst 0x%llx: fast path declined an MMIO access",
			         (unsigned long long)h);
		return;
	}
	(*hits)++;
	assert_int_equal(insn_decode_transformed(h, &full), INSN_DECODE_MMIO);
	assert_int_equal(fast.width, full.width);
	assert_int_equal(fast.is_store, full.is_store);
	assert_int_equal(fast.sign_extend, full.sign_extend);
	assert_int_equal(fast.reg, full.reg);
	assert_int_equal(fast.insn_len, full.insn_len);
	assert_int_equal(fast.addr_offset, full.addr_offset);
}

static void test_transformed_fast_path(void **state)
{
	unsigned hits = 0;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	(void)state;
	/* Every opcode/funct3/rd/offset combination of the low 20 bits, rs2 and above random. */
	for (uint64_t lo = 0; lo < (1u << 20); lo++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		expect_fast_matches(lo | ((x & 0xfff) << 20), &hits);
	}
	/* Bits 63:32 set are never taken as a load/store. */
	expect_fast_matches(0x100000003ULL | (2u << 12), &hits);
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		expect_fast_matches(x, &hits);
	}
	/* The sweep met every load (7 funct3) and store (4) form, 2 lengths each. */
	assert_true(hits > 11 * 2 * 32);
}

static void test_parcel_len(void **state)
{
	(void)state;

	for (unsigned p = 0; p < 0x10000; p++) {
		unsigned len = insn_parcel_len((uint16_t)p);

		if ((p & 3) != 3)
			assert_int_equal(len, 2);
		else if ((p & 0x1c) != 0x1c)
			assert_int_equal(len, 4);
		else
			assert_int_equal(len, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_loads_32),
	    cmocka_unit_test(test_transformed_fast_path),
	    cmocka_unit_test(test_stores_32),
	    cmocka_unit_test(test_compressed),
	    cmocka_unit_test(test_compressed_known_encodings),
	    cmocka_unit_test(test_encoders_match_assembler),
	    cmocka_unit_test(test_reject_raw),
	    cmocka_unit_test(test_pseudoinstructions),
	    cmocka_unit_test(test_reject_transformed),
	    cmocka_unit_test(test_transformed_ignores_imm_fields),
	    cmocka_unit_test(test_random_sweep),
	    cmocka_unit_test(test_extend),
	    cmocka_unit_test(test_extend_from_decode),
	    cmocka_unit_test(test_parcel_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
