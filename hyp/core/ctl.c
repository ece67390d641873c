// SPDX-License-Identifier: MIT
/*
 * Control channel dispatcher (docs/control-protocol.md): one handler per
 * request type in a table, each taking the validated payload and writing a
 * response payload; framing, status counting and the outbound queue here.
 * The codec is ctl_proto.c (pure); the transport is the service VM's
 * control virtio-console (vm_virtio.c). Every field is checked before use:
 * lengths by ctl_check_request() against the table in ctl_proto.c, names
 * by ctl_get_name(), reserved fields here. Locking: see ctl.h.
 */
#include "core/trace.h"
#include "core/ctl_trace.h"
#include "core/bootwork.h"
#include "core/arch.h"
#include "core/ctl.h"
#include "core/ctl_proto.h"
#include "core/ctl_metrics.h"
#include "core/ctl_dump.h"
#include "core/ctl_snap.h"
#include "core/ctl_mig.h"
#include "core/prof.h"
#include "core/console.h"
#include "core/mem.h"
#include "core/percpu.h"
#include "core/sched_rq.h"
#include "core/spinlock.h"
#include "core/timer.h"
#include "core/vconsole.h"
#include "core/vm.h"
#include "core/vm_virtio.h"
#include "lib/printf.h"
#include "lib/string.h"

#define CTL_OUTQ          (128u << 10) /* outbound queue bytes (power of two) */
#define CTL_INQ           (64u << 10)  /* inbound queue bytes (power of two) */
#define CTL_EVENT_RESERVE (48u << 10)  /* events leave this much room for responses */
#define CTL_NOTIFY_BUDGET (32u << 10)  /* inbound bytes decoded per notify-path round */
/*
 * A client keeps at most 32 KiB of requests unanswered (docs/control-protocol.md), e.g. four
 * SNAP_READ/MIG_READ requests whose answers are maximal frames: however many console events
 * wait, their answers find room (an answer dropped would fail the transfer).
 */
#define CTL_WINDOW_FRAMES 4u
_Static_assert(CTL_EVENT_RESERVE >= CTL_WINDOW_FRAMES * CTL_MAX_FRAME,
               "answers to a full request window fit beside queued events");

_Static_assert((CTL_OUTQ & (CTL_OUTQ - 1)) == 0, "CTL_OUTQ must be a power of two");
_Static_assert((CTL_INQ & (CTL_INQ - 1)) == 0, "CTL_INQ must be a power of two");
_Static_assert(FV_MAX_VMS <= 32, "console attachments are a 32-bit mask");
/* The largest lists fit in one response. */
_Static_assert(8 + FV_MAX_VMS * sizeof(struct ctl_vm_entry) <= CTL_MAX_PAYLOAD, "VM_LIST size");
_Static_assert(8 + VM_MAX_VCPUS * sizeof(struct ctl_vcpu_entry) <= CTL_MAX_PAYLOAD,
               "VCPU_LIST size");
_Static_assert(8 + CFG_MAX_VIRTIO * sizeof(struct ctl_dev_entry) <= CTL_MAX_PAYLOAD,
               "DEV_LIST size");
_Static_assert(VM_VIRTIO_KIND_BLK == CTL_DEV_BLK && VM_VIRTIO_KIND_NET == CTL_DEV_NET &&
                   VM_VIRTIO_KIND_CONSOLE == CTL_DEV_CONSOLE &&
                   VM_VIRTIO_KIND_CONTROL == CTL_DEV_CONTROL,
               "device kinds on the wire");

/* Dispatcher state: owned by the boot CPU's tick context (ctl_poll, ctl_service; ctl.h). */
static struct vm *service;
static struct ctl_rx rx;
static bool negotiated;
static struct ctl_upload upload;
static uint8_t *staging; /* pages holding the upload in progress */
static size_t staging_pages;
static uint32_t next_upload_id = 1;
static uint8_t resp[CTL_MAX_PAYLOAD]; /* response payload being built */
static uint8_t frame[CTL_MAX_FRAME];  /* response frame being encoded */

/* Inbound queue: in_lock protects it (filled by ctl_input, drained by ctl_poll). */
static struct spinlock in_lock = SPINLOCK_INIT;
static uint8_t inq[CTL_INQ];
static uint32_t in_head, in_tail; /* free-running byte counters */
static uint8_t in_chunk[1024];    /* ctl_poll's copy of queued input */
static uint32_t reset_pending;    /* ctl_channel_reset() asked for a new session (atomic) */

/* Consoles the service VM follows, bit = vm->id (atomic). */
static uint32_t attached;

/* Outbound queue: out_lock protects head/tail and the event frame buffer. */
static struct spinlock out_lock = SPINLOCK_INIT;
static uint8_t outq[CTL_OUTQ];
static uint32_t out_head, out_tail; /* free-running byte counters */
static uint32_t ev_seq;
static uint8_t ev_frame[CTL_HDR_SIZE + sizeof(struct ctl_ev_vm_crash) + VCONSOLE_LINE_MAX];

/* Counters (written under the device lock or out_lock; read racily for display). */
static struct {
	uint64_t frames, errors, bytes_in, bytes_out, events_dropped, responses_dropped, echoes;
	uint64_t input_dropped;
	uint64_t by_status[CTL_STATUS_COUNT];
	/* Dispatcher rounds and frames: run on request (ctl_service) or by the 10 ms tick. */
	uint64_t fast_rounds, fast_frames, fast_requeues, tick_frames;
} st;

