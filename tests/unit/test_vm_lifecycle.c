// SPDX-License-Identifier: MIT
/*
 * Host unit tests of core's VM lifecycle (vm.c) with the real vCPU, run-loop and scheduler
 * code, unchanged, on the fake architecture (tests/unit/fake_arch): creation failing at every
 * step gives back everything it took (memory, pages, stage-2/VMID, devices, its slot) so the
 * next creation succeeds; a boot places images and device tree and starts vCPU 0 with the
 * architecture's boot arguments; stop, reset and crash requests racing each other settle as
 * vm.h promises; a reset hands the guest fresh RAM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_arch.h"
#include "core/sched.h"
#include "lib/fv_err.h"

#define MIB (1ULL << 20)

static const uint8_t kernel[64] = {0x13, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef};
static struct vm_config cfg;

static int setup(void **state)
{
	UNUSED(state);
	fake_arch_setup();
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, "t");
	cfg.vcpus = 2;
	cfg.mem_base = 0x80000000ULL;
	cfg.mem_size = 4 * MIB;
	cfg.weight = 256;
	for (unsigned i = 0; i < VM_MAX_VCPUS; i++)
		cfg.vcpu_pin[i] = -1;
	cfg.kernel = kernel;
	cfg.kernel_size = sizeof(kernel);
	cfg.kernel_offset = 0x200000;
	cfg.has_uart = true;
	cfg.uart_base = 0x10000000;
	return 0;
}

static void assert_nothing_held(void)
{
	assert_int_equal(fake_rec.allocs_live, 0);
	assert_int_equal(fake_rec.pages_live, 0);
	assert_int_equal(fake_rec.arch_vms_live, 0);
	assert_int_equal(fake_rec.virtio_live, 0);
	assert_int_equal(vm_count, 0);
	for (unsigned i = 0; i < FV_MAX_VMS; i++)
		assert_null(vm_table[i]);
}

/* Every vCPU off the CPUs: run each CPU until idle, twice (wakes may cross CPUs). */
static void run_all(void)
{
	for (unsigned round = 0; round < 2; round++)
		for (unsigned c = 0; c < FAKE_NR_CPUS; c++)
			fake_run_cpu(c);
}

static void test_create_and_free_give_everything_back(void **state)
{
	UNUSED(state);
	struct vm *vm = NULL;
	assert_int_equal(vm_create(&cfg, &vm), 0);
	assert_non_null(vm);
	assert_ptr_equal(vm_table[vm->id], vm);
	assert_int_equal(vm_count, 1);
	assert_ptr_equal(vm_find("t"), vm);
	assert_int_equal(vm->state, VM_STOPPED);
	assert_int_equal(vm->nr_vcpus, 2);
	assert_true(vm->arch.inited);
	assert_int_equal(fake_rec.pages_live, (long)(4 * MIB / PAGE_SIZE));
	assert_int_equal(fake_rec.virtio_live, 1);
	assert_null(vm_find("u"));
	vm_free(vm);
	assert_int_equal(fake_rec.ctl_freed, 1);
	assert_nothing_held();
}

/* Fail creation at each step in turn; each time nothing stays held and a retry succeeds. */
static void test_creation_failure_unwinds_every_step(void **state)
{
	UNUSED(state);
	struct vm *vm = NULL;
	assert_int_equal(vm_create(&cfg, &vm), 0);
	unsigned allocs_ok = fake_rec.allocs; /* allocations of one successful creation */
	vm_free(vm);
	assert_true(allocs_ok >= 4); /* vm, RAM, bitmap, vCPUs */
	unsigned cases = 0;
	for (unsigned step = 0; step < allocs_ok + 5; step++) {
		setup(NULL);
		if (step < allocs_ok)
			fake_fail.alloc_after = (int)step;
		else if (step == allocs_ok)
			fake_fail.arch_vm_init = true;
		else if (step == allocs_ok + 1)
			fake_fail.arch_virq_init = true;
		else if (step == allocs_ok + 2)
			fake_fail.vconsole_attach = true;
		else if (step == allocs_ok + 3)
			fake_fail.vm_rtc_init = true;
		else
			fake_fail.vm_virtio_create = true;
		vm = NULL;
		int ret = vm_create(&cfg, &vm);
		assert_true(ret < 0);
		assert_null(vm);
		assert_nothing_held();
		cases++;
		/* The slot, RAM and VMID are free again: the same VM can be created. */
		memset(&fake_fail, 0, sizeof(fake_fail));
		fake_fail.alloc_after = -1;
		assert_int_equal(vm_create(&cfg, &vm), 0);
		vm_free(vm);
		assert_nothing_held();
	}
	assert_int_equal(cases, allocs_ok + 5);
}

static void test_vm_limit_and_slot_reuse(void **state)
{
	UNUSED(state);
	struct vm *vms[FV_MAX_VMS];
	for (unsigned i = 0; i < FV_MAX_VMS; i++) {
		cfg.name[1] = (char)('0' + i);
		assert_int_equal(vm_create(&cfg, &vms[i]), 0);
		assert_int_equal(vms[i]->id, i);
	}
	cfg.name[1] = 'x';
	struct vm *extra = NULL;
	assert_int_equal(vm_create(&cfg, &extra), -FV_ENOSPC);
	assert_null(extra);
	vm_free(vms[3]);
	assert_int_equal(vm_create(&cfg, &extra), 0);
	assert_int_equal(extra->id, 3); /* the freed slot */
	vms[3] = extra;
	for (unsigned i = 0; i < FV_MAX_VMS; i++)
		vm_free(vms[i]);
	assert_nothing_held();
}

