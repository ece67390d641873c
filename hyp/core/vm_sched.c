// SPDX-License-Identifier: MIT
/*
 * Scheduling parameters of a whole VM (weight, CPU affinity), changed in any
 * state, running included: the one entry point of the control channel
 * (SET_WEIGHT / SET_AFFINITY) and the shell (`vm weight`, `vm affinity`).
 */
#include "core/percpu.h"
#include "core/sched.h"
#include "core/sched_rq.h"
#include "core/vm.h"
#include "lib/fv_err.h"

/*
 * Why (weight, mask) cannot apply to vm, or 0. A vCPU pinned by the
 * configuration (vcpu-pin) stays pinned, so the mask must contain its CPU.
 */
static int check_params(const struct vm *vm, uint32_t weight, uint64_t mask)
{
	if (weight > SCHED_WEIGHT_MAX)
		return -FV_EINVAL;
	if (mask && (mask & ~cpu_online_mask()))
		return -FV_EINVAL; /* names a CPU this host does not have (online) */
	for (unsigned i = 0; mask && i < vm->nr_vcpus; i++) {
		int pin = vm->cfg->vcpu_pin[i];
		if (pin >= 0 && !(mask & BIT(pin)))
			return -FV_ERANGE;
	}
	return 0;
}

int vm_set_sched(struct vm *vm, uint32_t weight, uint64_t mask)
{
	int ret = check_params(vm, weight, mask);
	if (ret)
		return ret;
	/*
	 * vm->lock keeps the VM from being reaped under us (vm_destroy marks it
	 * destroying under the same lock before its vCPUs go away).
	 */
	spin_lock(&vm->lock);
	if (vm->destroying) {
		spin_unlock(&vm->lock);
		return -FV_EBUSY;
	}
	for (unsigned i = 0; i < vm->nr_vcpus && ret == 0; i++) {
		int pin = vm->cfg->vcpu_pin[i];
		uint64_t aff = mask && pin >= 0 ? BIT(pin) : mask;
		ret = sched_set_params(vm->vcpus[i], weight, aff);
	}
	spin_unlock(&vm->lock);
	return ret;
}
