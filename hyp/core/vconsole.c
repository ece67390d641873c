// SPDX-License-Identifier: MIT
/*
 * Per-VM consoles and the console multiplexer.
 *
 * Output: each VM's UART bytes are collected per line and written to the
 * physical console tagged "[name] ". A partial line of the focused VM (a
 * shell prompt) is shown once it has been idle for PARTIAL_FLUSH_NS.
 * Input: the physical UART's receive interrupt (routed to the boot CPU,
 * irq.h) reads the bytes and hands them on at once; without an interrupt in
 * the device tree the boot CPU polls the UART every POLL_NS instead. Bytes go
 * to the focused VM (or to the hypervisor shell). Ctrl-] is the escape key:
 *   Ctrl-] n    next focus          Ctrl-] 0 / h   hypervisor shell
 *   Ctrl-] 1-8  VM number 1-8       Ctrl-] Ctrl-]  send a literal Ctrl-]
 *   Ctrl-] ?    help
 * Guest bytes are rendered visibly (core/conesc.h) unless the operator set
 * raw mode (shell `console raw on`), which then applies to the focused VM.
 */
#include "core/vconsole.h"
#include "core/bootwork.h"
#include "core/console.h"
#include "core/hostdev.h"
#include "core/ctl.h"
#include "core/gdb.h"
#include "core/irq.h"
#include "core/hostdump.h"
#include "core/percpu.h"
#include "core/shell.h"
#include "core/timer.h"
#include "core/vm.h"
#include "core/vnet.h"
#include "lib/string.h"
#include "arch/defs.h"

/*
 * The model of the VM's UART is the architecture's (arch/defs.h): an ns16550 unless the
 * architecture's machine has a PL011 (QEMU's arm64 virt). Both have the same callbacks.
 */
#ifndef ARCH_GUEST_UART_PL011
#define ARCH_GUEST_UART_PL011 0
#endif

#define POLL_NS          10000000ULL /* 10 ms */
#define PARTIAL_FLUSH_NS 50000000ULL /* 50 ms */
#define ESCAPE_CHAR      0x1d        /* Ctrl-]: Ctrl-A is QEMU's own escape */
#define INPUT_BURST      64          /* physical input bytes handled per interrupt or tick */

/* Console focus: -1 = shell, else a slot of vm_table. Written by the boot CPU only. */
static int focus = -1;
static bool escape_pending;
/* Operator's raw mode: the focused VM's bytes reach the terminal unfiltered. */
static bool raw_mode;
static struct timer_event poll_timer;
/* Input on the UART's interrupt (else polled), and its counters. Boot CPU only. */
static bool irq_mode;
static struct conmux_input_stats in_st;

/* Whether vm's bytes go to the terminal unfiltered: the operator's raw mode, focused VM. */
static bool shown_raw(struct vm *vm)
{
	/* Any CPU may ask: read focus and raw_mode atomically (the boot CPU writes them). */
	int f = __atomic_load_n(&focus, __ATOMIC_RELAXED);
	return __atomic_load_n(&raw_mode, __ATOMIC_RELAXED) && f >= 0 && f < FV_MAX_VMS &&
	       vm_table[f] == vm;
}

/*
 * line_lock held: show the line buffer. A complete line (or a full buffer) is written and
 * the buffer restarts; a partial one (the focused VM's prompt) stays buffered with what is
 * shown remembered, so that if another source interrupts it on the screen the whole line
 * is written again when it continues (console_write_guest_line).
 */
static void flush_locked(struct vm *vm, bool complete)
{
	struct vconsole *c = &vm->con;
	if (c->line_len > c->line_shown || (complete && c->line_len)) {
		console_write_guest_line(vm->name, c->line, c->line_len, c->line_shown,
		                         shown_raw(vm));
		/*
		 * The service VM may follow this console (control channel): it gets the bytes
		 * not sent before, so its events concatenate to the guest's output exactly.
		 */
		if (c->line_len > c->line_shown)
			ctl_console_output(vm, c->line + c->line_shown,
			                   c->line_len - c->line_shown);
		c->line_shown = c->line_len;
	}
	if (complete)
		c->line_len = c->line_shown = 0;
}

