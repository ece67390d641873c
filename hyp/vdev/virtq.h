/* SPDX-License-Identifier: MIT */
#ifndef FV_VDEV_VIRTQ_H
#define FV_VDEV_VIRTQ_H

/*
 * Device side of a VIRTIO 1.2 split virtqueue (spec §2.7 "Split
 * Virtqueues"), for the hypervisor's emulated virtio devices.
 *
 * Everything in the rings comes from the guest and is hostile. Guest memory
 * is reached only through a translation callback that returns NULL unless
 * [gpa, gpa + len) lies entirely inside that VM's RAM, so the queue can never
 * touch memory outside the VM. Each guest value is loaded exactly once into
 * a local before it is checked (no double fetch). Any structural violation
 * (bad ring address, avail index jump, descriptor index out of range, chain
 * loop, bad indirect table, readable-after-writable, too many segments,
 * total length over VIRTQ_MAX_CHAIN_LEN) marks the queue broken: it then
 * neither reads nor writes guest memory until reset, and the transport sets
 * DEVICE_NEEDS_RESET (spec §2.1.2).
 *
 * The host is assumed little-endian (every supported architecture is), so
 * the le16/le32/le64 ring fields are used as they are.
 *
 * Concurrency: a virtq is not internally locked; the owner of the device
 * serialises every call on one queue (e.g. with the VM's device lock). The
 * guest driver runs concurrently on other CPUs: ring accesses are ordered
 * with the barriers below as spec §2.7.13 ("Supplying Buffers") and §2.7.14
 * ("Receiving Used Buffers") require.
 *
 * Snapshots: struct virtq holds plain values apart from the translation
 * callback and its context; size is re-validated on every use, so a
 * corrupted image cannot make the queue index out of bounds.
 */
#include "lib/types.h"

#include "arch/barrier.h"

/* Memory ordering against the guest's driver on another CPU (the architecture's fences). */
#define virtq_barrier() arch_smp_mb()
#define virtq_rmb()     arch_smp_rmb()
#define virtq_wmb()     arch_smp_wmb()

#define VIRTQ_SIZE_MAX      32768u     /* spec §2.7: largest Queue Size */
#define VIRTQ_MAX_SEGS      64u        /* descriptors per chain we accept */
#define VIRTQ_MAX_CHAIN_LEN (1u << 30) /* total bytes per chain we accept */
#define VIRTQ_DESC_ALIGN    16u
#define VIRTQ_AVAIL_ALIGN   2u
#define VIRTQ_USED_ALIGN    4u

/* struct virtq_desc flags (spec §2.7.5) */
#define VIRTQ_DESC_F_NEXT     1u
#define VIRTQ_DESC_F_WRITE    2u
#define VIRTQ_DESC_F_INDIRECT 4u
#define VIRTQ_DESC_SIZE       16u

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u /* avail->flags (spec §2.7.7) */
#define VIRTQ_USED_F_NO_NOTIFY     1u /* used->flags (spec §2.7.10) */

/* Why a queue broke (first error only; for diagnostics and tests). */
enum virtq_error {
	VIRTQ_OK = 0,
	VIRTQ_ERR_RING,      /* ring area misaligned or not in RAM, bad size */
	VIRTQ_ERR_AVAIL_IDX, /* avail->idx moved more than size past us */
	VIRTQ_ERR_HEAD,      /* head index >= size */
	VIRTQ_ERR_NEXT,      /* next index >= table length */
	VIRTQ_ERR_LOOP,      /* chain longer than its table */
	VIRTQ_ERR_ADDR,      /* buffer not entirely in RAM */
	VIRTQ_ERR_INDIRECT,  /* indirect not negotiated, nested, with NEXT, bad len */
	VIRTQ_ERR_ORDER,     /* device-readable after device-writable */
	VIRTQ_ERR_SEGS,      /* more than VIRTQ_MAX_SEGS descriptors */
	VIRTQ_ERR_LEN,       /* total length over VIRTQ_MAX_CHAIN_LEN */
};

/* Translate [gpa, gpa + len) of this VM's RAM; NULL if not entirely in RAM. */
typedef void *(*virtq_gpa_to_hva_fn)(void *ctx, uint64_t gpa, uint64_t len);

/*
 * The device wrote [hva, hva + len) of this VM's RAM (a range the translation returned),
 * not through the guest's stage 2. Returns whether a dirty log runs (live migration): only
 * then does the queue report the rest of what the device wrote for the same chain.
 */
typedef bool (*virtq_dirty_fn)(void *ctx, const void *hva, uint64_t len);

/* One guest buffer of a chain, already translated and bounds-checked. */
struct virtq_seg {
	uint8_t *hva;
	uint32_t len; /* > 0: zero-length descriptors are skipped */
};

/*
 * A popped descriptor chain: seg[0 .. nread-1] are device-readable,
 * seg[nread .. nread+nwrite-1] device-writable (spec §2.7.4.2 order).
 */
struct virtq_chain {
	uint16_t head;     /* id to return through virtq_push() */
	uint16_t nread;    /* readable segments */
	uint16_t nwrite;   /* writable segments */
	uint32_t gen;      /* queue generation at pop time, see virtq_push_chain() */
	uint32_t read_len; /* total readable bytes */
	uint32_t write_len;
	struct virtq_seg seg[VIRTQ_MAX_SEGS];
};

