// SPDX-License-Identifier: MIT
/*
 * Live migration over the control channel, source side (contracts in
 * ctl_mig.h and ctl_proto.h): a session holds the VM's dirty log and a
 * migration-stream generator; each round takes the log into the generator's
 * page bitmap and the daemon reads the round's RAM sections. The destination
 * side is the restore of ctl_snap.c (RESTORE_BEGIN with size 0). Runs on the
 * console tick, which owns the VM table: the checks of mig_valid cannot race
 * a destruction.
 */
#include "core/ctl_mig.h"
#include "core/ctl.h"
#include "core/ctl_proto.h"
#include "core/dirty_bm.h"
#include "core/dirty_log.h"
#include "core/mem.h"
#include "core/snap_arch.h"
#include "core/snap_virtio.h"
#include "core/snap_vm.h"
#include "core/vm.h"
#include "core/console.h"
#include "lib/printf.h"
#include "lib/string.h"

#define MIG_PAGE 4096u

struct mig {
	struct vm *vm; /* compared, never followed, until vm_table[slot] is it again */
	unsigned slot;
	uint32_t mem_gen; /* the same VM, not a restarted one (its RAM discarded) */
	uint32_t id;
	uint32_t rounds; /* rounds opened */
	bool paused;     /* the final round paused it */
	bool final;      /* the final round is open (or read) */
	bool frozen;     /* the final round quiesced its virtio devices (thawed at the end) */
	uint64_t npages;
	uint64_t *live;  /* the dirty log's bitmap (vm->dirty_bm) */
	uint64_t *taken; /* the last round's pages */
	uint8_t *post;   /* state sections of the final round */
	struct snap_gen gen;
	uint8_t cfg[SNAP_CFG_LEN];
	uint8_t bind[SNAP_VIRTIO_BIND_MAX]; /* the first segment's BIND sections */
};

static struct mig *mig;
static uint32_t next_id = 1;

/* The migrating VM, if it is still the one (not destroyed, not restarted); else NULL. */
static struct vm *mig_vm(void)
{
	struct vm *vm = mig->vm;
	if (mig->slot >= FV_MAX_VMS ||
	    __atomic_load_n(&vm_table[mig->slot], __ATOMIC_ACQUIRE) != vm || vm->destroying ||
	    __atomic_load_n(&vm->mem_gen, __ATOMIC_ACQUIRE) != mig->mem_gen)
		return NULL;
	return vm;
}

/* Still migratable: the same VM, running (paused only by our final round). */
static bool mig_valid(void)
{
	struct vm *vm = mig_vm();
	if (!vm)
		return false;
	enum vm_state st = __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE);
	return mig->paused ? st == VM_PAUSED : st == VM_RUNNING;
}

/* End the session: log stopped (if the VM is still there), the VM resumed if @resume and
 * the final round paused it. */
static void mig_close(bool resume)
{
	if (!mig)
		return;
	struct vm *vm = mig_vm();
	if (vm) {
		dirty_log_stop(vm);
		/* Left here (cancelled, or ended before the daemon destroys it): traffic again. */
		if (mig->frozen)
			snap_virtio_thaw(vm);
		if (resume && mig->paused &&
		    __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) == VM_PAUSED)
			vm_resume(vm);
	} else if (mig->slot < FV_MAX_VMS &&
	           __atomic_load_n(&vm_table[mig->slot], __ATOMIC_ACQUIRE) == mig->vm) {
		/* Restarted or being destroyed: never leave it pointing at freed storage. */
		dirty_log_stop(mig->vm);
	}
	mem_free(mig->live);
	mem_free(mig->taken);
	mem_free(mig->gen.nz);
	mem_free(mig->post);
	mem_free(mig);
	mig = NULL;
}

void ctl_mig_reset(void)
{
	mig_close(true);
}

