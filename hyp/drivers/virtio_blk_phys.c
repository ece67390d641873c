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
	int ret = vphys_probe(&b->dev, base);
	if (ret)
		return ret;
	if (b->dev.device_id != VIRTIO_ID_BLOCK)
		return -FV_ENOENT;
	b->capacity = (uint64_t)vphys_config_read32(&b->dev, 0) |
	              ((uint64_t)vphys_config_read32(&b->dev, 4) << 32);
	hpa_t pa;
	if (mem_alloc_pages(1, 1, &pa) != 0)
		return -FV_ENOMEM;
	b->dma = mem_phys_to_virt(pa);
	return 0;
}

static int request(struct vblk_phys *b, uint32_t type, uint64_t sector, hpa_t buf, uint64_t len)
{
	struct blk_hdr *h = b->dma;
	volatile uint8_t *status = (uint8_t *)b->dma + sizeof(*h);
	hpa_t dma = (hpa_t)(uintptr_t)b->dma;
	h->type = type;
	h->reserved = 0;
	h->sector = sector;
	*status = 0xff;
	struct vphys_seg segs[3];
	unsigned n = 0;
	segs[n++] = (struct vphys_seg){dma, sizeof(*h), false};
	if (len)
		segs[n++] = (struct vphys_seg){buf, (uint32_t)len, type == T_IN};
	segs[n++] = (struct vphys_seg){dma + sizeof(*h), 1, true};
	long ret = vphys_submit(&b->dev, segs, n);
	if (ret < 0 || *status != S_OK)
		return -FV_EIO;
	return 0;
}

int vblk_phys_rw(struct vblk_phys *b, bool write, uint64_t sector, hpa_t buf, uint64_t len)
{
	if (len == 0 || len % VBLK_SECTOR || len > 0x80000000ULL)
		return -FV_EINVAL;
	uint64_t n = len / VBLK_SECTOR;
	if (sector >= b->capacity || n > b->capacity - sector)
		return -FV_ERANGE;
	/* The data segment is one descriptor: at most 2 GiB, checked above. */
	return request(b, write ? T_OUT : T_IN, sector, buf, len);
}

int vblk_phys_flush(struct vblk_phys *b)
{
	return request(b, T_FLUSH, 0, 0, 0);
}
