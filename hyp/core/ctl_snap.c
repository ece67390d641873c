// SPDX-License-Identifier: MIT
/*
 * Snapshot and restore over the control channel (contracts in ctl_snap.h):
 * the protocol side of core/snap_vm.h. A save streams the paused VM in
 * SNAP_READ-sized pieces; a restore feeds RESTORE_DATA pieces to the parser
 * in order. Both sessions are heap objects owned by the console tick.
 */
#include "core/ctl_snap.h"
#include "core/ctl_proto.h"
#include "core/mem.h"
#include "core/snap_vm.h"
#include "core/vm.h"
#include "core/console.h"
#include "lib/printf.h"
#include "lib/string.h"

#define RESTORE_MAX_SIZE (SNAP_RAM_MAX + 2 * SNAP_IMAGE_MAX + (64ull << 20))
/* A migration stream (RESTORE_BEGIN size 0) sends RAM in rounds: it may be longer than a
 * file, but not without end (the parser's offsets stay far from wrapping). */
#define RESTORE_MIG_MAX (16 * RESTORE_MAX_SIZE)

_Static_assert(CTL_SNAP_CHUNK <= CTL_MAX_PAYLOAD, "SNAP_READ size");

static struct snap_save *save;
static uint32_t save_id;
static struct snap_restore *restore;
static uint32_t restore_id;
static uint64_t restore_size, restore_got;
static bool restore_mig; /* a migration stream: complete at END, whatever its length */
static uint32_t next_id = 1;

/*
 * A SNAP_BEGIN that paused its VM but found a vCPU still on its CPU (the console tick may
 * have interrupted that very vCPU, which is then put only after the tick): answered E_BUSY,
 * the VM left paused, and remembered here so the retry knows the save paused it. Compared,
 * never followed, until vm_table[slot] is that VM again.
 */
static struct {
	struct vm *vm;
	unsigned slot;
	uint32_t mem_gen;
} pending;

/* The VM of the pending begin, if it is still that VM, paused; else NULL. */
static struct vm *pending_vm(void)
{
	struct vm *vm = pending.vm;
	if (!vm || pending.slot >= FV_MAX_VMS ||
	    __atomic_load_n(&vm_table[pending.slot], __ATOMIC_ACQUIRE) != vm || vm->destroying ||
	    __atomic_load_n(&vm->mem_gen, __ATOMIC_ACQUIRE) != pending.mem_gen ||
	    __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_PAUSED)
		return NULL;
	return vm;
}

/* Forget the pending begin; resume its VM unless the caller now owns the pause. */
static void pending_drop(bool resume)
{
	struct vm *vm = pending_vm();
	if (vm && resume)
		vm_resume(vm);
	pending.vm = NULL;
}

static uint32_t new_id(void)
{
	uint32_t id = next_id;
	next_id = next_id == UINT32_MAX ? 1 : next_id + 1;
	return id;
}

static void save_close(bool resume)
{
	if (!save)
		return;
	snap_save_end(save, resume);
	mem_free(save);
	save = NULL;
	save_id = 0;
}

static void restore_close(void)
{
	if (!restore)
		return;
	snap_restore_abort(restore);
	mem_free(restore);
	restore = NULL;
	restore_id = 0;
}

void ctl_snap_reset(void)
{
	pending_drop(true);
	save_close(true);
	restore_close();
}

