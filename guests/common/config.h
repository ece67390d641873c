/* SPDX-License-Identifier: MIT */
#ifndef GUEST_CONFIG_H
#define GUEST_CONFIG_H

/*
 * Build-time limits of the test guests. Shared by C and assembly; must match the values in
 * guest.ld (GUEST_MAX_HARTS, GUEST_STACK_SIZE).
 */
#define GUEST_MAX_HARTS  8
#define GUEST_STACK_SIZE 16384

/* The machine the guests expect (QEMU virt, and what Ferrovisor emulates). */
#define GUEST_RAM_BASE      0x80000000UL
#define GUEST_UART_BASE     0x10000000UL
#define GUEST_DEFAULT_TB_HZ 10000000UL

/* Size of the trap frame built by trap_vec.S: x0..x31, sepc, sstatus. */
#define TRAP_FRAME_SIZE (34 * 8)

#endif
