/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for the hypervisor's snapshot requests (hyp/core/ctl_snap.c) and the
 * save/restore of a VM's state (snap_vm.c, snap_restore.c) with a fake VM layer and a
 * fake arch (the RISC-V hooks need CSRs): a VM with two vCPUs, RAM, PLIC, UART and RTC
 * state is saved through SNAP_BEGIN/READ/END and restored through RESTORE_BEGIN/DATA/
 * COMMIT into an identical new VM, left paused with its powered-on vCPUs queued. Streams
 * whose checksums are right but whose values are not (CONFIG, VM, VCPU, PLIC, UART) are
 * refused and the half-made VM destroyed; the session rules (ids, order, one at a time,
 * abort, a VM destroyed during its save) hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ctl.h"
#include "core/ctl_proto.h"
#include "core/ctl_snap.h"
#include "core/mem.h"
#include "core/sched.h"
#include "core/snap_arch.h"
#include "core/snap_fmt.h"
#include "core/snap_vm.h"
#include "core/timer.h"
#include "core/vm.h"

#define RAM_GPA  0x80000000ull
#define RAM_SIZE (8ull << 20)

struct vm *vm_table[FV_MAX_VMS];
unsigned vm_count;

/* ---- fakes of the VM layer ------------------------------------------------------------- */

static unsigned pauses, resumes, destroys, starts;

void log_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void *mem_zalloc(size_t size)
{
	return calloc(1, size);
}

void mem_free(void *p)
{
	free(p);
}

uint64_t time_now_ns(void)
{
	static uint64_t t;
	return t += 1000;
}

uint64_t time_freq_hz(void)
{
	return 10000000;
}

void arch_cpu_relax(void)
{
}

struct vm *ctl_service_vm(void)
{
	return vm_table[0];
}

void ctl_vm_event(struct vm *vm, unsigned old_state, unsigned new_state, const char *cause)
{
	(void)vm;
	(void)old_state;
	(void)new_state;
	(void)cause;
}

bool config_vm_name_ok(const char *n)
{
	return n[0] && strlen(n) < VM_NAME_MAX && strcmp(n, "hyp") != 0;
}

struct vm *vm_find(const char *name)
{
	for (unsigned i = 0; i < FV_MAX_VMS; i++)
		if (vm_table[i] && !vm_table[i]->destroying && strcmp(vm_table[i]->name, name) == 0)
			return vm_table[i];
	return NULL;
}

int vm_pause(struct vm *vm)
{
	pauses++;
	vm->state = VM_PAUSED;
	return 0;
}

int vm_resume(struct vm *vm)
{
	if (vm->state != VM_PAUSED)
		return -FV_EBUSY;
	resumes++;
	vm->state = VM_RUNNING;
	return 0;
}

static void free_vm(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		free(vm->vcpus[i]);
	free((void *)(uintptr_t)vm->ram_hpa);
	free(vm->ram_present);
	vm_stage_abort(&vm->images);
	free(vm);
}

int vm_destroy(struct vm *vm)
{
	destroys++;
	vm_table[vm->id] = NULL;
	vm_count--;
	free_vm(vm);
	return 0;
}

int vm_config_precheck(const struct vm_config *vc)
{
	return vc->mem_base == RAM_GPA ? 0 : -FV_ERANGE;
}

static struct vm *make_vm(const struct vm_config *cfg, unsigned slot)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	vm->id = slot;
	vm->dynamic = true;
	vm->dyn_cfg = *cfg;
	vm->cfg = &vm->dyn_cfg;
	memcpy(vm->name, cfg->name, sizeof(vm->name));
	vm->ram_gpa = cfg->mem_base;
	vm->ram_size = cfg->mem_size;
	vm->ram_hpa = (hpa_t)(uintptr_t)calloc(1, cfg->mem_size);
	vm->ram_present = calloc(1, 64);
	vm->mem_gen = 0x10000u * (slot + 1);
	vm->nr_vcpus = cfg->vcpus;
	for (unsigned i = 0; i < cfg->vcpus; i++) {
		vm->vcpus[i] = calloc(1, sizeof(struct vcpu));
		vm->vcpus[i]->vm = vm;
		vm->vcpus[i]->id = i;
		vm->vcpus[i]->running_cpu = -1;
	}
	assert_int_equal(vplic_init(&vm->arch.plic, VM_PLIC_NDEV + 1, cfg->vcpus, NULL, NULL), 0);
	vm->rtc.present = cfg->has_rtc;
	vm->state = VM_STOPPED;
	vm_table[slot] = vm;
	vm_count++;
	return vm;
}

