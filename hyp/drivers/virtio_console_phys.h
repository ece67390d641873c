/* SPDX-License-Identifier: MIT */
#ifndef FV_DRIVERS_VIRTIO_CONSOLE_PHYS_H
#define FV_DRIVERS_VIRTIO_CONSOLE_PHYS_H

/*
 * Physical virtio console (VIRTIO 1.2 §5.3) on the polled virtio-mmio
 * transport, single port (no MULTIPORT: receiveq 0, transmitq 1). A byte
 * pipe for the hypervisor's own use: the gdb channel that `ferrovisor run
 * --gdb` connects to a TCP socket on the host, and the dump channel of
 * `ferrovisor run --dump-dir` (QEMU virtconsoles). No guest ever sees these
 * devices.
 *
 * Receive buffers are posted at init and re-posted as they are consumed;
 * bytes that arrive are kept in order in the buffers until read. Transmit
 * copies into one of VCON_PHYS_TX_BUFS slots; when none is free (nobody
 * reads the socket) the bytes are dropped, never waited for.
 *
 * Concurrency: one context (the boot CPU's console tick) uses a device; no
 * lock.
 */
#include "drivers/virtio_mmio_phys.h"

#define VIRTIO_ID_CONSOLE 3

#define VCON_PHYS_BUF     512
#define VCON_PHYS_RX_BUFS 8
#define VCON_PHYS_TX_BUFS 16

struct vcon_phys {
	struct vphys_dev dev;
	uint16_t nr_rx, nr_tx;
	uint8_t *rx_buf; /* nr_rx buffers, then nr_tx transmit buffers (DMA) */
	uint8_t *tx_buf;
	uint8_t rx_slot[VPHYS_QSIZE]; /* RX head id -> buffer */
	uint8_t tx_slot[VPHYS_QSIZE]; /* TX head id -> buffer */
	uint8_t tx_free[VCON_PHYS_TX_BUFS];
	uint16_t tx_nfree;
	/* A harvested receive buffer not yet fully read: slot, bytes, read offset. */
	int cur_slot;
	uint32_t cur_len, cur_off;
	uint64_t rx_bytes, tx_bytes, tx_dropped;
};

/* Bring up the console at base (boot CPU). 0, -FV_ENOENT (not a console), -FV_ENOMEM, ... */
int vcon_phys_init(struct vcon_phys *c, uintptr_t base);

/* Up to cap received bytes into buf; returns how many (0 = none waiting). */
size_t vcon_phys_read(struct vcon_phys *c, uint8_t *buf, size_t cap);

/* Send len bytes (split into buffers); bytes that find no free buffer are dropped. */
void vcon_phys_write(struct vcon_phys *c, const uint8_t *buf, size_t len);

/*
 * Bytes vcon_phys_write() takes now without dropping any (free transmit buffers, after
 * taking back those the device has sent). For a writer that must never lose a byte.
 */
size_t vcon_phys_tx_room(struct vcon_phys *c);

#endif
