// SPDX-License-Identifier: MIT
/*
 * Physical virtio-blk, asynchronous: request = header, data, status byte
 * (VIRTIO 1.2 §5.2.6), many in flight, finished by interrupt or poll.
 */
#include "drivers/virtio_blk_phys.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/mem.h"
#include "core/timer.h"
#include "lib/string.h"

#define NO_SLOT 0xffffU

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

_Static_assert(sizeof(struct blk_hdr) + 1 <= VBLK_RECORD_BYTES, "a record holds header and status");
_Static_assert(VBLK_SLOTS <= NO_SLOT, "slot numbers fit head_slot");

/* A finished request on its way to its client. */
struct done_rec {
	struct vblk_client *client;
	struct vblk_done done;
};

int vblk_phys_init(struct vblk_phys *b, uintptr_t base)
{
	memset(b, 0, sizeof(*b));
	spin_init(&b->lock);
	/*
	 * FLUSH (§5.2.3): the device may then cache writes (QEMU: writeback
	 * instead of a host sync per write); clients send FLUSH requests when
	 * their guest needs durability.
	 */
	int ret = vphys_init(&b->dev, base, VIRTIO_ID_BLOCK, 1ULL << VBLK_F_FLUSH, 1);
	if (ret)
		return ret;
	/* capacity: le64 at offset 0 (§5.2.4), read under ConfigGeneration. */
	vphys_config_read(&b->dev, 0, &b->capacity, sizeof(b->capacity));
	size_t pages = ALIGN_UP((size_t)VBLK_SLOTS * VBLK_RECORD_BYTES, PAGE_SIZE) / PAGE_SIZE;
	hpa_t pa;
	if (mem_alloc_pages(pages, 1, &pa) != 0) {
		vphys_shutdown(&b->dev);
		return -FV_ENOMEM;
	}
	b->dma = mem_phys_to_virt(pa);
	memset(b->dma, 0, pages * PAGE_SIZE);
	for (unsigned i = 0; i < VBLK_SLOTS; i++)
		b->free_slot[i] = (uint16_t)(VBLK_SLOTS - 1 - i);
	b->nfree = VBLK_SLOTS;
	for (unsigned i = 0; i < VPHYS_QSIZE; i++)
		b->head_slot[i] = NO_SLOT;
	return 0;
}

int vblk_phys_attach(struct vblk_phys *b, struct vblk_client *c)
{
	int ret = -FV_ENOSPC;
	spin_lock(&b->lock);
	if (b->nclients < VBLK_MAX_CLIENTS) {
		c->inflight = 0;
		c->cb_refs = 0;
		c->descs = 0;
		c->waiting = false;
		c->attached = true;
		b->client[b->nclients++] = c;
		ret = 0;
	}
	spin_unlock(&b->lock);
	return ret;
}

