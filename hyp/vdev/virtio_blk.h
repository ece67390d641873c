/* SPDX-License-Identifier: MIT */
#ifndef FV_VDEV_VIRTIO_BLK_H
#define FV_VDEV_VIRTIO_BLK_H

/*
 * Emulated virtio-blk device (VIRTIO 1.2 §5.2) on the virtio-mmio transport,
 * backed by a block backend (a physical disk, a slice of one, or a RAM disk
 * in unit tests).
 *
 * One request queue. Offered features: VIRTIO_F_VERSION_1, EVENT_IDX,
 * INDIRECT_DESC, VIRTIO_BLK_F_SEG_MAX, BLK_SIZE, FLUSH, and RO for read-only
 * backends. Requests (spec §5.2.6): a 16-byte device-readable header
 * {le32 type, le32 reserved, le64 sector}, data, and a status byte, which is
 * the last device-writable byte. The device makes no assumption about how
 * the request is split into descriptors (spec §2.7.4): the header may be
 * split, data segments need not be sector multiples (partial sectors go
 * through a bounce buffer). Types IN, OUT, FLUSH and GET_ID are served;
 * others complete with VIRTIO_BLK_S_UNSUPP. Data not a multiple of 512
 * bytes, a range beyond the capacity (overflow-safe), writes to a read-only
 * disk and backend errors complete with VIRTIO_BLK_S_IOERR; the backend is
 * never called outside [0, capacity_sectors). Structural ring errors break
 * the queue and set DEVICE_NEEDS_RESET (see virtq.h). A chain without any
 * device-writable byte cannot carry a status: it is returned with length 0.
 *
 * Durability (spec §5.2.6.2): FLUSH is always offered. If the driver did not
 * negotiate it, every write is followed by a backend flush before it
 * completes, so completed writes are stable either way.
 *
 * Work per call is bounded (VIRTIO_BLK_BUDGET_REQS / _BYTES), so a guest
 * that keeps refilling its queue cannot hold a physical CPU: when the budget
 * runs out, virtio_blk_process() returns true and the owner must call it
 * again later (e.g. on the vCPU's next exit); until then the queue is not
 * re-armed.
 *
 * Asynchronous backends (submit != NULL): IN, OUT and FLUSH requests are
 * validated completely (header, data length a multiple of 512, sector range
 * inside the capacity, read-only) and then handed to submit() with the
 * guest's data pieces as they are (translated, inside the VM's RAM), tagged
 * with an in-flight slot; the chain stays with the device until the owner
 * calls virtio_blk_complete() for that tag, in any order. Status byte and
 * used element are written then, only if the queue was not reset in
 * between (a completion for a chain of a previous driver incarnation is
 * dropped; the owner must make sure the backend no longer writes the
 * chain's buffers after a reset: drain). A submit() that finds no room
 * (-FV_EAGAIN) leaves the chain in the available ring; the owner calls
 * virtio_blk_process() again when the backend has room. Without negotiated
 * FLUSH a write completes only after a FLUSH submitted behind it.
 *
 * Concurrency and snapshots as for struct virtio_mmio: the owner serialises
 * all calls on one instance; backend callbacks run synchronously inside
 * them. The struct holds plain values apart from the transport's pointers,
 * be/be_ctx and the in-flight slots' status pointers.
 */
#include "lib/types.h"
#include "vdev/virtio_mmio.h"

#define VIRTIO_BLK_SECTOR_SIZE  512u
#define VIRTIO_BLK_QUEUE_MAX    256u
#define VIRTIO_BLK_SEG_MAX      (VIRTQ_MAX_SEGS - 2u) /* data segs: + header + status */
#define VIRTIO_BLK_ID_LEN       20u
#define VIRTIO_BLK_CONFIG_SIZE  96u /* struct virtio_blk_config of VIRTIO 1.2 */
#define VIRTIO_BLK_BUDGET_REQS  256u
#define VIRTIO_BLK_BUDGET_BYTES (16u << 20)
#define VIRTIO_BLK_IO_VEC       VIRTQ_MAX_SEGS /* data pieces of one asynchronous request */
#define VIRTIO_BLK_SLOTS        VIRTIO_BLK_QUEUE_MAX

/* Feature bits (spec §5.2.3) */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO       5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9

/* Config space offsets (spec §5.2.4) */
#define VIRTIO_BLK_CFG_CAPACITY 0u  /* le64, 512-byte sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX 8u  /* le32 */
#define VIRTIO_BLK_CFG_SEG_MAX  12u /* le32 */
#define VIRTIO_BLK_CFG_BLK_SIZE 20u /* le32 */

/* Request types and status values (spec §5.2.6) */
#define VIRTIO_BLK_T_IN     0u
#define VIRTIO_BLK_T_OUT    1u
#define VIRTIO_BLK_T_FLUSH  4u
#define VIRTIO_BLK_T_GET_ID 8u
#define VIRTIO_BLK_S_OK     0u
#define VIRTIO_BLK_S_IOERR  1u
#define VIRTIO_BLK_S_UNSUPP 2u
#define VIRTIO_BLK_REQ_HDR  16u

