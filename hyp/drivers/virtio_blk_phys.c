// SPDX-License-Identifier: MIT
/* Physical virtio-blk: request = header, data, status byte (VIRTIO 1.2 §5.2.6). */
#include "drivers/virtio_blk_phys.h"
#include "core/mem.h"
#include "lib/string.h"

#define T_IN    0U
#define T_OUT   1U
#define T_FLUSH 4U
#define S_OK    0U

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

int vblk_phys_init(struct vblk_phys *b, uintptr_t base)
{
	memset(b, 0, sizeof(*b));
	spin_init(&b->lock);
	/*
	 * FLUSH (§5.2.3): the device may then cache writes (QEMU: writeback
	 * instead of a host sync per write); vblk_phys_flush() makes them stable,
	 * and the emulated device flushes whenever its guest needs durability.
	 */
	int ret = vphys_init(&b->dev, base, VIRTIO_ID_BLOCK, 1ULL << VBLK_F_FLUSH, 1);
	if (ret)
		return ret;
	/* capacity: le64 at offset 0 (§5.2.4), read under ConfigGeneration. */
	vphys_config_read(&b->dev, 0, &b->capacity, sizeof(b->capacity));
	hpa_t pa;
	if (mem_alloc_pages(1, 1, &pa) != 0) {
		vphys_shutdown(&b->dev);
		return -FV_ENOMEM;
	}
	b->dma = mem_phys_to_virt(pa);
	return 0;
}

/*
 * One device request: header, the @n data pieces (none for FLUSH), status
 * byte, as a single chain and one round trip to the device.
 */
static int request(struct vblk_phys *b, uint32_t type, uint64_t sector, const struct vblk_vec *v,
                   unsigned n)
{
	spin_lock(&b->lock);
	struct blk_hdr *h = b->dma;
	volatile uint8_t *status = (uint8_t *)b->dma + sizeof(*h);
	hpa_t dma = (hpa_t)(uintptr_t)b->dma;
	h->type = type;
	h->reserved = 0;
	h->sector = sector;
	*status = 0xff;
	struct vphys_seg segs[VBLK_MAX_VEC + 2];
	unsigned k = 0;
	segs[k++] = (struct vphys_seg){dma, sizeof(*h), false};
	for (unsigned i = 0; i < n; i++)
		segs[k++] = (struct vphys_seg){v[i].addr, v[i].len, type == T_IN};
	segs[k++] = (struct vphys_seg){dma + sizeof(*h), 1, true};
	long ret = vphys_submit(&b->dev, 0, segs, k);
	bool ok = ret >= 0 && *status == S_OK;
	spin_unlock(&b->lock);
	return ok ? 0 : -FV_EIO;
}

int vblk_phys_rwv(struct vblk_phys *b, bool write, uint64_t sector, const struct vblk_vec *v,
                  unsigned n)
{
	if (n == 0 || n > VBLK_MAX_VEC)
		return -FV_EINVAL;
	uint64_t len = 0;
	for (unsigned i = 0; i < n; i++) {
		if (v[i].len == 0 || v[i].len % VBLK_SECTOR)
			return -FV_EINVAL;
		len += v[i].len;
	}
	uint64_t nsec = len / VBLK_SECTOR;
	if (sector >= b->capacity || nsec > b->capacity - sector)
		return -FV_ERANGE;
	return request(b, write ? T_OUT : T_IN, sector, v, n);
}

int vblk_phys_rw(struct vblk_phys *b, bool write, uint64_t sector, hpa_t buf, uint64_t len)
{
	/* The data segment is one descriptor: at most 2 GiB. */
	if (len > 0x80000000ULL)
		return -FV_EINVAL;
	struct vblk_vec v = {buf, (uint32_t)len};
	return vblk_phys_rwv(b, write, sector, &v, 1);
}

int vblk_phys_flush(struct vblk_phys *b)
{
	return request(b, T_FLUSH, 0, NULL, 0);
}
