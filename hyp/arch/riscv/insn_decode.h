/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_INSN_DECODE_H
#define FV_ARCH_RISCV_INSN_DECODE_H

/*
 * Decoder for guest loads/stores that trapped on an emulated MMIO region
 * (scause 21 load guest-page fault, 23 store/AMO guest-page fault).
 *
 * Pure logic: no CSR access, no guest memory access, no global state, so it
 * runs unchanged in host unit tests. The trap handler supplies either the
 * htinst value or the raw instruction it fetched from the guest at sepc.
 *
 * Encodings are decoded for VSXLEN=64 (RV64 guests): 0x3 in funct3 is LD/SD
 * and the compressed slots 011/111 are C.LD/C.SD (C.FLW/C.FSW on RV32).
 */
#include "lib/types.h"

/* One decoded MMIO access. */
struct mmio_access {
	uint8_t width;       /* access size in bytes: 1, 2, 4 or 8 */
	bool is_store;       /* true for stores, false for loads */
	bool sign_extend;    /* loads only: LB/LH/LW (and their compressed forms) */
	uint8_t reg;         /* rd for loads, rs2 for stores: 0..31 (x0 is legal) */
	uint8_t insn_len;    /* bytes to add to sepc: 2 or 4 (0 for INSN_DECODE_VS_PT) */
	uint8_t addr_offset; /* htinst only: faulting address - original address (misaligned) */
};

/* Non-negative results of the decoders; failures are negative enum fv_err. */
enum insn_decode_result {
	INSN_DECODE_MMIO = 0,  /* explicit load/store: emulate it */
	INSN_DECODE_VS_PT = 1, /* implicit VS-stage page-table access, not MMIO */
};

/*
 * Length in bytes of the instruction whose first (lowest-addressed) 16-bit
 * parcel is @parcel: 2 (compressed), 4, or 0 for the reserved >32-bit
 * encodings. Lets the trap handler fetch exactly one or two parcels, the
 * second of which may sit on the next guest page.
 */
static inline unsigned insn_parcel_len(uint16_t parcel)
{
	if ((parcel & 0x3) != 0x3)
		return 2;
	if ((parcel & 0x1c) != 0x1c)
		return 4;
	return 0;
}

/*
 * Decode a nonzero htinst value written on a load/store guest-page fault
 * (RISC-V priv spec, H extension, "Transformed Instruction or
 * Pseudoinstruction for mtinst or htinst"). Pure; callable from any context.
 *
 * Returns INSN_DECODE_MMIO with *out filled for a transformed basic integer
 * load/store (bit 1 of htinst clear means the original was a 16-bit
 * compressed instruction, so insn_len is 2), INSN_DECODE_VS_PT with width and
 * is_store filled for the pseudoinstructions 0x2000/0x2020/0x3000/0x3020
 * (the guest's own page-table walk hit the region: do not emulate), or
 * -FV_ENOTSUP for a recognised access that is not emulated (FP, vector,
 * LR/SC, AMO), or -FV_EINVAL for zero or any value the spec does not define
 * (including nonzero bits 63:32); the spec lets software treat those like
 * zero, i.e. fall back to insn_decode_raw(). *out is written only on success.
 */
int insn_decode_transformed(uint64_t htinst, struct mmio_access *out);

/*
 * Decode a raw guest instruction fetched at sepc. If bits 1:0 are not 0b11
 * only the low 16 bits are used (compressed; upper bits ignored), otherwise
 * all 32. Supports LB LH LW LD LBU LHU LWU SB SH SW SD, C.LW C.LD C.SW C.SD
 * C.LWSP C.LDSP C.SWSP C.SDSP and the Zcb forms C.LBU C.LH C.LHU C.SB C.SH.
 * Pure; callable from any context.
 *
 * Returns INSN_DECODE_MMIO with *out filled, -FV_ENOTSUP for a memory access
 * that is not emulated (FP/vector loads and stores, LR/SC, AMO, C.FLD and
 * the other compressed FP forms), or -FV_EINVAL for anything else, including
 * reserved encodings such as C.LWSP/C.LDSP with rd=0. *out is written only on
 * success.
 */
int insn_decode_raw(uint32_t insn, struct mmio_access *out);

/*
 * Value to write back to the destination register of load @a given the
 * @val read from the device: the low a->width bytes, sign- or zero-extended
 * to 64 bits. Also usable to truncate store data (stores have sign_extend
 * false). A width other than 1, 2 or 4 returns @val unchanged. Pure.
 */
static inline uint64_t insn_mmio_extend(uint64_t val, const struct mmio_access *a)
{
	unsigned bits;
	uint64_t mask;

	switch (a->width) {
	case 1:
	case 2:
	case 4:
		bits = 8u * a->width;
		break;
	default:
		return val;
	}
	mask = (UINT64_C(1) << bits) - 1;
	val &= mask;
	if (a->sign_extend && ((val >> (bits - 1)) & 1))
		val |= ~mask;
	return val;
}

/*
 * The common case of insn_decode_transformed(), inlined into the trap
 * handler: a transformed LB LH LW LD LBU LHU LWU / SB SH SW SD (opcode
 * LOAD or STORE with bit 1 cleared for a compressed original). Returns
 * true with *out filled exactly as insn_decode_transformed() fills it
 * (tests/unit/test_insn_decode.c compares them), false for every other
 * value: call insn_decode_transformed() then. Pure.
 */
static inline bool insn_decode_transformed_fast(uint64_t htinst, struct mmio_access *out)
{
	unsigned funct3 = (unsigned)(htinst >> 12) & 0x7;
	bool store;

	if (htinst >> 32)
		return false;
	if ((htinst & 0x7d) == 0x01 && funct3 != 7) /* LOAD */
		store = false;
	else if ((htinst & 0x7d) == 0x21 && funct3 <= 3) /* STORE */
		store = true;
	else
		return false;
	out->width = (uint8_t)(1u << (funct3 & 3));
	out->is_store = store;
	out->sign_extend = !store && funct3 < 3;
	out->reg = (uint8_t)((htinst >> (store ? 20 : 7)) & 0x1f);
	out->insn_len = (htinst & 0x2) ? 4 : 2;
	out->addr_offset = (uint8_t)((htinst >> 15) & 0x1f);
	return true;
}

#endif