/*
 * Storage behind a virtio-blk device. read/write transfer @len bytes (a
 * non-zero multiple of 512) at @sector; the device guarantees
 * sector + len / 512 <= capacity_sectors. They return 0 or a negative fv_err
 * (reported to the guest as VIRTIO_BLK_S_IOERR). flush makes completed
 * writes stable; NULL means the backend has no volatile cache. read and
 * write are required unless the backend is asynchronous (submit set): then
 * IN, OUT and FLUSH all go through submit.
 */
/*
 * One piece of a transfer: a multiple of 512 bytes for read/write/rwv; any
 * non-zero length for submit, where only the total is whole sectors.
 */
struct virtio_blk_vec {
	void *buf;
	size_t len;
};

/* An asynchronous request: type IN, OUT or FLUSH (n = 0). */
struct virtio_blk_io {
	uint32_t type;
	uint64_t sector;
	const struct virtio_blk_vec *v;
	unsigned n; /* pieces, 0..VIRTIO_BLK_IO_VEC, together a multiple of 512 bytes */
	uint32_t tag;
};

/* A request handed to an asynchronous backend, until virtio_blk_complete(). */
struct virtio_blk_slot {
	uint8_t *status;  /* the chain's status byte (guest RAM); NULL = free slot */
	uint32_t gen;     /* queue generation at pop time */
	uint32_t written; /* used length on success */
	uint16_t head;
	uint8_t type;
	bool flush_after;  /* a write without negotiated FLUSH: flush before completing */
	bool flush_queued; /* that flush still waits for room in the backend */
	uint32_t len;      /* data bytes (statistics) */
};

struct virtio_blk_backend {
	int (*read)(void *ctx, uint64_t sector, void *buf, size_t len);
	int (*write)(void *ctx, uint64_t sector, const void *buf, size_t len);
	/*
	 * Optional: the whole data of one request, @n (1..VIRTIO_BLK_SEG_MAX)
	 * pieces covering consecutive sectors from @sector, in one backend
	 * operation (a physical disk then does one request instead of one per
	 * guest segment). Same range guarantee and return values as read/write.
	 * Used when every piece is a multiple of 512 bytes.
	 */
	int (*rwv)(void *ctx, bool write, uint64_t sector, const struct virtio_blk_vec *v,
	           unsigned n);
	int (*flush)(void *ctx);
	/*
	 * Optional, asynchronous: start one request (@io valid during the
	 * call only). 0: the owner reports its end with virtio_blk_complete(
	 * @io->tag); -FV_EAGAIN: no room now, try later; other errors: the
	 * request fails at once. Same range guarantee as read/write.
	 */
	int (*submit)(void *ctx, const struct virtio_blk_io *io);
	/* After one or more submits: let the backend start them. */
	void (*kick)(void *ctx);
	uint64_t capacity_sectors;
	bool read_only;
};

struct virtio_blk {
	struct virtio_mmio mmio; /* MMIO window: virtio_mmio_read/write(&b->mmio, ...) */
	uint64_t capacity;       /* sectors, from the backend at init */
	bool read_only;
	bool backlog; /* budget ran out: virtio_blk_process() must run again */
	bool waiting; /* the asynchronous backend had no room: process again on its resume */
	bool pushed;  /* used elements written since the last interrupt decision */
	bool kick;    /* requests submitted since the last backend kick */
	uint32_t flushes_queued; /* slots whose flush waits for room */
	char id[VIRTIO_BLK_ID_LEN];
	/* statistics */
	uint64_t requests;
	uint64_t errors; /* completed with a status other than OK */
	uint64_t bytes_read;
	uint64_t bytes_written;
	uint64_t inflight; /* asynchronous requests in flight */
	const struct virtio_blk_backend *be;
	void *be_ctx;
	struct virtio_blk_slot slot[VIRTIO_BLK_SLOTS];
};

/*
 * Initialise @b as a virtio-blk device on backend @be(@be_ctx) with host
 * callbacks @host(@host_ctx) (guest memory of this VM, interrupt line).
 * @id is the GET_ID serial (up to 20 bytes used, NUL-padded; NULL = empty).
 * Returns 0 or -FV_EINVAL (no backend read/write). Caller owns @b.
 */
int virtio_blk_init(struct virtio_blk *b, const struct virtio_blk_backend *be, void *be_ctx,
                    const struct virtio_mmio_host *host, void *host_ctx, const char *id);

/*
 * Serve available requests, up to the per-call budget, and raise the used
 * buffer interrupt as event index / NO_INTERRUPT allow. Called from the
 * queue notification; the owner calls it again while it returns true
 * (b->backlog). Returns false when the queue was drained or is not running.
 */
bool virtio_blk_process(struct virtio_blk *b);

/*
 * The asynchronous request @tag ended with @status (VIRTIO_BLK_S_*): write
 * its status byte and used element unless the queue was reset since it was
 * popped (then only the slot is freed). Unknown or free tags are ignored.
 * Call virtio_blk_complete_end() after a batch.
 */
void virtio_blk_complete(struct virtio_blk *b, uint32_t tag, uint8_t status);
/* After completions: interrupt the driver as event index / NO_INTERRUPT allow. */
void virtio_blk_complete_end(struct virtio_blk *b);

#endif
