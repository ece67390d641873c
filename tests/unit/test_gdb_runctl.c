// SPDX-License-Identifier: MIT
/*
 * Host unit test of the guest debugger's run control (hyp/core/gdb.c, unchanged) with the
 * real stub (gdb_stub.c, gdb_rsp.c) on a fake channel and fake scheduler calls: halting,
 * breakpoints, and the race found in CI where a `continue` released the VM's vCPUs one by one
 * and the first, sitting on a breakpoint, hit it again before the second was released. The
 * second then lost its hold and ran on: the halt never completed and gdb waited forever.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/dirty_log.h"
#include "core/gdb.h"
#include "core/sched.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "drivers/virtio_console_phys.h"
#include "lib/fv_err.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE 0x10000ull
#define BP_PC    (RAM_BASE + 0x1000)

static struct vm vm;
static struct vcpu vcpus[2];
static uint8_t ram[RAM_SIZE];
static uint64_t pcs[2];

/* The gdb channel: what the test feeds in, what the stub answered. */
static struct vcon_phys chan;
static char in_buf[512];
static size_t in_len, in_pos;
static char out_buf[4096];
static size_t out_len;

/* Scheduler fakes: unpause calls; a vCPU that hits BP_PC as soon as it is unpaused. */
static unsigned unpauses[2];
static int hit_on_unpause = -1;

size_t vcon_phys_read(struct vcon_phys *c, uint8_t *buf, size_t cap)
{
	UNUSED(c);
	size_t n = in_len - in_pos < cap ? in_len - in_pos : cap;
	memcpy(buf, in_buf + in_pos, n);
	in_pos += n;
	return n;
}

void vcon_phys_write(struct vcon_phys *c, const uint8_t *buf, size_t len)
{
	UNUSED(c);
	assert_true(out_len + len < sizeof(out_buf));
	memcpy(out_buf + out_len, buf, len);
	out_len += len;
	out_buf[out_len] = 0;
}

struct vcon_phys *hostdev_claim_console(const char *owner)
{
	UNUSED(owner);
	return &chan;
}

struct vm *vm_find(const char *name)
{
	return strcmp(name, vm.name) == 0 ? &vm : NULL;
}

void *vm_gpa_to_hva(struct vm *v, gpa_t gpa, uint64_t len)
{
	UNUSED(v);
	if (gpa < RAM_BASE || len > RAM_SIZE || gpa - RAM_BASE > RAM_SIZE - len)
		return NULL;
	return ram + (gpa - RAM_BASE);
}

/* Writes the stub made behind the guest's stage 2 (a live migration's dirty log). */
static gpa_t dirty_gpa;
static uint64_t dirty_len;

bool dirty_log_written(struct vm *v, gpa_t gpa, uint64_t len)
{
	UNUSED(v);
	dirty_gpa = gpa;
	dirty_len = len;
	return false;
}

const char *vcpu_state_name(enum vcpu_state s)
{
	return s == VCPU_BLOCKED ? "blocked" : "other";
}

void vcpu_request(struct vcpu *v, uint32_t req)
{
	__atomic_fetch_or(&v->requests, req, __ATOMIC_ACQ_REL);
}

/*
 * The vCPU is free to run again. hit_on_unpause models a vCPU that sits on a breakpoint
 * instruction: on another CPU it hits the breakpoint at once, before this CPU goes on.
 */
void sched_unpause(struct vcpu *v)
{
	unpauses[v->id]++;
	if ((int)v->id == hit_on_unpause) {
		hit_on_unpause = -1;
		assert_true(gdb_breakpoint_hit(v, pcs[v->id]));
	}
}

uint64_t arch_time_ticks(void)
{
	static uint64_t t;
	return t += 100;
}

void log_printf(const char *fmt, ...)
{
	UNUSED(fmt);
}

int gdb_arch_reg_read(struct vcpu *v, unsigned regno, uint64_t *val, unsigned *size)
{
	if (regno > 32)
		return -FV_ENOENT;
	*val = regno == 32 ? pcs[v->id] : 0;
	*size = 8;
	return 0;
}

int gdb_arch_reg_write(struct vcpu *v, unsigned regno, uint64_t val)
{
	if (regno == 32)
		pcs[v->id] = val;
	return 0;
}

int gdb_arch_translate(struct vcpu *v, uint64_t va, uint64_t *gpa)
{
	UNUSED(v);
	*gpa = va; /* paging off */
	return 0;
}

uint64_t gdb_arch_pc(struct vcpu *v)
{
	return pcs[v->id];
}

int gdb_arch_next_pc(struct vcpu *v, uint32_t insn, uint64_t *next)
{
	*next = pcs[v->id] + ((insn & 3) == 3 ? 4 : 2);
	return 0;
}

unsigned gdb_arch_insn_len(const uint8_t b[2])
{
	return (b[0] & 3) == 3 ? 4 : 2;
}

unsigned gdb_arch_bp_insn(uint64_t kind, uint8_t out[4])
{
	if (kind != 4)
		return 0;
	memcpy(out, "\x73\x00\x10\x00", 4); /* ebreak */
	return 4;
}

void gdb_arch_time_shift(struct vm *v, uint64_t ticks)
{
	UNUSED(v);
	UNUSED(ticks);
}

int gdb_arch_protect(struct vm *v, uint64_t gpa_page, bool trap_r, bool trap_w)
{
	UNUSED(v);
	UNUSED(gpa_page);
	UNUSED(trap_r);
	UNUSED(trap_w);
	return 0;
}

