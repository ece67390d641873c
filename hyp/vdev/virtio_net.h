/* SPDX-License-Identifier: MIT */
#ifndef FV_VDEV_VIRTIO_NET_H
#define FV_VDEV_VIRTIO_NET_H

/*
 * Emulated virtio-net device (VIRTIO 1.2 §5.1) on the virtio-mmio
 * transport. The device moves whole Ethernet frames (no FCS) between the
 * guest and its owner (e.g. a port of a struct vswitch); it does no
 * offloads.
 *
 * Queues: 0 = receiveq1, 1 = transmitq1; no control queue. Offered
 * features: VIRTIO_F_VERSION_1, EVENT_IDX, INDIRECT_DESC, VIRTIO_NET_F_MAC
 * and VIRTIO_NET_F_STATUS. Not offered: MRG_RXBUF, CSUM, GUEST_CSUM, any
 * TSO/UFO/USO, CTRL_VQ, MQ. Every buffer therefore starts with the 12-byte
 * struct virtio_net_hdr of §5.1.6 (VERSION_1 always includes num_buffers).
 *
 * Config space (§5.1.4): mac[6], le16 status (VIRTIO_NET_S_LINK_UP), le16
 * max_virtqueue_pairs = 1, le16 mtu (VIRTIO_NET_F_MTU is offered only after
 * virtio_net_set_mtu(), e.g. the smaller MTU of a switch's uplink; else
 * 0); the rest of the
 * VIRTIO 1.2 struct (speed, duplex, RSS fields) reads 0. Driver writes to
 * config space are ignored: the driver should not write the MAC there
 * (§5.1.4.2; changing it needs the control queue, not offered) and every
 * other field is read-only.
 *
 * Transmit (§5.1.6.2): the device makes no assumption about how the header
 * and frame are split into descriptors (§2.7.4). A chain is handed to
 * ops->tx as a struct virtio_net_txf: the frame still in the guest's
 * buffers plus a private copy of its first VIRTIO_NET_TXF_PEEK bytes, which
 * the owner decides on (destination, source); virtio_net_txf_copy() then
 * copies the frame straight to where it goes (another VM's inbox, the
 * physical NIC's buffer) with those first bytes taken from the private copy,
 * so what the owner decided on is what arrives even if the guest rewrites
 * its buffer meanwhile. The buffers go back to the guest only after ops->tx
 * returns. The header's
 * offload fields are ignored (no offload was negotiated, so a driver that
 * sets them violates §5.1.6.2.1 and gets its frame sent as it is). Dropped
 * and completed with length 0, counted in tx_drops: chains with any
 * device-writable descriptor, a readable part shorter than the header, a
 * frame outside VIRTIO_NET_MIN_FRAME..VIRTIO_NET_MAX_FRAME, and every frame
 * while the link is down.
 *
 * Receive (§5.1.6.4): one frame per receive chain (no MRG_RXBUF), written
 * as a zeroed header with num_buffers = 1 followed by the frame. Between
 * virtio_net_rx_begin() and virtio_net_rx_end() the used buffer interrupt is
 * held back and raised once for the batch (if event index / NO_INTERRUPT
 * allow). A chain
 * whose device-writable part cannot hold both is used with length 0 and the
 * frame dropped: keeping it would stall the queue behind a buffer that never
 * fits (the driver sees a zero-length buffer and recycles it).
 *
 * Hostile guest: all ring access goes through virtq.c. Structural ring
 * errors break the queue and set DEVICE_NEEDS_RESET (see virtq.h); the
 * device then does nothing until the driver resets it.
 *
 * Work per virtio_net_process_tx() call is bounded (VIRTIO_NET_BUDGET_*),
 * as for virtio-blk: when it returns true the owner calls it again later.
 *
 * Concurrency: as struct virtio_mmio, the owner serialises every call on one
 * instance (MMIO accesses, virtio_net_process_tx, virtio_net_rx,
 * virtio_net_set_link). ops callbacks run synchronously inside those calls
 * with that serialisation held. A callback may call virtio_net_rx() on any
 * device it may lock (this one included) but must not call
 * virtio_mmio_read/write/reset on this device; a nested
 * virtio_net_process_tx() on this device returns false and does nothing.
 * Delivering to another VM's device from ops->tx normally goes through that
 * device's inbox (struct vswitch_pktq) and its owner, not a direct call.
 *
 * Snapshots: plain values apart from the transport's pointers and ops/ctx.
 */
