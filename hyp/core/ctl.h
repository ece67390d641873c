/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_CTL_H
#define FV_CORE_CTL_H

/*
 * The hypervisor's end of the control channel (docs/control-protocol.md):
 * reassembles requests the service VM writes to its control device,
 * dispatches them by table to the core VM functions, and queues responses
 * and events in a bounded outbound queue that the control device drains
 * into the service VM's receive buffers.
 *
 * Concurrency: the service VM's bytes are only queued where they arrive
 * (ctl_input, control device lock held, the service vCPU's CPU); at the end
 * of the notification ctl_input_done asks the boot CPU to run the
 * dispatcher now (bootwork_request; an IPI).
 * Requests are decoded and dispatched only on the boot CPU, in the context
 * that runs the shell and owns the VM table, with no lock held: a bootwork
 * round (ctl_service, at most CTL_NOTIFY_BUDGET bytes, the rest 200 us
 * later) or the 10 ms console tick (ctl_poll, the fallback), never both at
 * once (the boot CPU runs one at a time, interrupts masked). Handlers call
 * the core VM functions exactly as the shell does. The dispatcher state
 * belongs to that context alone. The inbound queue
 * (in_lock) and the outbound queue (out_lock) have leaf locks: any CPU may
 * append events (VM state changes, console output) while holding its own
 * VM's locks; only the control device's owner consumes outbound bytes
 * (ctl_out_peek/consume, under the device lock).
 */
#include "lib/types.h"

struct vm;

/*
 * @vm gets the control channel (its control device is being created).
 * 0, or -FV_EEXIST if another VM has it: at most one service VM, also
 * against VMs created at run time. Boot CPU / console tick.
 */
int ctl_set_service(struct vm *vm);
/* @vm's control device is going away: if it was the service VM, nobody is. Same contexts. */
void ctl_unset_service(struct vm *vm);
/* The service VM, or NULL if none is configured. */
struct vm *ctl_service_vm(void);
/*
 * Bytes the service VM wrote to its control device (control device lock
 * held): queued for ctl_poll. What does not fit in the inbound queue
 * (CTL_INQ bytes, several maximal frames) is dropped and counted; the
 * decoder then resynchronises and answers with errors.
 */
void ctl_input(const uint8_t *buf, size_t len);
/*
 * The service VM's notification has been handed over in full (control
 * device lock held): ask the boot CPU to answer it now
 * (bootwork_request, one IPI per notification rather than per chunk).
 */
void ctl_input_done(void);
/*
 * The control device was reset (VM stop/boot): queued input and output are
 * dropped now; the session (partial frame, negotiation, console
 * attachments, upload) is forgotten on the next dispatcher round. Any CPU.
 */
void ctl_channel_reset(void);
/*
 * Contiguous queued output: sets *p and returns its length (0 = empty).
 * Only the consumer (control device lock) calls peek/consume.
 */
size_t ctl_out_peek(const uint8_t **p);
void ctl_out_consume(size_t n);
/*
 * A VM changed state (vm.c, no VM lock held): queue EV_VM_STATE, and
 * EV_VM_CRASH with @cause when it crashed. Any CPU.
 */
void ctl_vm_event(struct vm *vm, unsigned old_state, unsigned new_state, const char *cause);
/*
 * @vm's slot is being freed (vm_free, console tick): its console attachment
 * is cleared and, unless it is the service VM, EV_VM_STATE (old state ->
 * CTL_VM_DESTROYED) is sent.
 */
void ctl_vm_freed(struct vm *vm);
/* A line of @vm's console output (vconsole.c, line_lock held): EV_CONSOLE if attached. */
void ctl_console_output(struct vm *vm, const char *buf, size_t len);
/*
 * Console tick (boot CPU, no locks held): decode and answer queued requests,
 * then push queued output into the service VM.
 */
void ctl_poll(void);
/*
 * Bootwork round (bootwork.h, boot CPU, no locks held), asked for by
 * ctl_input and by queued events: as ctl_poll, but at most
 * CTL_NOTIFY_BUDGET input bytes. True if input is left for another round.
 */
bool ctl_service(void);
/* Shell `ctl`: counters, per status word. */
void ctl_describe(void (*line)(const char *text));

#endif
