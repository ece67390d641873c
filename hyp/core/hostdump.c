// SPDX-License-Identifier: MIT
/*
 * Crash dumps to the host (see hostdump.h). One dump at a time, as a state machine on the
 * console tick: wait until the VM is quiet (every vCPU off its CPU), send BEGIN with the
 * DUMP_INFO payload, RAM frames for the non-zero chunks of its RAM in address order, END.
 * Every encoded byte is handed to the console only when a transmit buffer is free for it
 * (vcon_phys_tx_room), so nothing is dropped when the host reads slowly: the dump waits.
 */
#include "core/hostdump.h"
#include "core/config.h"
#include "core/console.h"
#include "core/ctl_dump.h"
#include "core/ctl_proto.h"
#include "core/dump_frame.h"
#include "core/hostdev.h"
#include "core/timer.h"
#include "core/vm.h"
#include "drivers/virtio_console_phys.h"
#include "lib/string.h"

/* Frames encoded per tick at most, and RAM bytes scanned for non-zero chunks per frame:
 * the boot CPU also runs vCPUs and the consoles, a dump must not hold it for long. */
#define HD_FRAMES_PER_TICK 256u
#define HD_SCAN_PER_FRAME  (256u * DUMP_FRAME_RAM_CHUNK)
/* A paused VM whose vCPUs do not leave their CPUs within this is not dumped. */
#define HD_QUIET_TIMEOUT_NS 5000000000ull
/* A host that reads nothing for this long (tool gone, socket full) ends the dump: a VM
 * paused for it must not stay paused. */
#define HD_STALL_TIMEOUT_NS 10000000000ull

_Static_assert(FV_MAX_VMS <= 32, "one bit per VM in hd.pending");
_Static_assert(sizeof(struct ctl_dump_info) + sizeof(struct ctl_dump_region) +
                       VM_MAX_VCPUS * sizeof(struct ctl_dump_vcpu) + 8 <=
                   DUMP_FRAME_MAX_PAYLOAD,
               "BEGIN carries the whole DUMP_INFO");
_Static_assert(DUMP_FRAME_RAM_CHUNK + 8 <= DUMP_FRAME_MAX_PAYLOAD, "RAM frame");
_Static_assert(VM_RAM_BLOCK % DUMP_FRAME_RAM_CHUNK == 0, "chunks never straddle a RAM block");

enum hd_phase {
	HD_IDLE = 0,
	HD_QUIESCE, /* waiting for every vCPU of the VM to be off its CPU */
	HD_RAM,     /* BEGIN sent, RAM frames from gpa on */
};

static struct {
	struct vcon_phys *con;
	uint32_t pending; /* atomic: bit = VM id with a crash to dump */
	uint32_t dumps;   /* dumps begun since boot: the dump number in BEGIN */
	/* The dump in progress. */
	enum hd_phase phase;
	struct vm *vm; /* dereferenced only while vm_table[vm_id] == vm (hd_vm_same) */
	unsigned vm_id;
	char name[VM_NAME_MAX];
	uint64_t boots; /* vm->boots when it began: a restart aborts it */
	uint32_t reason, seq, ram_frames;
	bool paused_by_us;
	uint64_t gpa, since_ns;
	uint64_t progress_ns; /* when the console last took bytes of this dump */
	/* Encoded bytes not yet handed to the console. */
	size_t out_len, out_off;
	uint8_t out[DUMP_FRAME_WIRE_MAX(DUMP_FRAME_MAX_PAYLOAD)];
	uint8_t info[CTL_MAX_PAYLOAD + 8];
} hd;

void hostdump_init(uint32_t dump_slot1)
{
	if (!dump_slot1)
		return;
	hd.con = hostdev_claim_console_slot(dump_slot1 - 1, "dump");
	if (hd.con)
		pr_info("dump: crash dumps go to the host (virtio console in slot %u)",
		        dump_slot1 - 1);
	else
		pr_warn("dump: host/dump-slot %u holds no virtio console: no dumps to the host",
		        dump_slot1 - 1);
}

bool hostdump_enabled(void)
{
	return hd.con != NULL;
}

void hostdump_vm_crashed(struct vm *vm)
{
	if (hd.con && !vm->cfg->service)
		__atomic_fetch_or(&hd.pending, 1u << vm->id, __ATOMIC_RELEASE);
}

