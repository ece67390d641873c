// SPDX-License-Identifier: MIT
/*
 * Crash dumps over the control channel (see ctl_dump.h): the daemon reads a VM's vCPU
 * registers and RAM and writes the ELF core itself. A dump needs a quiet VM: stopped,
 * crashed, or paused with every vCPU off its CPU (their saved state is then what the
 * guest will see next; nothing runs that could change RAM under the reader).
 */
#include "core/ctl_dump.h"
#include "core/arch.h"
#include "core/ctl_proto.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/string.h"

_Static_assert(sizeof(struct ctl_dump_info) + sizeof(struct ctl_dump_region) +
                       VM_MAX_VCPUS * sizeof(struct ctl_dump_vcpu) <=
                   CTL_MAX_PAYLOAD,
               "DUMP_INFO size");
_Static_assert(CTL_DUMP_CHUNK <= CTL_MAX_PAYLOAD, "DUMP_READ size");

static uint32_t dump_wire_state(enum vm_state s)
{
	static const uint32_t map[] = {
	    [VM_STOPPED] = CTL_VM_STOPPED,     [VM_RUNNING] = CTL_VM_RUNNING,
	    [VM_STOPPING] = CTL_VM_STOPPING,   [VM_CRASHED] = CTL_VM_CRASHED,
	    [VM_SUSPENDED] = CTL_VM_SUSPENDED, [VM_PAUSED] = CTL_VM_PAUSED,
	};
	return (unsigned)s < ARRAY_SIZE(map) ? map[s] : CTL_VM_STOPPED;
}

/* CTL_OK when @vm may be dumped now (see the file comment). */
static uint32_t dump_quiet(struct vm *vm)
{
	enum vm_state s = __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE);
	if (s != VM_STOPPED && s != VM_CRASHED && s != VM_PAUSED)
		return CTL_E_BAD_STATE;
	if (vm->destroying)
		return CTL_E_BAD_STATE;
	/* A pause is asynchronous: a vCPU still on its CPU has not saved its state yet. */
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (__atomic_load_n(&vm->vcpus[i]->running_cpu, __ATOMIC_ACQUIRE) != -1)
			return CTL_E_BUSY;
	return CTL_OK;
}

static void dump_put_str(uint8_t *p, const char *s, size_t field)
{
	size_t n = strlen(s);
	memset(p, 0, field);
	memcpy(p, s, n < field - 1 ? n : field - 1);
}

uint32_t ctl_dump_info(uint8_t *out, struct vm *vm, uint32_t *len)
{
	uint32_t st = dump_quiet(vm);
	if (st)
		return st;
	uint32_t n = sizeof(struct ctl_dump_info);
	memset(out, 0, n);
	ctl_put32(out, vm->id);
	ctl_put32(out + 4, dump_wire_state(vm->state));
	ctl_put32(out + 8, vm->nr_vcpus);
	ctl_put32(out + 12, 1); /* one contiguous RAM block per VM (vm.h) */
	ctl_put64(out + 16, vm->boots);
	dump_put_str(out + 24, vm->name, CTL_NAME_MAX);
	/* last_error is kept from the crash until the next start (vm_start clears it). */
	if (vm->state == VM_CRASHED)
		dump_put_str(out + 56, vm->last_error, 96);
	ctl_put64(out + n, vm->ram_gpa);
	ctl_put64(out + n + 8, vm->ram_size);
	n += sizeof(struct ctl_dump_region);
	/* The vCPU that crashed the VM first (gdb's current thread), then the others in order. */
	unsigned first =
	    vm->state == VM_CRASHED && vm->crash_vcpu1 && vm->crash_vcpu1 <= vm->nr_vcpus
	        ? vm->crash_vcpu1 - 1
	        : 0;
	for (unsigned k = 0; k < vm->nr_vcpus && k < VM_MAX_VCPUS; k++) {
		unsigned i = k == 0 ? first : (k <= first ? k - 1 : k);
		const struct vcpu *v = vm->vcpus[i];
		uint64_t reg[CTL_DUMP_NR_REGS];
		memset(reg, 0, sizeof(reg));
		arch_vcpu_dump_regs(v, reg);
		ctl_put32(out + n, i);
		ctl_put32(out + n + 4, (uint32_t)__atomic_load_n(&v->state, __ATOMIC_RELAXED));
		for (unsigned r = 0; r < CTL_DUMP_NR_REGS; r++)
			ctl_put64(out + n + 8 + 8 * r, reg[r]);
		n += sizeof(struct ctl_dump_vcpu);
	}
	*len = n;
	return CTL_OK;
}

uint32_t ctl_dump_read(uint8_t *out, struct vm *vm, const uint8_t *req, uint32_t *len)
{
	uint64_t gpa = ctl_get64(req + 32);
	uint32_t n = ctl_get32(req + 40);
	if (ctl_get32(req + 44) || n == 0 || n > CTL_DUMP_CHUNK)
		return CTL_E_BAD_FIELD;
	/* Inside the VM's RAM, written so that no sum can wrap. */
	if (gpa < vm->ram_gpa || gpa - vm->ram_gpa > vm->ram_size ||
	    n > vm->ram_size - (gpa - vm->ram_gpa))
		return CTL_E_BAD_FIELD;
	uint32_t st = dump_quiet(vm);
	if (st)
		return st;
	/* vm_gpa_to_hva checks the range again and zeroes a block the guest never touched. */
	const void *src = vm_gpa_to_hva(vm, gpa, n);
	if (!src)
		return CTL_E_BAD_FIELD;
	memcpy(out, src, n);
	*len = n;
	return CTL_OK;
}