uint32_t ctl_mig_begin(struct vm *vm, const uint8_t *req, uint8_t *resp, uint32_t *out)
{
	if (ctl_get32(req + 32) || ctl_get32(req + 36))
		return CTL_E_BAD_FIELD;
	if (mig)
		return CTL_E_BUSY;
	if (snap_save_supported(vm))
		return CTL_E_NOT_SUPPORTED;
	if (__atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_RUNNING || vm->destroying)
		return CTL_E_BAD_STATE;
	uint64_t npages = vm->ram_size / MIG_PAGE;
	size_t words = dirty_bm_words(npages);
	mig = mem_zalloc(sizeof(*mig));
	if (!mig)
		return CTL_E_NO_MEMORY;
	mig->live = mem_zalloc(words * 8);
	mig->taken = mem_zalloc(words * 8);
	mig->post = mem_zalloc(snap_vm_post_max());
	uint8_t *nz = mem_zalloc(snap_gen_bitmap_bytes(vm->ram_size) + 8);
	mig->gen.nz = nz;
	if (!mig->live || !mig->taken || !mig->post || !nz) {
		mig_close(false);
		return CTL_E_NO_MEMORY;
	}
	mig->vm = vm;
	mig->slot = vm->id;
	mig->mem_gen = __atomic_load_n(&vm->mem_gen, __ATOMIC_ACQUIRE);
	mig->npages = npages;
	struct snap_hdr h;
	uint64_t il[2];
	snap_vm_hdr(vm, SNAP_F_RUNNING, &h, il);
	/* The destination makes the VM's devices from their bindings before the first RAM. */
	uint32_t bind_len = snap_virtio_bind_sections(vm, mig->bind, sizeof(mig->bind));
	if (snap_gen_mig_init(&mig->gen, snap_vm_gen_ops(), vm, &h, mig->cfg,
	                      snap_vm_cfg(vm, mig->cfg), il, mig->bind, bind_len, nz)) {
		mig_close(false);
		return CTL_E_INTERNAL;
	}
	mig->gen.nz = nz;
	if (dirty_log_start(vm, mig->live)) {
		mig_close(false);
		return CTL_E_BUSY;
	}
	mig->id = next_id;
	next_id = next_id == UINT32_MAX ? 1 : next_id + 1;
	pr_info("vm %s: migration: dirty log started (%lu pages)", vm->name, (unsigned long)npages);
	memset(resp, 0, sizeof(struct ctl_snap_info));
	ctl_put32(resp, mig->id);
	ctl_put64(resp + 8, snap_gen_mig_pre_bytes(&mig->gen));
	*out = sizeof(struct ctl_snap_info);
	return CTL_OK;
}

/* The generator's byte bitmap from the taken word bitmap. */
static void taken_to_nz(void)
{
	size_t nbytes = snap_gen_bitmap_bytes(mig->npages * MIG_PAGE);
	for (size_t b = 0; b < nbytes; b++)
		mig->gen.nz[b] = (uint8_t)(mig->taken[b / 8] >> (8 * (b % 8)));
}

/* The first round: every non-zero page of the blocks the guest touched. Read after the
 * write protection is effective, so a page that changes from now on is logged. */
static uint64_t first_round(struct vm *vm)
{
	const struct snap_gen_ops *ops = snap_vm_gen_ops();
	uint64_t n = 0;
	memset(mig->gen.nz, 0, snap_gen_bitmap_bytes(vm->ram_size));
	for (uint64_t p = 0; p < mig->npages; p++) {
		const uint64_t *w =
		    (const uint64_t *)(const void *)ops->page(vm, vm->ram_gpa + p * MIG_PAGE);
		if (!w)
			continue;
		for (unsigned i = 0; i < MIG_PAGE / 8; i++)
			if (w[i]) {
				mig->gen.nz[p / 8] |= (uint8_t)(1u << (p % 8));
				n++;
				break;
			}
	}
	return n;
}

