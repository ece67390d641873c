/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for the control channel dispatcher (hyp/core/ctl.c),
 * linked unchanged with fakes of the core VM functions it calls: requests
 * go in through ctl_input() + ctl_poll() as the service VM's bytes would,
 * responses come out of the outbound queue. Covers the handlers' field
 * checks, the session rules, echo suppression, the inbound queue limit,
 * events, and a randomized flood of mutated frames under ASan/UBSan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/bootwork.h"
#include "core/console.h"
#include "core/ctl.h"
#include "core/ctl_proto.h"
#include "core/mem.h"
#include "core/percpu.h"
#include "core/timer.h"
#include "core/vconsole.h"
#include "core/vm.h"
#include "core/vm_virtio.h"
#include "core/vnet.h"
#include "core/arch.h"

/* ---- fakes of the hypervisor around ctl.c --------------------------------------------- */

struct vm *vm_table[FV_MAX_VMS];
unsigned vm_count;
unsigned cpu_count = 2;

static struct vm vms[3];
static struct vcpu vcpus[3];
static struct vm_config cfgs[3];
static unsigned starts, stops, resets, inputs, destroys;
static int create_ret;       /* what the fake vm_create_dynamic answers */
static size_t create_len;    /* the blob length it was given */
static uint8_t create_first; /* and the blob's first byte */

void log_printf(const char *fmt, ...)
{
	(void)fmt;
}

struct vm *vm_find(const char *name)
{
	for (unsigned i = 0; i < FV_MAX_VMS; i++)
		if (vm_table[i] && strcmp(vm_table[i]->name, name) == 0)
			return vm_table[i];
	return NULL;
}

/* The scheduler hook under vm_set_sched (hyp/core/vm_sched.c, linked as is). */
static unsigned sched_calls;
int sched_set_params(struct vcpu *v, uint32_t weight, uint64_t affinity)
{
	sched_calls++;
	if (weight)
		v->se.weight = weight;
	if (affinity)
		v->se.affinity = affinity;
	return 0;
}

int vm_start(struct vm *vm)
{
	if (vm->state != VM_STOPPED && vm->state != VM_CRASHED)
		return -FV_EBUSY;
	starts++;
	enum vm_state was = vm->state;
	vm->state = VM_RUNNING;
	ctl_vm_event(vm, was, VM_RUNNING, NULL);
	return 0;
}

int vm_request(struct vm *vm, enum vm_action action, const char *why)
{
	(void)why;
	if (action == VM_ACTION_RESET)
		resets++;
	else
		stops++;
	enum vm_state was = vm->state;
	vm->state = action == VM_ACTION_CRASH ? VM_CRASHED : VM_STOPPED;
	ctl_vm_event(vm, was, vm->state, "fake crash");
	return 0;
}

int vm_pause(struct vm *vm)
{
	if (vm->state != VM_RUNNING)
		return -FV_EBUSY;
	vm->state = VM_PAUSED;
	ctl_vm_event(vm, VM_RUNNING, VM_PAUSED, NULL);
	return 0;
}

int vm_resume(struct vm *vm)
{
	if (vm->state != VM_PAUSED)
		return -FV_EBUSY;
	vm->state = VM_RUNNING;
	ctl_vm_event(vm, VM_PAUSED, VM_RUNNING, NULL);
	return 0;
}

/* Asynchronous as the real one: the slot is freed later (the test calls ctl_vm_freed). */
int vm_destroy(struct vm *vm)
{
	if (vm->destroying)
		return -FV_EBUSY;
	vm->destroying = true;
	destroys++;
	return 0;
}

/* Creates "new" in slot 2 (replacing "other") unless create_ret says otherwise. */
int vm_create_dynamic(const void *blob, size_t len, const char *node, const char *name,
                      struct vm_stage *images, struct vm **out)
{
	assert_null(node);
	assert_null(name);
	assert_null(images);
	create_len = len;
	create_first = *(const uint8_t *)blob;
	if (create_ret)
		return create_ret;
	struct vm *vm = &vms[2];
	memset(vm, 0, sizeof(*vm));
	vm->id = 2;
	strcpy(vm->name, "new");
	vm->state = VM_STOPPED;
	vm->nr_vcpus = 1;
	vm->vcpus[0] = &vcpus[2];
	vm->cfg = &cfgs[2];
	vm_table[2] = vm;
	*out = vm;
	return 0;
}

/* Fake profiler: remembers what the control channel asked for. */
static const struct vm *prof_vm;
static uint32_t prof_period, prof_stops;
static bool prof_running;

uint32_t prof_start(const struct vm *vm, uint32_t period_us)
{
	if (prof_running)
		return CTL_E_BUSY;
	prof_vm = vm;
	prof_period = period_us;
	prof_running = true;
	return CTL_OK;
}

uint32_t prof_stop(void)
{
	prof_stops++;
	prof_running = false;
	return CTL_OK;
}

/* Snapshot sessions (ctl_snap.c has its own test, test_ctl_snap): the dispatcher's part is
 * routing, the size table and the session reset on HELLO. */
static unsigned snap_calls, snap_resets;
static const struct vm *snap_vm;

uint32_t ctl_snap_begin(struct vm *vm, const uint8_t *req, uint8_t *resp, uint32_t *out)
{
	(void)req;
	snap_calls++;
	snap_vm = vm;
	memset(resp, 0, 16);
	*out = 16;
	return CTL_OK;
}

uint32_t ctl_snap_read(const uint8_t *req, uint8_t *resp, uint32_t *out)
{
	(void)req;
	(void)resp;
	snap_calls++;
	*out = 0;
	return CTL_OK;
}

uint32_t ctl_snap_end(const uint8_t *req)
{
	(void)req;
	snap_calls++;
	return CTL_OK;
}

uint32_t ctl_restore_begin(const uint8_t *req, uint8_t *resp, uint32_t *out)
{
	(void)req;
	(void)resp;
	(void)out;
	snap_calls++;
	return CTL_E_BUSY;
}

uint32_t ctl_restore_data(const uint8_t *req, uint32_t len, uint8_t *resp, uint32_t *out)
{
	(void)req;
	(void)len;
	(void)resp;
	(void)out;
	snap_calls++;
	return CTL_E_NO_UPLOAD;
}

uint32_t ctl_restore_commit(const uint8_t *req, struct vm **vm)
{
	(void)req;
	(void)vm;
	snap_calls++;
	return CTL_E_NO_UPLOAD;
}

uint32_t ctl_restore_abort(const uint8_t *req)
{
	(void)req;
	snap_calls++;
	return CTL_E_NO_UPLOAD;
}

void ctl_snap_reset(void)
{
	snap_resets++;
}

/* Live migration (ctl_mig.c): routing, sizes and the reset on HELLO, as for snapshots. */
static unsigned mig_calls, mig_resets;
static const struct vm *mig_vm;

uint32_t ctl_mig_begin(struct vm *vm, const uint8_t *req, uint8_t *resp, uint32_t *out)
{
	(void)req;
	mig_calls++;
	mig_vm = vm;
	memset(resp, 0, 16);
	*out = 16;
	return CTL_OK;
}

uint32_t ctl_mig_round(const uint8_t *req, uint8_t *resp, uint32_t *out)
{
	(void)req;
	(void)resp;
	(void)out;
	mig_calls++;
	return CTL_E_BUSY;
}

