/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_VNET_H
#define FV_CORE_VNET_H

/*
 * Virtual switches at run time: struct vswitch (the forwarding decision,
 * hyp/vdev/vswitch.c) plus locking, per-port inboxes and an optional uplink
 * to a physical NIC.
 *
 * A frame leaving a VM is forwarded under the switch lock and copied from
 * the guest's buffers into the inbox of each destination port (inbox lock,
 * a leaf) or the uplink NIC's transmit buffer. Inboxes are
 * drained into the destination VM's virtio-net receive queue by whoever
 * holds that device's lock: the sender after it has dropped its own device
 * lock (vnet_port_flush), or the destination itself when its guest posts
 * receive buffers. So no CPU ever holds two VMs' device locks, and a full
 * inbox drops frames (as a real switch does) instead of blocking the sender.
 *
 * Lock order: VM device lock -> switch lock; VM device lock -> inbox lock.
 */
#include "lib/types.h"
#include "core/config.h"
#include "core/spinlock.h"
#include "vdev/vswitch.h"

#define VNET_INBOX_SLOTS 64

struct vnet_switch;

/*
 * A frame entering a switch. The forwarding decision reads hdr[0 ..
 * VSWITCH_ETH_HLEN) (a copy the sender cannot change any more); each
 * destination gets the whole frame by fill(src, dst), which writes len bytes
 * (with that header) and returns len. So a frame still in a guest's buffers
 * is copied once per destination, straight to where it goes.
 */
struct vnet_frame {
	const uint8_t *hdr;
	size_t len;
	size_t (*fill)(const void *src, uint8_t *dst);
	const void *src;
};

/* A switch port of a VM NIC. */
struct vnet_port {
	struct vnet_switch *sw;
	unsigned port;
	/* Deliver queued frames into the NIC; called with its device lock held. */
	void (*deliver)(struct vnet_port *p);
	void *owner;    /* the VM device behind the port */
	unsigned vm_id; /* its VM's id, for metrics (set by the owner before attaching) */
	struct spinlock inbox_lock;
	struct vswitch_pktq inbox;
	uint32_t pending; /* ports this port's frames went to, to flush (owner's lock) */
	struct vswitch_pkt_slot slots[VNET_INBOX_SLOTS];
};

/* Create the configured switches and claim their uplink NICs. 0 or -fv_err (logged). */
int vnet_init(const struct hyp_config *cfg);
/* Index of the host's switch named name (for run-time VMs), -FV_ENOENT if none. */
int vnet_switch_find(const char *name);
/* Name of switch @i (fixed after vnet_init), NULL if there is no such switch. */
const char *vnet_switch_name(unsigned i);
/* Attach a VM NIC to switch @sw_index; @p is the caller's (zeroed) storage. */
int vnet_port_attach(struct vnet_port *p, unsigned sw_index, void *owner,
                     void (*deliver)(struct vnet_port *p));
/*
 * Undo vnet_port_attach() (a VM whose creation failed, or a destroyed VM): the port number is
 * free again. For a port that carried frames, waits until no other CPU is forwarding on the
 * switch (they may have read the port pointer before it was removed), so the caller may free
 * the port on return. No-op if not attached. Not with a device lock held.
 */
void vnet_port_detach(struct vnet_port *p);
/* Enable or disable the port (its VM's NIC runs / stopped); disabling empties the inbox. */
void vnet_port_set_enabled(struct vnet_port *p, bool enabled);
/*
 * A frame sent by the NIC behind @p (device lock held): forward it into
 * destination inboxes (or out of the uplink) and remember which ports to
 * flush. Guest data, checked by the switch.
 */
void vnet_port_send(struct vnet_port *p, const struct vnet_frame *f);
/*
 * After dropping the sender's device lock: deliver into the ports vnet_port_send() fed and
 * notify the uplink NIC of the frames it got (one notification per batch).
 */
void vnet_port_flush(struct vnet_port *p, uint32_t pending);
/* Take the next inbox frame into @fn (returns 0 = consumed, -FV_EBUSY = keep); under the NIC's
 * lock. */
void vnet_port_drain(struct vnet_port *p, int (*fn)(void *ctx, const uint8_t *f, size_t n),
                     void *ctx);
/* Poll uplink NICs for received frames (periodic fallback to their interrupts). */
void vnet_poll_uplinks(void);
/* One line per switch (ports, FDB, uplink) for the shell. */
void vnet_describe(void (*out)(const char *line));

/* Metrics of a switch and of its ports (copied under the switch lock). */
struct vnet_switch_stats {
	char name[VSWITCH_NAME_LEN];
	unsigned nports; /* ports numbered 0 .. nports-1 (unused ones have used = false) */
	bool uplink;
	uint64_t drops, floods, learned;
	struct {
		bool used, enabled, uplink;
		unsigned vm_id; /* the NIC's VM; unset for the uplink */
		uint64_t rx_frames, tx_frames, drops, inbox_drops;
	} port[VSWITCH_MAX_PORTS];
};
/* Number of switches (fixed after vnet_init). */
unsigned vnet_switch_count(void);
/* Metrics of switch i (< vnet_switch_count()); takes its lock (no device lock held). */
void vnet_switch_stats(unsigned i, struct vnet_switch_stats *out);
/*
 * MTU the VM NICs of switch @sw_index are to report: its uplink's when that is below 1500
 * (frames the uplink could not carry are then never sent), else 0 (the default 1500, no
 * report). Fixed after vnet_init.
 */
unsigned vnet_switch_mtu(unsigned sw_index);
/* Index of the switch @p is attached to, -1 if none. */
int vnet_port_switch(const struct vnet_port *p);

#endif