#include "lib/types.h"
#include "vdev/virtio_mmio.h"

#define VIRTIO_NET_QUEUE_MAX     256u
#define VIRTIO_NET_RXQ           0u
#define VIRTIO_NET_TXQ           1u
#define VIRTIO_NET_HDR_LEN       12u   /* struct virtio_net_hdr with num_buffers */
#define VIRTIO_NET_MIN_FRAME     14u   /* Ethernet header */
#define VIRTIO_NET_MAX_FRAME     1518u /* 1500 + header + one VLAN tag, no FCS */
#define VIRTIO_NET_MIN_MTU       68u   /* spec §5.1.4.1: the smallest mtu a device may report */
#define VIRTIO_NET_CONFIG_SIZE   24u   /* struct virtio_net_config of VIRTIO 1.2 */
#define VIRTIO_NET_TXF_PEEK      16u   /* bytes of a TX frame the owner decides on */
#define VIRTIO_NET_BUDGET_FRAMES 128u
#define VIRTIO_NET_BUDGET_BYTES  (128u << 10)

/* Feature bits (spec §5.1.3) */
#define VIRTIO_NET_F_MTU    3
#define VIRTIO_NET_F_MAC    5
#define VIRTIO_NET_F_STATUS 16

/* Config space offsets (spec §5.1.4) */
#define VIRTIO_NET_CFG_MAC     0u  /* u8[6] */
#define VIRTIO_NET_CFG_STATUS  6u  /* le16 */
#define VIRTIO_NET_CFG_MAX_VQP 8u  /* le16 max_virtqueue_pairs */
#define VIRTIO_NET_CFG_MTU     10u /* le16 */
#define VIRTIO_NET_S_LINK_UP   1u

/* Header offsets (spec §5.1.6) */
#define VIRTIO_NET_HDR_FLAGS       0u  /* u8 */
#define VIRTIO_NET_HDR_GSO_TYPE    1u  /* u8 */
#define VIRTIO_NET_HDR_NUM_BUFFERS 10u /* le16 */

struct virtq_chain;

/* A frame the guest sent, still in its transmit buffers (valid during ops->tx only). */
struct virtio_net_txf {
	const struct virtq_chain *chain;   /* header + frame, device-readable, checked */
	size_t len;                        /* frame bytes (no virtio header) */
	size_t peek_len;                   /* MIN(len, VIRTIO_NET_TXF_PEEK) */
	uint8_t peek[VIRTIO_NET_TXF_PEEK]; /* the frame's first bytes, copied once */
};

/*
 * Copy the frame of @f (f->len bytes) to @dst: the bytes from the guest's
 * buffers, then the first f->peek_len bytes from f->peek (what the owner
 * decided on). Returns f->len. Pure.
 */
size_t virtio_net_txf_copy(const struct virtio_net_txf *f, uint8_t *dst);

/* The device's owner. tx is required, rx_ready optional. */
struct virtio_net_ops {
	/*
	 * The guest sent frame @f (VIRTIO_NET_MIN_FRAME .. VIRTIO_NET_MAX_FRAME
	 * bytes, no virtio header): decide on f->peek, copy it with
	 * virtio_net_txf_copy() where it goes. @f is valid only during the call.
	 */
	void (*tx)(void *ctx, const struct virtio_net_txf *f);
	/*
	 * The guest posted receive buffers (receive queue notification, also
	 * at DRIVER_OK): a good moment to retry frames that got -FV_EAGAIN.
	 */
	void (*rx_ready)(void *ctx);
};

/* Cumulative over the device's lifetime: device resets keep them (for the shell). */
struct virtio_net_stats {
	uint64_t rx_frames; /* delivered to the guest */
	uint64_t rx_bytes;  /* frame bytes, without the virtio header */
	uint64_t rx_drops;  /* virtio_net_rx -FV_EINVAL / -FV_ERANGE (bad length, small buffer) */
	uint64_t tx_frames; /* handed to ops->tx */
	uint64_t tx_bytes;
	uint64_t tx_drops; /* malformed or oversized chains, link down */
};