int vm_create_owned(const struct vm_config *cfg, struct vm_stage *images, struct vm **out)
{
	for (unsigned i = 1; i < FV_MAX_VMS; i++)
		if (!vm_table[i]) {
			*out = make_vm(cfg, i);
			vm_stage_move(&(*out)->images, images);
			return 0;
		}
	return -FV_ENOSPC;
}

void *vm_gpa_to_hva(struct vm *vm, gpa_t gpa, uint64_t len)
{
	if (gpa < vm->ram_gpa || gpa - vm->ram_gpa > vm->ram_size ||
	    len > vm->ram_size - (gpa - vm->ram_gpa))
		return NULL;
	uint64_t b = (gpa - vm->ram_gpa) / VM_RAM_BLOCK;
	vm->ram_present[b / 64] |= 1ull << (b % 64);
	return (void *)(uintptr_t)(vm->ram_hpa + (gpa - vm->ram_gpa));
}

static int pool_alloc(size_t npages, hpa_t *out)
{
	*out = (hpa_t)(uintptr_t)malloc(npages * PAGE_SIZE);
	return 0;
}

static void pool_free(hpa_t pa, size_t npages)
{
	(void)npages;
	free((void *)(uintptr_t)pa);
}

static void *pool_p2v(hpa_t pa)
{
	return (void *)(uintptr_t)pa;
}

static const struct vm_stage_ops pool = {pool_alloc, pool_free, pool_p2v};

const struct vm_stage_ops *vm_stage_pool(void)
{
	return &pool;
}

int sched_start(struct vcpu *v)
{
	starts++;
	v->state = VCPU_RUNNABLE;
	return 0;
}

void vm_rtc_resync(struct vm *vm)
{
	(void)vm;
}

/* ---- fake arch: pc and x1..x31 as the vCPU state, the clock as a plain offset ---------- */

static uint64_t clock_set;

bool arch_snap_available(void)
{
	return true;
}

const char *arch_snap_name(void)
{
	return "riscv64";
}

uint64_t arch_snap_guest_time(const struct vm *vm)
{
	(void)vm;
	return 123456;
}

uint32_t arch_snap_vm_save(const struct vm *vm, uint8_t *out)
{
	ctl_put64(out, vm->arch.htimedelta);
	return 8;
}

int arch_snap_vm_load(struct vm *vm, const uint8_t *p, uint32_t len, uint64_t guest_time)
{
	(void)guest_time;
	if (len != 8)
		return -FV_EINVAL;
	vm->arch.htimedelta = ctl_get64(p);
	return 0;
}

void arch_snap_clock_resume(struct vm *vm, uint64_t guest_time)
{
	(void)vm;
	clock_set = guest_time;
}

uint32_t arch_snap_vcpu_save(const struct vcpu *v, uint8_t *out)
{
	ctl_put64(out, v->arch.ctx.sepc);
	for (unsigned i = 1; i < 32; i++)
		ctl_put64(out + 8 * i, v->arch.ctx.x[i]);
	return 256;
}

int arch_snap_vcpu_load(struct vcpu *v, const uint8_t *p, uint32_t len)
{
	if (len != 256)
		return -FV_EINVAL;
	v->arch.ctx.sepc = ctl_get64(p);
	for (unsigned i = 1; i < 32; i++)
		v->arch.ctx.x[i] = ctl_get64(p + 8 * i);
	return 0;
}

/* ---- fake virtio layer (snap_virtio.c has its own tests): calls counted ----------------- */

static unsigned quiesces, thaws, dev_starts, dev_binds;

int snap_virtio_quiesce(struct vm *vm)
{
	(void)vm;
	quiesces++;
	return 0;
}

