// SPDX-License-Identifier: MIT
/*
 * Virtio devices in snapshots (contract in snap_virtio.h; layout in
 * docs/snapshot-format.md, section DEVICE). The DEVICE payload (512 bytes):
 *
 *   0   u32 payload version (1)         4  u32 kind (1 disk, 2 NIC, 3 console)
 *   8   binding, 48 bytes:
 *         disk: u32 physical slot, u32 flags (1 = a slice), u64 first sector,
 *               u64 sectors (the device's capacity)
 *         NIC:  MAC (6 bytes), 2 zero, switch name (16 bytes, NUL-padded)
 *   56  extras, 8 bytes: NIC u32 link up (0/1); console u16 cols, u16 rows
 *   64  transport and queues (vdev/virtio_snap.h, VIRTIO_SNAP_LEN bytes)
 *   then zero up to 512.
 *
 * A restore binds the backends from these sections before it creates the VM
 * (the disk claim and switch port are made by the normal creation path,
 * which refuses a disk slot that does not exist or is taken), then loads the
 * state into the never-run devices and reconnects the NICs last.
 */
#include "core/snap_virtio.h"
#include "core/snap_fmt.h"
#include "core/console.h"
#include "core/vm.h"
#include "core/vm_virtio_dev.h"
#include "lib/fv_err.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "vdev/virtio_snap.h"

#define DEV_BIND  8u
#define DEV_EXTRA 56u
#define DEV_XPORT 64u
#define BLK_SLICE 0x1u

_Static_assert(DEV_XPORT + VIRTIO_SNAP_LEN <= SNAP_DEV_LEN, "DEVICE payload holds the transport");
_Static_assert(VSWITCH_NAME_LEN <= 16u, "switch name field");

/* How long a save waits for disk requests in flight, in drain rounds. */
#define QUIESCE_ROUNDS 64u

/* Kind of window @j for a configuration: disks, then NICs, then the console. */
static unsigned kind_at(const struct vm_config *vc, unsigned j)
{
	if (j < vc->nr_disks)
		return VM_VIRTIO_KIND_BLK;
	if (j < vc->nr_disks + vc->nr_nics)
		return VM_VIRTIO_KIND_NET;
	if (j == vc->nr_disks + vc->nr_nics && vc->virtio_console)
		return VM_VIRTIO_KIND_CONSOLE;
	return 0;
}

/* --- save ------------------------------------------------------------------------------------ */

/* Device lock held: nothing of this device is in flight. */
static bool dev_quiet(struct vm_vdev *d)
{
	if (d->kind == VDEV_BLK && (d->u.blk.dev.inflight || d->u.blk.dev.flushes_queued ||
	                            __atomic_load_n(&d->u.blk.client.inflight, __ATOMIC_ACQUIRE)))
		return false;
	return virtio_snap_quiet(vm_vdev_transport(d));
}

int snap_virtio_quiesce(struct vm *vm)
{
	for (unsigned j = 0; j < vm->nr_vdev; j++)
		vm_vdev_freeze(vm->vdev[j], true);
	/*
	 * The vCPUs are off their CPUs and the VM paused, so no new request comes; a completion
	 * may still submit requests that waited for room (disk_done), hence rounds until none
	 * is left.
	 */
	for (unsigned round = 0; round < QUIESCE_ROUNDS; round++) {
		bool busy = false;
		for (unsigned j = 0; j < vm->nr_vdev; j++) {
			struct vm_vdev *d = vm->vdev[j];
			if (d->kind == VDEV_BLK && d->u.blk.client.attached)
				vblk_phys_drain(d->u.blk.phys, &d->u.blk.client);
			spin_lock(&d->lock);
			busy |= !dev_quiet(d);
			spin_unlock(&d->lock);
		}
		if (!busy)
			return 0;
	}
	pr_err("vm %s: snapshot: a virtio device still has requests in flight; not saved",
	       vm->name);
	snap_virtio_thaw(vm);
	return -FV_EBUSY;
}

void snap_virtio_thaw(struct vm *vm)
{
	for (unsigned j = 0; j < vm->nr_vdev; j++)
		vm_vdev_freeze(vm->vdev[j], false);
}