uint32_t ctl_mig_read(const uint8_t *req, uint8_t *resp, uint32_t *out)
{
	(void)req;
	(void)resp;
	mig_calls++;
	*out = 0;
	return CTL_OK;
}

uint32_t ctl_mig_end(const uint8_t *req)
{
	(void)req;
	mig_calls++;
	return CTL_E_NO_UPLOAD;
}

void ctl_mig_reset(void)
{
	mig_resets++;
}

uint32_t prof_read(uint32_t offset, uint8_t *out, uint32_t cap, uint32_t *status)
{
	assert_true(cap >= 16);
	*status = prof_running ? CTL_E_BAD_STATE : CTL_OK;
	if (prof_running)
		return 0;
	memset(out, 0, 16);
	ctl_put32(out, 7);
	ctl_put32(out + 4, offset);
	return 16;
}

unsigned vm_virtio_count(const struct vm *vm)
{
	return vm == &vms[0] ? 1 : 0;
}

void vm_virtio_info(const struct vm *vm, unsigned j, struct vm_virtio_info *out)
{
	(void)vm;
	memset(out, 0, sizeof(*out));
	out->kind = VM_VIRTIO_KIND_CONTROL;
	out->base = 0x10001000 + j * 0x1000;
	out->irq = 1 + j;
	memset(out->name, 'x', sizeof(out->name)); /* not terminated: ctl.c must cut it */
}

void vm_virtio_control_flush(struct vm *vm)
{
	(void)vm;
}

size_t vconsole_input(struct vm *vm, const uint8_t *buf, size_t n)
{
	(void)vm;
	(void)buf;
	inputs++;
	return n > 10 ? 10 : n;
}

/* Boot-CPU work requests (bootwork.c): counted; the tests run the rounds themselves. */
static unsigned ctl_kicks;

void bootwork_request(unsigned bits)
{
	if (bits & BOOTWORK_CTL)
		ctl_kicks++;
}

void bootwork_get_stats(struct bootwork_stats *out)
{
	memset(out, 0, sizeof(*out));
}

void mem_stats(struct page_alloc_stats *pages, struct heap_stats *heap)
{
	memset(pages, 0, sizeof(*pages));
	memset(heap, 0, sizeof(*heap));
	pages->total_pages = 1000;
	pages->free_pages = 400;
}

int mem_alloc_pages(size_t npages, size_t align_pages, hpa_t *out)
{
	(void)align_pages;
	if (npages > 1024)
		return -FV_ENOMEM;
	void *p = aligned_alloc(4096, npages * 4096);
	*out = (hpa_t)(uintptr_t)p;
	return p ? 0 : -FV_ENOMEM;
}

void mem_free_pages(hpa_t pa, size_t npages)
{
	(void)npages;
	free((void *)(uintptr_t)pa);
}

uint64_t time_now_ns(void)
{
	return 123456789;
}

/* Metrics (ctl_metrics.c): two CPUs, SBI counters per vCPU, one switch with two ports. */
static struct cpu cpus[2];
struct cpu *cpu_table[FV_MAX_CPUS] = {&cpus[0], &cpus[1]};

bool arch_vcpu_call_stat(const struct vcpu *vcpu, unsigned i, const char **name, uint64_t *count)
{
	static const char *const names[] = {"base", "time", "other"};
	if (i >= 3)
		return false;
	*name = names[i];
	*count = (uint64_t)(i + 1) * 10 + vcpu->id;
	return true;
}

unsigned vnet_switch_count(void)
{
	return 1;
}

void vnet_switch_stats(unsigned i, struct vnet_switch_stats *out)
{
	(void)i;
	memset(out, 0, sizeof(*out));
	strcpy(out->name, "lan0");
	out->nports = 3; /* port 1 unused: not reported */
	out->drops = 7;
	out->port[0].used = out->port[0].enabled = true;
	out->port[0].vm_id = 1;
	out->port[0].rx_frames = 5;
	out->port[2].used = out->port[2].uplink = true;
	out->port[2].tx_frames = 9;
}

/* Crash dumps (ctl_dump.c): 64 KiB of fake RAM at 0x80000000, registers from the vCPU id. */
static uint8_t fake_ram[64 << 10];
static unsigned hva_calls;

void *vm_gpa_to_hva(struct vm *vm, gpa_t gpa, uint64_t len)
{
	hva_calls++;
	if (gpa < vm->ram_gpa || gpa + len > vm->ram_gpa + vm->ram_size || len > sizeof(fake_ram))
		return NULL;
	return fake_ram + (gpa - vm->ram_gpa);
}

void arch_vcpu_dump_regs(const struct vcpu *vcpu, uint64_t *reg)
{
	for (unsigned r = 0; r < CTL_DUMP_NR_REGS; r++)
		reg[r] = ((uint64_t)vcpu->id << 32) | r;
}

/* ---- helpers ----------------------------------------------------------------------------- */

static uint8_t txf[CTL_MAX_FRAME];
static uint32_t seq = 1;
static struct ctl_rx out_rx;
static struct ctl_hdr rh;
static uint8_t rp[CTL_MAX_PAYLOAD];
static unsigned events;
static struct ctl_hdr eh; /* the last event */
static uint8_t ep[CTL_MAX_PAYLOAD];

static void setup_vms(void)
{
	const char *names[] = {"svc", "hello", "other"};
	memset(vms, 0, sizeof(vms));
	memset(vm_table, 0, sizeof(vm_table));
	for (unsigned i = 0; i < 3; i++) {
		struct vm *vm = &vms[i];
		vm->id = i;
		strcpy(vm->name, names[i]);
		vm->state = VM_RUNNING;
		vm->nr_vcpus = 1;
		vm->vcpus[0] = &vcpus[i];
		vcpus[i].vm = vm;
		vcpus[i].se.weight = 256;
		vcpus[i].se.affinity = 3;
		cfgs[i].vcpu_pin[0] = -1;
		vm->cfg = &cfgs[i];
		vm_table[i] = vm;
	}
	vm_count = 3;
	ctl_unset_service(&vms[0]);
	assert_int_equal(ctl_set_service(&vms[0]), 0);
	ctl_channel_reset();
	ctl_rx_init(&out_rx);
	events = 0;
}

/* Take everything queued for the service VM; the next response goes to rh/rp. */
static bool next_response(void)
{
	const uint8_t *p;
	size_t n;
	while ((n = ctl_out_peek(&p)) != 0) {
		size_t k = ctl_rx_push(&out_rx, p, n);
		ctl_out_consume(k);
		if (k < n)
			break;
	}
	struct ctl_hdr h;
	const uint8_t *pl;
	int r;
	while ((r = ctl_rx_pop(&out_rx, &h, &pl)) != -1) {
		assert_int_equal(r, CTL_OK); /* the hypervisor only sends well-formed frames */
		if (h.flags & CTL_F_EVENT) {
			events++;
			eh = h;
			memcpy(ep, pl, h.len);
			continue;
		}
		assert_int_equal(h.flags, CTL_F_RESPONSE);
		rh = h;
		memcpy(rp, pl, h.len);
		return true;
	}
	return false;
}

static void send_raw(const void *b, size_t n)
{
	ctl_input(b, n);
	ctl_poll();
}

