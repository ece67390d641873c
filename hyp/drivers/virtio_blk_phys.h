/* SPDX-License-Identifier: MIT */
#ifndef FV_DRIVERS_VIRTIO_BLK_PHYS_H
#define FV_DRIVERS_VIRTIO_BLK_PHYS_H

/*
 * Physical virtio-blk disk (VIRTIO 1.2 §5.2), asynchronous: many requests in
 * flight on virtio-mmio queue 0 (vphys_post / vphys_notify / vphys_harvest),
 * completed by the device's interrupt (vblk_phys_irq) or, without one, by
 * polling (vblk_phys_poll). Sector size 512; FLUSH is negotiated, so the
 * device may cache writes until a FLUSH request.
 *
 * Users are clients (one per VM disk or slice) that submit requests tagged
 * with their own 32-bit tag and get completions back through their
 * complete() callback, in batches, in whatever order the device finishes
 * them. Each request is the driver's own header and status byte (per-slot
 * DMA records here) around the caller's data pieces, which are host
 * physical buffers the device reads or writes directly (for guests: their
 * RAM, no bounce copy).
 *
 * Sharing: a client may hold at most its share of the ring's descriptors
 * (the ring divided among the attached clients, but never less than one
 * request of the largest size); a submission that finds no room (share used
 * up, ring or slots full) fails with -FV_EAGAIN and marks the client
 * waiting. When completions free room, waiting clients get resume() in
 * round-robin order, so a busy client cannot starve the others.
 *
 * Concurrency: any CPU may call anything. b->lock protects slots and client
 * accounting; it is never held while a callback runs, so callbacks may
 * submit. Callbacks run on the CPU that polls (the interrupt's CPU, or any
 * CPU that calls vblk_phys_poll/vblk_phys_drain) with no lock of this
 * driver held; the caller of vblk_phys_poll/drain must not hold a lock that
 * a callback takes. Lock order: client (VM device) lock -> b->lock -> queue
 * lock.
 *
 * A device that breaks the ring protocol or does not finish a drain within
 * VPHYS_TIMEOUT_NS is marked broken (and reset, so it stops DMA); every
 * request in flight then completes with VBLK_S_IOERR and later submissions
 * fail with -FV_EIO.
 */
#include "drivers/virtio_mmio_phys.h"

#define VBLK_SECTOR  512ULL
#define VBLK_F_FLUSH 9
/* Data pieces per request (a guest chain has at most 64 descriptors). */
#define VBLK_MAX_VEC 64
/* Request slots: each request takes at least two descriptors, so the ring fills first. */
#define VBLK_SLOTS        (VPHYS_QSIZE / 2)
#define VBLK_MAX_CLIENTS  16
#define VBLK_MIN_SHARE    (VBLK_MAX_VEC + 2) /* descriptors: one request of the largest size */
#define VBLK_DONE_BATCH   32                 /* completions handed over per callback */
#define VBLK_RECORD_BYTES 32                 /* DMA per slot: header, status byte */
#define VBLK_STALL_TICKS  3                  /* ticks without progress before a re-kick */

/* Request types and status values (VIRTIO 1.2 §5.2.6). */
#define VBLK_T_IN     0U
#define VBLK_T_OUT    1U
#define VBLK_T_FLUSH  4U
#define VBLK_S_OK     0U
#define VBLK_S_IOERR  1U
#define VBLK_S_UNSUPP 2U

/* One piece of a transfer: host physical buffer. */
struct vblk_vec {
	hpa_t addr;
	uint32_t len;
};

/* A finished request: the client's tag and the device's status (VBLK_S_*). */
struct vblk_done {
	uint32_t tag;
	uint8_t status;
};

/*
 * A user of the disk. Set complete, resume and ctx, then vblk_phys_attach().
 * The other fields belong to the driver.
 */
struct vblk_client {
	/* @n (1..VBLK_DONE_BATCH) requests finished. No driver lock held. */
	void (*complete)(void *ctx, const struct vblk_done *done, unsigned n);
	/* A submission of this client failed with -FV_EAGAIN and room is free again. */
	void (*resume)(void *ctx);
	void *ctx;
	uint32_t inflight; /* atomic: submitted, complete() not yet returned for them */
	uint32_t cb_refs;  /* atomic: resume() calls running */
	uint16_t descs;    /* b->lock: descriptors in flight */
	bool waiting;      /* b->lock: refused for lack of room */
	bool attached;     /* b->lock */
};

struct vblk_slot {
	struct vblk_client *client; /* NULL = free */
	uint32_t tag;
	uint16_t ndesc;
};