void snap_virtio_thaw(struct vm *vm)
{
	(void)vm;
	thaws++;
}

uint32_t snap_virtio_save(struct vm *vm, unsigned j, uint8_t *out)
{
	(void)vm;
	(void)j;
	memset(out, 0, SNAP_DEV_LEN);
	return SNAP_DEV_LEN;
}

int snap_virtio_bind(struct vm_config *vc, unsigned j, const uint8_t *p, uint32_t len)
{
	(void)vc;
	(void)j;
	(void)p;
	(void)len;
	dev_binds++;
	return 0;
}

bool snap_virtio_bind_valid(const uint8_t *bind, uint32_t len)
{
	(void)bind;
	return len == SNAP_DEV_LEN;
}

bool snap_virtio_same_binding(const uint8_t *bind, const uint8_t *dev)
{
	return memcmp(bind, dev, 56) == 0;
}

int snap_virtio_load(struct vm *vm, unsigned j, const uint8_t *p, uint32_t len)
{
	(void)vm;
	(void)j;
	(void)p;
	(void)len;
	return 0;
}

void snap_virtio_start(struct vm *vm)
{
	(void)vm;
	dev_starts++;
}

/* ---- the source VM and helpers --------------------------------------------------------- */

static uint8_t kernel[5000];
static uint8_t *stream;
static size_t stream_len;
static uint8_t resp[CTL_MAX_PAYLOAD];

static struct vm *make_src(void)
{
	struct vm_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, "src");
	cfg.vcpus = 2;
	cfg.mem_base = RAM_GPA;
	cfg.mem_size = RAM_SIZE;
	cfg.weight = 256;
	cfg.vcpu_pin[0] = cfg.vcpu_pin[1] = -1;
	for (unsigned i = 2; i < VM_MAX_VCPUS; i++)
		cfg.vcpu_pin[i] = -1;
	cfg.kernel = kernel;
	cfg.kernel_size = sizeof(kernel);
	cfg.kernel_offset = 0x200000;
	cfg.has_uart = true;
	cfg.uart_base = 0x10000000;
	cfg.has_rtc = true;
	strcpy(cfg.bootargs, "console=ttyS0");
	for (size_t i = 0; i < sizeof(kernel); i++)
		kernel[i] = (uint8_t)(i * 3);
	struct vm *vm = make_vm(&cfg, 1);
	vm->state = VM_RUNNING;
	vm->boots = 3;
	vm->dtb_gpa = RAM_GPA + 0x100000;
	vm->arch.htimedelta = 77;
	uint8_t *ram = (uint8_t *)(uintptr_t)vm->ram_hpa;
	/* Block 0 touched (some pages with data), block 2 touched, the rest never. */
	vm->ram_present[0] = 1 | 4;
	for (unsigned p = 0; p < 512; p += 37)
		ram[p * 4096 + p] = (uint8_t)(p | 1);
	ram[2 * VM_RAM_BLOCK + 5] = 0xee;
	for (unsigned i = 0; i < 2; i++) {
		vm->vcpus[i]->state = VCPU_BLOCKED;
		vm->vcpus[i]->arch.ctx.sepc = 0x80200000 + i * 4;
		for (unsigned r = 1; r < 32; r++)
			vm->vcpus[i]->arch.ctx.x[r] = r * 1000 + i;
	}
	vm->vcpus[1]->state = VCPU_STOPPED; /* HSM stopped: stays stopped */
	vm->vcpus[0]->virq_pending = VIRQ_SOFT | VIRQ_TIMER;
	vm->arch.plic.priority[10] = 5;
	vm->arch.plic.enable[0][0] = 1u << 10;
	vm->arch.plic.level[0] = 1u << 10;
	vm->arch.plic.pending[0] = 1u << 10;
	vm->arch.plic.threshold[1] = 3;
	vm->con.uart.lcr = 3;
	vm->con.uart.ier = 5;
	vm->con.uart.rx_count = 2;
	vm->con.uart.rx_fifo[0] = 'a';
	vm->rtc.dev.offset = 999;
	vm->rtc.dev.irq_enabled = true;
	return vm;
}