/* --- outbound queue ---------------------------------------------------------------------- */

/* out_lock held: room for @n bytes while keeping @reserve free? Then copy them in. */
static bool out_put_locked(const uint8_t *buf, size_t n, size_t reserve)
{
	uint32_t used = out_tail - out_head;
	if (n + reserve > CTL_OUTQ - used)
		return false;
	for (size_t i = 0; i < n; i++)
		outq[(out_tail + i) & (CTL_OUTQ - 1)] = buf[i];
	/* The consumer reads the bytes after it sees the new tail (release/acquire). */
	__atomic_store_n(&out_tail, out_tail + (uint32_t)n, __ATOMIC_RELEASE);
	return true;
}

size_t ctl_out_peek(const uint8_t **p)
{
	uint32_t tail = __atomic_load_n(&out_tail, __ATOMIC_ACQUIRE);
	uint32_t head = out_head;
	uint32_t off = head & (CTL_OUTQ - 1);
	uint32_t n = tail - head;
	if (n > CTL_OUTQ - off)
		n = CTL_OUTQ - off; /* up to the ring's end; the rest on the next peek */
	*p = outq + off;
	return n;
}

void ctl_out_consume(size_t n)
{
	spin_lock(&out_lock);
	if (n > out_tail - out_head)
		n = out_tail - out_head;
	out_head += (uint32_t)n;
	st.bytes_out += n;
	spin_unlock(&out_lock);
}

/* Console tick: frame and queue a response. */
static void respond(const struct ctl_hdr *req, uint16_t type, uint32_t status, const void *pl,
                    size_t len)
{
	struct ctl_hdr h = {.version = CTL_VERSION,
	                    .flags = CTL_F_RESPONSE,
	                    .type = type,
	                    .seq = req ? req->seq : 0,
	                    .status = status};
	if (status != CTL_OK)
		len = 0;
	if (status < CTL_STATUS_COUNT)
		st.by_status[status]++;
	if (status != CTL_OK)
		st.errors++;
	size_t n = ctl_encode(frame, sizeof(frame), &h, pl, len);
	spin_lock(&out_lock);
	bool ok = n && out_put_locked(frame, n, 0);
	spin_unlock(&out_lock);
	if (!ok)
		st.responses_dropped++;
}

/* out_lock held: frame and queue an event, or count it dropped. */
static void event_locked(uint16_t type, const uint8_t *pl, size_t len)
{
	struct ctl_hdr h = {
	    .version = CTL_VERSION, .flags = CTL_F_EVENT, .type = type, .seq = ev_seq++};
	size_t n = ctl_encode(ev_frame, sizeof(ev_frame), &h, pl, len);
	if (!n || !out_put_locked(ev_frame, n, CTL_EVENT_RESERVE))
		st.events_dropped++;
	else
		bootwork_request(BOOTWORK_CTL); /* pushed to the service VM now, not at the tick */
}

/* --- helpers ------------------------------------------------------------------------------ */

static void put_name(uint8_t *p, const char *name)
{
	size_t n = strlen(name);
	memset(p, 0, CTL_NAME_MAX);
	memcpy(p, name, n < CTL_NAME_MAX - 1 ? n : CTL_NAME_MAX - 1);
}

static uint32_t wire_state(enum vm_state state)
{
	static const uint32_t map[] = {
	    [VM_STOPPED] = CTL_VM_STOPPED,     [VM_RUNNING] = CTL_VM_RUNNING,
	    [VM_STOPPING] = CTL_VM_STOPPING,   [VM_CRASHED] = CTL_VM_CRASHED,
	    [VM_SUSPENDED] = CTL_VM_SUSPENDED, [VM_PAUSED] = CTL_VM_PAUSED,
	};
	unsigned s = (unsigned)state;
	return s < ARRAY_SIZE(map) ? map[s] : CTL_VM_STOPPED;
}

/* The VM a request names; CTL_E_PERMISSION for the service VM itself. */
static uint32_t find_vm(const uint8_t *field, struct vm **out)
{
	char name[CTL_NAME_MAX];
	uint32_t s = ctl_get_name(field, name);
	*out = NULL;
	if (s)
		return s;
	*out = vm_find(name);
	if (!*out)
		return CTL_E_NO_VM;
	return *out == service ? CTL_E_PERMISSION : CTL_OK;
}

static void vm_entry(uint8_t *p, const struct vm *vm)
{
	uint64_t exits = 0;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		exits += vm->vcpus[i]->stats.exits;
	memset(p, 0, sizeof(struct ctl_vm_entry));
	ctl_put32(p, vm->id);
	ctl_put32(p + 4, wire_state(vm->state));
	ctl_put32(p + 8, vm->nr_vcpus);
	ctl_put32(p + 12, vm->nr_vcpus ? vm->vcpus[0]->se.weight : 0);
	ctl_put64(p + 16, vm->nr_vcpus ? vm->vcpus[0]->se.affinity : 0);
	ctl_put64(p + 24, vm->ram_size);
	ctl_put64(p + 32, vm->boots);
	ctl_put64(p + 40, exits);
	ctl_put32(p + 48, vm == service ? CTL_VMF_SERVICE : 0);
	put_name(p + 56, vm->name);
}