void vblk_phys_detach(struct vblk_phys *b, struct vblk_client *c)
{
	vblk_phys_drain(b, c);
	spin_lock(&b->lock);
	for (unsigned i = 0; i < b->nclients; i++) {
		if (b->client[i] != c)
			continue;
		b->client[i] = b->client[--b->nclients];
		b->client[b->nclients] = NULL;
		break;
	}
	c->attached = false;
	c->waiting = false;
	spin_unlock(&b->lock);
	/* A resume() picked up before we left the list may still run: wait for it. */
	while (__atomic_load_n(&c->cb_refs, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
}

/* b->lock held: descriptors @c may hold (its fair share of the ring). */
static unsigned share_locked(const struct vblk_phys *b)
{
	unsigned ring = b->dev.q[0].size, n = b->nclients ? b->nclients : 1;
	unsigned share = ring / n;
	return share < VBLK_MIN_SHARE ? VBLK_MIN_SHARE : share;
}

static bool vecs_ok(const struct vblk_phys *b, uint32_t type, uint64_t sector,
                    const struct vblk_vec *v, unsigned n, int *err)
{
	*err = -FV_EINVAL;
	if (type == VBLK_T_FLUSH)
		return n == 0;
	if ((type != VBLK_T_IN && type != VBLK_T_OUT) || n == 0 || n > VBLK_MAX_VEC)
		return false;
	uint64_t len = 0;
	for (unsigned i = 0; i < n; i++) {
		if (v[i].len == 0)
			return false;
		len += v[i].len;
	}
	/* The device checks only the total (§5.2.6: a multiple of 512 bytes), as do we. */
	if (len % VBLK_SECTOR)
		return false;
	uint64_t nsec = len / VBLK_SECTOR;
	*err = -FV_ERANGE;
	return sector < b->capacity && nsec <= b->capacity - sector;
}

int vblk_phys_submit(struct vblk_phys *b, struct vblk_client *c, uint32_t type, uint64_t sector,
                     const struct vblk_vec *v, unsigned n, uint32_t tag)
{
	int ret;
	if (!vecs_ok(b, type, sector, v, n, &ret))
		return ret;
	unsigned ndesc = n + 2;
	spin_lock(&b->lock);
	if (!c->attached || vphys_is_broken(&b->dev)) {
		spin_unlock(&b->lock);
		return -FV_EIO;
	}
	if (b->nfree == 0 || c->descs + ndesc > share_locked(b)) {
		ret = -FV_EAGAIN;
		goto refuse;
	}
	uint16_t s = b->free_slot[b->nfree - 1];
	uint8_t *rec = b->dma + (size_t)s * VBLK_RECORD_BYTES;
	struct blk_hdr *h = (struct blk_hdr *)rec;
	volatile uint8_t *status = rec + sizeof(*h);
	h->type = type;
	h->reserved = 0;
	h->sector = type == VBLK_T_FLUSH ? 0 : sector;
	/* Not a status the device sends: a request it never finished reads as an error. */
	*status = 0xff;
	hpa_t dma = (hpa_t)(uintptr_t)rec;
	struct vphys_seg segs[VBLK_MAX_VEC + 2];
	unsigned k = 0;
	segs[k++] = (struct vphys_seg){dma, sizeof(*h), false};
	for (unsigned i = 0; i < n; i++)
		segs[k++] = (struct vphys_seg){v[i].addr, v[i].len, type == VBLK_T_IN};
	segs[k++] = (struct vphys_seg){dma + sizeof(*h), 1, true};
	uint16_t head;
	ret = vphys_post(&b->dev, 0, segs, k, &head);
	if (ret == -FV_EAGAIN)
		goto refuse;
	if (ret) {
		spin_unlock(&b->lock);
		return ret;
	}
	b->nfree--;
	b->slot[s] = (struct vblk_slot){c, tag, (uint16_t)ndesc};
	b->head_slot[head] = s;
	c->descs = (uint16_t)(c->descs + ndesc);
	__atomic_fetch_add(&c->inflight, 1, __ATOMIC_RELAXED);
	b->submitted++;
	uint32_t now = (uint32_t)(VBLK_SLOTS - b->nfree);
	if (now > b->max_inflight)
		b->max_inflight = now;
	spin_unlock(&b->lock);
	return 0;
refuse:
	c->waiting = true;
	b->refused++;
	spin_unlock(&b->lock);
	return ret;
}

void vblk_phys_kick(struct vblk_phys *b)
{
	vphys_notify(&b->dev, 0);
}

/* b->lock held: slot @s finished with @status; its record goes to @out. */
static void finish_locked(struct vblk_phys *b, uint16_t s, uint8_t status, struct done_rec *out)
{
	struct vblk_slot *sl = &b->slot[s];
	out->client = sl->client;
	out->done = (struct vblk_done){sl->tag, status};
	sl->client->descs = (uint16_t)(sl->client->descs - sl->ndesc);
	*sl = (struct vblk_slot){NULL, 0, 0};
	b->free_slot[b->nfree++] = s;
	b->completed++;
}

/*
 * b->lock held: up to @max finished requests into @out. A broken device
 * finishes everything in flight with an error: it was reset when it broke
 * (vphys_mark_broken), so none of those buffers is written any more.
 */
static unsigned harvest_locked(struct vblk_phys *b, struct done_rec *out, unsigned max)
{
	unsigned n = 0;
	while (n < max) {
		uint16_t head;
		uint32_t len;
		int r = vphys_harvest(&b->dev, 0, &head, &len);
		if (r == 0)
			break;
		if (r < 0) {
			for (uint16_t h = 0; h < VPHYS_QSIZE && n < max; h++) {
				uint16_t s = b->head_slot[h];
				if (s == NO_SLOT)
					continue;
				b->head_slot[h] = NO_SLOT;
				b->failed++;
				finish_locked(b, s, VBLK_S_IOERR, &out[n++]);
			}
			break;
		}
		uint16_t s = b->head_slot[head];
		b->head_slot[head] = NO_SLOT;
		if (s == NO_SLOT) {
			/* vphys_harvest() checked the id is in flight: our tables disagree. */
			vphys_mark_broken(&b->dev, "completion without a request slot");
			continue;
		}
		/* The status byte is the chain's last writable byte: len 0 means never written. */
		uint8_t st = *(volatile uint8_t *)(b->dma + (size_t)s * VBLK_RECORD_BYTES +
		                                   sizeof(struct blk_hdr));
		if (len == 0 || st > VBLK_S_UNSUPP)
			st = VBLK_S_IOERR;
		finish_locked(b, s, st, &out[n++]);
	}
	return n;
}

/* Hand @n records to their clients, consecutive ones of one client in one call. */
static void dispatch(const struct done_rec *rec, unsigned n)
{
	struct vblk_done batch[VBLK_DONE_BATCH];
	for (unsigned i = 0; i < n;) {
		struct vblk_client *c = rec[i].client;
		unsigned k = 0;
		while (i < n && rec[i].client == c && k < VBLK_DONE_BATCH)
			batch[k++] = rec[i++].done;
		c->complete(c->ctx, batch, k);
		/* Only now may a drain of c end: c's callback has returned. */
		__atomic_fetch_sub(&c->inflight, k, __ATOMIC_RELEASE);
	}
}

/* Resume the waiting clients, round robin; each callback pinned by cb_refs. */
static void resume_waiters(struct vblk_phys *b)
{
	struct vblk_client *w[VBLK_MAX_CLIENTS];
	unsigned nw = 0;
	spin_lock(&b->lock);
	unsigned nc = b->nclients;
	for (unsigned i = 0; i < nc; i++) {
		struct vblk_client *c = b->client[(b->rr + i) % nc];
		if (!c->waiting)
			continue;
		c->waiting = false;
		__atomic_fetch_add(&c->cb_refs, 1, __ATOMIC_RELAXED);
		w[nw++] = c;
	}
	if (nc)
		b->rr = (b->rr + 1) % nc;
	spin_unlock(&b->lock);
	for (unsigned i = 0; i < nw; i++) {
		w[i]->resume(w[i]->ctx);
		__atomic_fetch_sub(&w[i]->cb_refs, 1, __ATOMIC_RELEASE);
	}
}

unsigned vblk_phys_poll(struct vblk_phys *b)
{
	struct done_rec rec[VBLK_DONE_BATCH];
	unsigned total = 0, n;
	do {
		spin_lock(&b->lock);
		n = harvest_locked(b, rec, VBLK_DONE_BATCH);
		spin_unlock(&b->lock);
		dispatch(rec, n);
		total += n;
	} while (n == VBLK_DONE_BATCH);
	if (total)
		resume_waiters(b);
	return total;
}

void vblk_phys_irq(void *arg)
{
	struct vblk_phys *b = arg;
	/* Ack first: a request finishing while we poll raises the line again. */
	vphys_ack_interrupt(&b->dev);
	__atomic_fetch_add(&b->by_irq, vblk_phys_poll(b), __ATOMIC_RELAXED);
}

unsigned vblk_phys_halt_poll(struct vblk_phys *b)
{
	unsigned n = vblk_phys_poll(b);
	__atomic_fetch_add(&b->by_halt, n, __ATOMIC_RELAXED);
	return n;
}

unsigned vblk_phys_notify_poll(struct vblk_phys *b)
{
	/* Cheap test first: nothing on the used ring, nothing to acknowledge or harvest. */
	if (!vphys_has_used(&b->dev, 0))
		return 0;
	vphys_ack_interrupt(&b->dev);
	unsigned n = vblk_phys_poll(b);
	__atomic_fetch_add(&b->by_notify, n, __ATOMIC_RELAXED);
	return n;
}

void vblk_phys_quiet_begin(struct vblk_phys *b)
{
	if (__atomic_fetch_add(&b->quiet, 1, __ATOMIC_ACQ_REL) == 0)
		vphys_set_interrupts(&b->dev, 0, false);
}

unsigned vblk_phys_quiet_end(struct vblk_phys *b)
{
	/*
	 * A begin racing this end may turn them off after we turned them on:
	 * its own end turns them on again and polls, as this one does now.
	 */
	if (__atomic_sub_fetch(&b->quiet, 1, __ATOMIC_ACQ_REL) == 0)
		vphys_set_interrupts(&b->dev, 0, true);
	unsigned n = vblk_phys_notify_poll(b);
	return n;
}

void vblk_phys_tick(struct vblk_phys *b)
{
	/* Racy peek: nothing in flight, nothing to do (the common case on an idle disk). */
	if (__atomic_load_n(&b->nfree, __ATOMIC_RELAXED) == VBLK_SLOTS) {
		b->stalled_ticks = 0;
		return;
	}
	unsigned n = vblk_phys_poll(b);
	__atomic_fetch_add(&b->by_tick, n, __ATOMIC_RELAXED);
	/*
	 * Requests in flight and none finished for a few ticks: kick again, in
	 * case a notification was lost (a kick is harmless, the device only
	 * looks at the rings).
	 */
	b->stalled_ticks = n ? 0 : b->stalled_ticks + 1;
	if (b->stalled_ticks >= VBLK_STALL_TICKS) {
		b->stalled_ticks = 0;
		b->rekicks++;
		vphys_kick_always(&b->dev, 0);
	}
}

void vblk_phys_drain(struct vblk_phys *b, struct vblk_client *c)
{
	uint64_t t0 = time_now_ns();
	while (__atomic_load_n(&c->inflight, __ATOMIC_ACQUIRE)) {
		if (vblk_phys_poll(b) == 0) {
			if (time_now_ns() - t0 > VPHYS_TIMEOUT_NS) {
				/* Resets the device: its DMA stops, so failing the rest is safe. */
				vphys_mark_broken(&b->dev,
				                  "requests did not finish during a drain");
				t0 = time_now_ns();
			}
			arch_cpu_relax();
		}
	}
}
