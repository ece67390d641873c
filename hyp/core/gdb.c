// SPDX-License-Identifier: MIT
/*
 * The guest debugger's VM side: the gdb channel, run control (halt, step,
 * continue, detach) and the software breakpoint table, behind the stub's
 * target operations. See gdb.h for the design and its concurrency rules.
 */
#include "core/gdb.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/gdb_stub.h"
#include "core/hostdev.h"
#include "core/sched.h"
#include "core/vcpu.h"
#include "core/dirty_log.h"
#include "core/vm.h"
#include "drivers/virtio_console_phys.h"
#include "lib/fv_err.h"
#include "lib/printf.h"
#include "lib/string.h"

#define GDB_MAX_BP 64
#define GDB_MAX_WP 64     /* a table limit, not a hardware one: each is a page permission */
#define BPF_USER   BIT(0) /* Z0/Z1 from gdb */
#define BPF_STEP   BIT(1) /* the point a single step runs to */

/* Run states of the debugged VM (g.state, atomic). */
enum { RUN = 0, HALTING, HALTED };

struct gdb_bp {
	bool used;
	uint8_t flags; /* BPF_* */
	uint8_t len;   /* bytes patched: 2 (c.ebreak) or 4 (ebreak) */
	uint8_t orig[4];
	uint64_t va, gpa;
	uint64_t boots; /* vm->boots when patched: a reboot reloaded the memory */
};

struct gdb_wp {
	bool used;
	uint8_t type; /* GDB_WP_WRITE, GDB_WP_READ, GDB_WP_ACCESS */
	uint64_t va, gpa, len;
	uint64_t boots;
};

static struct {
	char name[VM_NAME_MAX];
	struct vcon_phys *chan;
	struct vm *vm; /* the debugged VM; set by the console tick (vm_find) */
	struct gdb_stub stub;
	uint32_t state;          /* atomic: RUN, HALTING, HALTED */
	uint32_t claim;          /* atomic: someone raised the stop being handled */
	int stop_vcpu;           /* vCPU that raised it, -1 = the debugger asked */
	int stop_sig;            /* its signal, -1 = the stub's */
	int step_vcpu;           /* vCPU being single-stepped, -1 = none */
	bool detach_pending;     /* detached while halting: let the VM go once halted */
	uint64_t halt_t0;        /* platform ticks when the halt was raised */
	struct spinlock bp_lock; /* the table: edited by the tick, searched by vCPU CPUs */
	struct gdb_bp bp[GDB_MAX_BP];
	struct gdb_wp wp[GDB_MAX_WP]; /* under bp_lock too */
	char stop_extra[40];          /* "watch:ADDR;" of the stop being raised */
} g = {.stop_vcpu = -1, .step_vcpu = -1};

static struct vcpu *vcpu_of(unsigned tid)
{
	return g.vm && tid < g.vm->nr_vcpus ? g.vm->vcpus[tid] : NULL;
}

/* Any CPU: hold every vCPU of the VM and record who stopped it (first caller wins). */
static void raise_stop(int vcpu, int sig, const char *extra)
{
	struct vm *vm = g.vm;
	if (!vm || __atomic_exchange_n(&g.claim, 1, __ATOMIC_ACQ_REL))
		return;
	fv_snprintf(g.stop_extra, sizeof(g.stop_extra), "%s", extra);
	g.stop_vcpu = vcpu;
	g.stop_sig = sig;
	g.halt_t0 = arch_time_ticks();
	/* Holds before the state: the tick must not see HALTING with a vCPU not yet held. */
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		__atomic_store_n(&vm->vcpus[i]->dbg_hold, true, __ATOMIC_RELEASE);
		vcpu_request(vm->vcpus[i], VCPU_REQ_PAUSE);
	}
	__atomic_store_n(&g.state, HALTING, __ATOMIC_RELEASE);
}

/* Every vCPU is off its CPU and will not run: its saved state is the truth. */
static bool quiesced(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		enum vcpu_state st = __atomic_load_n(&v->state, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&v->running_cpu, __ATOMIC_ACQUIRE) != -1)
			return false;
		if (st != VCPU_STOPPED && st != VCPU_BLOCKED)
			return false;
	}
	return true;
}