uint32_t ctl_snap_begin(struct vm *vm, const uint8_t *req, uint8_t *resp, uint32_t *out)
{
	if (ctl_get32(req + 32) || ctl_get32(req + 36))
		return CTL_E_BAD_FIELD;
	if (save)
		return CTL_E_BUSY;
	if (snap_save_supported(vm))
		return CTL_E_NOT_SUPPORTED;
	bool paused_by_save = false, retry = pending_vm() == vm;
	if (retry) {
		paused_by_save = true; /* the retry of a begin that paused it */
	} else {
		pending_drop(true); /* a begin of another VM was not retried: undo its pause */
		enum vm_state st = __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE);
		if (st == VM_RUNNING && !vm->destroying) {
			if (vm_pause(vm))
				return CTL_E_BAD_STATE;
			paused_by_save = true;
		} else if (st != VM_PAUSED || vm->destroying) {
			return CTL_E_BAD_STATE;
		}
	}
	pending.vm = NULL;
	if (!snap_vm_quiet(vm)) {
		/* Paused, not yet off every CPU: the client asks again (as for DUMP_INFO). */
		for (unsigned i = 0; i < vm->nr_vcpus && !retry; i++)
			if (__atomic_load_n(&vm->vcpus[i]->running_cpu, __ATOMIC_ACQUIRE) != -1)
				pr_info(
				    "vm %s: snapshot: vCPU %u still on CPU %d (state %u, requests "
				    "%#x); the client asks again",
				    vm->name, i, vm->vcpus[i]->running_cpu, vm->vcpus[i]->state,
				    vm->vcpus[i]->requests);
		if (paused_by_save) {
			pending.vm = vm;
			pending.slot = vm->id;
			pending.mem_gen = __atomic_load_n(&vm->mem_gen, __ATOMIC_ACQUIRE);
		}
		return CTL_E_BUSY;
	}
	save = mem_zalloc(sizeof(*save));
	if (!save) {
		if (paused_by_save)
			vm_resume(vm);
		return CTL_E_NO_MEMORY;
	}
	int ret = snap_save_begin(save, vm, paused_by_save);
	if (ret == -FV_EAGAIN) {
		/* A vCPU passed through a CPU since the check above: still paused, ask again. */
		mem_free(save);
		save = NULL;
		if (paused_by_save) {
			pending.vm = vm;
			pending.slot = vm->id;
			pending.mem_gen = __atomic_load_n(&vm->mem_gen, __ATOMIC_ACQUIRE);
		}
		return CTL_E_BUSY;
	}
	if (ret) {
		mem_free(save);
		save = NULL;
		return ret == -FV_ENOMEM  ? CTL_E_NO_MEMORY
		       : ret == -FV_EBUSY ? CTL_E_BAD_STATE
		                          : CTL_E_INTERNAL;
	}
	save_id = new_id();
	memset(resp, 0, sizeof(struct ctl_snap_info));
	ctl_put32(resp, save_id);
	ctl_put64(resp + 8, save->gen.hdr.total_size);
	*out = sizeof(struct ctl_snap_info);
	return CTL_OK;
}

uint32_t ctl_snap_read(const uint8_t *req, uint8_t *resp, uint32_t *out)
{
	uint32_t id = ctl_get32(req), max = ctl_get32(req + 4);
	uint64_t off = ctl_get64(req + 8);
	if (max == 0 || max > CTL_SNAP_CHUNK)
		return CTL_E_BAD_FIELD;
	if (!save || id != save_id)
		return CTL_E_NO_UPLOAD;
	if (off != save->gen.pos)
		return CTL_E_SEQUENCE;
	/* Resumed, restarted or destroyed under us: the stream would no longer be one VM. */
	if (!snap_save_valid(save)) {
		pr_err("vm snapshot: the VM changed state during the save; save ended");
		save_close(false);
		return CTL_E_BAD_STATE;
	}
	*out = (uint32_t)snap_gen_read(&save->gen, resp, max);
	return CTL_OK;
}

uint32_t ctl_snap_end(const uint8_t *req)
{
	uint32_t id = ctl_get32(req), flags = ctl_get32(req + 4);
	if (flags & ~CTL_SNAP_RESUME)
		return CTL_E_BAD_FIELD;
	if (!save || id != save_id)
		return CTL_E_NO_UPLOAD;
	if (snap_save_valid(save))
		pr_info("vm %s: snapshot: %lu of %lu bytes read; %s", save->vm->name,
		        (unsigned long)save->gen.pos, (unsigned long)save->gen.hdr.total_size,
		        (flags & CTL_SNAP_RESUME) && save->was_running ? "resumed" : "left paused");
	save_close(flags & CTL_SNAP_RESUME);
	return CTL_OK;
}