static void hd_queue(uint8_t type, const void *head, size_t hlen, const void *data, size_t dlen)
{
	hd.out_len =
	    dump_frame_encode(hd.out, sizeof(hd.out), type, hd.seq++, head, hlen, data, dlen);
	hd.out_off = 0;
}

/* Queue END and let the VM go (resumed if the dump paused it). */
static void hd_finish(uint32_t status)
{
	uint8_t p[8];
	ctl_put32(p, status);
	ctl_put32(p + 4, hd.ram_frames);
	hd_queue(DUMP_FRAME_END, p, sizeof(p), NULL, 0);
	if (hd.paused_by_us && status == DUMP_END_OK)
		vm_resume(hd.vm);
	if (status == DUMP_END_OK)
		pr_info("dump: vm %s sent to the host (%u RAM chunks of %u bytes, the rest zero)",
		        hd.name, hd.ram_frames, DUMP_FRAME_RAM_CHUNK);
	else
		pr_warn("dump: vm %s changed state during its dump: dump abandoned", hd.name);
	hd.phase = HD_IDLE;
	hd.vm = NULL;
}

/* Whether the VM being dumped is still the one whose dump began, unchanged. */
static bool hd_vm_same(void)
{
	struct vm *vm = hd.vm;
	return vm_table[hd.vm_id] == vm && !vm->destroying && vm->boots == hd.boots;
}

static int hd_begin(struct vm *vm, uint32_t reason)
{
	if (vm->cfg->service)
		return -FV_ENOTSUP; /* it may run the daemon that manages the others: never */
	if (hd.phase != HD_IDLE)
		return -FV_EBUSY;
	enum vm_state s = __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE);
	bool paused = false;
	if (s == VM_RUNNING) {
		if (vm_pause(vm) != 0)
			return -FV_EBUSY;
		paused = true;
	} else if (s != VM_STOPPED && s != VM_CRASHED && s != VM_PAUSED) {
		return -FV_EBUSY;
	}
	hd.phase = HD_QUIESCE;
	hd.vm = vm;
	hd.vm_id = vm->id;
	memcpy(hd.name, vm->name, sizeof(hd.name));
	hd.boots = vm->boots;
	hd.reason = reason;
	hd.paused_by_us = paused;
	hd.seq = 0;
	hd.ram_frames = 0;
	hd.gpa = vm->ram_gpa;
	hd.since_ns = hd.progress_ns = time_now_ns();
	return 0;
}

/* HD_QUIESCE: BEGIN once DUMP_INFO can be taken. false = not yet (wait for a tick). */
static bool hd_try_info(void)
{
	uint32_t len;
	if (!hd_vm_same()) {
		pr_warn("dump: vm %s went away before its dump began", hd.name);
		hd.phase = HD_IDLE;
		hd.vm = NULL;
		return true;
	}
	uint32_t st = ctl_dump_info(hd.info + 8, hd.vm, &len);
	if (st == CTL_E_BUSY && time_now_ns() - hd.since_ns < HD_QUIET_TIMEOUT_NS)
		return false;
	if (st != CTL_OK) {
		pr_warn("dump: vm %s cannot be dumped now (status %u)", hd.name, st);
		if (hd.paused_by_us)
			vm_resume(hd.vm);
		hd.phase = HD_IDLE;
		hd.vm = NULL;
		return true;
	}
	ctl_put32(hd.info, ++hd.dumps);
	ctl_put32(hd.info + 4, hd.reason);
	hd_queue(DUMP_FRAME_BEGIN, hd.info, len + 8, NULL, 0);
	hd.phase = HD_RAM;
	pr_info("dump: sending vm %s to the host (%lu MiB of RAM)", hd.name,
	        (unsigned long)(hd.vm->ram_size >> 20));
	return true;
}

static bool hd_zero(const uint8_t *p, size_t n)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;
	for (size_t i = 0; i < n / 8; i++)
		if (w[i])
			return false;
	return true;
}