static void name_field(uint8_t *p, const char *name)
{
	memset(p, 0, CTL_NAME_MAX);
	memcpy(p, name, strlen(name));
}

static uint32_t id_flags(uint32_t (*fn)(const uint8_t *), uint32_t id, uint32_t flags)
{
	uint8_t b[8];
	ctl_put32(b, id);
	ctl_put32(b + 4, flags);
	return fn(b);
}

static uint32_t read_at(uint32_t id, uint32_t max, uint64_t off, uint32_t *n)
{
	uint8_t b[16];
	ctl_put32(b, id);
	ctl_put32(b + 4, max);
	ctl_put64(b + 8, off);
	return ctl_snap_read(b, resp, n);
}

/* Save vm into stream (pieces of @piece bytes). */
static void save(struct vm *vm, uint32_t piece)
{
	uint8_t b[40] = {0};
	uint32_t n;
	name_field(b, vm->name);
	assert_int_equal(ctl_snap_begin(vm, b, resp, &n), CTL_OK);
	assert_int_equal(n, sizeof(struct ctl_snap_info));
	uint32_t id = ctl_get32(resp);
	uint64_t total = ctl_get64(resp + 8);
	assert_int_equal(vm->state, VM_PAUSED);
	free(stream);
	stream = malloc(total);
	stream_len = 0;
	assert_int_equal(ctl_snap_begin(vm, b, resp, &n), CTL_E_BUSY);
	assert_int_equal(read_at(id + 1, piece, 0, &n), CTL_E_NO_UPLOAD);
	assert_int_equal(read_at(id, piece, 5, &n), CTL_E_SEQUENCE);
	assert_int_equal(read_at(id, CTL_SNAP_CHUNK + 1, 0, &n), CTL_E_BAD_FIELD);
	while (stream_len < total) {
		assert_int_equal(read_at(id, piece, stream_len, &n), CTL_OK);
		assert_true(n > 0 && stream_len + n <= total);
		memcpy(stream + stream_len, resp, n);
		stream_len += n;
	}
	assert_int_equal(read_at(id, piece, stream_len, &n), CTL_OK);
	assert_int_equal(n, 0);
	assert_int_equal(id_flags(ctl_snap_end, id, 2), CTL_E_BAD_FIELD);
	assert_int_equal(id_flags(ctl_snap_end, id, CTL_SNAP_RESUME), CTL_OK);
	assert_int_equal(vm->state, VM_RUNNING); /* resumed: the save paused it */
}

static struct vm *commit_out;

static uint32_t commit_wrap(const uint8_t *req)
{
	return ctl_restore_commit(req, &commit_out);
}

/* Restore stream[0..len) as @name; the first refusal's status, CTL_OK when committed. */
static uint32_t restore(const uint8_t *s, size_t len, const char *name, struct vm **out)
{
	static uint8_t b[CTL_MAX_PAYLOAD];
	uint32_t n, st;
	name_field(b, name);
	ctl_put64(b + 32, len);
	st = ctl_restore_begin(b, resp, &n);
	if (st)
		return st;
	uint32_t id = ctl_get32(resp);
	for (size_t off = 0; off < len; off += 3000) {
		size_t k = len - off < 3000 ? len - off : 3000;
		ctl_put32(b, id);
		ctl_put32(b + 4, 0);
		ctl_put64(b + 8, off);
		memcpy(b + 16, s + off, k);
		st = ctl_restore_data(b, (uint32_t)(16 + k), resp, &n);
		if (st)
			return st;
		assert_int_equal(ctl_get64(resp + 8), off + k);
	}
	uint8_t c[8];
	ctl_put32(c, id);
	ctl_put32(c + 4, 0);
	return ctl_restore_commit(c, out ? out : &commit_out);
}