/*
 * Let the VM run again: vCPU only (a step) or all of them (only < 0).
 *
 * The order matters. Every hold is dropped BEFORE the claim reopens, and the
 * vCPUs are unpaused only after that: a released vCPU sitting on a
 * breakpoint hits it at once and its raise_stop() sets every hold again. Had
 * we dropped a later vCPU's hold after that, the later vCPU would run on
 * with its REQ_PAUSE consumed, the halt would never complete, and gdb would
 * wait forever for the stop reply (seen as a hung `continue`).
 */
static void release_vcpus(struct vm *vm, int only)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (only < 0 || (unsigned)only == i)
			__atomic_store_n(&vm->vcpus[i]->dbg_hold, false, __ATOMIC_RELEASE);
	__atomic_store_n(&g.state, RUN, __ATOMIC_RELEASE);
	__atomic_store_n(&g.claim, 0, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (only < 0 || (unsigned)only == i)
			sched_unpause(vm->vcpus[i]);
}

/* --- memory --- */

/* Copy between guest memory and buf, page by page; by virtual address unless phys. */
static int mem_access(struct vcpu *v, uint64_t addr, uint8_t *buf, size_t len, bool phys,
                      bool write)
{
	while (len) {
		size_t chunk = MIN(len, (size_t)(PAGE_SIZE - (addr & (PAGE_SIZE - 1))));
		uint64_t gpa = addr;
		if (!phys && gdb_arch_translate(v, addr, &gpa))
			return -FV_EFAULT;
		uint8_t *h = vm_gpa_to_hva(v->vm, gpa, chunk);
		if (!h)
			return -FV_EFAULT;
		if (write) {
			memcpy(h, buf, chunk);
			dirty_log_written(v->vm, gpa,
			                  chunk); /* behind stage 2: a migration logs it */
		} else
			memcpy(buf, h, chunk);
		addr += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

/* Instruction caches: every vCPU fences before its next guest instruction. */
static void code_changed(void)
{
	for (unsigned i = 0; g.vm && i < g.vm->nr_vcpus; i++)
		vcpu_request(g.vm->vcpus[i], VCPU_REQ_FENCE_I);
}

/* --- breakpoints (console tick, VM halted) --- */

static struct gdb_bp *bp_find(uint64_t va)
{
	for (unsigned i = 0; i < GDB_MAX_BP; i++)
		if (g.bp[i].used && g.bp[i].va == va)
			return &g.bp[i];
	return NULL;
}

static int bp_add(struct vcpu *v, uint64_t va, uint64_t kind, uint8_t flag)
{
	struct gdb_bp *b = bp_find(va);
	if (b) {
		b->flags |= flag;
		return 0;
	}
	uint8_t insn[4];
	unsigned len = gdb_arch_bp_insn(kind, insn);
	if (!len)
		return -FV_EINVAL;
	for (unsigned i = 0; i < GDB_MAX_BP && !b; i++)
		if (!g.bp[i].used)
			b = &g.bp[i];
	if (!b)
		return -FV_ENOSPC;
	uint64_t gpa;
	uint8_t *h;
	if (gdb_arch_translate(v, va, &gpa) || (gpa & (PAGE_SIZE - 1)) + len > PAGE_SIZE ||
	    !(h = vm_gpa_to_hva(v->vm, gpa, len)))
		return -FV_EFAULT;
	spin_lock(&g.bp_lock);
	*b = (struct gdb_bp){.used = true,
	                     .flags = flag,
	                     .len = (uint8_t)len,
	                     .va = va,
	                     .gpa = gpa,
	                     .boots = v->vm->boots};
	memcpy(b->orig, h, len);
	memcpy(h, insn, len);
	dirty_log_written(v->vm, gpa, len);
	spin_unlock(&g.bp_lock);
	code_changed();
	return 0;
}

/* Drop flag from the point at va; unpatch it when no user is left. */
static int bp_del(uint64_t va, uint8_t flag)
{
	struct gdb_bp *b = bp_find(va);
	if (!b || !(b->flags & flag))
		return -FV_ENOENT;
	spin_lock(&g.bp_lock);
	b->flags &= (uint8_t)~flag;
	if (!b->flags) {
		/* After a reboot the image was reloaded: nothing of ours is left to undo. */
		uint8_t *h =
		    g.vm && g.vm->boots == b->boots ? vm_gpa_to_hva(g.vm, b->gpa, b->len) : NULL;
		if (h) {
			memcpy(h, b->orig, b->len);
			dirty_log_written(g.vm, b->gpa, b->len);
		}
		b->used = false;
	}
	spin_unlock(&g.bp_lock);
	code_changed();
	return 0;
}

static void bp_del_all(uint8_t flag)
{
	for (unsigned i = 0; i < GDB_MAX_BP; i++)
		if (g.bp[i].used && (g.bp[i].flags & flag))
			bp_del(g.bp[i].va, flag);
}

bool gdb_breakpoint_hit(struct vcpu *v, uint64_t pc)
{
	if (!gdb_vm_attached(v->vm))
		return false;
	bool ours = false;
	spin_lock(&g.bp_lock);
	for (unsigned i = 0; i < GDB_MAX_BP && !ours; i++) {
		const struct gdb_bp *b = &g.bp[i];
		ours =
		    b->used && b->va == pc &&
		    ((b->flags & BPF_USER) || ((b->flags & BPF_STEP) && g.step_vcpu == (int)v->id));
	}
	spin_unlock(&g.bp_lock);
	if (ours)
		raise_stop((int)v->id, GDB_SIGTRAP, "");
	return ours;
}

/* g.vm while attached (breakpoint exceptions of that VM come to us), else NULL. */
struct vm *gdb_attached_vm;

/* --- watchpoints (console tick, VM halted; looked up by vCPU CPUs under bp_lock) --- */

static uint64_t page_of(uint64_t gpa)
{
	return gpa & ~(uint64_t)(PAGE_SIZE - 1);
}

/* Whether watch w covers any byte of page. */
static bool wp_on_page(const struct gdb_wp *w, uint64_t page)
{
	return w->used && w->gpa < page + PAGE_SIZE && page < w->gpa + w->len;
}

/* Set page's stage-2 permissions from the watches left on it. */
static void wp_reprotect(struct vm *vm, uint64_t page)
{
	bool trap_r = false, trap_w = false;
	for (unsigned i = 0; i < GDB_MAX_WP; i++) {
		const struct gdb_wp *w = &g.wp[i];
		if (!wp_on_page(w, page) || w->boots != vm->boots)
			continue;
		trap_w = true; /* any watch traps writes: R cannot go without W (W needs R) */
		trap_r = trap_r || w->type != GDB_WP_WRITE;
	}
	gdb_arch_protect(vm, page, trap_r, trap_w);
}

static int wp_add(struct vcpu *v, unsigned type, uint64_t va, uint64_t len)
{
	struct gdb_wp *w = NULL;
	uint64_t gpa, gpa_end;
	/* One watch may span two pages; both must be guest RAM and contiguous in it. */
	if (len == 0 || len > PAGE_SIZE || va + len < va)
		return -FV_EINVAL;
	if (gdb_arch_translate(v, va, &gpa) || gdb_arch_translate(v, va + len - 1, &gpa_end) ||
	    gpa_end != gpa + len - 1 || !vm_gpa_to_hva(v->vm, gpa, len))
		return -FV_EFAULT;
	for (unsigned i = 0; i < GDB_MAX_WP && !w; i++)
		if (!g.wp[i].used)
			w = &g.wp[i];
	if (!w)
		return -FV_ENOSPC;
	spin_lock(&g.bp_lock);
	*w = (struct gdb_wp){.used = true,
	                     .type = (uint8_t)type,
	                     .va = va,
	                     .gpa = gpa,
	                     .len = len,
	                     .boots = v->vm->boots};
	spin_unlock(&g.bp_lock);
	wp_reprotect(v->vm, page_of(gpa));
	if (page_of(gpa_end) != page_of(gpa))
		wp_reprotect(v->vm, page_of(gpa_end));
	return 0;
}

static void wp_drop(struct gdb_wp *w)
{
	uint64_t first = page_of(w->gpa), last = page_of(w->gpa + w->len - 1);
	spin_lock(&g.bp_lock);
	w->used = false;
	spin_unlock(&g.bp_lock);
	if (g.vm) {
		wp_reprotect(g.vm, first);
		if (last != first)
			wp_reprotect(g.vm, last);
	}
}

static int wp_del(unsigned type, uint64_t va, uint64_t len)
{
	for (unsigned i = 0; i < GDB_MAX_WP; i++) {
		struct gdb_wp *w = &g.wp[i];
		if (w->used && w->type == type && w->va == va && w->len == len) {
			wp_drop(w);
			return 0;
		}
	}
	return -FV_ENOENT;
}

static void wp_del_all(void)
{
	for (unsigned i = 0; i < GDB_MAX_WP; i++)
		if (g.wp[i].used)
			wp_drop(&g.wp[i]);
}

bool gdb_watch_page(const struct vm *vm, uint64_t gpa)
{
	if (!gdb_vm_attached(vm))
		return false;
	bool on = false;
	spin_lock(&g.bp_lock);
	for (unsigned i = 0; i < GDB_MAX_WP && !on; i++)
		on = wp_on_page(&g.wp[i], page_of(gpa));
	spin_unlock(&g.bp_lock);
	return on;
}

/* Whether watch w wants to see this kind of access. */
static bool wp_wants(const struct gdb_wp *w, bool is_store)
{
	return w->type == GDB_WP_ACCESS || (w->type == GDB_WP_WRITE) == is_store;
}

enum gdb_watch_verdict gdb_watch_fault(struct vcpu *v, uint64_t gpa, unsigned width, bool is_store)
{
	if (!gdb_vm_attached(v->vm))
		return GDB_WATCH_NONE;
	const struct gdb_wp *hit = NULL;
	bool on_page = false;
	spin_lock(&g.bp_lock);
	for (unsigned i = 0; i < GDB_MAX_WP && !hit; i++) {
		const struct gdb_wp *w = &g.wp[i];
		if (!wp_on_page(w, page_of(gpa)))
			continue;
		on_page = true;
		/* width 0: an access we cannot size or emulate counts as touching the watch. */
		if (width == 0 ||
		    (wp_wants(w, is_store) && gpa < w->gpa + w->len && w->gpa < gpa + width))
			hit = w;
	}
	char extra[40] = "";
	if (hit)
		fv_snprintf(
		    extra, sizeof(extra), "%s:%lx;",
		    hit->type == GDB_WP_WRITE  ? "watch"
		    : hit->type == GDB_WP_READ ? "rwatch"
		                               : "awatch",
		    (unsigned long)(hit->va + (gpa > hit->gpa && width ? gpa - hit->gpa : 0)));
	spin_unlock(&g.bp_lock);
	if (!on_page)
		return GDB_WATCH_NONE;
	if (!hit)
		return GDB_WATCH_MISS;
	raise_stop((int)v->id, GDB_SIGTRAP, extra);
	return GDB_WATCH_HIT;
}

/* --- stub target operations --- */

static unsigned op_nr_threads(void *ctx)
{
	UNUSED(ctx);
	return g.vm ? g.vm->nr_vcpus : 0;
}

static int op_reg_read(void *ctx, unsigned tid, unsigned regno, uint64_t *val, unsigned *size)
{
	UNUSED(ctx);
	struct vcpu *v = vcpu_of(tid);
	return v ? gdb_arch_reg_read(v, regno, val, size) : -FV_ENOENT;
}

static int op_reg_write(void *ctx, unsigned tid, unsigned regno, uint64_t val)
{
	UNUSED(ctx);
	struct vcpu *v = vcpu_of(tid);
	return v ? gdb_arch_reg_write(v, regno, val) : -FV_ENOENT;
}

static int op_mem_read(void *ctx, unsigned tid, uint64_t addr, uint8_t *buf, size_t len, bool phys)
{
	UNUSED(ctx);
	struct vcpu *v = vcpu_of(tid);
	return v ? mem_access(v, addr, buf, len, phys, false) : -FV_EFAULT;
}

static int op_mem_write(void *ctx, unsigned tid, uint64_t addr, const uint8_t *buf, size_t len,
                        bool phys)
{
	UNUSED(ctx);
	struct vcpu *v = vcpu_of(tid);
	if (!v)
		return -FV_EFAULT;
	int ret = mem_access(v, addr, (uint8_t *)(uintptr_t)buf, len, phys, true);
	code_changed();
	return ret;
}

static int op_point(void *ctx, unsigned tid, unsigned type, uint64_t addr, uint64_t kind,
                    bool insert)
{
	UNUSED(ctx);
	struct vcpu *v = vcpu_of(tid);
	if (!v)
		return -FV_EINVAL;
	/* Hardware breakpoints are software ones too: no trigger is taken from the guest. */
	if (type == GDB_BP_SW || type == GDB_BP_HW)
		return insert ? bp_add(v, addr, kind, BPF_USER) : bp_del(addr, BPF_USER);
	/* Watchpoints: kind is the length in bytes. */
	return insert ? wp_add(v, type, addr, kind) : wp_del(type, addr, kind);
}

/* Arm a step of v: a step point where its current instruction leads. */
static int arm_step(struct vcpu *v)
{
	uint64_t pc = gdb_arch_pc(v), next;
	uint8_t b[4] = {0};
	if (mem_access(v, pc, b, 2, false, false))
		return -FV_EFAULT;
	if (gdb_arch_insn_len(b) == 4 && mem_access(v, pc + 2, b + 2, 2, false, false))
		return -FV_EFAULT;
	/* Our own breakpoint at pc (gdb left it in): decode what it replaced (same length). */
	const struct gdb_bp *at = bp_find(pc);
	if (at)
		memcpy(b, at->orig, at->len);
	uint32_t insn =
	    (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	int ret = gdb_arch_next_pc(v, insn, &next);
	if (ret)
		return ret;
	/* The point's size follows the instruction it replaces (c.ebreak over a compressed one). */
	uint8_t t[2];
	if (mem_access(v, next, t, 2, false, false))
		return -FV_EFAULT;
	g.step_vcpu = (int)v->id;
	return bp_add(v, next, gdb_arch_insn_len(t), BPF_STEP);
}

static void op_resume(void *ctx, int tid, bool stepping)
{
	UNUSED(ctx);
	struct vm *vm = g.vm;
	if (!vm || __atomic_load_n(&g.state, __ATOMIC_ACQUIRE) != HALTED)
		return;
	/* One vCPU alone (a step, or gdb's own software step), or all of them. */
	struct vcpu *step = tid >= 0 ? vcpu_of((unsigned)tid) : NULL;
	if (step && stepping && arm_step(step) != 0) {
		/* Nowhere to run to (unreadable pc): the step ends where it started. */
		gdb_stub_stopped(&g.stub, (unsigned)tid, GDB_SIGTRAP, "");
		return;
	}
	gdb_arch_time_shift(vm, arch_time_ticks() - g.halt_t0);
	release_vcpus(vm, step ? tid : -1);
}

static void op_halt(void *ctx)
{
	UNUSED(ctx);
	if (!g.vm)
		return;
	__atomic_store_n(&gdb_attached_vm, g.vm, __ATOMIC_RELEASE);
	g.detach_pending = false;
	if (__atomic_load_n(&g.state, __ATOMIC_ACQUIRE) == HALTED)
		gdb_stub_stopped(&g.stub, g.stub.g_tid, -1, "");
	else
		raise_stop(-1, -1, "");
}

static void let_go(struct vm *vm);

static void op_detach(void *ctx)
{
	UNUSED(ctx);
	bp_del_all(BPF_USER | BPF_STEP);
	wp_del_all();
	g.step_vcpu = -1;
	__atomic_store_n(&gdb_attached_vm, NULL, __ATOMIC_RELEASE);
	struct vm *vm = g.vm;
	uint32_t st = __atomic_load_n(&g.state, __ATOMIC_ACQUIRE);
	if (!vm || st == RUN)
		return;
	if (st == HALTING) {
		/*
		 * Never wait here: a vCPU of the VM may be loaded on this very CPU.
		 * gdb_poll lets the VM go once the halt completes.
		 */
		g.detach_pending = true;
		return;
	}
	let_go(vm);
}

/* The halted VM runs on without a debugger. */
static void let_go(struct vm *vm)
{
	gdb_arch_time_shift(vm, arch_time_ticks() - g.halt_t0);
	release_vcpus(vm, -1);
	pr_info("gdb: debugger detached from vm %s", vm->name);
}

static void op_send(void *ctx, const uint8_t *buf, size_t len)
{
	UNUSED(ctx);
	vcon_phys_write(g.chan, buf, len);
}

static void op_thread_info(void *ctx, unsigned tid, char *buf, size_t len)
{
	UNUSED(ctx);
	struct vcpu *v = vcpu_of(tid);
	if (v)
		fv_snprintf(buf, len, "vCPU %u, %s", v->id, vcpu_state_name(v->state));
	else
		fv_snprintf(buf, len, "gone");
}

static struct gdb_stub_ops ops = {
    .nr_threads = op_nr_threads,
    .reg_read = op_reg_read,
    .reg_write = op_reg_write,
    .mem_read = op_mem_read,
    .mem_write = op_mem_write,
    .point = op_point,
    .resume = op_resume,
    .halt = op_halt,
    .detach = op_detach,
    .send = op_send,
    .thread_info = op_thread_info,
};

void gdb_init(const char *vm_name)
{
	spin_init(&g.bp_lock);
	if (!vm_name || !vm_name[0])
		return;
	memcpy(g.name, vm_name, strnlen(vm_name, sizeof(g.name) - 1));
	g.vm = vm_find(g.name);
	g.chan = hostdev_claim_console("gdb");
	if (!g.vm || !g.chan) {
		pr_warn("gdb: no debugger for vm %s: %s", vm_name,
		        g.vm ? "no gdb channel (virtio console) on this machine" : "no such VM");
		g.chan = NULL;
		return;
	}
	ops.target_xml = gdb_arch_target_xml();
	gdb_stub_init(&g.stub, &ops, NULL);
	pr_info("gdb: stub for vm %s on the gdb channel", vm_name);
}

void gdb_poll(void)
{
	if (!g.chan)
		return;
	struct vm *vm = vm_find(g.name);
	if (vm != g.vm) {
		/* Destroyed (or replaced by a VM of the same name): start over with it. */
		__atomic_store_n(&gdb_attached_vm, NULL, __ATOMIC_RELEASE);
		spin_lock(&g.bp_lock);
		memset(g.bp, 0, sizeof(g.bp));
		memset(g.wp, 0, sizeof(g.wp));
		spin_unlock(&g.bp_lock);
		g.vm = vm;
		g.state = RUN;
		g.claim = 0;
		gdb_stub_init(&g.stub, &ops, NULL);
	}
	uint8_t buf[256];
	/* Bounded per tick: a flood on the channel cannot starve the CPU. */
	for (unsigned i = 0; i < 16; i++) {
		size_t n = vcon_phys_read(g.chan, buf, sizeof(buf));
		if (!n)
			break;
		gdb_stub_input(&g.stub, buf, n);
	}
	if (g.vm && __atomic_load_n(&g.state, __ATOMIC_ACQUIRE) == HALTING && quiesced(g.vm)) {
		__atomic_store_n(&g.state, HALTED, __ATOMIC_RELEASE);
		bp_del_all(BPF_STEP);
		g.step_vcpu = -1;
		if (g.detach_pending) {
			g.detach_pending = false;
			let_go(g.vm);
			return;
		}
		int tid = g.stop_vcpu >= 0 ? g.stop_vcpu : (int)g.stub.g_tid;
		gdb_stub_stopped(&g.stub, (unsigned)tid, g.stop_sig, g.stop_extra);
	}
}
