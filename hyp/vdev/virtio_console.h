/* SPDX-License-Identifier: MIT */
#ifndef FV_VDEV_VIRTIO_CONSOLE_H
#define FV_VDEV_VIRTIO_CONSOLE_H

/*
 * Emulated virtio-console device (VIRTIO 1.2 §5.3) on the virtio-mmio
 * transport: a single console port (Linux hvc0), no control queues.
 *
 * Queues (spec §5.3.2, without VIRTIO_CONSOLE_F_MULTIPORT): 0 = receiveq
 * (port 0 input, host -> guest), 1 = transmitq (port 0 output, guest ->
 * host). Offered features: VIRTIO_F_VERSION_1, EVENT_IDX, INDIRECT_DESC and
 * VIRTIO_CONSOLE_F_SIZE. MULTIPORT and EMERG_WRITE are not offered, so the
 * driver cannot negotiate them.
 *
 * Config space (spec §5.3.4, 12 bytes, read-only here): le16 cols, le16 rows
 * (80 x 25 unless the owner calls virtio_console_set_size()), le32
 * max_nr_ports = 1, le32 emerg_wr reading 0. F_SIZE is offered so that a
 * Linux guest's hvc0 gets a sane window size instead of 0 x 0; an owner that
 * learns the real terminal size can pass it on with virtio_console_set_size(),
 * which sends a configuration change notification (how a non-multiport
 * console announces a resize). Writes to config space, including emerg_wr
 * (meaningless without EMERG_WRITE), are ignored.
 *
 * Transmit: each transmitq buffer is copied in chunks of at most
 * VIRTIO_CONSOLE_CHUNK bytes through a stack buffer to ops->output(), in
 * ring order, so the callback only ever sees hypervisor memory that the
 * guest cannot change underneath it. Buffers are returned with used length 0
 * (the device writes nothing). A buffer with any device-writable descriptor
 * is refused (nothing output, length 0, errors++). Only the first
 * VIRTIO_CONSOLE_TX_CHAIN_MAX bytes of one buffer are output (Linux sends at
 * most 32 KiB per buffer); the rest is counted in dropped, plus errors++.
 *
 * Receive: virtio_console_input() fills posted receiveq buffers in order,
 * each as far as the input goes (a partially filled buffer is returned with
 * the bytes written as its used length, spec §2.7.8). A buffer with a
 * device-readable descriptor, or with no writable byte, is returned with
 * length 0 and errors++.
 *
 * Structural ring errors (loops, buffers outside RAM, bad indirect tables,
 * oversized chains ...) break the queue and set DEVICE_NEEDS_RESET (see
 * virtq.h); the driver must reset the device. Nothing a guest puts in the
 * rings can make these functions loop unboundedly, read or write outside
 * its RAM, or call output() with more than VIRTIO_CONSOLE_CHUNK bytes.
 *
 * Work per call is bounded: virtio_console_process_tx() handles at most
 * VIRTIO_CONSOLE_BUDGET_CHAINS buffers and stops taking new ones once
 * VIRTIO_CONSOLE_BUDGET_BYTES were output (so at most BUDGET_BYTES +
 * TX_CHAIN_MAX bytes in all); then it returns true and the owner must call
 * it again later (e.g. on the vCPU's next exit); until then the transmitq is
 * not re-armed. virtio_console_input() takes at most
 * VIRTIO_CONSOLE_BUDGET_CHAINS receive buffers per call.
 *
 * Device reset (driver writes 0 to Status, or virtio_mmio_reset() on the
 * embedded transport) clears the running state (queues, backlog); the
 * statistics count from init and are kept. Buffers the guest posted before
 * a reset are never touched again.
 *
 * Concurrency and snapshots as for struct virtio_mmio: the owner serialises
 * all calls on one instance (including virtio_mmio_read/write on c->mmio);
 * callbacks run synchronously inside them. The struct holds plain values
 * apart from the transport's pointers and ops/ops_ctx.
 */
#include "lib/types.h"
#include "vdev/virtio_mmio.h"

#define VIRTIO_CONSOLE_QUEUE_MAX     64u /* QueueNumMax of both queues */
#define VIRTIO_CONSOLE_RXQ           0u  /* receiveq: port 0 input */
#define VIRTIO_CONSOLE_TXQ           1u  /* transmitq: port 0 output */
#define VIRTIO_CONSOLE_CONFIG_SIZE   12u /* struct virtio_console_config */
#define VIRTIO_CONSOLE_CHUNK         256u
#define VIRTIO_CONSOLE_TX_CHAIN_MAX  (64u << 10)
#define VIRTIO_CONSOLE_BUDGET_CHAINS 64u
#define VIRTIO_CONSOLE_BUDGET_BYTES  (64u << 10)
#define VIRTIO_CONSOLE_DEFAULT_COLS  80u
#define VIRTIO_CONSOLE_DEFAULT_ROWS  25u

/* Feature bits (spec §5.3.3) */
#define VIRTIO_CONSOLE_F_SIZE        0
#define VIRTIO_CONSOLE_F_MULTIPORT   1
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2