uint32_t ctl_mig_round(const uint8_t *req, uint8_t *resp, uint32_t *out)
{
	uint32_t id = ctl_get32(req), flags = ctl_get32(req + 4);
	if (flags & ~CTL_MIG_FINAL)
		return CTL_E_BAD_FIELD;
	if (!mig || id != mig->id)
		return CTL_E_NO_UPLOAD;
	if (!mig_valid()) {
		pr_err("vm migration: the VM was stopped, restarted or destroyed; migration ended");
		mig_close(false);
		return CTL_E_BAD_STATE;
	}
	struct vm *vm = mig->vm;
	if (mig->final || mig->gen.stage != SG_DONE)
		return CTL_E_SEQUENCE; /* the current segment is not read yet, or END was */
	bool final = flags & CTL_MIG_FINAL;
	if (final && !mig->paused) {
		if (vm_pause(vm))
			return CTL_E_BAD_STATE;
		mig->paused = true;
	}
	/* The last protection must be effective before pages are chosen or read; after the
	 * final pause every vCPU must be off its CPU (its state saved). The client asks again. */
	if (!dirty_log_flushed(vm) || (final && !snap_vm_quiet(vm)))
		return CTL_E_BUSY;
	/*
	 * No disk request in flight and no frame into its RAM from here on (snap_virtio.h):
	 * the device state and the last pages are then final. The completions the quiesce
	 * waits for write guest RAM, which the dirty log records, so they are in this round.
	 */
	if (final && !mig->frozen) {
		if (snap_virtio_quiesce(vm))
			return CTL_E_BUSY;
		mig->frozen = true;
	}
	uint64_t pages;
	if (mig->rounds == 0) {
		/* Everything written since the log started is read now or later in this round. */
		if (final)
			dirty_log_take(vm, mig->taken);
		pages = first_round(vm);
	} else {
		pages = dirty_log_take(vm, mig->taken);
		taken_to_nz();
	}
	uint32_t post_len = 0, nsect = 0;
	if (final) {
		post_len = snap_vm_post(vm, mig->post, &nsect);
		mig->gen.hdr.guest_time = arch_snap_guest_time(vm);
		mig->final = true;
	}
	uint64_t bytes = snap_gen_mig_round(&mig->gen, mig->post, post_len, final);
	if (bytes == UINT64_MAX)
		return CTL_E_INTERNAL;
	pr_info("vm %s: migration: round %u%s: %lu pages, %lu bytes", vm->name, mig->rounds,
	        final ? " (final, paused)" : "", (unsigned long)pages, (unsigned long)bytes);
	memset(resp, 0, sizeof(struct ctl_mig_round));
	ctl_put32(resp, mig->rounds++);
	ctl_put32(resp + 4, flags);
	ctl_put64(resp + 8, pages);
	ctl_put64(resp + 16, bytes);
	*out = sizeof(struct ctl_mig_round);
	return CTL_OK;
}

uint32_t ctl_mig_read(const uint8_t *req, uint8_t *resp, uint32_t *out)
{
	uint32_t id = ctl_get32(req), max = ctl_get32(req + 4);
	uint64_t off = ctl_get64(req + 8);
	if (max == 0 || max > CTL_SNAP_CHUNK)
		return CTL_E_BAD_FIELD;
	if (!mig || id != mig->id)
		return CTL_E_NO_UPLOAD;
	if (off != mig->gen.pos)
		return CTL_E_SEQUENCE;
	if (!mig_valid()) {
		pr_err("vm migration: the VM was stopped, restarted or destroyed; migration ended");
		mig_close(false);
		return CTL_E_BAD_STATE;
	}
	/* RAM read before the round's protection is effective everywhere could change unseen. */
	if (mig->rounds && !dirty_log_flushed(mig->vm))
		return CTL_E_BUSY;
	*out = (uint32_t)snap_gen_read(&mig->gen, resp, max);
	return CTL_OK;
}

uint32_t ctl_mig_end(const uint8_t *req)
{
	uint32_t id = ctl_get32(req), flags = ctl_get32(req + 4);
	if (flags & ~CTL_SNAP_RESUME)
		return CTL_E_BAD_FIELD;
	if (!mig || id != mig->id)
		return CTL_E_NO_UPLOAD;
	struct vm *vm = mig_vm();
	if (vm)
		pr_info("vm %s: migration: ended after %u round(s), %lu bytes; %s", vm->name,
		        mig->rounds, (unsigned long)mig->gen.pos,
		        (flags & CTL_SNAP_RESUME) || !mig->paused ? "running here" : "left paused");
	mig_close(flags & CTL_SNAP_RESUME);
	return CTL_OK;
}
