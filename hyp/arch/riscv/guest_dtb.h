/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_GUEST_DTB_H
#define FV_ARCH_RISCV_GUEST_DTB_H

/*
 * Device tree of a VM: the flattened device tree Ferrovisor hands to each
 * guest in a1 at boot, shaped so that an unmodified Linux (riscv64) finds
 * everything the VM has and nothing it does not have. The layout follows
 * the conventions of QEMU's "virt" board (bindings in the Devicetree
 * Specification v0.4 and the Linux bindings for riscv,cpu-intc,
 * sifive,plic-1.0.0, ns16550a and virtio,mmio) but lists only the VM's own
 * devices: no CLINT (timer through Sstc or SBI TIME, IPIs through SBI IPI),
 * no poweroff/reboot syscon (SBI SRST), no RTC, no PCI.
 *
 * Pure code: no allocation, no locks, no globals written; callable from any
 * context, on the host in unit tests too. The same parameters always give
 * the same bytes.
 */
#include "lib/types.h"

#define GUEST_DTB_MAX_VCPUS  8
#define GUEST_DTB_MAX_VIRTIO 8
/* Longest vm_name accepted (the model string is "Ferrovisor VM <name>"). */
#define GUEST_DTB_NAME_MAX 64
/* Longest bootargs accepted, including its NUL (Linux truncates at 1024 on RISC-V anyway). */
#define GUEST_DTB_BOOTARGS_MAX 1024
/* Longest riscv,isa string accepted, and room for the riscv,isa-extensions list. */
#define GUEST_DTB_ISA_MAX  512
#define GUEST_DTB_EXTS_MAX 1024
/* Size of the ns16550a register window given in "reg" (as on QEMU virt). */
#define GUEST_DTB_UART_SIZE 0x100
/* ns16550a input clock, as on QEMU virt (Linux only uses it to derive divisors). */
#define GUEST_DTB_UART_CLOCK 0x384000
/* PLIC source numbers run 1..ndev; 1023 is the architectural maximum. */
#define GUEST_DTB_PLIC_MAX_NDEV 1023
/* Supervisor external interrupt, the cause a PLIC S-mode context raises (priv spec §3.1.9). */
#define GUEST_DTB_IRQ_S_EXT 9

/*
 * Phandles, fixed so that a tree's bytes do not depend on which optional
 * nodes exist and a phandle never changes meaning between VMs. Future
 * interrupt controllers (APLIC, IMSIC) take the next free numbers.
 */
#define GUEST_DTB_PHANDLE_CPU_INTC(n) (1U + (uint32_t)(n)) /* 1..8 */
#define GUEST_DTB_PHANDLE_PLIC        (1U + GUEST_DTB_MAX_VCPUS)

/* One memory-mapped device: register window and interrupt line. */
struct guest_dtb_mmio {
	uint64_t base, size;
	uint32_t irq; /* source number on the VM's interrupt controller, >= 1 */
	bool control; /* virtio: the control channel, marked "ferrovisor,control" */
};

/* The emulated PLIC: context N is the S-mode external interrupt of vCPU N. */
struct guest_dtb_plic {
	bool present;
	uint64_t base, size;
	uint32_t ndev; /* number of sources (riscv,ndev), 1..1023 */
};

/* The emulated ns16550a UART (register window GUEST_DTB_UART_SIZE bytes). */
struct guest_dtb_uart {
	bool present;
	uint64_t base;
	uint32_t irq;
};

/* The emulated goldfish RTC (register window RISCV_GUEST_RTC_SIZE bytes). */
struct guest_dtb_rtc {
	bool present;
	uint64_t base;
	uint32_t irq;
};

/*
 * Everything the tree describes. Strings are read, never kept. Devices
 * with an interrupt line need an interrupt controller in the VM (today
 * the PLIC; APLIC/IMSIC will be further members like plic, each with its
 * own phandle, and the interrupt parent is chosen in one place).
 */