uint32_t snap_virtio_save(struct vm *vm, unsigned j, uint8_t *out)
{
	struct vm_vdev *d = vm->vdev[j];
	memset(out, 0, SNAP_DEV_LEN);
	spin_lock(&d->lock);
	virtio_snap_put32(out, SNAP_DEV_VERSION);
	virtio_snap_put32(out + 4, d->kind);
	uint8_t *b = out + DEV_BIND, *x = out + DEV_EXTRA;
	switch (d->kind) {
	case VDEV_BLK:
		virtio_snap_put32(b, d->u.blk.slot);
		virtio_snap_put32(b + 4, d->u.blk.sliced ? BLK_SLICE : 0);
		virtio_snap_put64(b + 8, d->u.blk.start);
		virtio_snap_put64(b + 16, d->u.blk.sectors);
		break;
	case VDEV_NET: {
		memcpy(b, d->u.net.dev.mac, 6);
		const char *sw = vnet_switch_name((unsigned)vnet_port_switch(&d->u.net.port));
		if (sw)
			memcpy(b + 8, sw, strlen(sw));
		virtio_snap_put32(x, d->u.net.dev.link_up);
		break;
	}
	case VDEV_CONSOLE:
	case VDEV_CONTROL:
		virtio_snap_put16(x, d->u.con.cols);
		virtio_snap_put16(x + 2, d->u.con.rows);
		break;
	}
	virtio_snap_put(vm_vdev_transport(d), out + DEV_XPORT);
	spin_unlock(&d->lock);
	return SNAP_DEV_LEN;
}

/* --- restore --------------------------------------------------------------------------------- */

static bool zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* --- migration ------------------------------------------------------------------------------- */

uint32_t snap_virtio_bind_sections(struct vm *vm, uint8_t *out, uint32_t cap)
{
	uint8_t dev[SNAP_DEV_LEN];
	uint32_t off = 0;
	for (unsigned j = 0; j < vm->nr_vdev; j++) {
		snap_virtio_save(vm, j, dev);
		/* Only the binding: the state of a running device is sent with the final round. */
		memset(dev + DEV_EXTRA, 0, SNAP_DEV_LEN - DEV_EXTRA);
		off += (uint32_t)snap_sect_put(out + off, cap - off, SNAP_S_BIND, (uint16_t)j, dev,
		                               SNAP_DEV_LEN);
	}
	return off;
}

bool snap_virtio_bind_valid(const uint8_t *bind, uint32_t len)
{
	return len == SNAP_DEV_LEN && zero(bind + DEV_EXTRA, SNAP_DEV_LEN - DEV_EXTRA);
}

bool snap_virtio_same_binding(const uint8_t *bind, const uint8_t *dev)
{
	return memcmp(bind, dev, DEV_EXTRA) == 0;
}

int snap_virtio_bind(struct vm_config *vc, unsigned j, const uint8_t *p, uint32_t len)
{
	const char *why = NULL;
	unsigned kind = j < CFG_MAX_VIRTIO ? kind_at(vc, j) : 0;
	const uint8_t *b = p + DEV_BIND;
	if (len != SNAP_DEV_LEN || virtio_snap_get32(p) != SNAP_DEV_VERSION)
		why = "wrong length or payload version";
	else if (!kind || virtio_snap_get32(p + 4) != kind)
		why = "not the kind of device the configuration has at this window";
	else if (!zero(p + DEV_XPORT + VIRTIO_SNAP_LEN, SNAP_DEV_LEN - DEV_XPORT - VIRTIO_SNAP_LEN))
		why = "reserved bytes set";
	if (why)
		goto bad;
	if (kind == VM_VIRTIO_KIND_BLK) {
		uint32_t flags = virtio_snap_get32(b + 4);
		uint64_t start = virtio_snap_get64(b + 8), sectors = virtio_snap_get64(b + 16);
		if (flags & ~BLK_SLICE || !zero(b + 24, 24) || sectors == 0 ||
		    (!(flags & BLK_SLICE) && start))
			why = "disk binding out of range";
		if (why)
			goto bad;
		/* The claim (made when the VM is created) checks the slot and the slice against
		 * the disk this host has there; a whole disk must have the saved size (load). */
		vc->disk_slot[j] = virtio_snap_get32(b);
		vc->disk_start[j] = start;
		vc->disk_sectors[j] = (flags & BLK_SLICE) ? sectors : 0;
		return 0;
	}
	if (kind == VM_VIRTIO_KIND_NET) {
		unsigned k = j - vc->nr_disks;
		char sw[VSWITCH_NAME_LEN];
		const uint8_t *m = b;
		memcpy(sw, b + 8, sizeof(sw));
		int idx = -1;
		if (sw[sizeof(sw) - 1] == '\0' && sw[0])
			idx = vnet_switch_find(sw);
		if (b[6] || b[7] || !zero(b + 24, 24) || (m[0] & 1) || zero(m, 6))
			why = "NIC binding: MAC not a unicast address, or reserved bytes set";
		else if (idx < 0)
			why = "NIC binding: this host has no switch of that name";
		if (why)
			goto bad;
		vc->nic_switch[k] = (uint32_t)idx;
		memcpy(vc->nic_mac[k], m, 6);
		return 0;
	}
	if (!zero(b, DEV_EXTRA - DEV_BIND)) {
		why = "console binding: reserved bytes set";
		goto bad;
	}
	return 0;
bad:
	pr_err("vm %s: restore: device %u refused: %s", vc->name, j, why);
	return -FV_EINVAL;
}