static struct vm *create_and_start(void)
{
	struct vm *vm = NULL;
	assert_int_equal(vm_create(&cfg, &vm), 0);
	fake_script(vm->vcpus[0], FA_CPU_ON, 1);
	assert_int_equal(vm_start(vm), 0);
	return vm;
}

static void test_start_places_images_and_boot_args(void **state)
{
	UNUSED(state);
	struct vm *vm = create_and_start();
	struct vcpu *v0 = vm->vcpus[0], *v1 = vm->vcpus[1];
	assert_int_equal(vm->state, VM_RUNNING);
	assert_int_equal(vm->boots, 1);
	assert_int_equal(v0->state, VCPU_RUNNABLE);
	assert_int_equal(v1->state, VCPU_STOPPED);
	assert_int_equal(v0->arch.entry, cfg.mem_base + cfg.kernel_offset);
	/* The arch's boot protocol (fake: a0 = tree, a1 = 0x5a), not RISC-V's. */
	assert_int_equal(v0->arch.a0, vm->dtb_gpa);
	assert_int_equal(v0->arch.a1, 0x5a);
	assert_true(vm->dtb_gpa >= cfg.mem_base && vm->dtb_gpa < cfg.mem_base + cfg.mem_size);
	uint32_t *marker = vm_gpa_to_hva(vm, vm->dtb_gpa, 4);
	assert_non_null(marker);
	assert_int_equal(*marker, 0xd00dfeed);
	assert_memory_equal(vm_gpa_to_hva(vm, v0->arch.entry, sizeof(kernel)), kernel,
	                    sizeof(kernel));
	/* Starting a running VM is refused. */
	assert_int_equal(vm_start(vm), -FV_EBUSY);
	run_all();
	assert_int_equal(v0->state, VCPU_BLOCKED);
	assert_int_equal(v1->state, VCPU_BLOCKED); /* started by vCPU 0's CPU-on */
	assert_int_equal(v0->arch.a0, vm->dtb_gpa);
	assert_int_equal(vm_request(vm, VM_ACTION_STOP, "test stop"), 0);
	run_all();
	assert_int_equal(vm->state, VM_STOPPED);
	assert_int_equal(v0->state, VCPU_STOPPED);
	assert_int_equal(v1->state, VCPU_STOPPED);
	vm_free(vm);
	assert_nothing_held();
}

static void test_reset_gives_fresh_ram(void **state)
{
	UNUSED(state);
	struct vm *vm = create_and_start();
	run_all();
	/* The guest leaves data in a block the images do not cover. */
	gpa_t scratch = cfg.mem_base + 0x10;
	uint64_t *p = vm_gpa_to_hva(vm, scratch, 8);
	assert_non_null(p);
	assert_int_equal(*p, 0); /* zeroed on first touch, not the pool's stale 0xa5 */
	*p = 0x1122334455667788ULL;
	unsigned unmaps = fake_rec.unmaps;
	assert_int_equal(vm_request(vm, VM_ACTION_RESET, "test reset"), 0);
	run_all();
	assert_int_equal(vm->boots, 2);
	assert_int_equal(vm->state, VM_RUNNING);
	assert_true(fake_rec.unmaps > unmaps);
	p = vm_gpa_to_hva(vm, scratch, 8);
	assert_int_equal(*p, 0);
	/* vCPU 0 rebooted (and started vCPU 1 again: the script moved on, so it blocks). */
	assert_int_not_equal(vm->vcpus[0]->state, VCPU_STOPPED);
	assert_int_equal(vm->vcpus[0]->arch.resets, 2);
	assert_int_equal(vm_request(vm, VM_ACTION_STOP, NULL), 0);
	run_all();
	vm_free(vm);
	assert_nothing_held();
}

static void test_stop_wins_over_reset_and_crash_over_stop(void **state)
{
	UNUSED(state);
	struct vm *vm = create_and_start();
	run_all();
	/* Reset asked, then stop, before any vCPU acted: it stays stopped. */
	assert_int_equal(vm_request(vm, VM_ACTION_RESET, NULL), 0);
	assert_int_equal(vm_request(vm, VM_ACTION_STOP, NULL), 0);
	assert_int_equal(vm->state, VM_STOPPING);
	run_all();
	assert_int_equal(vm->state, VM_STOPPED);
	assert_int_equal(vm->boots, 1);
	/* A reset of a stopped VM boots it at once. */
	assert_int_equal(vm_request(vm, VM_ACTION_RESET, NULL), 0);
	assert_int_equal(vm->boots, 2);
	run_all();
	/* Stop, then a crash report: the crash wins and keeps its reason. */
	assert_int_equal(vm_request(vm, VM_ACTION_STOP, NULL), 0);
	assert_int_equal(vm_request(vm, VM_ACTION_CRASH, "guest fault"), 0);
	run_all();
	assert_int_equal(vm->state, VM_CRASHED);
	assert_int_equal(vm->crashes, 1);
	assert_string_equal(vm->last_error, "guest fault");
	/* A stop of a stopped VM changes nothing. */
	assert_int_equal(vm_request(vm, VM_ACTION_STOP, NULL), 0);
	assert_int_equal(vm->state, VM_CRASHED);
	vm_free(vm);
	assert_nothing_held();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_create_and_free_give_everything_back, setup),
	    cmocka_unit_test_setup(test_creation_failure_unwinds_every_step, setup),
	    cmocka_unit_test_setup(test_vm_limit_and_slot_reuse, setup),
	    cmocka_unit_test_setup(test_start_places_images_and_boot_args, setup),
	    cmocka_unit_test_setup(test_reset_gives_fresh_ram, setup),
	    cmocka_unit_test_setup(test_stop_wins_over_reset_and_crash_over_stop, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