/* --- handlers: (payload, length) -> status, response payload in resp[0 .. *out) ---------- */

typedef uint32_t (*ctl_handler)(const uint8_t *p, uint32_t len, uint32_t *out);

static void drop_upload(void)
{
	if (staging)
		mem_free_pages((hpa_t)(uintptr_t)staging, staging_pages);
	staging = NULL;
	staging_pages = 0;
	upload.id = 0;
}

static uint32_t op_hello(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	uint16_t vmin = ctl_get16(p), vmax = ctl_get16(p + 2);
	uint32_t max_frame = ctl_get32(p + 4);
	char client[CTL_NAME_MAX];
	if (max_frame < 256 || vmin > vmax || ctl_get_name(p + 8, client))
		return CTL_E_BAD_FIELD;
	uint16_t v = vmax < CTL_VERSION ? vmax : (uint16_t)CTL_VERSION;
	if (v < vmin || v < CTL_VERSION_MIN)
		return CTL_E_BAD_VERSION;
	/* A new session: nothing of the previous one carries over. */
	__atomic_store_n(&attached, 0, __ATOMIC_RELAXED);
	drop_upload();
	ctl_snap_reset();
	ctl_mig_reset();
	__atomic_store_n(&negotiated, true, __ATOMIC_RELAXED);
	memset(resp, 0, sizeof(struct ctl_hello_resp));
	ctl_put16(resp, v);
	ctl_put32(resp + 4, CTL_MAX_FRAME);
	ctl_put32(resp + 8, FV_MAX_VMS);
	ctl_put32(resp + 12, CTL_FEAT_DYNAMIC_VMS | CTL_FEAT_PAUSE);
	put_name(resp + 16, "ferrovisor");
	*out = sizeof(struct ctl_hello_resp);
	pr_info("ctl: session with '%s', protocol v%u", client, v);
	return CTL_OK;
}

static uint32_t op_host_info(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(p);
	UNUSED(len);
	struct page_alloc_stats ps;
	struct heap_stats hs;
	mem_stats(&ps, &hs);
	memset(resp, 0, sizeof(struct ctl_host_info));
	ctl_put32(resp, cpu_count);
	ctl_put32(resp + 4, vm_count);
	ctl_put32(resp + 8, FV_MAX_VMS);
	ctl_put64(resp + 16, ps.total_pages * PAGE_SIZE);
	ctl_put64(resp + 24, ps.free_pages * PAGE_SIZE);
	ctl_put64(resp + 32, time_now_ns());
	ctl_put64(resp + 40, st.frames);
	ctl_put64(resp + 48, st.errors);
	/* NUL-padded: memset above, and ARCH_NAME is short (ctl_proto.h: CTL_ARCH_MAX). */
	_Static_assert(sizeof(ARCH_NAME) <= CTL_ARCH_MAX, "ARCH_NAME fits ctl_host_info.arch");
	memcpy(resp + 56, ARCH_NAME, sizeof(ARCH_NAME) - 1);
	*out = sizeof(struct ctl_host_info);
	return CTL_OK;
}

static uint32_t op_vm_list(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(p);
	UNUSED(len);
	uint32_t n = 0;
	/* Every slot: VMs created and destroyed at run time leave holes in the table. */
	for (unsigned i = 0; i < FV_MAX_VMS; i++)
		if (vm_table[i])
			vm_entry(resp + 8 + n++ * sizeof(struct ctl_vm_entry), vm_table[i]);
	ctl_put32(resp, n);
	ctl_put32(resp + 4, 0);
	*out = 8 + n * (uint32_t)sizeof(struct ctl_vm_entry);
	return CTL_OK;
}

/* Lists may name the service VM itself: reading is not managing. */
static uint32_t find_vm_ro(const uint8_t *field, struct vm **vm)
{
	uint32_t s = find_vm(field, vm);
	return s == CTL_E_PERMISSION ? CTL_OK : s;
}

static uint32_t op_vcpu_list(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	struct vm *vm = NULL;
	uint32_t s = find_vm_ro(p, &vm);
	if (s)
		return s;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		const struct vcpu *v = vm->vcpus[i];
		uint8_t *e = resp + 8 + i * sizeof(struct ctl_vcpu_entry);
		memset(e, 0, sizeof(struct ctl_vcpu_entry));
		ctl_put32(e, i);
		ctl_put32(e + 4, (uint32_t)v->state);
		ctl_put32(e + 8, (uint32_t)v->se.cpu);
		ctl_put64(e + 16, v->stats.exits);
		ctl_put64(e + 24, v->stats.by_kind[EXIT_HCALL]);
		ctl_put64(e + 32, v->stats.by_kind[EXIT_MMIO]);
		ctl_put64(e + 40, v->stats.by_kind[EXIT_WFI]);
		ctl_put64(e + 48, v->stats.by_kind[EXIT_IRQ]);
	}
	ctl_put32(resp, vm->nr_vcpus);
	ctl_put32(resp + 4, 0);
	*out = 8 + vm->nr_vcpus * (uint32_t)sizeof(struct ctl_vcpu_entry);
	return CTL_OK;
}