/* line_lock held */
static void line_put_locked(struct vm *vm, uint8_t ch)
{
	struct vconsole *c = &vm->con;
	c->tx_bytes++;
	if (c->line_len == 0)
		c->line_start_ns = time_now_ns();
	c->line[c->line_len++] = (char)ch;
	/*
	 * A cursor-position query (ESC [ 6 n; busybox's shell sends one before every prompt)
	 * asks the terminal to type its answer into the focused VM's input. Drop it while it is
	 * still unshown, instead of rendering it as "^[[6n" noise: it draws nothing anyway, and
	 * the multiplexed terminal must not answer a guest's questions (raw mode passes it).
	 */
	static const char dsr[] = "\x1b[6n";
	const unsigned n = sizeof(dsr) - 1;
	if (ch == 'n' && c->line_len >= c->line_shown + n && !shown_raw(vm) &&
	    memcmp(c->line + c->line_len - n, dsr, n) == 0) {
		c->line_len -= n;
		return;
	}
	if (ch == '\n' || c->line_len == VCONSOLE_LINE_MAX)
		flush_locked(vm, true);
}

static void uart_tx(void *ctx, uint8_t ch)
{
	struct vm *vm = ctx;
	spin_lock(&vm->con.line_lock);
	line_put_locked(vm, ch);
	spin_unlock(&vm->con.line_lock);
}

/* Bytes from the UART itself: the guest's console is the UART (again). */
static void uart_dev_tx(void *ctx, uint8_t ch)
{
	struct vm *vm = ctx;
	__atomic_store_n(&vm->con.hvc_active, false, __ATOMIC_RELAXED);
	uart_tx(ctx, ch);
}

static void uart_irq(void *ctx, bool level)
{
	struct vm *vm = ctx;
	if (vm->irqchip)
		vm->irqchip->set_level(vm->irqchip_dev, VM_IRQ_UART, level);
}

static const struct vuart_ops uart_ops = {
    .tx = uart_dev_tx,
    .irq_update = uart_irq,
};

static int mmio_read(void *dev, struct vcpu *vcpu, uint64_t off, unsigned width, uint64_t *val)
{
	UNUSED(vcpu);
	struct vm *vm = dev;
	spin_lock(&vm->con.lock);
	int ret = 0;
	/* A quiet read (a guest polling LSR) inline, without vuart_read's frame. */
	if (ARCH_GUEST_UART_PL011)
		ret = vpl011_read(&vm->con.pl011, off, width, val);
	else if (!vuart_read_quiet(&vm->con.uart, off, width, val))
		ret = vuart_read(&vm->con.uart, off, width, val);
	spin_unlock(&vm->con.lock);
	return ret;
}

static int mmio_write(void *dev, struct vcpu *vcpu, uint64_t off, unsigned width, uint64_t val)
{
	UNUSED(vcpu);
	struct vm *vm = dev;
	/* The tx callback nests line_lock inside lock. */
	spin_lock(&vm->con.lock);
	int ret = ARCH_GUEST_UART_PL011 ? vpl011_write(&vm->con.pl011, off, width, val)
	                                : vuart_write(&vm->con.uart, off, width, val);
	spin_unlock(&vm->con.lock);
	return ret;
}

static const struct mmio_ops uart_mmio = {
    .read = mmio_read,
    .write = mmio_write,
};

void vconsole_init(struct vm *vm)
{
	struct vconsole *c = &vm->con;
	spin_init(&c->lock);
	spin_init(&c->line_lock);
	c->tag = vm->name;
	vuart_init(&c->uart, &uart_ops, vm);
	vpl011_init(&c->pl011, &uart_ops, vm);
}

int vconsole_attach(struct vm *vm, gpa_t base)
{
	return mmio_bus_add(&vm->mmio, base, 0x100, &uart_mmio, vm, "uart");
}

void vconsole_reset(struct vm *vm)
{
	struct vconsole *c = &vm->con;
	spin_lock(&c->lock);
	vuart_reset(&c->uart);
	vpl011_reset(&c->pl011);
	c->inq_head = c->inq_tail = 0;
	c->hvc_active = false;
	spin_unlock(&c->lock);
	spin_lock(&c->line_lock);
	c->line_len = c->line_shown = 0;
	spin_unlock(&c->line_lock);
}

size_t vconsole_write(struct vm *vm, const uint8_t *buf, size_t n)
{
	/*
	 * One lock hold for the whole buffer: two vCPUs writing lines at the same time (SBI
	 * DBCN, hvc) get whole lines each instead of bytes interleaved into one garbled line.
	 */
	spin_lock(&vm->con.line_lock);
	for (size_t i = 0; i < n; i++)
		line_put_locked(vm, buf[i]);
	spin_unlock(&vm->con.line_lock);
	return n;
}

size_t vconsole_write_hvc(struct vm *vm, const uint8_t *buf, size_t n)
{
	__atomic_store_n(&vm->con.hvc_active, true, __ATOMIC_RELAXED);
	return vconsole_write(vm, buf, n);
}

