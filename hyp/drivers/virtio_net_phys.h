/* SPDX-License-Identifier: MIT */
#ifndef FV_DRIVERS_VIRTIO_NET_PHYS_H
#define FV_DRIVERS_VIRTIO_NET_PHYS_H

/*
 * Physical virtio-net NIC (VIRTIO 1.2 §5.1) on the polled virtio-mmio
 * transport: receive queue 0, transmit queue 1, no control queue.
 * Features: VERSION_1, MTU, MAC and STATUS when offered; no checksum or
 * segmentation offloads and no MRG_RXBUF, so every frame travels behind a
 * 12-byte struct virtio_net_hdr (§5.1.6) that is all zero on transmit and
 * ignored on receive.
 *
 * Buffers are allocated once at init: VNET_PHYS_RX_BUFS receive buffers of
 * header + 1536 bytes, posted at init and re-posted after each harvested
 * frame, and VNET_PHYS_TX_BUFS transmit slots that frames are copied into
 * (straight from their source: vnet_phys_send_fill). Transmit slots are
 * reclaimed lazily, by the next send. A sender of several frames defers the
 * device notification to the end of its batch (vnet_phys_kick).
 *
 * Concurrency: send and poll may run on different CPUs at the same time.
 * tx_lock protects the transmit side, rx_lock the receive side; neither is
 * held while the rx() callback runs, so rx() may call vnet_phys_send() (or
 * anything else). Two CPUs may even poll at once: each gets distinct frames.
 *
 * A device that stops answering (transmit slots all busy for longer than
 * VPHYS_TIMEOUT_NS) or breaks the ring protocol is marked broken: send then
 * fails with -FV_EIO and poll delivers nothing, at once.
 */
#include "drivers/virtio_mmio_phys.h"

#define VNET_PHYS_F_MTU    VPHYS_FEAT(3)  /* device reports its maximum MTU */
#define VNET_PHYS_F_MAC    VPHYS_FEAT(5)  /* device has a MAC address in config space */
#define VNET_PHYS_F_STATUS VPHYS_FEAT(16) /* config status (link up) is valid */

#define VNET_PHYS_HDR_LEN   12   /* struct virtio_net_hdr with num_buffers (VERSION_1) */
#define VNET_PHYS_MIN_FRAME 14   /* Ethernet header */
#define VNET_PHYS_MAX_FRAME 1518 /* 1500-byte payload, one VLAN tag, no FCS */
#define VNET_PHYS_RX_FRAME  1536 /* receive buffer room after the header */
#define VNET_PHYS_RX_BUFS   64
#define VNET_PHYS_TX_BUFS   128
#define VNET_PHYS_TX_KICK   16 /* a deferred batch notifies the device at least this often */

struct vnet_phys_stats {
	uint64_t rx_frames, rx_bytes; /* delivered to rx() */
	uint64_t rx_drops;            /* received but not delivered (runt, no callback) */
	uint64_t rx_errors;           /* buffers lost to a broken device */
	uint64_t tx_frames, tx_bytes; /* handed to the device */
	uint64_t tx_drops;            /* refused with -FV_EAGAIN: every slot busy */
	uint64_t tx_errors;           /* refused: bad length or broken device */
	uint64_t tx_kicks;            /* transmit notifications (at most one per batch) */
};

struct vnet_phys {
	struct vphys_dev dev;
	uint8_t mac[6];
	uint16_t mtu;          /* the device's (VIRTIO_NET_F_MTU), 0 if it reports none */
	uint16_t nr_rx, nr_tx; /* buffers actually used (queue sizes may be smaller) */
	uint8_t *rx_buf;       /* nr_rx slots of 2 KiB (DMA), then tx_buf: nr_tx slots */
	uint8_t *tx_buf;

	struct spinlock rx_lock;      /* protects rx_slot and the rx_* stats */
	uint8_t rx_slot[VPHYS_QSIZE]; /* RX head id -> buffer slot, 0xff = none */

	struct spinlock tx_lock;            /* protects the fields below and the tx_* stats */
	uint8_t tx_slot[VPHYS_QSIZE];       /* TX head id -> buffer slot, 0xff = none */
	uint8_t tx_free[VNET_PHYS_TX_BUFS]; /* stack of free TX slots */
	uint16_t tx_nfree;
	bool tx_stalled;      /* every slot was busy at tx_stall_since */
	uint16_t tx_unkicked; /* frames posted since the last notification */
	uint64_t tx_stall_since;

	struct vnet_phys_stats stats;
};

/*
 * Bring up the NIC at a virtio-mmio slot and post its receive buffers. Boot
 * CPU, before the NIC is shared. 0, -FV_ENOENT if the slot is empty or not a
 * network device, -FV_ENOMEM, or the errors of vphys_init().
 */
int vnet_phys_init(struct vnet_phys *n, uintptr_t base);

/*
 * The NIC's MAC address: the device's (VIRTIO_NET_F_MAC), else a locally
 * administered one made from the slot address. Any CPU.
 */
void vnet_phys_mac(const struct vnet_phys *n, uint8_t mac[6]);

/* Link state from the config status field; true if the device does not report it. */
bool vnet_phys_link_up(const struct vnet_phys *n);

/*
 * Queue one Ethernet frame (destination MAC first, VNET_PHYS_MIN_FRAME to
 * VNET_PHYS_MAX_FRAME bytes, no FCS) for transmission. The frame is copied:
 * the caller's buffer is free on return. Any CPU; takes tx_lock. Returns 0,
 * -FV_EINVAL (bad length), -FV_EAGAIN (every transmit slot busy: the caller
 * drops the frame or retries later) or -FV_EIO (device broken).
 */
int vnet_phys_send(struct vnet_phys *n, const void *frame, size_t len);

/*
 * Like vnet_phys_send(), but the frame (@len bytes) is written into the
 * device's buffer by @fill(@ctx, dst), which must return @len (else
 * -FV_EIO, nothing sent): no intermediate copy. With @defer the device is
 * notified only every VNET_PHYS_TX_KICK frames and by vnet_phys_kick() at
 * the end of the caller's batch, which the caller must then call. Any CPU;
 * @fill runs under tx_lock (it must not call into this NIC).
 */
int vnet_phys_send_fill(struct vnet_phys *n, size_t len,
                        size_t (*fill)(const void *ctx, uint8_t *dst), const void *ctx, bool defer);

/* Notify the device of frames vnet_phys_send_fill(..., true) posted since the last one. */
void vnet_phys_kick(struct vnet_phys *n);

/*
 * Take up to budget received frames from the device, hand each to
 * rx(ctx, frame, len) with the virtio-net header stripped, and re-post their
 * buffers. frame is valid only during the call. rx() runs with no driver
 * lock held. Returns the number of receive buffers consumed (frames
 * delivered plus malformed ones dropped), so a result below budget means
 * the ring is empty. rx may be NULL: frames are then dropped. Any CPU;
 * takes rx_lock around ring work.
 */
unsigned vnet_phys_poll(struct vnet_phys *n,
                        void (*rx)(void *ctx, const uint8_t *frame, size_t len), void *ctx,
                        unsigned budget);

/* Copy of the statistics counters (each side consistent with itself). Any CPU. */
void vnet_phys_stats(struct vnet_phys *n, struct vnet_phys_stats *out);

#endif