static uint32_t op_dev_list(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	struct vm *vm = NULL;
	uint32_t s = find_vm_ro(p, &vm);
	if (s)
		return s;
	unsigned n = vm_virtio_count(vm);
	for (unsigned j = 0; j < n; j++) {
		struct vm_virtio_info info;
		vm_virtio_info(vm, j, &info);
		uint8_t *e = resp + 8 + j * sizeof(struct ctl_dev_entry);
		memset(e, 0, sizeof(struct ctl_dev_entry));
		ctl_put32(e, j);
		ctl_put32(e + 4, info.kind);
		ctl_put64(e + 8, info.base);
		ctl_put32(e + 16, info.irq);
		for (unsigned k = 0; k < 4; k++)
			ctl_put64(e + 24 + 8 * k, info.counter[k]);
		memcpy(e + 56, info.name, sizeof(info.name));
		e[56 + 15] = 0;
	}
	ctl_put32(resp, n);
	ctl_put32(resp + 4, 0);
	*out = 8 + n * (uint32_t)sizeof(struct ctl_dev_entry);
	return CTL_OK;
}

static uint32_t vm_action(const uint8_t *p, enum vm_action act, const char *why)
{
	struct vm *vm = NULL;
	uint32_t s = find_vm(p, &vm);
	if (s)
		return s;
	return vm_request(vm, act, why) ? CTL_E_INTERNAL : CTL_OK;
}

static uint32_t op_vm_stop(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	UNUSED(out);
	return vm_action(p, VM_ACTION_STOP, "stop requested over the control channel");
}

static uint32_t op_vm_reset(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	UNUSED(out);
	return vm_action(p, VM_ACTION_RESET, "reset requested over the control channel");
}

/* Start, pause, resume, destroy: the core's answer, -FV_EBUSY = not in a state that allows it. */
static uint32_t vm_core_op(const uint8_t *p, int (*fn)(struct vm *))
{
	struct vm *vm = NULL;
	uint32_t s = find_vm(p, &vm);
	if (s)
		return s;
	int ret = fn(vm);
	if (ret == -FV_EBUSY)
		return CTL_E_BAD_STATE;
	return ret ? CTL_E_INTERNAL : CTL_OK;
}

static uint32_t op_vm_start(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	UNUSED(out);
	return vm_core_op(p, vm_start);
}

static uint32_t op_vm_pause(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	UNUSED(out);
	return vm_core_op(p, vm_pause);
}

static uint32_t op_vm_resume(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	UNUSED(out);
	return vm_core_op(p, vm_resume);
}

/* Asynchronous: the EV_VM_STATE to CTL_VM_DESTROYED follows when the slot is free. */
static uint32_t op_vm_destroy(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	UNUSED(out);
	return vm_core_op(p, vm_destroy);
}

/*
 * Weight and affinity apply in any VM state, running included
 * (vm_set_sched -> sched_set_params: the scheduler moves or preempts the
 * vCPUs it has to).
 */
static uint32_t set_sched(const uint8_t *p, uint32_t weight, uint64_t mask)
{
	struct vm *vm = NULL;
	uint32_t s = find_vm(p, &vm);
	if (s)
		return s;
	int ret = vm_set_sched(vm, weight, mask);
	if (ret == -FV_EBUSY)
		return CTL_E_BAD_STATE; /* being destroyed */
	return ret ? CTL_E_BAD_FIELD : CTL_OK;
}

static uint32_t op_set_weight(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	UNUSED(out);
	uint32_t w = ctl_get32(p + 32);
	if (w == 0 || w > SCHED_WEIGHT_MAX || ctl_get32(p + 36))
		return CTL_E_BAD_FIELD;
	return set_sched(p, w, 0);
}

static uint32_t op_set_affinity(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	UNUSED(out);
	uint64_t mask = ctl_get64(p + 32);
	/* Empty, or names a CPU this host does not have; vm_set_sched checks the pins. */
	if (!mask || (mask & ~cpu_online_mask()))
		return CTL_E_BAD_FIELD;
	return set_sched(p, 0, mask);
}

static uint32_t upload_reply(uint32_t *out)
{
	memset(resp, 0, sizeof(struct ctl_upload_id));
	ctl_put32(resp, upload.id);
	ctl_put64(resp + 8, upload.received);
	*out = sizeof(struct ctl_upload_id);
	return CTL_OK;
}

static uint32_t op_upload_begin(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	uint64_t size = ctl_get64(p);
	if (upload.id)
		return CTL_E_BUSY;
	uint32_t s =
	    ctl_upload_begin(&upload, next_upload_id, size, ctl_get32(p + 8), ctl_get32(p + 12));
	if (s)
		return s;
	size_t pages = (size_t)((size + PAGE_SIZE - 1) / PAGE_SIZE);
	hpa_t pa;
	if (mem_alloc_pages(pages, 1, &pa)) {
		upload.id = 0;
		return CTL_E_NO_MEMORY;
	}
	staging = mem_phys_to_virt(pa);
	staging_pages = pages;
	next_upload_id = next_upload_id == UINT32_MAX ? 1 : next_upload_id + 1;
	return upload_reply(out);
}

static uint32_t op_upload_chunk(const uint8_t *p, uint32_t len, uint32_t *out)
{
	if (ctl_get32(p + 4))
		return CTL_E_BAD_FIELD;
	uint32_t s =
	    ctl_upload_chunk(&upload, staging, ctl_get32(p), ctl_get64(p + 8), p + 16, len - 16);
	return s ? s : upload_reply(out);
}