static long call(uint16_t type, const void *pl, size_t len)
{
	struct ctl_hdr h = {.version = CTL_VERSION, .type = type, .seq = seq++};
	size_t n = ctl_encode(txf, sizeof(txf), &h, pl, len);
	send_raw(txf, n);
	if (!next_response())
		return -1;
	assert_int_equal(rh.seq, h.seq);
	assert_int_equal(rh.type, type);
	if (rh.status)
		assert_int_equal(rh.len, 0);
	return (long)rh.status;
}

static long call_vm(uint16_t type, const char *name)
{
	uint8_t ref[CTL_NAME_MAX] = {0};
	strncpy((char *)ref, name, CTL_NAME_MAX - 1);
	return call(type, ref, sizeof(ref));
}

static void hello(void)
{
	uint8_t b[40] = {0};
	ctl_put16(b, 1);
	ctl_put16(b + 2, 1);
	ctl_put32(b + 4, CTL_MAX_FRAME);
	strcpy((char *)b + 8, "unit");
	assert_int_equal(call(CTL_T_HELLO, b, 40), CTL_OK);
	/* Dynamic VMs and pause are offered (the core functions are wired). */
	assert_int_equal(ctl_get32(rp + 12), CTL_FEAT_DYNAMIC_VMS | CTL_FEAT_PAUSE);
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_session_and_lists(void **state)
{
	(void)state;
	setup_vms();
	assert_int_equal(call(CTL_T_HOST_INFO, NULL, 0), CTL_E_NOT_NEGOTIATED);
	hello();
	assert_int_equal(ctl_get32(rp + 8), FV_MAX_VMS);
	assert_int_equal(call(CTL_T_HOST_INFO, NULL, 0), CTL_OK);
	assert_int_equal(ctl_get32(rp + 4), 3);
	assert_int_equal(ctl_get64(rp + 16), 1000 * 4096ULL);
	/* The architecture, appended after the counters (the ARCH_NAME this test builds with). */
	assert_int_equal(rh.len, 72);
	assert_string_equal((char *)rp + 56, ARCH_NAME);
	/* A hole in the table (a destroyed VM) is skipped. */
	vm_table[1] = NULL;
	assert_int_equal(call(CTL_T_VM_LIST, NULL, 0), CTL_OK);
	assert_int_equal(ctl_get32(rp), 2);
	assert_int_equal(rh.len, 8 + 2 * 88);
	assert_string_equal((char *)rp + 8 + 56, "svc");
	assert_int_equal(ctl_get32(rp + 8 + 48), CTL_VMF_SERVICE);
	assert_string_equal((char *)rp + 8 + 88 + 56, "other");
	vm_table[1] = &vms[1];
	assert_int_equal(call_vm(CTL_T_DEV_LIST, "svc"), CTL_OK);
	assert_int_equal(ctl_get32(rp), 1);
	assert_int_equal(rp[8 + 56 + 15], 0); /* name cut to 15 characters */
	assert_int_equal(call_vm(CTL_T_VCPU_LIST, "hello"), CTL_OK);
	assert_int_equal(ctl_get32(rp + 8 + 8), (uint32_t)vcpus[1].se.cpu);
	assert_int_equal(call_vm(CTL_T_VCPU_LIST, "nosuch"), CTL_E_NO_VM);
}

static void test_lifecycle_and_permissions(void **state)
{
	(void)state;
	setup_vms();
	hello();
	starts = stops = resets = 0;
	assert_int_equal(call_vm(CTL_T_VM_START, "hello"), CTL_E_BAD_STATE);
	assert_int_equal(call_vm(CTL_T_VM_STOP, "hello"), CTL_OK);
	assert_int_equal(stops, 1);
	assert_int_equal(call_vm(CTL_T_VM_START, "hello"), CTL_OK);
	assert_int_equal(starts, 1);
	assert_int_equal(call_vm(CTL_T_VM_RESET, "hello"), CTL_OK);
	assert_int_equal(resets, 1);
	/* The service VM cannot manage itself. */
	assert_int_equal(call_vm(CTL_T_VM_STOP, "svc"), CTL_E_PERMISSION);
	assert_int_equal(call_vm(CTL_T_VM_RESET, "svc"), CTL_E_PERMISSION);
	assert_int_equal(call_vm(CTL_T_CONSOLE_ATTACH, "svc"), CTL_E_PERMISSION);
	assert_int_equal(stops, 1);
	/* Pause and resume: the core's -FV_EBUSY is E_BAD_STATE; the state reads paused. */
	assert_int_equal(call_vm(CTL_T_VM_PAUSE, "hello"), CTL_E_BAD_STATE); /* stopped (fake) */
	assert_int_equal(call_vm(CTL_T_VM_START, "hello"), CTL_OK);
	assert_int_equal(call_vm(CTL_T_VM_PAUSE, "hello"), CTL_OK);
	assert_int_equal(call_vm(CTL_T_VM_PAUSE, "hello"), CTL_E_BAD_STATE);
	assert_int_equal(call(CTL_T_VM_LIST, NULL, 0), CTL_OK);
	assert_int_equal(ctl_get32(rp + 8 + sizeof(struct ctl_vm_entry) + 4), CTL_VM_PAUSED);
	assert_int_equal(call_vm(CTL_T_VM_RESUME, "hello"), CTL_OK);
	assert_int_equal(call_vm(CTL_T_VM_RESUME, "hello"), CTL_E_BAD_STATE);
	assert_int_equal(call_vm(CTL_T_VM_PAUSE, "svc"), CTL_E_PERMISSION);
	assert_int_equal(call_vm(CTL_T_VM_DESTROY, "nosuch"), CTL_E_NO_VM);
	assert_int_equal(call_vm(CTL_T_VM_DESTROY, "svc"), CTL_E_PERMISSION);
	/* State events for the start and stop arrived between the responses. */
	assert_true(events >= 3);
	/* A crash: the state event, then the crash event with its cause. */
	events = 0;
	ctl_vm_event(&vms[1], VM_RUNNING, VM_CRASHED, "guest page fault at 0x1234");
	assert_int_equal(call(CTL_T_CTL_STATS, NULL, 0), CTL_OK);
	assert_int_equal(events, 2);
	assert_int_equal(eh.type, CTL_T_EV_VM_CRASH);
	assert_int_equal(ctl_get32(ep), 1);
	assert_string_equal((char *)ep + 8, "hello");
	assert_string_equal((char *)ep + 40, "guest page fault at 0x1234");
	/* Destroy: accepted, no event until the slot is really freed; then one, attach gone. */
	destroys = 0;
	assert_int_equal(call_vm(CTL_T_CONSOLE_ATTACH, "other"), CTL_OK);
	events = 0;
	assert_int_equal(call_vm(CTL_T_VM_DESTROY, "other"), CTL_OK);
	assert_int_equal(call_vm(CTL_T_VM_DESTROY, "other"), CTL_E_BAD_STATE);
	assert_int_equal(destroys, 1);
	assert_int_equal(events, 0);
	ctl_vm_freed(&vms[2]);
	assert_int_equal(call(CTL_T_CTL_STATS, NULL, 0), CTL_OK);
	assert_int_equal(events, 1);
	assert_int_equal(eh.type, CTL_T_EV_VM_STATE);
	assert_int_equal(ctl_get32(ep), 2);
	assert_int_equal(ctl_get32(ep + 8), CTL_VM_DESTROYED);
	events = 0;
	ctl_console_output(&vms[2], "stale\n", 6); /* a new VM in slot 2: not attached */
	assert_int_equal(call(CTL_T_CTL_STATS, NULL, 0), CTL_OK);
	assert_int_equal(events, 0);
	/* The service VM's own transitions are not reported to it. */
	events = 0;
	ctl_vm_event(&vms[0], VM_RUNNING, VM_STOPPED, NULL);
	assert_int_equal(call(CTL_T_CTL_STATS, NULL, 0), CTL_OK);
	assert_int_equal(events, 0);
}

/* Without FEATURES=trace (this build) the tracer's requests are refused as such; their
 * sizes are still checked first. */
static void test_trace_not_built(void **state)
{
	(void)state;
	setup_vms();
	hello();
	uint8_t t[8] = {0};
	assert_int_equal(call(CTL_T_TRACE_CTL, t, 8), CTL_E_NOT_SUPPORTED);
	assert_int_equal(call(CTL_T_TRACE_READ, t, 8), CTL_E_NOT_SUPPORTED);
	assert_int_equal(call(CTL_T_TRACE_CTL, t, 4), CTL_E_TRUNCATED);
	assert_int_equal(call(CTL_T_TRACE_READ, t, 8 - 1), CTL_E_TRUNCATED);
}

static void test_sched_params(void **state)
{
	(void)state;
	setup_vms();
	hello();
	uint8_t w[40] = {0};
	strcpy((char *)w, "hello");
	ctl_put32(w + 32, 100);
	/* A running VM takes the change (the scheduler applies it at its next decision). */
	sched_calls = 0;
	assert_int_equal(call(CTL_T_SET_WEIGHT, w, 40), CTL_OK);
	assert_int_equal(sched_calls, 1);
	assert_int_equal(vcpus[1].se.weight, 100);
	ctl_put32(w + 32, 65536);
	assert_int_equal(call(CTL_T_SET_WEIGHT, w, 40), CTL_E_BAD_FIELD);
	ctl_put32(w + 32, 0);
	assert_int_equal(call(CTL_T_SET_WEIGHT, w, 40), CTL_E_BAD_FIELD);
	assert_int_equal(sched_calls, 1);
	ctl_put32(w + 32, 100);
	/* A VM being destroyed: bad state. */
	vms[1].destroying = true;
	assert_int_equal(call(CTL_T_SET_WEIGHT, w, 40), CTL_E_BAD_STATE);
	vms[1].destroying = false;
	vms[1].state = VM_STOPPED;
	ctl_put32(w + 36, 1);
	assert_int_equal(call(CTL_T_SET_WEIGHT, w, 40), CTL_E_BAD_FIELD); /* reserved */
	ctl_put32(w + 36, 0);
	assert_int_equal(call(CTL_T_SET_WEIGHT, w, 40), CTL_OK);
	assert_int_equal(vcpus[1].se.weight, 100);
	ctl_put64(w + 32, 4); /* CPU 2 of a 2-CPU host */
	assert_int_equal(call(CTL_T_SET_AFFINITY, w, 40), CTL_E_BAD_FIELD);
	cfgs[1].vcpu_pin[0] = 1;
	ctl_put64(w + 32, 1);
	assert_int_equal(call(CTL_T_SET_AFFINITY, w, 40), CTL_E_BAD_FIELD); /* pin outside */
	cfgs[1].vcpu_pin[0] = -1;
	assert_int_equal(call(CTL_T_SET_AFFINITY, w, 40), CTL_OK);
	assert_int_equal(vcpus[1].se.affinity, 1);
	/* Running too: CPU 1 only. */
	vms[1].state = VM_RUNNING;
	ctl_put64(w + 32, 2);
	assert_int_equal(call(CTL_T_SET_AFFINITY, w, 40), CTL_OK);
	assert_int_equal(vcpus[1].se.affinity, 2);
	/* The service VM is not the service VM's to change. */
	memset(w, 0, 32);
	strcpy((char *)w, "svc");
	assert_int_equal(call(CTL_T_SET_AFFINITY, w, 40), CTL_E_PERMISSION);
}

static void test_upload_and_console(void **state)
{
	(void)state;
	setup_vms();
	hello();
	uint8_t b[16] = {0};
	uint8_t blob[64];
	memset(blob, 7, sizeof(blob));
	ctl_put64(b, sizeof(blob));
	ctl_put32(b + 8, ctl_crc32c(0, blob, sizeof(blob)));
	assert_int_equal(call(CTL_T_UPLOAD_BEGIN, b, 16), CTL_OK);
	uint32_t id = ctl_get32(rp);
	uint8_t ch[16 + 64] = {0};
	ctl_put32(ch, id);
	memcpy(ch + 16, blob, 64);
	ctl_put32(ch + 4, 1);
	assert_int_equal(call(CTL_T_UPLOAD_CHUNK, ch, sizeof(ch)), CTL_E_BAD_FIELD);
	ctl_put32(ch + 4, 0);
	ctl_put64(ch + 8, 1);
	assert_int_equal(call(CTL_T_UPLOAD_CHUNK, ch, sizeof(ch)), CTL_E_SEQUENCE);
	ctl_put64(ch + 8, 0);
	assert_int_equal(call(CTL_T_UPLOAD_CHUNK, ch, sizeof(ch)), CTL_OK);
	assert_int_equal(ctl_get64(rp + 8), 64);
	uint8_t c[16] = {0};
	ctl_put32(c, id);
	/* Good CRC, creation refused: the core's errors on the wire, staging freed each time. */
	static const struct {
		int ret;
		uint32_t status;
	} errs[] = {{-FV_ENOSPC, CTL_E_LIMIT},
	            {-FV_EINVAL, CTL_E_BAD_CONFIG},
	            {-FV_EEXIST, CTL_E_BAD_CONFIG},
	            {-FV_ENOMEM, CTL_E_NO_MEMORY},
	            {-FV_EIO, CTL_E_INTERNAL}};
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		if (i) {
			assert_int_equal(call(CTL_T_UPLOAD_BEGIN, b, 16), CTL_OK);
			id = ctl_get32(rp);
			ctl_put32(ch, id);
			assert_int_equal(call(CTL_T_UPLOAD_CHUNK, ch, sizeof(ch)), CTL_OK);
			ctl_put32(c, id);
		}
		create_ret = errs[i].ret;
		assert_int_equal(call(CTL_T_UPLOAD_COMMIT, c, 16), errs[i].status);
		assert_int_equal(create_len, 64);
		assert_int_equal(create_first, 7);
		assert_int_equal(call(CTL_T_UPLOAD_ABORT, c, 16), CTL_E_NO_UPLOAD);
	}
	/* Created and started (CTL_UPF_START): the reply is its VM entry. */
	create_ret = 0;
	starts = 0;
	ctl_put32(b + 12, CTL_UPF_START);
	assert_int_equal(call(CTL_T_UPLOAD_BEGIN, b, 16), CTL_OK);
	id = ctl_get32(rp);
	ctl_put32(ch, id);
	assert_int_equal(call(CTL_T_UPLOAD_CHUNK, ch, sizeof(ch)), CTL_OK);
	ctl_put32(c, id);
	assert_int_equal(call(CTL_T_UPLOAD_COMMIT, c, 16), CTL_OK);
	assert_int_equal(rh.len, sizeof(struct ctl_vm_entry));
	assert_int_equal(ctl_get32(rp), 2);
	assert_int_equal(ctl_get32(rp + 4), CTL_VM_RUNNING);
	assert_string_equal((char *)rp + 56, "new");
	assert_int_equal(starts, 1);
	ctl_put32(b + 12, 0);
	/* Too large for the (fake) page allocator: refused, nothing held. */
	ctl_put64(b, 64ULL << 20);
	assert_int_equal(call(CTL_T_UPLOAD_BEGIN, b, 16), CTL_E_NO_MEMORY);
	ctl_put64(b, 100);
	assert_int_equal(call(CTL_T_UPLOAD_BEGIN, b, 16), CTL_OK);
	/* A new HELLO drops the open upload (ASan: no leak at exit). */
	hello();

	uint8_t ci[40 + 20] = {0};
	strcpy((char *)ci, "hello");
	ctl_put32(ci + 32, 21);
	assert_int_equal(call(CTL_T_CONSOLE_INPUT, ci, sizeof(ci)), CTL_E_TRUNCATED);
	ctl_put32(ci + 32, 19);
	assert_int_equal(call(CTL_T_CONSOLE_INPUT, ci, sizeof(ci)), CTL_E_BAD_LENGTH);
	ctl_put32(ci + 32, 20);
	assert_int_equal(call(CTL_T_CONSOLE_INPUT, ci, sizeof(ci)), CTL_OK);
	assert_int_equal(ctl_get32(rp), 10);
	/* Console output of an attached VM becomes events; of others, nothing. */
	assert_int_equal(call_vm(CTL_T_CONSOLE_ATTACH, "hello"), CTL_OK);
	events = 0;
	ctl_console_output(&vms[1], "heartbeat 1\n", 12);
	ctl_console_output(&vms[2], "other\n", 6);
	assert_int_equal(call(CTL_T_CTL_STATS, NULL, 0), CTL_OK);
	assert_int_equal(events, 1);
	assert_true(ctl_get64(rp + 40 + 8 * CTL_E_SEQUENCE) >= 1);
}