size_t vconsole_read(struct vm *vm, uint8_t *buf, size_t n)
{
	struct vconsole *c = &vm->con;
	size_t got = 0;
	spin_lock(&c->lock);
	while (got < n && c->inq_head != c->inq_tail) {
		buf[got++] = c->inq[c->inq_head];
		c->inq_head = (c->inq_head + 1) % VCONSOLE_INQ_SIZE;
	}
	c->rx_bytes += got;
	spin_unlock(&c->lock);
	return got;
}

void vconsole_flush(struct vm *vm)
{
	spin_lock(&vm->con.line_lock);
	flush_locked(vm, true);
	spin_unlock(&vm->con.line_lock);
}

/* The focused VM, NULL for the shell (or a slot emptied meanwhile). */
static struct vm *focus_vm(void)
{
	if (focus < 0 || focus >= FV_MAX_VMS)
		return NULL;
	return vm_table[focus];
}

const char *conmux_focus_name(void)
{
	struct vm *vm = focus_vm();
	return vm ? vm->name : "hyp";
}

void conmux_set_raw(bool on)
{
	__atomic_store_n(&raw_mode, on, __ATOMIC_RELAXED);
}

bool conmux_raw(void)
{
	return __atomic_load_n(&raw_mode, __ATOMIC_RELAXED);
}

static void set_focus(int f)
{
	__atomic_store_n(&focus, f, __ATOMIC_RELAXED);
	pr_info("console focus: %s (Ctrl-] ? for help)", conmux_focus_name());
	if (focus < 0)
		shell_prompt();
}

static void to_vm(struct vm *vm, uint8_t ch)
{
	struct vconsole *c = &vm->con;
	spin_lock(&c->lock);
	unsigned next = (c->inq_tail + 1) % VCONSOLE_INQ_SIZE;
	if (next == c->inq_head)
		c->rx_dropped++;
	else {
		c->inq[c->inq_tail] = ch;
		c->inq_tail = next;
	}
	spin_unlock(&c->lock);
}

size_t vconsole_input(struct vm *vm, const uint8_t *buf, size_t n)
{
	struct vconsole *c = &vm->con;
	size_t took = 0;
	spin_lock(&c->lock);
	for (; took < n; took++) {
		unsigned next = (c->inq_tail + 1) % VCONSOLE_INQ_SIZE;
		if (next == c->inq_head)
			break; /* full: the caller learns how much fitted */
		c->inq[c->inq_tail] = buf[took];
		c->inq_tail = next;
	}
	spin_unlock(&c->lock);
	/* Fed to the guest's UART or virtio-console on the boot CPU now, not at the tick. */
	if (took)
		bootwork_request(BOOTWORK_CON);
	return took;
}

static void handle_escape(int ch)
{
	escape_pending = false;
	if (ch == ESCAPE_CHAR) {
		if (focus_vm())
			to_vm(focus_vm(), ESCAPE_CHAR);
	} else if (ch == 'n' || ch == '\t') {
		/* The next slot in use, after the shell the first one. */
		int f = focus + 1;
		while (f < FV_MAX_VMS && !vm_table[f])
			f++;
		set_focus(f >= FV_MAX_VMS ? -1 : f);
	} else if (ch == '0' || ch == 'h') {
		set_focus(-1);
	} else if (ch >= '1' && ch <= '8' && ch - '1' < FV_MAX_VMS && vm_table[ch - '1']) {
		set_focus(ch - '1');
	} else {
		pr_info("console keys: Ctrl-] n next, Ctrl-] 0/h shell, Ctrl-] 1-%u VM, "
		        "Ctrl-] Ctrl-] literal Ctrl-]; focus is %s; raw mode %s (shell: console "
		        "raw on|off)",
		        FV_MAX_VMS, conmux_focus_name(), conmux_raw() ? "on" : "off");
	}
}

static void input_byte(int ch)
{
	if (escape_pending) {
		handle_escape(ch);
		return;
	}
	if (ch == ESCAPE_CHAR) {
		escape_pending = true;
		return;
	}
	if (!focus_vm())
		shell_input((char)ch);
	else
		to_vm(focus_vm(), (uint8_t)ch);
}

static void feed_uart(struct vm *vm)
{
	struct vconsole *c = &vm->con;
	spin_lock(&c->lock);
	while (c->inq_head != c->inq_tail && vm->state == VM_RUNNING) {
		bool taken = ARCH_GUEST_UART_PL011 ? vpl011_rx_push(&c->pl011, c->inq[c->inq_head])
		                                   : vuart_rx_push(&c->uart, c->inq[c->inq_head]);
		if (!taken)
			break;
		c->inq_head = (c->inq_head + 1) % VCONSOLE_INQ_SIZE;
		c->rx_bytes++;
	}
	spin_unlock(&c->lock);
}