struct virtq {
	/* as programmed by the driver (transport registers) */
	gpa_t desc_gpa;  /* Descriptor Area */
	gpa_t avail_gpa; /* Driver Area */
	gpa_t used_gpa;  /* Device Area */
	uint16_t size;   /* Queue Size, valid once ready */
	bool ready;
	bool broken;
	bool event_idx; /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;  /* VIRTIO_F_INDIRECT_DESC negotiated */
	uint8_t error;  /* enum virtq_error: why broken */
	/* device-side ring state */
	uint16_t last_avail;  /* next avail ring slot to consume */
	uint16_t used_idx;    /* our copy of used->idx */
	uint16_t signal_used; /* used_idx at the last virtq_should_notify() */
	uint32_t unsignalled; /* pushes since then (event-idx wrap guard) */
	uint32_t gen;         /* bumped by every reset: stale chains are refused */
	uint32_t inflight;    /* popped, not yet pushed */
	/* guest memory access */
	virtq_gpa_to_hva_fn gpa_to_hva;
	virtq_dirty_fn dirty; /* optional: device writes reported (virtq_set_dirty) */
	void *mem_ctx;
};

/*
 * Initialise @q as an unconfigured, not-ready queue reaching guest memory
 * through @fn(@ctx, ...). Caller owns @q.
 */
void virtq_init(struct virtq *q, virtq_gpa_to_hva_fn fn, void *ctx);

/*
 * Report the device's writes into guest RAM through @fn(ctx of virtq_init, ...)
 * (NULL: none): every virtq_push reports the used element and used->idx,
 * and, when @fn says a log runs, every device-writable buffer of the chain
 * pushed (walked again from the descriptor table, which the driver must not
 * change before it sees the used element); a pop that publishes avail_event
 * reports that word. Always after the write, so a log read in between sees
 * the page dirty again later. Kept across resets.
 */
void virtq_set_dirty(struct virtq *q, virtq_dirty_fn fn);

/*
 * Device or queue reset: not ready, not broken, indices zero, generation
 * bumped; the translation callback is kept. Does not touch guest memory.
 */
void virtq_reset(struct virtq *q);

/*
 * QueueReady = 0: stop using the queue like virtq_reset(), but keep the
 * programmed size and addresses so the driver can re-enable it.
 */
void virtq_disable(struct virtq *q);

/*
 * Make the queue ready (QueueReady = 1) with the programmed size and
 * addresses. Checks (spec §2.7): size a power of two in 1..@max_size
 * (<= VIRTQ_SIZE_MAX), areas aligned 16/2/4 (guest and host addresses) and
 * entirely in RAM including the event-index words. Returns 0; on violation -FV_EINVAL with the
 * queue broken and not ready. Reads or writes no guest memory.
 */
int virtq_enable(struct virtq *q, uint16_t size, gpa_t desc, gpa_t avail, gpa_t used,
                 uint16_t max_size, bool event_idx, bool indirect);

/*
 * Pop the next available chain into @c (spec §2.7.13 from the device side).
 * Returns 1 with @c filled, 0 if nothing is available (or the queue is not
 * ready), -FV_EIO if the queue is or becomes broken (@c is then undefined).
 * With event index, an empty queue publishes avail_event = last_avail and
 * re-checks, so a notification racing with the check is never lost.
 * Guest-controlled input.
 */
int virtq_pop(struct virtq *q, struct virtq_chain *c);

/*
 * Return chain @head to the driver with @written bytes (spec §2.7.8): writes
 * the used element, then (after a write barrier) used->idx. Returns 0,
 * -FV_EIO if the queue is not ready or broken (nothing written), -FV_EINVAL
 * if head >= size. The caller is responsible for @written not exceeding what
 * it wrote; prefer virtq_push_chain().
 */
int virtq_push(struct virtq *q, uint16_t head, uint32_t written);

/*
 * Like virtq_push() for a chain popped from @q, but refuses (-FV_EBUSY) a
 * chain popped before the last reset (its buffers belong to a previous
 * driver incarnation) and clamps @written to the chain's writable length.
 */
int virtq_push_chain(struct virtq *q, const struct virtq_chain *c, uint32_t written);

/*
 * Like virtq_push() for a chain popped at queue generation @gen (its
 * struct virtq_chain no longer kept): -FV_EBUSY if the queue was reset
 * since. The caller keeps @written within the chain's writable length.
 */
int virtq_push_gen(struct virtq *q, uint16_t head, uint32_t gen, uint32_t written);

/*
 * Give back the chain popped last (@c, not pushed): the next pop returns it
 * again, re-read from the rings. For a device that found no room for it.
 */
void virtq_unpop(struct virtq *q, const struct virtq_chain *c);

/*
 * After one or more pushes: whether to send a used buffer notification
 * (spec §2.7.10). Without event index: unless avail->flags has
 * VIRTQ_AVAIL_F_NO_INTERRUPT. With it: if used_event lies in the range of
 * used indices written since the previous call. false if not ready/broken.
 */
bool virtq_should_notify(struct virtq *q);

/*
 * Copy up to @len bytes of the chain's readable part, from byte @off of that
 * part, to @dst. Returns the number of bytes copied (short at the end).
 */
size_t virtq_chain_read(const struct virtq_chain *c, size_t off, void *dst, size_t len);

/*
 * Copy up to @len bytes from @src into the chain's writable part at byte
 * @off of that part. Returns the number of bytes copied.
 */
size_t virtq_chain_write(const struct virtq_chain *c, size_t off, const void *src, size_t len);

static inline bool virtq_is_ready(const struct virtq *q)
{
	return q->ready && !q->broken;
}

#endif