static void test_framing_errors_and_echo(void **state)
{
	(void)state;
	setup_vms();
	hello();
	/* Our own response echoed back: counted, never answered. */
	struct ctl_hdr h = {.version = 1, .flags = CTL_F_RESPONSE, .type = CTL_T_HOST_INFO};
	size_t n = ctl_encode(txf, sizeof(txf), &h, NULL, 0);
	send_raw(txf, n);
	assert_false(next_response());
	uint8_t junk[100];
	memset(junk, 0x33, sizeof(junk));
	send_raw(junk, sizeof(junk));
	assert_true(next_response());
	assert_int_equal(rh.type, CTL_T_ERROR);
	assert_int_equal(rh.status, CTL_E_BAD_MAGIC);
	/* More than the inbound queue holds before a tick: the excess is dropped, then resync. */
	static uint8_t flood[(64u << 10) + 5000];
	memset(flood, 0, sizeof(flood));
	ctl_input(flood, sizeof(flood));
	ctl_poll();
	while (next_response())
		;
	assert_int_equal(call(CTL_T_HOST_INFO, NULL, 0), CTL_OK);
}

/* The CTL_STATS counters appended after by_status. */
static void notify_counters(uint64_t out[4])
{
	assert_int_equal(call(CTL_T_CTL_STATS, NULL, 0), CTL_OK);
	assert_int_equal(rh.len, sizeof(struct ctl_stats));
	for (unsigned i = 0; i < 4; i++)
		out[i] = ctl_get64(rp + 40 + 8 * CTL_STATUS_COUNT + 8 * i);
}