/* vm_create_dynamic()'s errors on the wire (vm.h lists them). */
static uint32_t create_status(int ret)
{
	switch (ret) {
	case -FV_ENOSPC:
		return CTL_E_LIMIT;
	case -FV_EINVAL:
	case -FV_EEXIST:
	case -FV_ENOENT:
		return CTL_E_BAD_CONFIG;
	case -FV_ENOMEM:
		return CTL_E_NO_MEMORY;
	default:
		return CTL_E_INTERNAL;
	}
}

static uint32_t op_upload_commit(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	if (ctl_get32(p + 4) || ctl_get64(p + 8))
		return CTL_E_BAD_FIELD;
	uint32_t s = ctl_upload_finish(&upload, ctl_get32(p));
	if (s == CTL_E_NO_UPLOAD || s == CTL_E_UPLOAD_SIZE)
		return s;
	if (s) {
		drop_upload(); /* CRC bad: the upload is gone */
		return s;
	}
	/*
	 * The blob holds exactly one VM with its images inline; the parser checks
	 * it as a boot bundle and vm_create_dynamic copies the images into pages
	 * the VM owns, so the staging goes either way. This is the console tick,
	 * vm_create_dynamic's context.
	 */
	struct vm *vm = NULL;
	uint32_t flags = upload.flags;
	int ret = vm_create_dynamic(staging, (size_t)upload.size, NULL, NULL, NULL, &vm);
	drop_upload();
	if (ret)
		return create_status(ret);
	if (flags & CTL_UPF_START) {
		ret = vm_start(vm); /* -FV_EBUSY: the blob's autostart started it already */
		if (ret && ret != -FV_EBUSY)
			pr_err("ctl: vm %s: created but not started (%d)", vm->name, ret);
	}
	vm_entry(resp, vm);
	*out = sizeof(struct ctl_vm_entry);
	return CTL_OK;
}

static uint32_t op_upload_abort(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	UNUSED(out);
	if (ctl_get32(p + 4) || ctl_get64(p + 8))
		return CTL_E_BAD_FIELD;
	if (!upload.id || ctl_get32(p) != upload.id)
		return CTL_E_NO_UPLOAD;
	drop_upload();
	return CTL_OK;
}

static uint32_t op_console_attach(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	UNUSED(out);
	struct vm *vm = NULL;
	uint32_t s = find_vm(p, &vm);
	if (s)
		return s;
	__atomic_fetch_or(&attached, (uint32_t)BIT(vm->id), __ATOMIC_RELAXED);
	return CTL_OK;
}

static uint32_t op_console_detach(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	UNUSED(out);
	struct vm *vm = NULL;
	uint32_t s = find_vm(p, &vm);
	if (s)
		return s;
	__atomic_fetch_and(&attached, ~(uint32_t)BIT(vm->id), __ATOMIC_RELAXED);
	return CTL_OK;
}

static uint32_t op_console_input(const uint8_t *p, uint32_t len, uint32_t *out)
{
	uint32_t n = ctl_get32(p + 32);
	if (ctl_get32(p + 36))
		return CTL_E_BAD_FIELD;
	if (n > len - 40)
		return CTL_E_TRUNCATED;
	if (n < len - 40)
		return CTL_E_BAD_LENGTH;
	struct vm *vm = NULL;
	uint32_t s = find_vm(p, &vm);
	if (s)
		return s;
	size_t took = vconsole_input(vm, p + 40, n);
	memset(resp, 0, sizeof(struct ctl_console_ack));
	ctl_put32(resp, (uint32_t)took);
	*out = sizeof(struct ctl_console_ack);
	return CTL_OK;
}

static uint32_t op_ctl_stats(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(p);
	UNUSED(len);
	ctl_put64(resp, st.frames);
	ctl_put64(resp + 8, st.errors);
	ctl_put64(resp + 16, st.bytes_in);
	ctl_put64(resp + 24, st.bytes_out);
	ctl_put64(resp + 32, st.events_dropped);
	for (unsigned i = 0; i < CTL_STATUS_COUNT; i++)
		ctl_put64(resp + 40 + 8 * i, st.by_status[i]);
	uint8_t *tail = resp + 40 + 8 * CTL_STATUS_COUNT;
	ctl_put64(tail, st.fast_frames);
	ctl_put64(tail + 8, st.fast_rounds);
	ctl_put64(tail + 16, st.fast_requeues);
	ctl_put64(tail + 24, st.tick_frames);
	*out = sizeof(struct ctl_stats);
	return CTL_OK;
}

static uint32_t op_host_metrics(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(p);
	UNUSED(len);
	struct ctl_metrics_ctl c = {st.frames, st.errors, st.events_dropped};
	*out = ctl_metrics_host(resp, &c);
	return CTL_OK;
}

static uint32_t op_vm_metrics(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	struct vm *vm = NULL;
	uint32_t s = find_vm_ro(p, &vm);
	if (s)
		return s;
	*out = ctl_metrics_vm(
	    resp, vm, (vm == service ? CTL_VMF_SERVICE : 0) | (vm->dynamic ? CTL_VMF_DYNAMIC : 0));
	return CTL_OK;
}

static uint32_t op_net_metrics(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(p);
	UNUSED(len);
	*out = ctl_metrics_net(resp);
	return CTL_OK;
}

static uint32_t op_trace_ctl(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	return ctl_trace_ctl(p, resp, out);
}