struct guest_dtb_params {
	const char *vm_name;  /* model "Ferrovisor VM <name>", 1..GUEST_DTB_NAME_MAX-1 chars */
	unsigned nr_vcpus;    /* 1..GUEST_DTB_MAX_VCPUS, hart ids 0..nr_vcpus-1 */
	uint32_t timebase_hz; /* /cpus timebase-frequency, non-zero */
	/* ISA as the VM really gets it, e.g. from guest_dtb_isa() */
	const char *isa;             /* riscv,isa, must start with "rv64" */
	const char *const *isa_exts; /* riscv,isa-extensions, NULL-terminated, non-empty */
	const char *mmu_type;        /* "riscv,sv39", "riscv,sv48" or "riscv,sv57" */
	uint32_t cbom_block_size;    /* riscv,cbom-block-size (Zicbom); 0 = omit */
	uint32_t cbop_block_size;    /* riscv,cbop-block-size (Zicbop); 0 = omit */
	uint32_t cboz_block_size;    /* riscv,cboz-block-size (Zicboz); 0 = omit */
	gpa_t mem_base;              /* RAM, page-aligned, non-empty */
	uint64_t mem_size;
	const char *bootargs;           /* /chosen bootargs; NULL or "" = none */
	gpa_t initrd_start, initrd_end; /* both 0 = no initrd; else inside RAM, start < end */
	struct guest_dtb_uart uart;
	struct guest_dtb_plic plic;
	struct guest_dtb_rtc rtc;
	unsigned
	    nr_virtio; /* 0..GUEST_DTB_MAX_VIRTIO, nodes in array order (= Linux probe order) */
	struct guest_dtb_mmio virtio[GUEST_DTB_MAX_VIRTIO];
};

/*
 * Write the VM's device tree into buf (size bytes, 8-byte aligned for the
 * guest's sake). Returns the blob's total size, -FV_EINVAL for invalid
 * parameters (see struct guest_dtb_params: also overlapping register
 * windows or RAM, an interrupt line outside 1..ndev or used twice, a device
 * with an interrupt but no interrupt controller), or -FV_ENOMEM if buf is
 * too small. Never writes outside [buf, buf + size). The boot hart
 * (header boot_cpuid_phys) is vCPU 0.
 */
int guest_dtb_build(const struct guest_dtb_params *p, void *buf, size_t size);

/*
 * Extensions a VM may get only when Ferrovisor enables them for it
 * (through henvcfg, RISC-V priv spec §9.2.5 / §9.1.12) or knows their
 * device-tree parameters (Zicbop's block size): pass the enabled ones to
 * guest_dtb_isa(). All others in the allow-list need no hypervisor support
 * beyond what every VM gets (FP state switching, hcounteren CY/TM/IR,
 * completing a trapped wrs.nto). docs/guest-isa.md lists the decisions.
 */
#define GUEST_ISA_SSTC   BIT(0) /* henvcfg.STCE */
#define GUEST_ISA_SVPBMT BIT(1) /* henvcfg.PBMTE */
#define GUEST_ISA_SVADU  BIT(2) /* henvcfg.ADUE */
#define GUEST_ISA_ZICBOM BIT(3) /* henvcfg.CBIE/CBCFE */
#define GUEST_ISA_ZICBOZ BIT(4) /* henvcfg.CBZE */
#define GUEST_ISA_ZICBOP BIT(5) /* block size known (no enable bit) */

/* Upper bound of extensions guest_dtb_isa() can report (size of its allow-list). */
#define GUEST_ISA_MAX_EXTS 80

/* A VM's ISA, in the two forms a cpu node carries. */
struct guest_isa {
	char isa[GUEST_DTB_ISA_MAX];              /* riscv,isa, e.g. "rv64imafdc_zicsr_zifencei" */
	const char *exts[GUEST_ISA_MAX_EXTS + 1]; /* riscv,isa-extensions, NULL-terminated */
	unsigned nr_exts;
};

/*
 * Derive the VM's ISA from the host's riscv,isa string (at most
 * GUEST_DTB_ISA_MAX - 1 chars, "rv64" then single letters, then
 * '_'-separated multi-letter extensions; version suffixes, upper case and
 * the legacy "su" letters of old QEMU are accepted and dropped; 'g' means
 * "imafd_zicsr_zifencei", and 'i' implies zicsr and zifencei as in ISA
 * manuals before 2019). The result keeps, in canonical order, only the
 * host's extensions that are on Ferrovisor's allow-list and, for those
 * listed above, enabled in flags. Not on the list, among others: h (no
 * nested virtualization), v/q/zcmt/zicfi* (state not switched), zihpm and
 * sscofpmf (no PMU virtualization), zkr (seed CSR), ssaia/smaia (no AIA virtualization yet),
 * svade, sh* and sm* (not VS-level), vendor x* extensions.
 * exts point to static strings. Returns 0, -FV_EINVAL for a NULL or
 * malformed string (not rv64, too long), or -FV_ENOTSUP if the result
 * lacks i, m or a (Linux needs rv64ima). (-FV_ERANGE, output too long, is
 * unreachable: the whole allow-list fits GUEST_DTB_ISA_MAX, as a unit test checks.)
 */
int guest_dtb_isa(const char *host_isa, unsigned long flags, struct guest_isa *out);

#endif
