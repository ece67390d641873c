// SPDX-License-Identifier: MIT
/* Virtual-instruction exceptions: what each means for the guest (see vinsn.h). */
#include "arch/riscv/vinsn.h"

enum vinsn_action vinsn_classify(uint32_t insn, bool from_vs)
{
	switch (insn) {
	case VINSN_WFI:
		return from_vs ? VINSN_WAIT : VINSN_ILLEGAL;
	case VINSN_WRS_NTO:
	case VINSN_WRS_STO:
		return VINSN_COMPLETE;
	default:
		return VINSN_ILLEGAL;
	}
}
