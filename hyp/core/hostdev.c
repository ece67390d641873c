// SPDX-License-Identifier: MIT
/*
 * Physical virtio-mmio slots: probe at boot, single ownership afterwards.
 * Drivers live in hyp/drivers; this file only decides which driver takes a
 * slot and who may use it.
 */
#include "core/hostdev.h"
#include "core/console.h"
#include "core/mem.h"
#include "drivers/virtio_blk_phys.h"
#include "drivers/virtio_net_phys.h"
#include "lib/string.h"

#define VIRTIO_MAGIC 0x74726976u /* "virt" */

struct hostdev {
	enum hostdev_kind kind;
	uint64_t base;
	uint32_t device_id;
	const char *owner; /* NULL = free */
	struct vblk_phys *disk;
	struct vnet_phys *nic;
};

static struct hostdev slots[PLAT_MAX_VIRTIO];
static unsigned nr_slots;

static uint32_t mmio_read32(uint64_t addr)
{
	return *(volatile uint32_t *)(uintptr_t)addr;
}

static void probe_disk(struct hostdev *h, unsigned i)
{
	struct vblk_phys *b = mem_zalloc_aligned(sizeof(*b), 64);
	if (!b) {
		h->kind = HOSTDEV_BROKEN;
		return;
	}
	int ret = vblk_phys_init(b, (uintptr_t)h->base);
	if (ret) {
		pr_warn("virtio slot %u (0x%lx): disk probe failed (%d)", i, (unsigned long)h->base,
		        ret);
		h->kind = HOSTDEV_BROKEN;
		return;
	}
	h->disk = b;
	h->kind = HOSTDEV_DISK;
	pr_info("virtio slot %u (0x%lx): disk, %lu sectors (%lu MiB)", i, (unsigned long)h->base,
	        (unsigned long)b->capacity, (unsigned long)(b->capacity >> 11));
}

static void probe_nic(struct hostdev *h, unsigned i)
{
	struct vnet_phys *n = mem_zalloc_aligned(sizeof(*n), 64);
	if (!n) {
		h->kind = HOSTDEV_BROKEN;
		return;
	}
	int ret = vnet_phys_init(n, (uintptr_t)h->base);
	if (ret) {
		pr_warn("virtio slot %u (0x%lx): NIC probe failed (%d)", i, (unsigned long)h->base,
		        ret);
		h->kind = HOSTDEV_BROKEN;
		return;
	}
	h->nic = n;
	h->kind = HOSTDEV_NIC;
	uint8_t m[6];
	vnet_phys_mac(n, m);
	pr_info("virtio slot %u (0x%lx): NIC %02x:%02x:%02x:%02x:%02x:%02x", i,
	        (unsigned long)h->base, m[0], m[1], m[2], m[3], m[4], m[5]);
}

void hostdev_probe(const struct platform *p)
{
	nr_slots = p->nr_virtio < PLAT_MAX_VIRTIO ? p->nr_virtio : PLAT_MAX_VIRTIO;
	/*
	 * QEMU lists its virtio-mmio transports from the highest address down;
	 * slot numbers count up from the lowest address, as `bus=virtio-mmio-bus.N`
	 * and the ferrovisor tool do.
	 */
	uint64_t base[PLAT_MAX_VIRTIO] = {0};
	for (unsigned i = 0; i < nr_slots; i++)
		base[i] = p->virtio[i].base;
	for (unsigned i = 1; i < nr_slots; i++)
		for (unsigned j = i; j > 0 && base[j - 1] > base[j]; j--) {
			uint64_t t = base[j];
			base[j] = base[j - 1];
			base[j - 1] = t;
		}
	for (unsigned i = 0; i < nr_slots; i++) {
		struct hostdev *h = &slots[i];
		h->base = base[i];
		if (mmio_read32(h->base) != VIRTIO_MAGIC)
			continue;
		h->device_id = mmio_read32(h->base + 8);
		switch (h->device_id) {
		case 0:
			break; /* empty transport */
		case VIRTIO_ID_BLOCK:
			probe_disk(h, i);
			break;
		case VIRTIO_ID_NET:
			probe_nic(h, i);
			break;
		default:
			h->kind = HOSTDEV_OTHER;
			pr_info("virtio slot %u (0x%lx): device type %u, no driver", i,
			        (unsigned long)h->base, h->device_id);
			break;
		}
	}
}

static struct hostdev *claim(unsigned slot, enum hostdev_kind kind, const char *owner,
                             const char **why)
{
	if (slot >= nr_slots) {
		*why = "no such virtio-mmio slot on this machine";
		return NULL;
	}
	struct hostdev *h = &slots[slot];
	if (h->kind == HOSTDEV_NONE) {
		*why = "the slot is empty (no device attached in QEMU)";
		return NULL;
	}
	if (h->kind == HOSTDEV_BROKEN) {
		*why = "the device failed to initialise";
		return NULL;
	}
	if (h->kind != kind) {
		*why = kind == HOSTDEV_DISK ? "the device there is not a disk"
		                            : "the device there is not a NIC";
		return NULL;
	}
	if (h->owner) {
		*why = "the device already belongs to someone else";
		return NULL;
	}
	h->owner = owner;
	return h;
}

struct vblk_phys *hostdev_claim_disk(unsigned slot, const char *owner, const char **why)
{
	struct hostdev *h = claim(slot, HOSTDEV_DISK, owner, why);
	return h ? h->disk : NULL;
}

struct vnet_phys *hostdev_claim_nic(unsigned slot, const char *owner, const char **why)
{
	struct hostdev *h = claim(slot, HOSTDEV_NIC, owner, why);
	return h ? h->nic : NULL;
}

uint64_t hostdev_base(unsigned slot)
{
	return slot < nr_slots ? slots[slot].base : 0;
}
