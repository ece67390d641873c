/* SPDX-License-Identifier: MIT */
/*
 * MMIO load/store decoder: transformed htinst values and raw instructions.
 * Encodings follow the RISC-V unprivileged spec (RV64I loads/stores, "C"
 * and Zcb) and the privileged spec's H extension chapter for htinst.
 */
#include "arch/riscv/insn_decode.h"

/* Major opcodes (bits 6:0) of 32-bit instructions. */
#define OPC_LOAD     0x03
#define OPC_LOAD_FP  0x07 /* FLx and vector loads */
#define OPC_STORE    0x23
#define OPC_STORE_FP 0x27 /* FSx and vector stores */
#define OPC_AMO      0x2f /* LR, SC, AMOs */

/* Compressed decode key: quadrant (bits 1:0) and funct3 (bits 15:13). */
#define CQ0         0u
#define CQ2         2u
#define CKEY(q, f3) ((q)*8u + (f3))

/* htinst pseudoinstructions for implicit VS-stage page-table accesses. */
#define PSEUDO_RD32 0x00002000u
#define PSEUDO_WR32 0x00002020u
#define PSEUDO_RD64 0x00003000u
#define PSEUDO_WR64 0x00003020u

static void set_access(struct mmio_access *a, unsigned width, bool store, bool sext, unsigned reg,
                       unsigned len)
{
	a->width = (uint8_t)width;
	a->is_store = store;
	a->sign_extend = sext;
	a->reg = (uint8_t)(reg & 0x1f);
	a->insn_len = (uint8_t)len;
	a->addr_offset = 0;
}

/*
 * Decode a 32-bit load/store. Only opcode, funct3, rd and rs2 are looked at:
 * immediates and rs1 do not matter for MMIO (the address comes from htval /
 * stval), and in a transformed instruction they hold zeros / the address
 * offset anyway.
 */
static int decode_32(uint32_t insn, unsigned len, struct mmio_access *out)
{
	unsigned funct3 = (insn >> 12) & 0x7;
	unsigned rd = (insn >> 7) & 0x1f;
	unsigned rs2 = (insn >> 20) & 0x1f;

	switch (insn & 0x7f) {
	case OPC_LOAD:
		/* 0..3: LB LH LW LD (signed); 4..6: LBU LHU LWU; 7 is reserved. */
		if (funct3 == 7)
			return -FV_EINVAL;
		set_access(out, 1u << (funct3 & 3), false, funct3 < 3, rd, len);
		return INSN_DECODE_MMIO;
	case OPC_STORE:
		/* SB SH SW SD; 4 is SQ (RV128) and the rest are reserved. */
		if (funct3 > 3)
			return -FV_EINVAL;
		set_access(out, 1u << funct3, true, false, rs2, len);
		return INSN_DECODE_MMIO;
	case OPC_LOAD_FP:
	case OPC_STORE_FP:
	case OPC_AMO:
		return -FV_ENOTSUP;
	default:
		return -FV_EINVAL;
	}
}

/* Zcb byte/halfword forms: quadrant 0, funct3 100, selected by bits 12:10. */
static int decode_zcb(uint16_t c, struct mmio_access *out)
{
	unsigned reg = 8 + ((c >> 2) & 0x7);
	bool bit6 = (c >> 6) & 1;

	switch ((c >> 10) & 0x7) {
	case 0: /* C.LBU */
		set_access(out, 1, false, false, reg, 2);
		return INSN_DECODE_MMIO;
	case 1: /* C.LHU (bit 6 = 0) / C.LH (bit 6 = 1) */
		set_access(out, 2, false, bit6, reg, 2);
		return INSN_DECODE_MMIO;
	case 2: /* C.SB */
		set_access(out, 1, true, false, reg, 2);
		return INSN_DECODE_MMIO;
	case 3: /* C.SH; bit 6 = 1 is reserved */
		if (bit6)
			return -FV_EINVAL;
		set_access(out, 2, true, false, reg, 2);
		return INSN_DECODE_MMIO;
	default:
		return -FV_EINVAL;
	}
}

