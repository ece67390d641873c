/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_VCONSOLE_H
#define FV_CORE_VCONSOLE_H

/*
 * A VM's console: its emulated UART plus the line buffer that tags its
 * output with the VM name on the physical console, and the input queue fed
 * by the console multiplexer when the VM has focus.
 */
#include "lib/types.h"
#include "core/spinlock.h"
#include "vdev/vpl011.h"
#include "vdev/vuart.h"

#define VCONSOLE_LINE_MAX 200
#define VCONSOLE_INQ_SIZE 512

struct vconsole {
	struct spinlock lock;      /* uart state and input queue */
	struct spinlock line_lock; /* output line buffer (nests inside lock) */
	struct vuart uart;
	struct vpl011 pl011; /* the UART model instead, where ARCH_GUEST_UART_PL011 says so */
	char line[VCONSOLE_LINE_MAX];
	unsigned line_len;
	unsigned line_shown;    /* bytes of line[] already on the screen (a partial flush) */
	uint64_t line_start_ns; /* when the pending partial line began */
	uint8_t inq[VCONSOLE_INQ_SIZE];
	unsigned inq_head, inq_tail;
	uint64_t tx_bytes, rx_bytes, rx_dropped;
	const char *tag;
	bool hvc_active; /* the guest last wrote to its virtio-console: input goes there */
};

struct vm;

/* Set up a VM's console state (every VM, UART or not). */
void vconsole_init(struct vm *vm);
/* Give the VM its emulated ns16550 at guest address base. */
int vconsole_attach(struct vm *vm, gpa_t base);
/* Fresh UART state and empty buffers (VM boot). */
void vconsole_reset(struct vm *vm);
/* Console output from a non-UART path (SBI DBCN); returns bytes taken. */
size_t vconsole_write(struct vm *vm, const uint8_t *buf, size_t n);
/* Output from the VM's virtio-console; console input follows it there. */
size_t vconsole_write_hvc(struct vm *vm, const uint8_t *buf, size_t n);
/*
 * Queue console input for the VM as if typed with it in focus (control
 * channel CONSOLE_INPUT). Returns the bytes that fitted. Any CPU; takes
 * the console lock.
 */
size_t vconsole_input(struct vm *vm, const uint8_t *buf, size_t n);
/* Take up to n queued input bytes for the VM (SBI DBCN); returns count. */
size_t vconsole_read(struct vm *vm, uint8_t *buf, size_t n);
/* Print whatever partial line the VM has buffered. */
void vconsole_flush(struct vm *vm);
/*
 * Console multiplexer: start the input poll on the calling (boot) CPU with
 * the given initial focus (NULL or "" = hypervisor shell).
 */
void conmux_init(const char *focus_vm);
/*
 * Raw mode (operator's choice, shell `console raw on|off`): the focused VM's
 * output reaches the terminal byte for byte, escape sequences included;
 * other VMs stay filtered. Off at boot.
 */
void conmux_set_raw(bool on);
bool conmux_raw(void);
/* Name of the current focus ("hyp" for the shell). */
const char *conmux_focus_name(void);
/*
 * Take physical console input on host interrupt @irq (the UART's, from the device tree;
 * 0 = none): registered and enabled, else input stays polled by the tick. Boot CPU, after
 * irq_init and before conmux_init.
 */
void conmux_input_irq(unsigned irq);
/*
 * Bootwork round (bootwork.h, boot CPU, no lock held): move queued console input into
 * the VMs now (vconsole_input asks for it). Returns false: the work is bounded per VM.
 */
bool conmux_service(void);

struct conmux_input_stats {
	bool irq_mode;       /* input on the UART interrupt, not the poll */
	uint64_t irqs;       /* UART receive interrupts handled */
	uint64_t irq_bytes;  /* bytes read in them */
	uint64_t poll_bytes; /* bytes read by the 10 ms poll */
};
/* Physical console input counters (shell `console`), read racily. */
void conmux_get_input_stats(struct conmux_input_stats *out);

#endif