static void reset_all(void)
{
	ctl_snap_reset();
	for (unsigned i = 0; i < FV_MAX_VMS; i++)
		if (vm_table[i]) {
			free_vm(vm_table[i]);
			vm_table[i] = NULL;
		}
	vm_count = 0;
	pauses = resumes = destroys = starts = 0;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_save_restore_identical(void **state)
{
	(void)state;
	reset_all();
	struct vm *src = make_src();
	save(src, 8192);
	assert_int_equal(pauses, 1);
	assert_int_equal(resumes, 1);
	struct vm *dst = NULL;
	assert_int_equal(restore(stream, stream_len, "dst", &dst), CTL_OK);
	assert_non_null(dst);
	assert_string_equal(dst->name, "dst");
	assert_int_equal(dst->state, VM_PAUSED);
	assert_true(dst->paused);
	assert_memory_equal((void *)(uintptr_t)dst->ram_hpa, (void *)(uintptr_t)src->ram_hpa,
	                    RAM_SIZE);
	assert_int_equal(dst->boots, 3);
	assert_int_equal(dst->dtb_gpa, src->dtb_gpa);
	assert_int_equal(dst->arch.htimedelta, 77);
	assert_int_equal(clock_set, 123456);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(dst->vcpus[i]->arch.ctx.sepc, src->vcpus[i]->arch.ctx.sepc);
		assert_memory_equal(dst->vcpus[i]->arch.ctx.x, src->vcpus[i]->arch.ctx.x,
		                    sizeof(src->vcpus[i]->arch.ctx.x));
	}
	/* vCPU 0 was on: queued to park; vCPU 1 was HSM-stopped: still stopped. */
	assert_int_equal(starts, 1);
	assert_int_equal(dst->vcpus[0]->state, VCPU_RUNNABLE);
	assert_int_equal(dst->vcpus[1]->state, VCPU_STOPPED);
	assert_int_equal(dst->vcpus[0]->virq_pending & VIRQ_SOFT, VIRQ_SOFT);
	assert_int_equal(dst->vcpus[0]->virq_pending & VIRQ_TIMER, 0); /* re-derived */
	/* The PLIC: source 10 pending and enabled for context 0 (priority 5 > threshold 0),
	 * so vCPU 0's external line is up; context 1's threshold kept. */
	assert_int_equal(dst->arch.plic.priority[10], 5);
	assert_int_equal(dst->arch.plic.pending[0], 1u << 10);
	assert_int_equal(dst->arch.plic.threshold[1], 3);
	assert_int_equal(dst->arch.plic.output & 1, 1);
	assert_int_equal(dst->vcpus[0]->virq_pending & VIRQ_EXT, VIRQ_EXT);
	assert_int_equal(dst->con.uart.lcr, 3);
	assert_int_equal(dst->con.uart.rx_count, 2);
	assert_int_equal(dst->con.uart.rx_fifo[0], 'a');
	assert_int_equal(dst->rtc.dev.offset, 999);
	assert_true(dst->rtc.dev.irq_enabled);
	/* Its images were restored too (a reset boots them). */
	uint64_t ks = 0;
	const uint8_t *k = vm_stage_data(&dst->images, VM_IMAGE_KERNEL, &ks);
	assert_int_equal(ks, sizeof(kernel));
	assert_memory_equal(k, kernel, sizeof(kernel));
	/* One-byte pieces on the save side give the same stream. */
	uint8_t *first = malloc(stream_len);
	size_t first_len = stream_len;
	memcpy(first, stream, stream_len);
	src->state = VM_RUNNING;
	save(src, 1);
	assert_int_equal(stream_len, first_len);
	free(first);
}

/* The section of @type/@inst in stream: its payload offset and length. */
static size_t find_sect(uint16_t type, uint16_t inst, uint64_t *len)
{
	for (size_t off = SNAP_HDR_SIZE; off < stream_len;) {
		uint64_t l = ctl_get64(stream + off + 8);
		if (ctl_get16(stream + off) == type && ctl_get16(stream + off + 2) == inst) {
			*len = l;
			return off;
		}
		off += SNAP_SECT_HDR + l + SNAP_SECT_CRC;
	}
	fail();
	return 0;
}

/* Change one byte of a section's payload and sign it again (a crafted, well-formed file). */
static uint8_t *crafted(uint16_t type, uint16_t inst, size_t at, uint8_t value)
{
	uint64_t len;
	size_t off = find_sect(type, inst, &len);
	uint8_t *c = malloc(stream_len);
	memcpy(c, stream, stream_len);
	c[off + SNAP_SECT_HDR + at] = value;
	ctl_put32(c + off + SNAP_SECT_HDR + len,
	          ctl_crc32c(0, c + off, SNAP_SECT_HDR + (size_t)len));
	return c;
}