/* Decode a 16-bit instruction; register fields in CL/CS map to x8..x15. */
static int decode_16(uint16_t c, struct mmio_access *out)
{
	unsigned funct3 = (c >> 13) & 0x7;
	unsigned creg = 8 + ((c >> 2) & 0x7); /* rd' / rs2' in bits 4:2 */
	unsigned rd = (c >> 7) & 0x1f;        /* CI format */
	unsigned rs2 = (c >> 2) & 0x1f;       /* CSS format */

	switch (CKEY(c & 0x3u, funct3)) {
	case CKEY(CQ0, 2): /* C.LW */
		set_access(out, 4, false, true, creg, 2);
		return INSN_DECODE_MMIO;
	case CKEY(CQ0, 3): /* C.LD */
		set_access(out, 8, false, false, creg, 2);
		return INSN_DECODE_MMIO;
	case CKEY(CQ0, 4):
		return decode_zcb(c, out);
	case CKEY(CQ0, 6): /* C.SW */
		set_access(out, 4, true, false, creg, 2);
		return INSN_DECODE_MMIO;
	case CKEY(CQ0, 7): /* C.SD */
		set_access(out, 8, true, false, creg, 2);
		return INSN_DECODE_MMIO;
	case CKEY(CQ2, 2): /* C.LWSP; rd = 0 is reserved */
		if (rd == 0)
			return -FV_EINVAL;
		set_access(out, 4, false, true, rd, 2);
		return INSN_DECODE_MMIO;
	case CKEY(CQ2, 3): /* C.LDSP; rd = 0 is reserved */
		if (rd == 0)
			return -FV_EINVAL;
		set_access(out, 8, false, false, rd, 2);
		return INSN_DECODE_MMIO;
	case CKEY(CQ2, 6): /* C.SWSP */
		set_access(out, 4, true, false, rs2, 2);
		return INSN_DECODE_MMIO;
	case CKEY(CQ2, 7): /* C.SDSP */
		set_access(out, 8, true, false, rs2, 2);
		return INSN_DECODE_MMIO;
	case CKEY(CQ0, 1): /* C.FLD */
	case CKEY(CQ0, 5): /* C.FSD */
	case CKEY(CQ2, 1): /* C.FLDSP */
	case CKEY(CQ2, 5): /* C.FSDSP, or Zcmp/Zcmt push/pop/table jump */
		return -FV_ENOTSUP;
	default:
		return -FV_EINVAL;
	}
}

int insn_decode_transformed(uint64_t htinst, struct mmio_access *out)
{
	uint32_t insn;
	int ret;

	/*
	 * A future standard may define values with bits 63:32 set whose low
	 * half looks like a load/store, so those must not be taken as one.
	 */
	if (htinst >> 32)
		return -FV_EINVAL;
	/*
	 * A transformed standard instruction has bit 0 set; bit 1 is clear when
	 * the trapping instruction was compressed. Setting bit 1 yields the
	 * 32-bit equivalent with immediates zeroed and rs1 replaced by the
	 * address offset. Tested first: it is every ordinary MMIO access
	 * (the pseudoinstructions below have bit 0 clear). decode_32 writes
	 * *out only on success.
	 */
	if (htinst & 0x1) {
		insn = (uint32_t)htinst | 0x2;
		ret = decode_32(insn, (htinst & 0x2) ? 4 : 2, out);
		if (ret >= 0)
			out->addr_offset = (uint8_t)((insn >> 15) & 0x1f);
		return ret;
	}
	switch (htinst) {
	case PSEUDO_RD32:
	case PSEUDO_WR32:
	case PSEUDO_RD64:
	case PSEUDO_WR64:
		set_access(out, (htinst & 0x1000) ? 8 : 4, (htinst & 0x20) != 0, false, 0, 0);
		return INSN_DECODE_VS_PT;
	default:
		return -FV_EINVAL;
	}
}

int insn_decode_raw(uint32_t insn, struct mmio_access *out)
{
	struct mmio_access acc;
	int ret;

	switch (insn_parcel_len((uint16_t)insn)) {
	case 2:
		ret = decode_16((uint16_t)insn, &acc);
		break;
	case 4:
		ret = decode_32(insn, 4, &acc);
		break;
	default:
		return -FV_EINVAL;
	}
	if (ret < 0)
		return ret;
	*out = acc;
	return ret;
}