static uint32_t op_trace_read(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	return ctl_trace_read(p, resp, out);
}

/* Crash dumps (ctl_dump.c): never of the service VM, which is running this very request. */
static uint32_t op_dump_info(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	struct vm *vm = NULL;
	uint32_t s = find_vm(p, &vm);
	return s ? s : ctl_dump_info(resp, vm, out);
}

static uint32_t op_dump_read(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	struct vm *vm = NULL;
	uint32_t s = find_vm(p, &vm);
	return s ? s : ctl_dump_read(resp, vm, p, out);
}

/* PROF_START: any VM may be profiled, the service VM too (reading, not managing). */
static uint32_t op_prof_start(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	UNUSED(out);
	struct vm *vm = NULL;
	uint32_t s = find_vm_ro(p, &vm);
	if (s)
		return s;
	if (ctl_get32(p + 36) != 0)
		return CTL_E_BAD_FIELD;
	return prof_start(vm, ctl_get32(p + 32));
}

static uint32_t op_prof_stop(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(p);
	UNUSED(len);
	UNUSED(out);
	return prof_stop();
}

static uint32_t op_prof_read(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	if (ctl_get32(p + 4) != 0)
		return CTL_E_BAD_FIELD;
	uint32_t s;
	*out = prof_read(ctl_get32(p), resp, CTL_MAX_PAYLOAD, &s);
	return s;
}

/* Snapshots (ctl_snap.c): never of the service VM, which is running this very request. */
static uint32_t op_snap_begin(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	struct vm *vm = NULL;
	uint32_t s = find_vm(p, &vm);
	return s ? s : ctl_snap_begin(vm, p, resp, out);
}

static uint32_t op_snap_read(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	return ctl_snap_read(p, resp, out);
}

static uint32_t op_snap_end(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	UNUSED(out);
	return ctl_snap_end(p);
}

/* Live migration (ctl_mig.c): never of the service VM (ctl_mig_begin refuses it). */
static uint32_t op_mig_begin(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	struct vm *vm = NULL;
	uint32_t s = find_vm(p, &vm);
	return s ? s : ctl_mig_begin(vm, p, resp, out);
}

static uint32_t op_mig_round(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	return ctl_mig_round(p, resp, out);
}

static uint32_t op_mig_read(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	return ctl_mig_read(p, resp, out);
}

static uint32_t op_mig_end(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	UNUSED(out);
	return ctl_mig_end(p);
}

static uint32_t op_restore_begin(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	return ctl_restore_begin(p, resp, out);
}

static uint32_t op_restore_data(const uint8_t *p, uint32_t len, uint32_t *out)
{
	return ctl_restore_data(p, len, resp, out);
}

static uint32_t op_restore_commit(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	struct vm *vm = NULL;
	uint32_t s = ctl_restore_commit(p, &vm);
	if (s)
		return s;
	vm_entry(resp, vm);
	*out = sizeof(struct ctl_vm_entry);
	return CTL_OK;
}

static uint32_t op_restore_abort(const uint8_t *p, uint32_t len, uint32_t *out)
{
	UNUSED(len);
	UNUSED(out);
	return ctl_restore_abort(p);
}

static const struct {
	uint16_t type;
	ctl_handler fn;
} ops[] = {
    {CTL_T_HELLO, op_hello},
    {CTL_T_HOST_INFO, op_host_info},
    {CTL_T_VM_LIST, op_vm_list},
    {CTL_T_VCPU_LIST, op_vcpu_list},
    {CTL_T_DEV_LIST, op_dev_list},
    {CTL_T_VM_START, op_vm_start},
    {CTL_T_VM_STOP, op_vm_stop},
    {CTL_T_VM_RESET, op_vm_reset},
    {CTL_T_VM_PAUSE, op_vm_pause},
    {CTL_T_VM_RESUME, op_vm_resume},
    {CTL_T_VM_DESTROY, op_vm_destroy},
    {CTL_T_SET_WEIGHT, op_set_weight},
    {CTL_T_SET_AFFINITY, op_set_affinity},
    {CTL_T_UPLOAD_BEGIN, op_upload_begin},
    {CTL_T_UPLOAD_CHUNK, op_upload_chunk},
    {CTL_T_UPLOAD_COMMIT, op_upload_commit},
    {CTL_T_UPLOAD_ABORT, op_upload_abort},
    {CTL_T_CONSOLE_ATTACH, op_console_attach},
    {CTL_T_CONSOLE_DETACH, op_console_detach},
    {CTL_T_CONSOLE_INPUT, op_console_input},
    {CTL_T_CTL_STATS, op_ctl_stats},
    {CTL_T_HOST_METRICS, op_host_metrics},
    {CTL_T_VM_METRICS, op_vm_metrics},
    {CTL_T_NET_METRICS, op_net_metrics},
    {CTL_T_TRACE_CTL, op_trace_ctl},
    {CTL_T_TRACE_READ, op_trace_read},
    {CTL_T_DUMP_INFO, op_dump_info},
    {CTL_T_DUMP_READ, op_dump_read},
    {CTL_T_PROF_START, op_prof_start},
    {CTL_T_PROF_STOP, op_prof_stop},
    {CTL_T_PROF_READ, op_prof_read},
    {CTL_T_SNAP_BEGIN, op_snap_begin},
    {CTL_T_SNAP_READ, op_snap_read},
    {CTL_T_SNAP_END, op_snap_end},
    {CTL_T_RESTORE_BEGIN, op_restore_begin},
    {CTL_T_RESTORE_DATA, op_restore_data},
    {CTL_T_RESTORE_COMMIT, op_restore_commit},
    {CTL_T_RESTORE_ABORT, op_restore_abort},
    {CTL_T_MIG_BEGIN, op_mig_begin},
    {CTL_T_MIG_ROUND, op_mig_round},
    {CTL_T_MIG_READ, op_mig_read},
    {CTL_T_MIG_END, op_mig_end},
};