static void test_crafted_values_refused(void **state)
{
	(void)state;
	static const struct {
		uint16_t type, inst;
		size_t at;
		uint8_t value;
		bool creates; /* the VM exists when it is refused (then destroyed) */
	} cases[] = {
	    {SNAP_S_CONFIG, 0, 0, 3, false},     /* vCPUs: not the header's */
	    {SNAP_S_CONFIG, 0, 88, 0x80, false}, /* unknown flag */
	    {SNAP_S_CONFIG, 0, 92, 1, false},    /* a disk: not carried */
	    {SNAP_S_CONFIG, 0, 623, 'x', false}, /* bootargs not terminated */
	    {SNAP_S_CONFIG, 0, 12, 0x90, false}, /* RAM base not the header's */
	    {SNAP_S_VM, 0, 15, 0x70, true},      /* device tree outside RAM */
	    {SNAP_S_VCPU, 0, 0, 2, true},        /* "powered on" is 0 or 1 */
	    {SNAP_S_VCPU, 1, 4, 0x80, true},     /* unknown flag */
	    {SNAP_S_IRQCHIP, 0, 0, 9, true},     /* source count not this VM's */
	    {SNAP_S_UART, 0, 16, 200, true},     /* rx_head past the FIFO */
	    {SNAP_S_RTC, 0, 24, 0x10, true},     /* unknown flag */
	    {SNAP_S_VCPU_ARCH, 0, 0, 0, true},   /* (accepted by the fake arch: control) */
	};
	reset_all();
	struct vm *src = make_src();
	save(src, 4096);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *c = crafted(cases[i].type, cases[i].inst, cases[i].at, cases[i].value);
		struct vm *dst = NULL;
		unsigned d0 = destroys;
		uint32_t st = restore(c, stream_len, "dst", &dst);
		free(c);
		if (cases[i].type == SNAP_S_VCPU_ARCH) {
			assert_int_equal(st, CTL_OK);
			vm_destroy(dst);
			continue;
		}
		assert_int_equal(st, CTL_E_BAD_CONFIG);
		assert_null(vm_find("dst"));
		assert_int_equal(destroys, d0 + (cases[i].creates ? 1 : 0));
		assert_int_equal(vm_count, 1); /* src only (slot 0 is empty here) */
	}
	/* A flipped byte without a new CRC: a checksum refusal. */
	stream[stream_len - 100] ^= 1;
	assert_int_equal(restore(stream, stream_len, "dst", NULL), CTL_E_UPLOAD_CRC);
	stream[stream_len - 100] ^= 1;
	assert_null(vm_find("dst"));
}