/* Config space offsets (spec §5.3.4) */
#define VIRTIO_CONSOLE_CFG_COLS         0u /* le16 */
#define VIRTIO_CONSOLE_CFG_ROWS         2u /* le16 */
#define VIRTIO_CONSOLE_CFG_MAX_NR_PORTS 4u /* le32 */
#define VIRTIO_CONSOLE_CFG_EMERG_WR     8u /* le32 */

/*
 * Host side of the console. Callbacks run inside the device's calls with
 * the owner's serialisation held; they may call virtio_console_input() and
 * virtio_console_rx_space() (e.g. to echo), never
 * virtio_console_process_tx(), virtio_console_init() or the transport's
 * read/write/reset.
 */
struct virtio_console_ops {
	/*
	 * Required. The guest wrote @len bytes (1..VIRTIO_CONSOLE_CHUNK) to its
	 * console; @buf is hypervisor memory, valid only during the call.
	 * Bytes arrive in the order the guest queued them.
	 */
	void (*output)(void *ctx, const uint8_t *buf, size_t len);
	/*
	 * Optional. The driver notified the receiveq (it posted receive
	 * buffers): input the host is holding back may now fit. With
	 * EVENT_IDX the driver is only asked for this kick once
	 * virtio_console_input() found no buffer, so a host with input left
	 * over should keep it and wait for this call rather than poll.
	 */
	void (*rx_ready)(void *ctx);
	/*
	 * Optional. A transmitq round handed over some output (after the last
	 * output() call of virtio_console_process_tx): whole writes of the
	 * guest are in, so a consumer can act once per round, not per chunk.
	 */
	void (*output_done)(void *ctx);
};

struct virtio_console {
	struct virtio_mmio mmio; /* MMIO window: virtio_mmio_read/write(&c->mmio, ...) */
	uint16_t cols;           /* config space cols / rows */
	uint16_t rows;
	bool backlog; /* budget ran out: virtio_console_process_tx() must run again */
	/* statistics since init (device resets keep them) */
	uint64_t bytes_out; /* guest -> host, handed to ops->output() */
	uint64_t bytes_in;  /* host -> guest, accepted by virtio_console_input() */
	uint64_t tx_bufs;   /* transmit buffers completed (refused ones included) */
	uint64_t rx_bufs;   /* receive buffers completed (refused ones included) */
	uint64_t errors;    /* buffers refused or truncated */
	uint64_t dropped;   /* transmit bytes beyond VIRTIO_CONSOLE_TX_CHAIN_MAX */
	const struct virtio_console_ops *ops;
	void *ops_ctx;
};

/*
 * Initialise @c as a virtio-console device reporting guest output to
 * @ops(@ops_ctx), with host callbacks @host(@host_ctx) (guest memory of this
 * VM, interrupt line). Console size 80 x 25. Calls no callback. Returns 0,
 * or -FV_EINVAL if @ops or ops->output is NULL (@c is then inert: DeviceID
 * 0, no queues). Caller owns @c.
 */
int virtio_console_init(struct virtio_console *c, const struct virtio_console_ops *ops,
                        void *ops_ctx, const struct virtio_mmio_host *host, void *host_ctx);

/*
 * Drain the transmitq into ops->output(), up to the per-call budget, and
 * raise the used buffer interrupt as event index / NO_INTERRUPT allow.
 * Called from the transmitq notification; the owner calls it again while it
 * returns true (c->backlog). Returns false when the queue was drained, is
 * not ready, or the device is not running (or just entered the error
 * state). Guest-controlled input; serialised by the owner.
 */
bool virtio_console_process_tx(struct virtio_console *c);

/*
 * Deliver up to @len bytes of console input from @buf to the guest: fill
 * posted receiveq buffers in order and return them, then raise the used
 * buffer interrupt as event index / NO_INTERRUPT allow. Returns the number
 * of bytes accepted (a prefix of @buf; the caller keeps the rest), 0 if the
 * device is not running, no buffer is posted or @len is 0. Takes at most
 * VIRTIO_CONSOLE_BUDGET_CHAINS buffers per call. Serialised by the owner;
 * may be called from ops callbacks.
 */
size_t virtio_console_input(struct virtio_console *c, const uint8_t *buf, size_t len);

/*
 * Whether the device is running and the driver has at least one receive
 * buffer posted that the device has not taken yet, i.e. whether
 * virtio_console_input() can accept something now (a buffer that turns out
 * to be refused still consumes the try). Reads the avail index from guest
 * memory, changes nothing. Serialised by the owner.
 */
bool virtio_console_rx_space(const struct virtio_console *c);

/*
 * Set the console size reported in config space. If it changed, send a
 * configuration change notification (bumps ConfigGeneration; interrupts
 * once DRIVER_OK is set), which a driver that negotiated
 * VIRTIO_CONSOLE_F_SIZE takes as a resize (spec §5.3.6). Serialised by the
 * owner.
 */
void virtio_console_set_size(struct virtio_console *c, uint16_t cols, uint16_t rows);

#endif