static uint32_t restore_reply(uint8_t *resp, uint32_t *out)
{
	memset(resp, 0, sizeof(struct ctl_upload_id));
	ctl_put32(resp, restore_id);
	ctl_put64(resp + 8, restore_got);
	*out = sizeof(struct ctl_upload_id);
	return CTL_OK;
}

uint32_t ctl_restore_begin(const uint8_t *req, uint8_t *resp, uint32_t *out)
{
	char name[CTL_NAME_MAX];
	uint64_t size = ctl_get64(req + 32);
	bool migration = size == 0;
	if (ctl_get_name(req, name) || (!migration && size < SNAP_HDR_SIZE) ||
	    size > RESTORE_MAX_SIZE)
		return CTL_E_BAD_FIELD;
	if (restore)
		return CTL_E_BUSY;
	restore = mem_zalloc(sizeof(*restore));
	if (!restore)
		return CTL_E_NO_MEMORY;
	int ret = snap_restore_begin(restore, name);
	if (ret) {
		mem_free(restore);
		restore = NULL;
		return ret == -FV_EEXIST    ? CTL_E_BAD_STATE
		       : ret == -FV_ENOTSUP ? CTL_E_NOT_SUPPORTED
		                            : CTL_E_BAD_FIELD;
	}
	restore->migration = migration;
	restore_id = new_id();
	restore_size = migration ? RESTORE_MIG_MAX : size;
	restore_mig = migration;
	restore_got = 0;
	return restore_reply(resp, out);
}

/* A snapshot the parser or the restorer refused, on the wire. */
static uint32_t refused(int err)
{
	switch (err) {
	case SNAP_E_CRC:
	case SNAP_E_HDR_CRC:
		return CTL_E_UPLOAD_CRC;
	case SNAP_E_CONSUMER:
		return CTL_E_BAD_CONFIG; /* logged with the reason by the restorer */
	default:
		return CTL_E_BAD_FIELD;
	}
}

uint32_t ctl_restore_data(const uint8_t *req, uint32_t len, uint8_t *resp, uint32_t *out)
{
	uint32_t id = ctl_get32(req), n = len - (uint32_t)sizeof(struct ctl_upload_chunk);
	uint64_t off = ctl_get64(req + 8);
	if (ctl_get32(req + 4))
		return CTL_E_BAD_FIELD;
	if (!restore || id != restore_id)
		return CTL_E_NO_UPLOAD;
	if (off != restore_got)
		return CTL_E_SEQUENCE;
	if (n > restore_size - restore_got)
		return CTL_E_UPLOAD_SIZE;
	int err = snap_restore_push(restore, req + sizeof(struct ctl_upload_chunk), n);
	if (err) {
		restore_close();
		return refused(err);
	}
	restore_got += n;
	return restore_reply(resp, out);
}

uint32_t ctl_restore_commit(const uint8_t *req, struct vm **vm)
{
	uint32_t id = ctl_get32(req), flags = ctl_get32(req + 4);
	if (flags & ~CTL_SNAP_RESUME)
		return CTL_E_BAD_FIELD;
	if (!restore || id != restore_id)
		return CTL_E_NO_UPLOAD;
	if (!restore_mig && restore_got != restore_size)
		return CTL_E_UPLOAD_SIZE; /* still open: send the rest, or abort */
	int err = snap_restore_commit(restore, vm);
	if (err) {
		restore_close();
		return refused(err);
	}
	mem_free(restore);
	restore = NULL;
	restore_id = 0;
	if ((flags & CTL_SNAP_RESUME) && vm_resume(*vm))
		return CTL_E_INTERNAL;
	return CTL_OK;
}

uint32_t ctl_restore_abort(const uint8_t *req)
{
	if (ctl_get32(req + 4))
		return CTL_E_BAD_FIELD;
	if (!restore || ctl_get32(req) != restore_id)
		return CTL_E_NO_UPLOAD;
	restore_close();
	return CTL_OK;
}