/*
 * Input asks for a dispatcher round (bootwork); a round answers at most its budget
 * (32 KiB) and says more is left; the next one finishes; the counters tell the rounds,
 * frames and requeues apart from the tick's frames. Events ask for a round too.
 */
static void test_notify_rounds(void **state)
{
	(void)state;
	setup_vms();
	hello();
	uint64_t before[4], after[4];
	notify_counters(before);
	/* Six console inputs of 8000 bytes each: about 48 KiB queued. */
	static uint8_t ci[40 + 8000];
	memset(ci, 'x', sizeof(ci));
	memset(ci, 0, 40);
	strcpy((char *)ci, "hello");
	ctl_put32(ci + 32, 8000);
	unsigned kicks = ctl_kicks;
	for (int i = 0; i < 6; i++) {
		struct ctl_hdr h = {
		    .version = CTL_VERSION, .type = CTL_T_CONSOLE_INPUT, .seq = seq++};
		size_t n = ctl_encode(txf, sizeof(txf), &h, ci, sizeof(ci));
		ctl_input(txf, n);
	}
	assert_int_equal(ctl_kicks, kicks); /* bytes only queue ... */
	ctl_input_done();
	assert_int_equal(ctl_kicks, kicks + 1); /* ... the end of the notification asks */
	assert_true(ctl_service());             /* budget spent: more left */
	unsigned answered = 0;
	while (next_response())
		answered++;
	assert_true(answered >= 3 && answered < 6);
	assert_false(ctl_service()); /* the rest */
	while (next_response())
		answered++;
	assert_int_equal(answered, 6);
	assert_false(ctl_service()); /* nothing queued: an empty round */
	notify_counters(after);
	assert_int_equal(after[0] - before[0], 6); /* frames answered on notify */
	assert_int_equal(after[1] - before[1], 3); /* rounds */
	assert_int_equal(after[2] - before[2], 1); /* requeued */
	assert_int_equal(after[3] - before[3], 1); /* the tick answered the first CTL_STATS */
	/* An event queued on any CPU asks for a round to push it. */
	assert_int_equal(call_vm(CTL_T_CONSOLE_ATTACH, "hello"), CTL_OK);
	kicks = ctl_kicks;
	ctl_console_output(&vms[1], "line\n", 5);
	assert_true(ctl_kicks > kicks);
	assert_int_equal(call_vm(CTL_T_CONSOLE_DETACH, "hello"), CTL_OK);
}