static void test_sessions(void **state)
{
	(void)state;
	reset_all();
	struct vm *src = make_src();
	save(src, 8192);
	uint8_t b[CTL_MAX_PAYLOAD];
	uint32_t n;
	/* Names: in use, invalid; sizes. */
	name_field(b, "src");
	ctl_put64(b + 32, stream_len);
	assert_int_equal(ctl_restore_begin(b, resp, &n), CTL_E_BAD_STATE);
	name_field(b, "x");
	ctl_put64(b + 32, 10);
	assert_int_equal(ctl_restore_begin(b, resp, &n), CTL_E_BAD_FIELD);
	ctl_put64(b + 32, stream_len);
	assert_int_equal(ctl_restore_begin(b, resp, &n), CTL_OK);
	uint32_t id = ctl_get32(resp);
	assert_int_equal(ctl_restore_begin(b, resp, &n), CTL_E_BUSY);
	/* Data out of order, past the size, a reserved field; a short commit stays open. */
	ctl_put32(b, id);
	ctl_put32(b + 4, 0);
	ctl_put64(b + 8, 5);
	memcpy(b + 16, stream, 100);
	assert_int_equal(ctl_restore_data(b, 116, resp, &n), CTL_E_SEQUENCE);
	ctl_put64(b + 8, 0);
	ctl_put32(b + 4, 1);
	assert_int_equal(ctl_restore_data(b, 116, resp, &n), CTL_E_BAD_FIELD);
	ctl_put32(b + 4, 0);
	assert_int_equal(ctl_restore_data(b, 116, resp, &n), CTL_OK);
	assert_int_equal(id_flags(commit_wrap, id, 0), CTL_E_UPLOAD_SIZE);
	assert_int_equal(id_flags(ctl_restore_abort, id + 1, 0), CTL_E_NO_UPLOAD);
	assert_int_equal(id_flags(ctl_restore_abort, id, 0), CTL_OK);
	assert_int_equal(id_flags(ctl_restore_abort, id, 0), CTL_E_NO_UPLOAD);
	/* A truncated stream: every announced byte came, but no END: refused at commit. */
	struct vm *dst = NULL;
	assert_int_equal(restore(stream, stream_len - 20, "dst", &dst), CTL_E_BAD_FIELD);
	assert_null(vm_find("dst"));
	/* A save whose VM is destroyed meanwhile ends with E_BAD_STATE, nothing resumed. */
	name_field(b, "src");
	memset(b + 32, 0, 8);
	assert_int_equal(ctl_snap_begin(src, b, resp, &n), CTL_OK);
	id = ctl_get32(resp);
	unsigned r0 = resumes;
	vm_destroy(src);
	assert_int_equal(read_at(id, 100, 0, &n), CTL_E_BAD_STATE);
	assert_int_equal(read_at(id, 100, 0, &n), CTL_E_NO_UPLOAD); /* the save is over */
	assert_int_equal(resumes, r0);
	/* A vCPU still on its CPU after the pause: E_BUSY, the VM stays paused, and the retry
	 * knows the save paused it (END resumes it). */
	src = make_src();
	src->vcpus[0]->running_cpu = 0;
	assert_int_equal(ctl_snap_begin(src, b, resp, &n), CTL_E_BUSY);
	assert_int_equal(src->state, VM_PAUSED);
	assert_int_equal(ctl_snap_begin(src, b, resp, &n), CTL_E_BUSY);
	src->vcpus[0]->running_cpu = -1;
	assert_int_equal(ctl_snap_begin(src, b, resp, &n), CTL_OK);
	r0 = resumes;
	assert_int_equal(id_flags(ctl_snap_end, ctl_get32(resp), CTL_SNAP_RESUME), CTL_OK);
	assert_int_equal(resumes, r0 + 1);
	assert_int_equal(src->state, VM_RUNNING);
	/* Not retried, a new session: the pause is undone. */
	src->vcpus[0]->running_cpu = 0;
	assert_int_equal(ctl_snap_begin(src, b, resp, &n), CTL_E_BUSY);
	ctl_snap_reset();
	assert_int_equal(src->state, VM_RUNNING);
	src->vcpus[0]->running_cpu = -1;
	vm_destroy(src);
	/* Not running nor paused: refused. */
	src = make_src();
	src->state = VM_STOPPED;
	assert_int_equal(ctl_snap_begin(src, b, resp, &n), CTL_E_BAD_STATE);
	/* The service VM (its control channel is the host's): never saved. */
	src->state = VM_RUNNING;
	src->dyn_cfg.service = true;
	assert_int_equal(ctl_snap_begin(src, b, resp, &n), CTL_E_NOT_SUPPORTED);
	assert_int_equal(src->state, VM_RUNNING);
	src->dyn_cfg.service = false;
	/* Devices are quiesced for every save and thawed at its end. */
	unsigned q0 = quiesces, t0 = thaws;
	assert_int_equal(ctl_snap_begin(src, b, resp, &n), CTL_OK);
	assert_int_equal(quiesces, q0 + 1);
	assert_int_equal(id_flags(ctl_snap_end, ctl_get32(resp), CTL_SNAP_RESUME), CTL_OK);
	assert_int_equal(thaws, t0 + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_save_restore_identical),
	    cmocka_unit_test(test_crafted_values_refused),
	    cmocka_unit_test(test_sessions),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	reset_all();
	free(stream);
	return rc;
}