/* Device lock held: the device-specific part of a DEVICE payload; NULL or why not. */
static const char *load_extras(struct vm_vdev *d, const uint8_t *p)
{
	const uint8_t *b = p + DEV_BIND, *x = p + DEV_EXTRA;
	switch (d->kind) {
	case VDEV_BLK:
		/* The guest's file system assumes the size it saw: the same capacity. */
		if (virtio_snap_get64(b + 16) != d->u.blk.sectors || !zero(x, 8))
			return "the disk's capacity differs from the saved one";
		return NULL;
	case VDEV_NET:
		if (virtio_snap_get32(x) > 1 || !zero(x + 4, 4))
			return "bad link state";
		if (memcmp(b, d->u.net.dev.mac, 6) != 0)
			return "MAC differs from the configuration's"; /* bind set it: cannot fire
			                                                */
		d->u.net.dev.link_up = virtio_snap_get32(x);
		return NULL;
	case VDEV_CONSOLE:
		if (!zero(x + 4, 4))
			return "reserved bytes set";
		d->u.con.cols = virtio_snap_get16(x);
		d->u.con.rows = virtio_snap_get16(x + 2);
		return NULL;
	case VDEV_CONTROL:
		break;
	}
	return "the control channel is never restored";
}

int snap_virtio_load(struct vm *vm, unsigned j, const uint8_t *p, uint32_t len)
{
	const char *why = NULL;
	if (j >= vm->nr_vdev || len != SNAP_DEV_LEN ||
	    virtio_snap_get32(p + 4) != (uint32_t)vm->vdev[j]->kind) {
		pr_err("vm %s: restore: device %u does not match the VM's devices", vm->name, j);
		return -FV_EINVAL;
	}
	struct vm_vdev *d = vm->vdev[j];
	struct virtio_mmio *t = vm_vdev_transport(d);
	spin_lock(&d->lock);
	why = load_extras(d, p);
	if (!why && virtio_snap_get(t, p + DEV_XPORT, &why) == 0) {
		/* The line into the interrupt controller as the device last drove it. */
		t->irq_level = virtio_mmio_irq_pending(t);
		if (vm->irqchip)
			vm->irqchip->set_level(vm->irqchip_dev, d->irq, t->irq_level);
	}
	spin_unlock(&d->lock);
	if (why) {
		pr_err("vm %s: restore: %s refused: %s", vm->name, d->name, why);
		return -FV_EINVAL;
	}
	return 0;
}

void snap_virtio_start(struct vm *vm)
{
	for (unsigned j = 0; j < vm->nr_vdev; j++) {
		vm_vdev_kick(vm->vdev[j]);
		/* The VM may have come from another host (a migration, a copied file): tell the
		 * switches where its NICs are now. */
		vm_vdev_announce(vm->vdev[j]);
	}
}