struct virtio_net {
	struct virtio_mmio mmio; /* MMIO window: virtio_mmio_read/write(&n->mmio, ...) */
	uint8_t mac[6];
	bool link_up;
	bool backlog; /* TX budget ran out: virtio_net_process_tx() must run again */
	bool in_tx;   /* inside virtio_net_process_tx() (recursion guard) */
	struct virtio_net_stats stats;
	const struct virtio_net_ops *ops;
	void *ops_ctx;
	uint16_t mtu;    /* offered with VIRTIO_NET_F_MTU; 0 = not offered */
	bool rx_batch;   /* between virtio_net_rx_begin() and _end() */
	bool rx_pending; /* used buffers pushed in the batch, interrupt not yet decided */
	/* Large per-call scratch, kept off the (16 KiB) hypervisor stack. */
	struct virtq_chain tx_chain;
	struct virtq_chain rx_chain;
};

/*
 * Initialise @n as a virtio-net device with MAC address @mac (unicast, not
 * all-zero), link up, owner callbacks @ops(@ops_ctx) and host callbacks
 * @host(@host_ctx) (guest memory of this VM, interrupt line). Calls no
 * callback. Returns 0, or -FV_EINVAL (NULL/multicast/zero MAC, no ops->tx;
 * the transport is then inert: DeviceID 0). Caller owns @n.
 */
int virtio_net_init(struct virtio_net *n, const uint8_t mac[6], const struct virtio_net_ops *ops,
                    void *ops_ctx, const struct virtio_mmio_host *host, void *host_ctx);

/*
 * Serve the transmit queue up to the per-call budget (frames and bytes),
 * calling ops->tx for each good frame, then raise the used buffer interrupt
 * as event index / NO_INTERRUPT allow. Called from the queue notification;
 * the owner calls it again while it returns true (n->backlog). Returns false
 * when the queue was drained, is not running, or broke (DEVICE_NEEDS_RESET
 * is then set). Guest-controlled input.
 */
bool virtio_net_process_tx(struct virtio_net *n);

/*
 * Deliver one frame (@len bytes, no FCS) to the guest in the next receive
 * buffer and raise the used buffer interrupt as event index / NO_INTERRUPT
 * allow. Returns:
 *   0            delivered;
 *   -FV_EAGAIN   no receive buffer posted (nothing consumed): keep the frame
 *                and retry when ops->rx_ready fires;
 *   -FV_ENODEV   device not running (no DRIVER_OK, FAILED, needs reset),
 *                receive queue broken (DEVICE_NEEDS_RESET set now), or link
 *                down: the frame cannot be delivered now (drop it);
 *   -FV_EINVAL   len outside VIRTIO_NET_MIN_FRAME .. VIRTIO_NET_MAX_FRAME
 *                (nothing consumed, counted in rx_drops);
 *   -FV_ERANGE   the buffer's writable part is smaller than header + frame:
 *                the buffer is used with length 0 and the frame dropped
 *                (counted in rx_drops).
 * Callable from the owner's context and from ops callbacks (see header).
 */
int virtio_net_rx(struct virtio_net *n, const uint8_t *frame, size_t len);

/*
 * Offer VIRTIO_NET_F_MTU with @mtu (VIRTIO_NET_MIN_MTU .. 1500; anything else,
 * 0 included, offers nothing). Before the driver reads the features (at
 * creation). A driver that negotiated it gets no received frame longer than
 * mtu + 18 (Ethernet header and one VLAN tag; §5.1.4.2: those are dropped and
 * counted in rx_drops); its own frames are checked as before (it must not
 * send longer ones, §5.1.4.1).
 */
void virtio_net_set_mtu(struct virtio_net *n, unsigned mtu);

/*
 * Start a receive batch: the virtio_net_rx() calls until virtio_net_rx_end()
 * push their buffers but leave the used buffer interrupt to the end, so the
 * guest gets one interrupt for the batch instead of one per frame. Same
 * serialisation as virtio_net_rx().
 */
void virtio_net_rx_begin(struct virtio_net *n);

/* End the batch: raise the used buffer interrupt once if the batch used buffers and the
 * driver's suppression (event index / NO_INTERRUPT) allows. */
void virtio_net_rx_end(struct virtio_net *n);

/*
 * Set the link state reported in config space (VIRTIO_NET_S_LINK_UP) and
 * send a configuration change notification if it changed (§5.1.4.2). While
 * the link is down, transmitted frames are dropped and virtio_net_rx()
 * returns -FV_ENODEV.
 */
void virtio_net_set_link(struct virtio_net *n, bool up);

#endif