/* Randomly mutated valid requests: every answer well-formed, no sanitizer report. */
static void test_mutation_flood(void **state)
{
	(void)state;
	setup_vms();
	hello();
	srand(99);
	static const uint16_t types[] = {
	    CTL_T_HELLO,        CTL_T_HOST_INFO,     CTL_T_VM_LIST,        CTL_T_VCPU_LIST,
	    CTL_T_DEV_LIST,     CTL_T_VM_START,      CTL_T_VM_STOP,        CTL_T_SET_WEIGHT,
	    CTL_T_SET_AFFINITY, CTL_T_UPLOAD_BEGIN,  CTL_T_UPLOAD_CHUNK,   CTL_T_UPLOAD_COMMIT,
	    CTL_T_UPLOAD_ABORT, CTL_T_CONSOLE_INPUT, CTL_T_CONSOLE_ATTACH, CTL_T_CTL_STATS,
	};
	static uint8_t pl[CTL_MAX_PAYLOAD];
	for (int round = 0; round < 20000; round++) {
		uint16_t t = types[rand() % (int)(sizeof(types) / sizeof(types[0]))];
		uint32_t min, max;
		ctl_req_size(t, &min, &max);
		size_t len = min + (size_t)(rand() % 3 == 0 ? rand() % 64 : 0);
		if (len > CTL_MAX_PAYLOAD)
			len = CTL_MAX_PAYLOAD;
		memset(pl, 0, len);
		const char *nm = rand() % 2 ? "hello" : "other";
		if (len >= 32 && t != CTL_T_HELLO && t != CTL_T_UPLOAD_BEGIN &&
		    t != CTL_T_UPLOAD_CHUNK)
			memcpy(pl, nm, strlen(nm));
		for (int k = rand() % 4; k > 0 && len; k--)
			pl[rand() % (int)len] = (uint8_t)rand();
		if (t == CTL_T_UPLOAD_BEGIN && len >= 8)
			ctl_put64(pl, (uint64_t)(rand() % 5000));
		struct ctl_hdr h = {.version = CTL_VERSION, .type = t, .seq = seq++};
		size_t n = ctl_encode(txf, sizeof(txf), &h, pl, len);
		if (rand() % 10 == 0)
			txf[rand() % (int)n] ^= (uint8_t)(1 + rand() % 255);
		send_raw(txf, rand() % 20 == 0 ? n / 2 : n);
		while (next_response())
			;
		vms[1].state = rand() % 2 ? VM_STOPPED : VM_RUNNING;
	}
	/* Still answering after all of it. */
	uint8_t zeros[CTL_MAX_FRAME] = {0};
	send_raw(zeros, sizeof(zeros));
	while (next_response())
		;
	hello();
	ctl_unset_service(&vms[0]); /* frees any open upload */
}

static long dump_read(const char *name, uint64_t gpa, uint32_t len, uint32_t reserved)
{
	uint8_t b[48] = {0};
	strncpy((char *)b, name, CTL_NAME_MAX - 1);
	ctl_put64(b + 32, gpa);
	ctl_put32(b + 40, len);
	ctl_put32(b + 44, reserved);
	return call(CTL_T_DUMP_READ, b, sizeof(b));
}

static void test_dump(void **state)
{
	(void)state;
	setup_vms();
	hello();
	struct vm *vm = &vms[1];
	vm->ram_gpa = 0x80000000;
	vm->ram_size = sizeof(fake_ram);
	vm->nr_vcpus = 2;
	vm->vcpus[1] = &vcpus[2];
	vcpus[1].id = 0;
	vcpus[2].id = 1;
	vcpus[1].running_cpu = vcpus[2].running_cpu = -1;
	for (size_t i = 0; i < sizeof(fake_ram); i++)
		fake_ram[i] = (uint8_t)(i * 7);
	/* A running VM cannot be dumped; neither can the service VM, nor an unknown one. */
	assert_int_equal(call_vm(CTL_T_DUMP_INFO, "hello"), CTL_E_BAD_STATE);
	assert_int_equal(dump_read("hello", 0x80000000, 16, 0), CTL_E_BAD_STATE);
	assert_int_equal(call_vm(CTL_T_DUMP_INFO, "svc"), CTL_E_PERMISSION);
	assert_int_equal(dump_read("svc", 0x80000000, 16, 0), CTL_E_PERMISSION);
	assert_int_equal(call_vm(CTL_T_DUMP_INFO, "nope"), CTL_E_NO_VM);
	/* Crashed: the info carries the cause, the RAM region and both vCPUs' registers. */
	vm->state = VM_CRASHED;
	vm->boots = 3;
	strcpy(vm->last_error, "unexpected trap scause=2");
	assert_int_equal(call_vm(CTL_T_DUMP_INFO, "hello"), CTL_OK);
	assert_int_equal(rh.len, 152 + 16 + 2 * (8 + 8 * CTL_DUMP_NR_REGS));
	assert_int_equal(ctl_get32(rp), 1);
	assert_int_equal(ctl_get32(rp + 4), CTL_VM_CRASHED);
	assert_int_equal(ctl_get32(rp + 8), 2);
	assert_int_equal(ctl_get32(rp + 12), 1);
	assert_int_equal(ctl_get64(rp + 16), 3);
	assert_string_equal((const char *)rp + 24, "hello");
	assert_string_equal((const char *)rp + 56, "unexpected trap scause=2");
	assert_int_equal(ctl_get64(rp + 152), 0x80000000);
	assert_int_equal(ctl_get64(rp + 160), sizeof(fake_ram));
	const uint8_t *v1 = rp + 168 + 8 + 8 * CTL_DUMP_NR_REGS;
	assert_int_equal(ctl_get32(v1), 1);
	assert_int_equal(ctl_get64(v1 + 8 + 8 * CTL_DUMP_R_VSATP), (1ull << 32) | CTL_DUMP_R_VSATP);
	assert_int_equal(ctl_get32(rp + 168), 0); /* no crashing vCPU known: in order */
	assert_int_equal(call(CTL_T_DUMP_INFO, "hello", 5), CTL_E_TRUNCATED);
	/* vCPU 1 crashed the VM: it is listed first, then vCPU 0. */
	vm->crash_vcpu1 = 2;
	assert_int_equal(call_vm(CTL_T_DUMP_INFO, "hello"), CTL_OK);
	assert_int_equal(ctl_get32(rp + 168), 1);
	assert_int_equal(ctl_get64(rp + 168 + 8), 1ull << 32); /* its pc */
	assert_int_equal(ctl_get32(v1), 0);
	vm->crash_vcpu1 = 9; /* out of range: ignored */
	assert_int_equal(call_vm(CTL_T_DUMP_INFO, "hello"), CTL_OK);
	assert_int_equal(ctl_get32(rp + 168), 0);
	/* Reads: exact bytes, the last byte of RAM included. */
	assert_int_equal(dump_read("hello", 0x80000000 + 100, 4, 0), CTL_OK);
	assert_int_equal(rh.len, 4);
	assert_int_equal(rp[0], (uint8_t)(100 * 7));
	assert_int_equal(rp[3], (uint8_t)(103 * 7));
	assert_int_equal(
	    dump_read("hello", 0x80000000 + sizeof(fake_ram) - CTL_DUMP_CHUNK, CTL_DUMP_CHUNK, 0),
	    CTL_OK);
	assert_int_equal(rh.len, CTL_DUMP_CHUNK);
	/* Hostile reads: outside RAM, straddling its ends, wrapping, too long, reserved set. */
	unsigned before = hva_calls;
	assert_int_equal(dump_read("hello", 0x7ffffff0, 32, 0), CTL_E_BAD_FIELD);
	assert_int_equal(dump_read("hello", 0x80000000 + sizeof(fake_ram) - 8, 16, 0),
	                 CTL_E_BAD_FIELD);
	assert_int_equal(dump_read("hello", 0x80000000 + sizeof(fake_ram), 1, 0), CTL_E_BAD_FIELD);
	assert_int_equal(dump_read("hello", UINT64_MAX - 3, 8, 0), CTL_E_BAD_FIELD);
	assert_int_equal(dump_read("hello", 0x80000000, 0, 0), CTL_E_BAD_FIELD);
	assert_int_equal(dump_read("hello", 0x80000000, CTL_DUMP_CHUNK + 1, 0), CTL_E_BAD_FIELD);
	assert_int_equal(dump_read("hello", 0x80000000, 8, 1), CTL_E_BAD_FIELD);
	assert_int_equal(hva_calls, before); /* refused before any RAM is touched */
	/* Paused, but a vCPU still on its CPU: busy until it leaves. */
	vm->state = VM_PAUSED;
	vcpus[2].running_cpu = 1;
	assert_int_equal(call_vm(CTL_T_DUMP_INFO, "hello"), CTL_E_BUSY);
	vcpus[2].running_cpu = -1;
	assert_int_equal(call_vm(CTL_T_DUMP_INFO, "hello"), CTL_OK);
	assert_string_equal((const char *)rp + 56, ""); /* not crashed: no cause */
	vm->state = VM_RUNNING;
	vm->nr_vcpus = 1;
}

