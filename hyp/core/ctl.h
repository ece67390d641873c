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
 * Concurrency: request handling (ctl_receive) runs with the control
 * device's lock held (vm_virtio.c), which serialises the dispatcher state.
 * The outbound queue has its own leaf lock (out_lock): any CPU may append
 * events (VM state changes, console output) while holding its own VM's
 * locks; only the control device's owner consumes (ctl_out_peek/consume,
 * under the device lock). Lock order: control device -> target VM locks ->
 * out_lock.
 */
#include "lib/types.h"

struct vm;

/* The service VM was created with its control device (boot CPU, once). */
void ctl_set_service(struct vm *vm);
/* The service VM, or NULL if none is configured. */
struct vm *ctl_service_vm(void);
/*
 * Bytes the service VM wrote to its control device. Control device lock
 * held. Answers every complete request (and every framing error).
 */
void ctl_receive(const uint8_t *buf, size_t len);
/*
 * The control device was reset (driver reset, VM stop/boot): forget the
 * partial input, the negotiation, console attachments and any upload, and
 * drop queued output (it was meant for the previous driver instance).
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
/* A line of @vm's console output (vconsole.c, line_lock held): EV_CONSOLE if attached. */
void ctl_console_output(struct vm *vm, const char *buf, size_t len);
/* Periodic (console poll, boot CPU, no locks): push queued output into the service VM. */
void ctl_poll(void);
/* Shell `ctl`: counters, per status word. */
void ctl_describe(void (*line)(const char *text));

#endif