/* One received frame: validate, dispatch, answer. Console tick. */
static void dispatch(const struct ctl_hdr *h, const uint8_t *p)
{
	/*
	 * A response or event coming back is our own output echoed (a tty left in
	 * cooked mode echoes): answering it would be echoed again, forever. Count it
	 * and stay silent.
	 */
	if (h->flags & CTL_F_KNOWN) {
		st.by_status[CTL_E_BAD_FLAGS]++;
		st.errors++;
		st.echoes++;
		return;
	}
	uint32_t s = ctl_check_request(h);
	uint32_t out = 0;
	if (s == CTL_OK && !negotiated && h->type != CTL_T_HELLO)
		s = CTL_E_NOT_NEGOTIATED;
	if (s == CTL_OK) {
		s = CTL_E_UNKNOWN_TYPE;
		for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
			if (ops[i].type == h->type)
				s = ops[i].fn(p, h->len, &out);
	}
	respond(h, h->type, s, resp, out);
}

void ctl_input(const uint8_t *buf, size_t len)
{
	spin_lock(&in_lock);
	uint32_t room = CTL_INQ - (in_tail - in_head);
	size_t k = len < room ? len : room;
	for (size_t i = 0; i < k; i++)
		inq[(in_tail + i) & (CTL_INQ - 1)] = buf[i];
	in_tail += (uint32_t)k;
	st.bytes_in += k;
	st.input_dropped += len - k;
	spin_unlock(&in_lock);
}

void ctl_input_done(void)
{
	/* Answered on the boot CPU right away (bootwork.h), not at the next console tick. */
	bootwork_request(BOOTWORK_CTL);
}

/* Console tick: decode what the service VM sent and answer it. */
static void receive(const uint8_t *buf, size_t len)
{
	while (len) {
		size_t k = ctl_rx_push(&rx, buf, len);
		buf += k;
		len -= k;
		struct ctl_hdr h;
		const uint8_t *p;
		int r;
		/* Each pop consumes bytes or a whole frame: bounded by the buffer. */
		while ((r = ctl_rx_pop(&rx, &h, &p)) != -1) {
			st.frames++;
			if (r == CTL_OK)
				dispatch(&h, p);
			else
				respond(r == CTL_E_BAD_MAGIC ? NULL : &h, CTL_T_ERROR, (uint32_t)r,
				        NULL, 0);
		}
	}
}

void ctl_channel_reset(void)
{
	__atomic_store_n(&attached, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&negotiated, false, __ATOMIC_RELAXED);
	__atomic_store_n(&reset_pending, 1, __ATOMIC_RELEASE);
	spin_lock(&in_lock);
	in_head = in_tail;
	spin_unlock(&in_lock);
	spin_lock(&out_lock);
	out_head = out_tail;
	spin_unlock(&out_lock);
}

/* Console tick: the session state that only this context touches starts over. */
static void session_reset(void)
{
	ctl_rx_init(&rx);
	negotiated = false;
	drop_upload();
}

int ctl_set_service(struct vm *vm)
{
	if (service && service != vm) {
		pr_err("vm %s: role service: vm %s already has the control channel", vm->name,
		       service->name);
		return -FV_EEXIST;
	}
	service = vm;
	ctl_rx_init(&rx);
	pr_info("ctl: vm %s is the service VM (control protocol v%u)", vm->name, CTL_VERSION);
	return 0;
}

void ctl_unset_service(struct vm *vm)
{
	if (service != vm)
		return;
	ctl_channel_reset();
	session_reset();
	service = NULL;
}

struct vm *ctl_service_vm(void)
{
	return service;
}

/* --- events -------------------------------------------------------------------------------- */

void ctl_vm_event(struct vm *vm, unsigned old_state, unsigned new_state, const char *cause)
{
	/* Every VM state change passes here (vm.c), service VM or not: the tracer's hook. */
	if (old_state != new_state)
		TRACE(TEV_VM_STATE, vm->id, TRACE_VCPU_NONE, old_state, new_state, 0);
	if (!service || vm == service || old_state == new_state)
		return;
	uint8_t pl[sizeof(struct ctl_ev_vm_crash)];
	memset(pl, 0, sizeof(pl));
	ctl_put32(pl, vm->id);
	ctl_put32(pl + 4, wire_state((enum vm_state)old_state));
	ctl_put32(pl + 8, wire_state((enum vm_state)new_state));
	put_name(pl + 16, vm->name);
	spin_lock(&out_lock);
	if (__atomic_load_n(&negotiated, __ATOMIC_RELAXED)) {
		event_locked(CTL_T_EV_VM_STATE, pl, sizeof(struct ctl_ev_vm_state));
		if (new_state == VM_CRASHED) {
			memset(pl, 0, sizeof(pl));
			ctl_put32(pl, vm->id);
			put_name(pl + 8, vm->name);
			fv_snprintf((char *)pl + 40, 96, "%s", cause ? cause : "");
			event_locked(CTL_T_EV_VM_CRASH, pl, sizeof(struct ctl_ev_vm_crash));
		}
	}
	spin_unlock(&out_lock);
}