static void prof_start_req(uint8_t *b, const char *name, uint32_t period, uint32_t rsvd)
{
	memset(b, 0, sizeof(struct ctl_prof_start));
	strncpy((char *)b, name, CTL_NAME_MAX - 1);
	ctl_put32(b + 32, period);
	ctl_put32(b + 36, rsvd);
}

static void test_prof_ops(void **state)
{
	(void)state;
	setup_vms();
	uint8_t b[sizeof(struct ctl_prof_start)];
	uint8_t rd[sizeof(struct ctl_prof_read)] = {0};
	hello();
	prof_running = false;
	prof_start_req(b, "hello", 1000, 0);
	assert_int_equal(call(CTL_T_PROF_START, b, sizeof(b)), CTL_OK);
	assert_ptr_equal(prof_vm, &vms[1]);
	assert_int_equal(prof_period, 1000);
	/* One session at a time; reading waits for the stop. */
	assert_int_equal(call(CTL_T_PROF_START, b, sizeof(b)), CTL_E_BUSY);
	assert_int_equal(call(CTL_T_PROF_READ, rd, sizeof(rd)), CTL_E_BAD_STATE);
	assert_int_equal(call(CTL_T_PROF_STOP, NULL, 0), CTL_OK);
	assert_int_equal(prof_stops, 1);
	ctl_put32(rd, 5);
	assert_int_equal(call(CTL_T_PROF_READ, rd, sizeof(rd)), CTL_OK);
	assert_int_equal(rh.len, 16);
	assert_int_equal(ctl_get32(rp), 7);
	assert_int_equal(ctl_get32(rp + 4), 5);
	/* The service VM may be profiled (reading, not managing). */
	prof_start_req(b, "svc", 100, 0);
	assert_int_equal(call(CTL_T_PROF_START, b, sizeof(b)), CTL_OK);
	assert_ptr_equal(prof_vm, &vms[0]);
	prof_running = false;
	/* Hostile requests: unknown VM, reserved bits, wrong lengths. */
	prof_start_req(b, "nosuch", 1000, 0);
	assert_int_equal(call(CTL_T_PROF_START, b, sizeof(b)), CTL_E_NO_VM);
	prof_start_req(b, "hello", 1000, 1);
	assert_int_equal(call(CTL_T_PROF_START, b, sizeof(b)), CTL_E_BAD_FIELD);
	assert_int_equal(call(CTL_T_PROF_START, b, 36), CTL_E_TRUNCATED);
	ctl_put32(rd + 4, 1);
	assert_int_equal(call(CTL_T_PROF_READ, rd, sizeof(rd)), CTL_E_BAD_FIELD);
	assert_int_equal(call(CTL_T_PROF_READ, rd, 4), CTL_E_TRUNCATED);
	assert_int_equal(call(CTL_T_PROF_STOP, rd, 4), CTL_E_BAD_LENGTH);
	assert_false(prof_running);
}

static void test_snap_routing(void **state)
{
	(void)state;
	setup_vms();
	unsigned resets0 = snap_resets;
	hello();
	assert_int_equal(snap_resets, resets0 + 1); /* a new session closes open snapshots */
	uint8_t b[40] = {0};
	strcpy((char *)b, "hello");
	snap_calls = 0;
	assert_int_equal(call(CTL_T_SNAP_BEGIN, b, sizeof(struct ctl_snap_begin)), CTL_OK);
	assert_ptr_equal(snap_vm, &vms[1]);
	assert_int_equal(rh.len, 16);
	/* Never the service VM; unknown VMs; sizes from the table. */
	memset(b, 0, sizeof(b));
	strcpy((char *)b, "svc");
	assert_int_equal(call(CTL_T_SNAP_BEGIN, b, sizeof(struct ctl_snap_begin)),
	                 CTL_E_PERMISSION);
	strcpy((char *)b, "nosuch");
	assert_int_equal(call(CTL_T_SNAP_BEGIN, b, sizeof(struct ctl_snap_begin)), CTL_E_NO_VM);
	assert_int_equal(call(CTL_T_SNAP_BEGIN, b, 36), CTL_E_TRUNCATED);
	assert_int_equal(call(CTL_T_SNAP_READ, b, sizeof(struct ctl_snap_read)), CTL_OK);
	assert_int_equal(call(CTL_T_SNAP_READ, b, 17), CTL_E_BAD_LENGTH);
	assert_int_equal(call(CTL_T_SNAP_END, b, sizeof(struct ctl_snap_end)), CTL_OK);
	assert_int_equal(call(CTL_T_RESTORE_BEGIN, b, sizeof(struct ctl_restore_begin)),
	                 CTL_E_BUSY);
	assert_int_equal(call(CTL_T_RESTORE_DATA, b, 16), CTL_E_TRUNCATED); /* no data byte */
	assert_int_equal(call(CTL_T_RESTORE_DATA, b, 17), CTL_E_NO_UPLOAD);
	assert_int_equal(call(CTL_T_RESTORE_COMMIT, b, 8), CTL_E_NO_UPLOAD);
	assert_int_equal(call(CTL_T_RESTORE_ABORT, b, 8), CTL_E_NO_UPLOAD);
	assert_int_equal(call(CTL_T_RESTORE_ABORT, b, 9), CTL_E_BAD_LENGTH);
	assert_int_equal(snap_calls, 7);
}

static void test_mig_routing(void **state)
{
	(void)state;
	setup_vms();
	unsigned resets0 = mig_resets;
	hello();
	assert_int_equal(mig_resets, resets0 + 1); /* a new session ends an open migration */
	uint8_t b[40] = {0};
	strcpy((char *)b, "hello");
	mig_calls = 0;
	assert_int_equal(call(CTL_T_MIG_BEGIN, b, sizeof(struct ctl_snap_begin)), CTL_OK);
	assert_ptr_equal(mig_vm, &vms[1]);
	memset(b, 0, sizeof(b));
	strcpy((char *)b, "svc");
	assert_int_equal(call(CTL_T_MIG_BEGIN, b, sizeof(struct ctl_snap_begin)), CTL_E_PERMISSION);
	strcpy((char *)b, "nosuch");
	assert_int_equal(call(CTL_T_MIG_BEGIN, b, sizeof(struct ctl_snap_begin)), CTL_E_NO_VM);
	assert_int_equal(call(CTL_T_MIG_BEGIN, b, 39), CTL_E_TRUNCATED);
	assert_int_equal(call(CTL_T_MIG_ROUND, b, 8), CTL_E_BUSY);
	assert_int_equal(call(CTL_T_MIG_ROUND, b, 9), CTL_E_BAD_LENGTH);
	assert_int_equal(call(CTL_T_MIG_READ, b, 16), CTL_OK);
	assert_int_equal(call(CTL_T_MIG_READ, b, 15), CTL_E_TRUNCATED);
	assert_int_equal(call(CTL_T_MIG_END, b, 8), CTL_E_NO_UPLOAD);
	assert_int_equal(mig_calls, 4);
}