struct vblk_phys {
	struct vphys_dev dev;
	uint64_t capacity;    /* sectors */
	struct spinlock lock; /* protects everything below */
	uint8_t *dma;         /* VBLK_SLOTS records of VBLK_RECORD_BYTES: header, status */
	struct vblk_slot slot[VBLK_SLOTS];
	uint16_t head_slot[VPHYS_QSIZE]; /* ring head id -> slot */
	uint16_t free_slot[VBLK_SLOTS];  /* stack of free slots */
	uint16_t nfree;
	struct vblk_client *client[VBLK_MAX_CLIENTS];
	unsigned nclients;
	unsigned rr; /* next client to resume first */
	bool irq_driven;
	unsigned irq;      /* host interrupt source when irq_driven (hostdev) */
	uint32_t reroutes; /* atomic: times its interrupt followed its VM to another CPU */
	bool fixed_irq;    /* re-routing failed once (a port without routing): never retried */
	uint64_t submitted, completed, refused, failed; /* requests */
	uint32_t max_inflight;                          /* most requests in flight at once */
	uint64_t by_irq, by_tick; /* atomic: requests finished by the interrupt, by the tick */
	uint64_t by_halt;         /* atomic: ... by a halting vCPU's poll (vm_virtio_halt_poll) */
	uint64_t by_notify; /* atomic: ... by a notifying vCPU's poll (vm_virtio.c, issue #15) */
	uint32_t quiet;     /* atomic: notify polls running; the device's interrupts are off */
	uint32_t stalled_ticks; /* tick only: ticks with requests in flight, none finished */
	uint64_t rekicks;       /* tick only: kicks sent after a stall */
};

/*
 * Bring up the disk at a virtio-mmio slot. Boot CPU, before the disk is
 * shared. 0, -FV_ENOENT if the slot is empty or not a block device, else
 * the errors of vphys_init().
 */
int vblk_phys_init(struct vblk_phys *b, uintptr_t base);

/*
 * Register / unregister a client. attach: 0 or -FV_ENOSPC. detach waits for
 * the client's requests and callbacks to finish (vblk_phys_drain) first;
 * the caller holds no lock a callback takes and submits nothing more.
 */
int vblk_phys_attach(struct vblk_phys *b, struct vblk_client *c);
void vblk_phys_detach(struct vblk_phys *b, struct vblk_client *c);

/*
 * Queue one request without notifying the device: @type VBLK_T_IN (device
 * writes the pieces), VBLK_T_OUT or VBLK_T_FLUSH (n = 0), @n pieces of
 * non-zero length together a multiple of 512 bytes covering sectors from
 * @sector, which must lie inside the disk. 0 (complete() follows, exactly
 * once), -FV_EAGAIN (no room now: resume() follows), -FV_EINVAL, -FV_ERANGE
 * or -FV_EIO (broken device). Follow a batch with vblk_phys_kick().
 */
int vblk_phys_submit(struct vblk_phys *b, struct vblk_client *c, uint32_t type, uint64_t sector,
                     const struct vblk_vec *v, unsigned n, uint32_t tag);
/* Notify the device of the requests queued since the last kick (§2.7.13.3). */
void vblk_phys_kick(struct vblk_phys *b);

/*
 * Take finished requests off the ring and hand them to their clients, then
 * resume waiting clients. Returns the number of requests finished. Any CPU,
 * no client lock held.
 */
unsigned vblk_phys_poll(struct vblk_phys *b);
/* The device's interrupt: acknowledge, then poll. Any CPU (registered movable: irq.h). */
void vblk_phys_irq(void *arg);
/* vblk_phys_poll() for a vCPU about to halt; counted apart. */
unsigned vblk_phys_halt_poll(struct vblk_phys *b);
/*
 * vblk_phys_poll() for a vCPU that just notified its only request and will
 * wait for it: acknowledges the device's interrupt first, as vblk_phys_irq()
 * does, so a completion found here does not also cost a host interrupt (the
 * virtio-mmio line is level: acked, it drops before the PLIC delivers it; an
 * interrupt already on its way finds nothing, which is harmless). Counted
 * apart. Any CPU, no client lock held.
 */
unsigned vblk_phys_notify_poll(struct vblk_phys *b);
/*
 * Around a notify poll (any CPU, no client lock held, begin and end paired):
 * begin turns the device's used-buffer interrupts off while a poller looks
 * (the first of several), so a completion it finds costs no host interrupt
 * even when the device would raise it only after the used ring shows it;
 * end turns them on again (the last poller) and then polls once more, so a
 * request that finished while they were off is never left waiting for the
 * tick. Returns the requests that last poll finished.
 */
void vblk_phys_quiet_begin(struct vblk_phys *b);
unsigned vblk_phys_quiet_end(struct vblk_phys *b);
/*
 * Periodic fallback (the console tick): poll if anything is in flight, so a
 * late or missing interrupt delays a completion by one tick at most.
 */
void vblk_phys_tick(struct vblk_phys *b);

/*
 * Wait until every request of @c has completed (and its complete() has
 * returned), polling the device. After VPHYS_TIMEOUT_NS the device is
 * marked broken and reset (no more DMA), and the rest fail. No client lock
 * held. After the drain no DMA of @c's requests reaches memory any more.
 */
void vblk_phys_drain(struct vblk_phys *b, struct vblk_client *c);

#endif
