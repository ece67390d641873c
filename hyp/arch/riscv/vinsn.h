/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_VINSN_H
#define FV_ARCH_RISCV_VINSN_H

/*
 * What a virtual-instruction exception (scause 22) from a guest asks of the
 * hypervisor, by instruction and by the mode that trapped. Pure logic: no
 * CSR, no guest memory, so it runs unchanged in host unit tests.
 */
#include "lib/types.h"

#define VINSN_WFI     0x10500073U
#define VINSN_WRS_NTO 0x00d00073U /* Zawrs */
#define VINSN_WRS_STO 0x01d00073U

enum vinsn_action {
	VINSN_ILLEGAL,  /* not offered to the guest: inject an illegal-instruction exception */
	VINSN_WAIT,     /* VS-mode WFI: step over it and block the vCPU until an interrupt */
	VINSN_COMPLETE, /* step over it: the instruction has done all it must (Zawrs WRS) */
};

/*
 * Classify the trapped instruction insn (all 32 bits; 0 = unknown) taken
 * from VS-mode (from_vs) or VU-mode. WFI waits only from VS-mode: in
 * VU-mode it traps whatever hstatus.VTW says, and on a hart without H a
 * U-mode WFI is an illegal instruction (priv spec "Wait for Interrupt").
 * WRS.NTO traps under hstatus.VTW from either mode and WRS.STO may; a WRS
 * is allowed to complete at any time (Zawrs), so both complete. Everything
 * else (H instructions and CSRs, counters the VM does not get) is illegal
 * for the guest, as on a hart without H. Pure; callable from any context.
 */
enum vinsn_action vinsn_classify(uint32_t insn, bool from_vs);

#endif