const char *gdb_arch_target_xml(void)
{
	return NULL;
}

/* Send one packet from "gdb" and let the console tick run the stub. */
static void gdb_send(const char *payload)
{
	unsigned sum = 0;
	for (const char *p = payload; *p; p++)
		sum += (unsigned char)*p;
	in_len = (size_t)snprintf(in_buf, sizeof(in_buf), "$%s#%02x", payload, sum & 0xff);
	in_pos = 0;
	out_len = 0;
	out_buf[0] = 0;
	gdb_poll();
}

/* Every vCPU parks as the scheduler does for a held vCPU: off its CPU, blocked. */
static void vcpus_park(void)
{
	for (unsigned i = 0; i < 2; i++) {
		vcpus[i].state = VCPU_BLOCKED;
		vcpus[i].running_cpu = -1;
		__atomic_fetch_and(&vcpus[i].requests, ~(uint32_t)VCPU_REQ_PAUSE, __ATOMIC_ACQ_REL);
	}
}

static int setup(void **state)
{
	UNUSED(state);
	memset(&vm, 0, sizeof(vm));
	memset(vcpus, 0, sizeof(vcpus));
	memset(ram, 0x13, sizeof(ram)); /* addi x0,x0,0 pattern: 4-byte instructions */
	snprintf(vm.name, sizeof(vm.name), "dbg");
	vm.nr_vcpus = 2;
	for (unsigned i = 0; i < 2; i++) {
		vcpus[i].id = i;
		vcpus[i].vm = &vm;
		vcpus[i].state = VCPU_BLOCKED;
		vcpus[i].running_cpu = -1;
		vm.vcpus[i] = &vcpus[i];
		pcs[i] = RAM_BASE + 0x100 * (i + 1);
	}
	memset(unpauses, 0, sizeof(unpauses));
	hit_on_unpause = -1;
	gdb_init("dbg");
	return 0;
}

/* gdb leaves: the stub's state is static, the next test starts from a running VM. */
static int teardown(void **state)
{
	UNUSED(state);
	vcpus_park();
	gdb_poll();
	gdb_send("D");
	return 0;
}

/*
 * A halt is under way: every vCPU is held and asked to pause; once they park, the console
 * tick reports the stop (its reply contains stop).
 */
static void halt_completes(const char *stop)
{
	for (unsigned i = 0; i < 2; i++) {
		assert_true(vcpus[i].dbg_hold);
		assert_true(vcpus[i].requests & VCPU_REQ_PAUSE);
	}
	vcpus_park();
	gdb_poll();
	assert_non_null(strstr(out_buf, stop));
}

/* gdb connects: the VM halts (holds on every vCPU) and the stub reports the stop. */
static void attach_and_halt(void)
{
	gdb_send("?");
	assert_true(gdb_vm_attached(&vm));
	halt_completes("$T");
}

static void test_halt_then_continue_releases_every_vcpu(void **state)
{
	UNUSED(state);
	attach_and_halt();
	gdb_send("c");
	for (unsigned i = 0; i < 2; i++) {
		assert_false(vcpus[i].dbg_hold);
		assert_int_equal(unpauses[i], 1);
	}
	assert_true(gdb_vm_attached(&vm));
}

static void test_breakpoint_hit_during_continue_holds_every_vcpu(void **state)
{
	UNUSED(state);
	attach_and_halt();
	dirty_len = 0;
	gdb_send("Z0,80001000,4");
	assert_non_null(strstr(out_buf, "$OK"));
	assert_memory_equal(ram + 0x1000, "\x73\x00\x10\x00", 4);
	/* The patch is reported to the dirty log. */
	assert_int_equal(dirty_gpa, 0x80001000);
	assert_int_equal(dirty_len, 4);
	/* vCPU 0 was stopped on the breakpoint too: released, it hits it again at once. */
	pcs[0] = BP_PC;
	hit_on_unpause = 0;
	gdb_send("c");
	assert_int_equal(hit_on_unpause, -1);
	/*
	 * The new halt must hold BOTH vCPUs, including the one released after the hit: a
	 * vCPU without its hold would run on and the stop would never be reported.
	 */
	halt_completes("$T05");
	assert_non_null(strstr(out_buf, "thread:1;")); /* vCPU 0 = thread 1 */
}

static void test_step_releases_only_the_stepped_vcpu(void **state)
{
	UNUSED(state);
	attach_and_halt();
	gdb_send("vCont;s:2");
	assert_true(vcpus[0].dbg_hold);
	assert_false(vcpus[1].dbg_hold);
	assert_int_equal(unpauses[0], 0);
	assert_int_equal(unpauses[1], 1);
}

static void test_detach_lets_the_vm_go_and_restores_code(void **state)
{
	UNUSED(state);
	attach_and_halt();
	gdb_send("Z0,80001000,4");
	gdb_send("D");
	assert_false(gdb_vm_attached(&vm));
	for (unsigned i = 0; i < 2; i++)
		assert_false(vcpus[i].dbg_hold);
	assert_memory_equal(ram + 0x1000, "\x13\x13\x13\x13", 4);
	/* Not attached: an ebreak at the old address is the guest's own. */
	assert_false(gdb_breakpoint_hit(&vcpus[0], BP_PC));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_halt_then_continue_releases_every_vcpu, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_breakpoint_hit_during_continue_holds_every_vcpu,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_step_releases_only_the_stepped_vcpu, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_detach_lets_the_vm_go_and_restores_code, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
