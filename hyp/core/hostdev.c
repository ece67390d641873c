// SPDX-License-Identifier: MIT
/*
 * Physical virtio-mmio slots: probe at boot, ownership afterwards (one
 * owner per NIC; one per disk, or several owners of non-overlapping
 * slices). Drivers live in hyp/drivers; this file only decides which
 * driver takes a slot and who may use which part of it.
 */
#include "core/hostdev.h"
#include "core/config.h"
#include "core/console.h"
#include "core/irq.h"
#include "core/mem.h"
#include "drivers/virtio_blk_phys.h"
#include "drivers/virtio_net_phys.h"
#include "drivers/virtio_console_phys.h"
#include "lib/printf.h"
#include "lib/fv_err.h"
#include "lib/string.h"

/* Every disk of every VM may be a slice of the same physical disk. */
#define MAX_DISK_CLAIMS (CFG_MAX_VMS * CFG_MAX_VIRTIO)

/* Sectors start .. start + sectors - 1 of a disk belong to owner. */
struct disk_claim {
	const char *owner;
	uint64_t start;
	uint64_t sectors; /* resolved: never "to the end" */
	bool whole;       /* the whole disk: no other claim besides it */
};

struct hostdev {
	enum hostdev_kind kind;
	uint64_t base;
	uint32_t irq; /* line on the host interrupt controller, 0 = none */
	uint32_t device_id;
	const char *owner; /* NIC: NULL = free (disks keep their owners in claims) */
	struct vblk_phys *disk;
	struct vnet_phys *nic;
	struct vcon_phys *con; /* the hypervisor's gdb or dump channel (HOSTDEV_CONSOLE) */
	struct disk_claim claims[MAX_DISK_CLAIMS]; /* disks only */
	unsigned nr_claims;
	char irq_name[16]; /* "disk slot N": the shell's `irqs` */
};

static struct hostdev slots[PLAT_MAX_VIRTIO];
static unsigned nr_slots;

