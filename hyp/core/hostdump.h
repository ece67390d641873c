/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_HOSTDUMP_H
#define FV_CORE_HOSTDUMP_H

/*
 * Crash dumps to the host, for runs without a service VM (docs/debugging.md "Dumps to the
 * host"): `ferrovisor run --dump-dir DIR` gives QEMU a virtio console whose slot the bundle
 * names (host/dump-slot); when a VM crashes, or on the shell's `vm dump NAME`, the
 * hypervisor streams the VM's DUMP_INFO (ctl_dump.c: the register sets, RAM regions and
 * cause the daemon gets) and its RAM there in checksummed frames (core/dump_frame.h), and
 * the tool writes the ELF core (tools/ferrovisord/fvd_core.c).
 *
 * Concurrency: hostdump_vm_crashed() may run on any CPU (it only sets a bit); everything
 * else runs on the boot CPU's console tick, the context that owns the VM table, the shell
 * and the channel.
 */
#include "lib/types.h"

struct vm;

/* Boot CPU, before gdb_init(): take the console in slot dump_slot1 - 1 (0 = no channel). */
void hostdump_init(uint32_t dump_slot1);

/* Whether the run has a dump channel. */
bool hostdump_enabled(void);

/* vm has just crashed (vm.c, any CPU): dump it on the next console tick if there is a
 * channel. */
void hostdump_vm_crashed(struct vm *vm);

/*
 * The shell's `vm dump NAME`: dump vm now (a running VM is paused for the dump and resumed
 * after it). 0, -FV_ENODEV without a channel, -FV_ENOTSUP for the service VM, -FV_EBUSY when
 * the VM cannot be dumped in its state or another dump is being sent.
 */
int hostdump_request(struct vm *vm);

/* Console tick: send what the channel takes of the dump in progress. */
void hostdump_poll(void);

#endif