/* Input for a guest whose console is its virtio-console (hvc0). */
static void feed_hvc(struct vm *vm)
{
	struct vconsole *c = &vm->con;
	uint8_t buf[64];
	size_t n = 0;
	/* Copy out, then hand over without the console lock (device lock order). */
	spin_lock(&c->lock);
	for (unsigned h = c->inq_head; h != c->inq_tail && n < sizeof(buf);
	     h = (h + 1) % VCONSOLE_INQ_SIZE)
		buf[n++] = c->inq[h];
	spin_unlock(&c->lock);
	if (!n || vm->state != VM_RUNNING)
		return;
	size_t took = vm_virtio_console_input(vm, buf, n);
	/* Only this CPU consumes the queue: the taken bytes are still at its head. */
	spin_lock(&c->lock);
	c->inq_head = (c->inq_head + (unsigned)took) % VCONSOLE_INQ_SIZE;
	c->rx_bytes += took;
	spin_unlock(&c->lock);
}

/* Move queued input into each VM's UART FIFO and show stale partial lines. */
static void service_vms(uint64_t now)
{
	for (unsigned i = 0; i < FV_MAX_VMS; i++) {
		struct vm *vm = vm_table[i];
		if (!vm)
			continue;
		struct vconsole *c = &vm->con;
		if (__atomic_load_n(&c->hvc_active, __ATOMIC_RELAXED))
			feed_hvc(vm);
		else if (vm->cfg->has_uart)
			feed_uart(vm);
		/*
		 * Only the focused VM shows a partial line (its prompt, for the
		 * person typing); others keep whole lines so a VM preempted
		 * mid-line never has its line split by another VM's output.
		 */
		spin_lock(&c->line_lock);
		if (c->line_len > c->line_shown && focus == (int)i &&
		    now - c->line_start_ns >= PARTIAL_FLUSH_NS)
			flush_locked(vm, false);
		spin_unlock(&c->line_lock);
	}
}

/* Boot CPU: read waiting physical input (bounded, so a flood cannot starve the CPU). */
static void read_input(uint64_t *count)
{
	int ch;
	for (unsigned n = 0; n < INPUT_BURST && (ch = console_getc()) >= 0; n++) {
		input_byte(ch);
		(*count)++;
	}
}

/*
 * The UART's receive interrupt (boot CPU, host-interrupt path, no lock held: the tick's
 * context). The bytes reach the focused VM's UART (or virtio-console) before this returns,
 * so the guest gets its own interrupt now. The interrupt is level: bytes left beyond the
 * burst raise it again after this round.
 */
static void uart_rx_irq(void *arg)
{
	UNUSED(arg);
	in_st.irqs++;
	read_input(&in_st.irq_bytes);
	service_vms(time_now_ns());
}

bool conmux_service(void)
{
	service_vms(time_now_ns());
	return false;
}

void conmux_input_irq(unsigned irq)
{
	if (irq && irq_register(irq, uart_rx_irq, NULL) == 0 && console_rx_irq_enable() == 0) {
		irq_mode = true;
		pr_info("console input: UART interrupt %u", irq);
	} else {
		pr_info("console input: polled every %lu ms (no usable UART interrupt)",
		        (unsigned long)(POLL_NS / 1000000));
	}
}

void conmux_get_input_stats(struct conmux_input_stats *out)
{
	*out = in_st;
	out->irq_mode = irq_mode;
}

static void poll_fn(struct timer_event *ev, void *arg)
{
	UNUSED(arg);
	if (!irq_mode)
		read_input(&in_st.poll_bytes);
	uint64_t now = time_now_ns();
	service_vms(now);
	vnet_poll_uplinks();
	hostdev_poll_disks();
	/* Destroyed VMs are freed here, where vm_table pointers are used (vm.h). */
	struct vm *f = focus_vm();
	if (f && __atomic_load_n(&f->dead, __ATOMIC_ACQUIRE))
		set_focus(-1);
	vm_reap();
	ctl_poll();
	gdb_poll();
	hostdump_poll();
	timer_arm(ev, now + POLL_NS);
}

void conmux_init(const char *focus_name)
{
	focus = -1;
	if (focus_name && focus_name[0]) {
		for (unsigned i = 0; i < FV_MAX_VMS; i++)
			if (vm_table[i] && strcmp(vm_table[i]->name, focus_name) == 0)
				focus = (int)i;
	}
	pr_info("console focus: %s (Ctrl-] ? for help)", conmux_focus_name());
	if (focus < 0)
		shell_prompt();
	timer_event_init(&poll_timer, poll_fn, NULL);
	timer_arm(&poll_timer, time_now_ns() + POLL_NS);
}