static void probe_disk(struct hostdev *h, unsigned i)
{
	struct vblk_phys *b = mem_zalloc_aligned(sizeof(*b), 64);
	if (!b) {
		h->kind = HOSTDEV_BROKEN;
		return;
	}
	int ret = vblk_phys_init(b, (uintptr_t)h->base);
	if (ret) {
		pr_warn("virtio slot %u (0x%lx): disk probe failed (%s, %d)", i,
		        (unsigned long)h->base, fv_strerror(ret), ret);
		h->kind = HOSTDEV_BROKEN;
		return;
	}
	h->disk = b;
	h->kind = HOSTDEV_DISK;
	/*
	 * Requests finish by the slot's interrupt; without one, hostdev_poll_disks() polls.
	 * Movable: completions take only the disk's and the VM device's locks (any CPU).
	 */
	fv_snprintf(h->irq_name, sizeof(h->irq_name), "disk slot %u", i);
	b->irq_driven =
	    h->irq && irq_register_named(h->irq, vblk_phys_irq, b, h->irq_name, true) == 0;
	if (b->irq_driven) {
		b->irq = h->irq;
		vphys_set_interrupts(&b->dev, 0, true);
	}
	pr_info("virtio slot %u (0x%lx): disk, %lu sectors (%lu MiB), %s", i,
	        (unsigned long)h->base, (unsigned long)b->capacity,
	        (unsigned long)(b->capacity >> 11), b->irq_driven ? "interrupt-driven" : "polled");
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
		pr_warn("virtio slot %u (0x%lx): NIC probe failed (%s, %d)", i,
		        (unsigned long)h->base, fv_strerror(ret), ret);
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

static void probe_console(struct hostdev *h, unsigned i)
{
	struct vcon_phys *c = mem_zalloc_aligned(sizeof(*c), 64);
	if (!c) {
		h->kind = HOSTDEV_BROKEN;
		return;
	}
	int ret = vcon_phys_init(c, (uintptr_t)h->base);
	if (ret) {
		pr_warn("virtio slot %u (0x%lx): console probe failed (%s, %d)", i,
		        (unsigned long)h->base, fv_strerror(ret), ret);
		h->kind = HOSTDEV_BROKEN;
		return;
	}
	h->con = c;
	h->kind = HOSTDEV_CONSOLE;
	pr_info("virtio slot %u (0x%lx): console (gdb or dump channel)", i, (unsigned long)h->base);
}

void hostdev_probe(const struct platform *p)
{
	nr_slots = p->nr_virtio < PLAT_MAX_VIRTIO ? p->nr_virtio : PLAT_MAX_VIRTIO;
	/*
	 * QEMU lists its virtio-mmio transports from the highest address down;
	 * slot numbers count up from the lowest address, as `bus=virtio-mmio-bus.N`
	 * and the ferrovisor tool do.
	 */
	struct plat_dev dev[PLAT_MAX_VIRTIO] = {0};
	for (unsigned i = 0; i < nr_slots; i++)
		dev[i] = p->virtio[i];
	for (unsigned i = 1; i < nr_slots; i++)
		for (unsigned j = i; j > 0 && dev[j - 1].base > dev[j].base; j--) {
			struct plat_dev t = dev[j];
			dev[j] = dev[j - 1];
			dev[j - 1] = t;
		}
	for (unsigned i = 0; i < nr_slots; i++) {
		struct hostdev *h = &slots[i];
		h->base = dev[i].base;
		h->irq = dev[i].irq;
		h->device_id = vphys_device_id((uintptr_t)h->base);
		switch (h->device_id) {
		case 0:
			break; /* empty transport (or no virtio-mmio there at all) */
		case VIRTIO_ID_BLOCK:
			probe_disk(h, i);
			break;
		case VIRTIO_ID_NET:
			probe_nic(h, i);
			break;
		case VIRTIO_ID_CONSOLE:
			probe_console(h, i);
			break;
		default:
			h->kind = HOSTDEV_OTHER;
			pr_info("virtio slot %u (0x%lx): device type %u, no driver", i,
			        (unsigned long)h->base, h->device_id);
			break;
		}
	}
}

/* The slot if it holds a working device of kind, else NULL with *why. */
static struct hostdev *usable(unsigned slot, enum hostdev_kind kind, const char **why)
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
	return h;
}

/* Messages with numbers and names; claims run on the boot CPU only (hostdev.h). */
static char why_buf[112];

/*
 * Whether (start, sectors, whole) may join the claims of h; else *why.
 * Checked against the real disk, whatever the parser accepted.
 */
static bool disk_claim_ok(const struct hostdev *h, uint64_t start, uint64_t sectors, bool whole,
                          const char **why)
{
	for (unsigned i = 0; i < h->nr_claims; i++) {
		const struct disk_claim *c = &h->claims[i];
		if (whole || c->whole) {
			fv_snprintf(why_buf, sizeof(why_buf), "%s already belongs to %s",
			            c->whole ? "the whole disk" : "a slice of the disk", c->owner);
			*why = why_buf;
			return false;
		}
		/* Both counts are resolved (non-zero): plain ranges. */
		if (config_sectors_overlap(c->start, c->sectors, start, sectors)) {
			fv_snprintf(why_buf, sizeof(why_buf),
			            "sectors %llu-%llu of the disk already belong to %s",
			            (unsigned long long)c->start,
			            (unsigned long long)(c->start + c->sectors - 1), c->owner);
			*why = why_buf;
			return false;
		}
	}
	if (h->nr_claims == MAX_DISK_CLAIMS) {
		*why = "the disk has too many slices";
		return false;
	}
	return true;
}