void ctl_vm_freed(struct vm *vm)
{
	/* A later VM in this slot starts unattached. */
	__atomic_fetch_and(&attached, ~(uint32_t)BIT(vm->id), __ATOMIC_RELAXED);
	if (!service || vm == service)
		return;
	uint8_t pl[sizeof(struct ctl_ev_vm_state)];
	memset(pl, 0, sizeof(pl));
	ctl_put32(pl, vm->id);
	ctl_put32(pl + 4, wire_state(vm->state));
	ctl_put32(pl + 8, CTL_VM_DESTROYED);
	put_name(pl + 16, vm->name);
	spin_lock(&out_lock);
	if (__atomic_load_n(&negotiated, __ATOMIC_RELAXED))
		event_locked(CTL_T_EV_VM_STATE, pl, sizeof(pl));
	spin_unlock(&out_lock);
}

void ctl_console_output(struct vm *vm, const char *buf, size_t len)
{
	if (!(__atomic_load_n(&attached, __ATOMIC_RELAXED) & BIT(vm->id)))
		return;
	uint8_t pl[sizeof(struct ctl_ev_console) + VCONSOLE_LINE_MAX];
	if (len > VCONSOLE_LINE_MAX)
		len = VCONSOLE_LINE_MAX;
	ctl_put32(pl, vm->id);
	ctl_put32(pl + 4, (uint32_t)len);
	put_name(pl + 8, vm->name);
	memcpy(pl + sizeof(struct ctl_ev_console), buf, len);
	spin_lock(&out_lock);
	event_locked(CTL_T_EV_CONSOLE, pl, sizeof(struct ctl_ev_console) + len);
	spin_unlock(&out_lock);
}

/*
 * Dispatcher context (console tick or bootwork round): decode and answer at most @budget
 * queued input bytes, then push queued output. True if input is left over.
 */
static bool poll_budget(uint32_t budget)
{
	if (!service)
		return false;
	if (__atomic_exchange_n(&reset_pending, 0, __ATOMIC_ACQUIRE))
		session_reset();
	bool more = false;
	while (budget) {
		spin_lock(&in_lock);
		uint32_t n = in_tail - in_head;
		if (n > sizeof(in_chunk))
			n = sizeof(in_chunk);
		if (n > budget)
			n = budget;
		for (uint32_t i = 0; i < n; i++)
			in_chunk[i] = inq[(in_head + i) & (CTL_INQ - 1)];
		in_head += n;
		more = in_tail != in_head;
		spin_unlock(&in_lock);
		if (!n)
			break;
		budget -= n;
		receive(in_chunk, n);
	}
	if (__atomic_load_n(&out_tail, __ATOMIC_ACQUIRE) !=
	    __atomic_load_n(&out_head, __ATOMIC_RELAXED))
		vm_virtio_control_flush(service);
	return more;
}

void ctl_poll(void)
{
	uint64_t f = st.frames;
	/* Bounded: at most CTL_INQ bytes per tick. */
	poll_budget(CTL_INQ);
	st.tick_frames += st.frames - f;
}

bool ctl_service(void)
{
	uint64_t f = st.frames;
	bool more = poll_budget(CTL_NOTIFY_BUDGET);
	st.fast_rounds++;
	st.fast_frames += st.frames - f;
	if (more)
		st.fast_requeues++;
	return more;
}

void ctl_describe(void (*line)(const char *text))
{
	char buf[160];
	fv_snprintf(buf, sizeof(buf),
	            "service VM %s: %lu frames, %lu errors, %lu bytes in, %lu out; dropped: %lu "
	            "events, %lu responses, %lu input bytes; %lu echoes ignored",
	            service ? service->name : "(none)", (unsigned long)st.frames,
	            (unsigned long)st.errors, (unsigned long)st.bytes_in,
	            (unsigned long)st.bytes_out, (unsigned long)st.events_dropped,
	            (unsigned long)st.responses_dropped, (unsigned long)st.input_dropped,
	            (unsigned long)st.echoes);
	line(buf);
	fv_snprintf(
	    buf, sizeof(buf),
	    "  frames answered on notify: %lu in %lu rounds (%lu requeued); by the tick: %lu",
	    (unsigned long)st.fast_frames, (unsigned long)st.fast_rounds,
	    (unsigned long)st.fast_requeues, (unsigned long)st.tick_frames);
	line(buf);
	struct bootwork_stats bw;
	bootwork_get_stats(&bw);
	fv_snprintf(buf, sizeof(buf),
	            "  boot-CPU work: %lu requests (IPIs), %lu rounds, %lu requeued, %lu paced",
	            (unsigned long)bw.requests, (unsigned long)bw.runs, (unsigned long)bw.requeues,
	            (unsigned long)bw.paced);
	line(buf);
	for (unsigned i = 0; i < CTL_STATUS_COUNT; i++) {
		if (!st.by_status[i])
			continue;
		fv_snprintf(buf, sizeof(buf), "  %-18s %lu", ctl_status_name(i),
		            (unsigned long)st.by_status[i]);
		line(buf);
	}
}
