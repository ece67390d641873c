// SPDX-License-Identifier: MIT
/*
 * arm64 bench guest (bench/fvbench/arm64.py): the same binary runs natively on QEMU's arm64
 * virt machine (an ELF at EL1, x0 = 0, PL011 at 0x09000000, PSCI answered by QEMU itself over
 * HVC) and as a Ferrovisor VM (x0 = its device tree, PL011 emulated at 0x09000000 too, PSCI by the
 * hypervisor). Under -icount shift=0 the virtual counter at 1 GHz counts instructions. Prints
 * one JSON line with BATCHES samples of ITERS iterations of: a loop of nothing (the
 * reference), HVC PSCI_VERSION, SVC to its own EL1 vector (an exception round trip that never
 * leaves EL1), a load from the PL011's flag register, a load from RAM; then powers off.
 */
#include "guest.h"

#define ITERS        1000
#define BATCHES      9
#define PSCI_VERSION 0x84000000UL
#define PSCI_OFF     0x84000008UL
#define NATIVE_UART  0x09000000UL
#define PL011_FR     0x18

uint64_t bench_loop_nop(uint64_t n);
uint64_t bench_loop_hvc(uint64_t n, uint64_t fid);
uint64_t bench_loop_svc(uint64_t n);
uint64_t bench_loop_load(uint64_t n, uint64_t addr);
extern char bench_vectors[];

static volatile uint32_t ram_word;

void guest_irq(void)
{
}

void guest_secondary(uint64_t cpu, uint64_t context)
{
	(void)cpu;
	(void)context;
}

static void emit(const char *name, uint64_t (*fn)(uint64_t, uint64_t), uint64_t arg, bool last)
{
	con_puts("\"");
	con_puts(name);
	con_puts("\":[");
	for (unsigned b = 0; b < BATCHES; b++) {
		con_dec((int64_t)fn(ITERS, arg));
		con_puts(b + 1 < BATCHES ? "," : "]");
	}
	con_puts(last ? "}\n" : ",");
}

static uint64_t run_nop(uint64_t n, uint64_t arg)
{
	(void)arg;
	return bench_loop_nop(n);
}

static uint64_t run_svc(uint64_t n, uint64_t arg)
{
	(void)arg;
	return bench_loop_svc(n);
}

void guest_main(uint64_t dtb)
{
	bool native = dtb == 0;
	uint64_t uart = native ? NATIVE_UART : GUEST_UART_BASE;
	guest_uart = (volatile uint32_t *)uart;
	uint64_t freq;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	__asm__ volatile("msr vbar_el1, %0\n isb" : : "r"((uint64_t)bench_vectors) : "memory");
	con_puts("{\"bench\":\"arm64_micro\",\"native\":");
	con_dec(native);
	con_puts(",\"freq\":");
	con_dec((int64_t)freq);
	con_puts(",\"psci_version\":");
	con_dec(psci_call(PSCI_VERSION, 0, 0, 0));
	con_puts(",\"iters\":");
	con_dec(ITERS);
	con_puts(",");
	emit("nop", run_nop, 0, false);
	emit("hvc", bench_loop_hvc, PSCI_VERSION, false);
	emit("svc", run_svc, 0, false);
	emit("mmio", bench_loop_load, uart + PL011_FR, false);
	emit("ram", bench_loop_load, (uint64_t)&ram_word, true);
	con_puts("{\"bench\":\"arm64_done\"}\n");
	psci_call(PSCI_OFF, 0, 0, 0);
}