struct vblk_phys *hostdev_claim_disk(unsigned slot, const char *owner, uint64_t start,
                                     uint64_t *sectors, const char **why)
{
	struct hostdev *h = usable(slot, HOSTDEV_DISK, why);
	if (!h)
		return NULL;
	uint64_t cap = h->disk->capacity, n = *sectors;
	bool whole = start == 0 && n == 0;
	int ret = config_slice_resolve(cap, start, &n);
	if (ret) {
		fv_snprintf(why_buf, sizeof(why_buf),
		            "the slice %s the end of the disk (%llu sectors)",
		            ret == -FV_ERANGE ? "starts at or after" : "runs past",
		            (unsigned long long)cap);
		*why = why_buf;
		return NULL;
	}
	if (!disk_claim_ok(h, start, n, whole, why))
		return NULL;
	/* start + n <= cap: config_slice_resolve() checked it without overflow. */
	h->claims[h->nr_claims++] = (struct disk_claim){owner, start, n, whole};
	*sectors = n;
	return h->disk;
}

void hostdev_release_disk(unsigned slot, const char *owner, uint64_t start)
{
	if (slot >= nr_slots)
		return;
	struct hostdev *h = &slots[slot];
	for (unsigned i = 0; i < h->nr_claims; i++) {
		if (h->claims[i].owner != owner || h->claims[i].start != start)
			continue;
		/* Keep the claims packed: the last one takes the freed place. */
		h->claims[i] = h->claims[--h->nr_claims];
		return;
	}
}

struct vnet_phys *hostdev_claim_nic(unsigned slot, const char *owner, const char **why)
{
	struct hostdev *h = usable(slot, HOSTDEV_NIC, why);
	if (!h)
		return NULL;
	if (h->owner) {
		*why = "the device already belongs to someone else";
		return NULL;
	}
	h->owner = owner;
	return h->nic;
}

void hostdev_describe_disks(void (*out)(const char *line))
{
	char line[256];
	for (unsigned i = 0; i < nr_slots; i++) {
		const struct hostdev *h = &slots[i];
		if (h->kind != HOSTDEV_DISK)
			continue;
		const struct vblk_phys *b = h->disk;
		fv_snprintf(
		    line, sizeof(line),
		    "disk slot %u: %lu sectors, %u claim(s), %lu requests (%lu failed, %lu "
		    "waited), at most %u in flight, %lu by irq, %lu by halt, %lu by tick, %lu "
		    "rekicks, %lu by notify poll, irq moved %u times",
		    i, (unsigned long)b->capacity, h->nr_claims, (unsigned long)b->completed,
		    (unsigned long)b->failed, (unsigned long)b->refused, b->max_inflight,
		    (unsigned long)b->by_irq, (unsigned long)b->by_halt, (unsigned long)b->by_tick,
		    (unsigned long)b->rekicks, (unsigned long)b->by_notify, b->reroutes);
		out(line);
		for (unsigned k = 0; k < h->nr_claims; k++) {
			const struct disk_claim *c = &h->claims[k];
			fv_snprintf(line, sizeof(line), "disk slot %u: %s sectors %lu-%lu%s", i,
			            c->owner, (unsigned long)c->start,
			            (unsigned long)(c->start + c->sectors - 1),
			            c->whole ? " (whole disk)" : "");
			out(line);
		}
	}
}

void hostdev_poll_disks(void)
{
	for (unsigned i = 0; i < nr_slots; i++)
		if (slots[i].kind == HOSTDEV_DISK)
			vblk_phys_tick(slots[i].disk);
}

struct vcon_phys *hostdev_claim_console(const char *owner)
{
	for (unsigned i = 0; i < nr_slots; i++) {
		struct hostdev *h = &slots[i];
		if (h->kind == HOSTDEV_CONSOLE && !h->owner) {
			h->owner = owner;
			return h->con;
		}
	}
	return NULL;
}

struct vcon_phys *hostdev_claim_console_slot(unsigned slot, const char *owner)
{
	if (slot >= nr_slots || slots[slot].kind != HOSTDEV_CONSOLE || slots[slot].owner)
		return NULL;
	slots[slot].owner = owner;
	return slots[slot].con;
}

uint32_t hostdev_irq(unsigned slot)
{
	return slot < nr_slots ? slots[slot].irq : 0;
}