static void test_metrics(void **state)
{
	(void)state;
	setup_vms();
	assert_int_equal(call(CTL_T_HOST_METRICS, NULL, 0), CTL_E_NOT_NEGOTIATED);
	hello();
	/* Host: CPU 1 idle since 23456789 ns (now is 123456789): the period in progress
	 * counts. */
	cpus[0].stats.idle_ns = 1000;
	cpus[0].stats.guest_exits = 77;
	cpus[0].rq.nr_queued = 2;
	cpus[0].rq.curr = &vcpus[0].se;
	cpus[1].stats.idle_ns = 5;
	cpus[1].idle_since = 23456789;
	cpus[1].stats.migrations_in = 4;
	assert_int_equal(call(CTL_T_HOST_METRICS, NULL, 0), CTL_OK);
	assert_int_equal(rh.len, 120 + 2 * 72);
	assert_int_equal(ctl_get32(rp), 2);
	assert_int_equal(ctl_get64(rp + 8), 123456789);
	assert_int_equal(ctl_get64(rp + 16), 1000); /* pages total */
	assert_int_equal(ctl_get64(rp + 24), 400);
	assert_int_equal(ctl_get32(rp + 120 + 4), 3); /* rq: two queued + the running one */
	assert_int_equal(ctl_get64(rp + 120 + 16), 1000);
	assert_int_equal(ctl_get64(rp + 120 + 24), 123456789 - 1000);
	assert_int_equal(ctl_get64(rp + 120 + 32), 77);
	assert_int_equal(ctl_get64(rp + 192 + 16), 100000005);
	assert_int_equal(ctl_get64(rp + 192 + 64), 4);
	/* The idle fold racing a read must not make the counter go back: reported max. */
	cpus[1].idle_since = 0;
	assert_int_equal(call(CTL_T_HOST_METRICS, NULL, 0), CTL_OK);
	assert_int_equal(ctl_get64(rp + 192 + 16), 100000005);
	assert_int_equal(call(CTL_T_HOST_METRICS, "x", 1), CTL_E_BAD_LENGTH);

	/* A VM: counters summed over its vCPUs, SBI calls by extension, devices. */
	vms[0].nr_vcpus = 2;
	vms[0].vcpus[1] = &vcpus[2];
	vcpus[0].id = 0;
	vcpus[2].id = 1;
	vcpus[0].se.sum_exec_ns = 1000;
	vcpus[2].se.sum_exec_ns = 500;
	vcpus[0].stats.steal_total_ns = 30;
	vcpus[0].stats.by_kind[EXIT_HCALL] = 11;
	vcpus[2].stats.by_kind[EXIT_HCALL] = 1;
	vcpus[2].stats.by_kind[EXIT_OTHER] = 3;
	vcpus[2].stats.irqs_injected = 6;
	vms[0].boots = 2;
	vms[0].crashes = 1;
	vms[0].ram_size = 64 << 20;
	assert_int_equal(call_vm(CTL_T_VM_METRICS, "svc"), CTL_OK); /* reading is not managing */
	assert_int_equal(rh.len, 184 + 2 * 112 + 3 * 24 + 1 * 104);
	assert_int_equal(ctl_get32(rp + 8), 2);
	assert_int_equal(ctl_get32(rp + 12), 3);
	assert_int_equal(ctl_get32(rp + 16), 1);
	assert_int_equal(ctl_get32(rp + 20), CTL_VMF_SERVICE);
	assert_int_equal(ctl_get64(rp + 24), 64 << 20);
	assert_int_equal(ctl_get64(rp + 40), 2);
	assert_int_equal(ctl_get64(rp + 48), 1);
	assert_int_equal(ctl_get64(rp + 56), 1500);
	assert_int_equal(ctl_get64(rp + 64), 30);
	assert_int_equal(ctl_get64(rp + 72), 6);
	assert_int_equal(ctl_get64(rp + 88 + 8 * EXIT_HCALL), 12);
	assert_int_equal(ctl_get64(rp + 88 + 8 * EXIT_OTHER), 3);
	assert_string_equal((char *)rp + 152, "svc");
	assert_int_equal(ctl_get64(rp + 184 + 112 + 16), 500); /* vCPU 1 run time */
	const uint8_t *calls = rp + 184 + 2 * 112;
	assert_string_equal((char *)calls + 24, "time");
	assert_int_equal(ctl_get64(calls + 24 + 16), 20 + 21); /* both vCPUs */
	const uint8_t *dev = calls + 3 * 24;
	assert_int_equal(ctl_get32(dev + 4), CTL_DEV_CONTROL);
	assert_int_equal(dev[88 + 15], 0); /* device name cut to 15 characters */
	vms[0].nr_vcpus = 1;
	assert_int_equal(call_vm(CTL_T_VM_METRICS, "nosuch"), CTL_E_NO_VM);
	assert_int_equal(call(CTL_T_VM_METRICS, "svc", 3), CTL_E_TRUNCATED);
	uint8_t bad[CTL_NAME_MAX];
	memset(bad, 'a', sizeof(bad)); /* not terminated */
	assert_int_equal(call(CTL_T_VM_METRICS, bad, sizeof(bad)), CTL_E_BAD_FIELD);

	/* Network: the switch, then its used ports only. */
	assert_int_equal(call(CTL_T_NET_METRICS, NULL, 0), CTL_OK);
	assert_int_equal(rh.len, 8 + 48 + 2 * 48);
	assert_int_equal(ctl_get32(rp), 1);
	assert_int_equal(ctl_get32(rp + 4), 2);
	assert_string_equal((char *)rp + 8, "lan0");
	assert_int_equal(ctl_get64(rp + 8 + 24), 7);
	const uint8_t *port = rp + 8 + 48;
	assert_int_equal(ctl_get32(port + 12), 1);
	assert_int_equal(ctl_get32(port + 8), CTL_NETF_ENABLED);
	assert_int_equal(ctl_get64(port + 16), 5);
	assert_int_equal(ctl_get32(port + 48 + 4), 2);
	assert_int_equal(ctl_get32(port + 48 + 12), CTL_NO_VM);
	assert_int_equal(ctl_get64(port + 48 + 24), 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_session_and_lists),
	    cmocka_unit_test(test_lifecycle_and_permissions),
	    cmocka_unit_test(test_sched_params),
	    cmocka_unit_test(test_upload_and_console),
	    cmocka_unit_test(test_framing_errors_and_echo),
	    cmocka_unit_test(test_mutation_flood),
	    cmocka_unit_test(test_notify_rounds),
	    cmocka_unit_test(test_metrics),
	    cmocka_unit_test(test_trace_not_built),
	    cmocka_unit_test(test_dump),
	    cmocka_unit_test(test_prof_ops),
	    cmocka_unit_test(test_snap_routing),
	    cmocka_unit_test(test_mig_routing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