/* HD_RAM: queue the next non-zero chunk, or END after the last. */
static void hd_next_ram(void)
{
	struct vm *vm = hd.vm;
	if (!hd_vm_same()) {
		hd_finish(DUMP_END_ABORTED);
		return;
	}
	enum vm_state s = __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE);
	if (s != VM_STOPPED && s != VM_CRASHED && s != VM_PAUSED) {
		hd_finish(DUMP_END_ABORTED);
		return;
	}
	uint64_t end = vm->ram_gpa + vm->ram_size;
	for (uint64_t scanned = 0; hd.gpa < end && scanned < HD_SCAN_PER_FRAME;) {
		uint64_t gpa = hd.gpa;
		if (!vm_ram_touched(vm, gpa)) {
			/* Never populated this boot: zeros, skipped whole (RAM is in blocks). */
			uint64_t next = ALIGN_DOWN(gpa - vm->ram_gpa, VM_RAM_BLOCK) + VM_RAM_BLOCK;
			scanned += vm->ram_gpa + next - gpa;
			hd.gpa = vm->ram_gpa + next;
			continue;
		}
		/* RAM sizes are multiples of VM_RAM_BLOCK, so a chunk never runs past the end. */
		const uint8_t *src = vm_gpa_to_hva(vm, gpa, DUMP_FRAME_RAM_CHUNK);
		hd.gpa += DUMP_FRAME_RAM_CHUNK;
		scanned += DUMP_FRAME_RAM_CHUNK;
		if (!src || hd_zero(src, DUMP_FRAME_RAM_CHUNK))
			continue;
		uint8_t head[8];
		ctl_put64(head, gpa);
		hd_queue(DUMP_FRAME_RAM, head, sizeof(head), src, DUMP_FRAME_RAM_CHUNK);
		hd.ram_frames++;
		return;
	}
	if (hd.gpa >= end)
		hd_finish(DUMP_END_OK);
}

/*
 * Nobody reads the channel: drop the dump (the host's receiver drops a dump whose END never
 * comes, at the next BEGIN) and let a VM paused for it run again.
 */
static void hd_stalled(void)
{
	pr_warn("dump: the host reads nothing from the dump channel: dump of vm %s abandoned",
	        hd.name);
	if (hd.paused_by_us && hd_vm_same())
		vm_resume(hd.vm);
	hd.phase = HD_IDLE;
	hd.vm = NULL;
	hd.out_len = hd.out_off = 0;
}

/* Start the dump of the next crashed VM, if any. */
static void hd_pick_pending(void)
{
	uint32_t p = __atomic_load_n(&hd.pending, __ATOMIC_ACQUIRE);
	for (unsigned id = 0; id < FV_MAX_VMS && p; id++) {
		if (!(p & (1u << id)))
			continue;
		p &= ~(1u << id);
		__atomic_fetch_and(&hd.pending, ~(1u << id), __ATOMIC_ACQ_REL);
		struct vm *vm = vm_table[id];
		/* Only if it still is crashed: a VM restarted meanwhile has nothing left to show.
		 */
		if (vm && __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) == VM_CRASHED &&
		    hd_begin(vm, DUMP_REASON_CRASH) == 0)
			return;
	}
}

int hostdump_request(struct vm *vm)
{
	if (!hd.con)
		return -FV_ENODEV;
	return hd_begin(vm, DUMP_REASON_REQUEST);
}

void hostdump_poll(void)
{
	if (!hd.con)
		return;
	for (unsigned frames = 0; frames < HD_FRAMES_PER_TICK;) {
		if (hd.out_off < hd.out_len) {
			size_t room = vcon_phys_tx_room(hd.con);
			if (room == 0) {
				/* The host has not read yet: go on at the next tick, or give up. */
				if (hd.phase != HD_IDLE &&
				    time_now_ns() - hd.progress_ns > HD_STALL_TIMEOUT_NS)
					hd_stalled();
				return;
			}
			size_t n = MIN(room, hd.out_len - hd.out_off);
			vcon_phys_write(hd.con, hd.out + hd.out_off, n);
			hd.out_off += n;
			hd.progress_ns = time_now_ns();
			continue;
		}
		hd.out_len = hd.out_off = 0;
		if (hd.phase == HD_IDLE) {
			hd_pick_pending();
			if (hd.phase == HD_IDLE)
				return;
		}
		if (hd.phase == HD_QUIESCE) {
			if (!hd_try_info())
				return;
		} else {
			hd_next_ram();
		}
		frames++;
	}
}
