/* SPDX-License-Identifier: MIT */
#ifndef FV_VDEV_VSWITCH_H
#define FV_VDEV_VSWITCH_H

/*
 * Virtual Ethernet switch: the forwarding decision of a learning bridge
 * (IEEE 802.1D style, without spanning tree or VLAN awareness) between the
 * virtio-net devices of several VMs and, optionally, an uplink. Pure logic:
 * it never touches a device, it only says where a frame goes; the caller
 * moves the bytes (typically into the per-port inboxes below).
 *
 * Forwarding database (FDB): VSWITCH_FDB_SIZE entries {MAC, port, last
 * seen}. A frame's source MAC is learnt on the port it came in on (a MAC
 * seen on another port moves there). Entries not refreshed for the ageing
 * time (in the caller's clock units, 0 = never) are ignored and reused;
 * when the table is full the least recently refreshed entry is replaced.
 *
 * Frames come from guests and are hostile: lengths and addresses are
 * checked before anything is learnt, and every index is bounded, so a
 * corrupted struct can make the switch misroute but never read or write
 * out of bounds.
 *
 * Frame queue (struct vswitch_pktq): a bounded FIFO of frame copies over
 * caller-provided slots, e.g. one inbox per port, drained into the port's
 * virtio-net receive queue when the guest has buffers.
 *
 * Concurrency: not internally locked. The owner serialises every call on
 * one struct vswitch (and on one struct vswitch_pktq); a pktq filled by one
 * VM's context and drained by another needs the owner's lock around both.
 *
 * Snapshots: plain values, apart from the pktq's slot pointer.
 */
#include "lib/types.h"

#define VSWITCH_MAX_PORTS    16u
#define VSWITCH_FDB_SIZE     64u
#define VSWITCH_NAME_LEN     16u   /* including the NUL */
#define VSWITCH_ETH_ALEN     6u    /* MAC address bytes */
#define VSWITCH_ETH_HLEN     14u   /* dst, src, ethertype */
#define VSWITCH_MAX_FRAME    1514u /* without FCS */
#define VSWITCH_MAX_FRAME_Q  1518u /* with one 802.1Q / 802.1ad tag */
#define VSWITCH_SLOT_SIZE    1536u /* pktq slot: any accepted frame fits */
#define VSWITCH_ETH_P_8021Q  0x8100u
#define VSWITCH_ETH_P_8021AD 0x88a8u

struct vswitch_port {
	bool used;          /* added */
	bool enabled;       /* takes part in forwarding */
	bool uplink;        /* informational: the port leads off the host */
	uint64_t rx_frames; /* frames from this port accepted by the switch */
	uint64_t tx_frames; /* frames the switch sent to this port */
	uint64_t drops;     /* frames from this port the switch refused */
};

struct vswitch_fdb_entry {
	uint8_t mac[VSWITCH_ETH_ALEN];
	uint8_t port;
	bool valid;
	uint64_t seen; /* caller's clock at the last frame from mac */
};

struct vswitch {
	char name[VSWITCH_NAME_LEN];
	uint64_t ageing; /* FDB ageing time in caller units; 0 = never */
	unsigned nports; /* one past the highest port in use (numbers 0 .. nports-1) */
	struct vswitch_port port[VSWITCH_MAX_PORTS];
	struct vswitch_fdb_entry fdb[VSWITCH_FDB_SIZE];
	/* statistics */
	uint64_t drops;   /* all refused frames, also from invalid ports */
	uint64_t floods;  /* frames sent to every other enabled port */
	uint64_t learned; /* FDB entries created (new MAC or reused slot) */
};

/* One queued frame. */
struct vswitch_pkt_slot {
	uint32_t len;
	uint8_t data[VSWITCH_SLOT_SIZE];
};

struct vswitch_pktq {
	struct vswitch_pkt_slot *slot; /* caller's storage, nslots entries */
	uint32_t nslots;
	uint32_t head;  /* oldest frame */
	uint32_t count; /* frames queued */
	uint64_t drops; /* pushes refused because the queue was full */
};

/*
 * Initialise @sw with no ports and an empty FDB. @name is copied (up to
 * VSWITCH_NAME_LEN - 1 bytes, NULL = ""). @ageing is the FDB ageing time in
 * the units of the @now passed to vswitch_forward() (0: entries never age).
 * Caller owns @sw.
 */
void vswitch_init(struct vswitch *sw, const char *name, uint64_t ageing);

/*
 * Add a port, enabled, with its informational @uplink flag. Returns the
 * port number (0 .. VSWITCH_MAX_PORTS-1: the lowest one free, so in order
 * of addition while none was removed) or -FV_ENOSPC when all ports are in
 * use.
 */
int vswitch_add_port(struct vswitch *sw, bool uplink);

/*
 * Remove @port (undo of vswitch_add_port, e.g. when a VM's creation fails):
 * its learnt MACs are flushed, its number becomes free for the next add, and
 * nports drops to one past the highest port still in use. Returns 0 or
 * -FV_EINVAL for a port that is not in use.
 */
int vswitch_remove_port(struct vswitch *sw, unsigned port);

/*
 * Enable or disable @port. Disabling flushes the MACs learnt on it; a
 * disabled port is neither flooded to nor accepted as a source. Returns 0
 * or -FV_EINVAL for a port that was not added.
 */
int vswitch_port_set_enabled(struct vswitch *sw, unsigned port, bool enabled);

/*
 * Forward one Ethernet frame (no FCS) received on @in_port at time @now.
 * Returns the bitmask of destination ports (bit p = port p), never
 * including @in_port. Refused, with 0 and a drop counted (on in_port when
 * it is valid): in_port not added or disabled; len < VSWITCH_ETH_HLEN or
 * over VSWITCH_MAX_FRAME (VSWITCH_MAX_FRAME_Q with an 802.1Q/802.1ad tag);
 * a multicast, broadcast or all-zero source MAC. Otherwise the source MAC
 * is learnt on in_port and the frame goes to the port of a known unicast
 * destination (0 if that is in_port: hairpin, counted as a drop) or, for
 * unknown unicast, broadcast and multicast destinations, to every enabled
 * port but in_port. Destination ports' tx_frames are counted here.
 * @frame is guest data, read only within [0, VSWITCH_ETH_HLEN) (so a
 * caller may pass just a copy of the header with the frame's real @len).
 * @now should not go
 * backwards (an entry "from the future" counts as expired).
 */
uint32_t vswitch_forward(struct vswitch *sw, unsigned in_port, const uint8_t *frame, size_t len,
                         uint64_t now);

/* A minimum-size Ethernet frame: the announcement below. */
#define VSWITCH_RARP_LEN 60u

/*
 * A MAC address announcement (after a live migration: the VM's NIC is on
 * this host now): a broadcast RARP "request reverse" frame (EtherType
 * 0x8035, RFC 903) from @mac about @mac, padded to VSWITCH_RARP_LEN bytes,
 * into @out. Every switch and bridge it crosses learns @mac on the port it
 * came in by, so frames for the VM follow it; hosts ignore RARP.
 */
void vswitch_rarp_frame(uint8_t out[VSWITCH_RARP_LEN], const uint8_t mac[VSWITCH_ETH_ALEN]);

/*
 * Port on which @mac was learnt and has not aged out at @now, or
 * -FV_ENOENT. For diagnostics and the management shell.
 */
int vswitch_fdb_lookup(const struct vswitch *sw, const uint8_t mac[VSWITCH_ETH_ALEN], uint64_t now);

/*
 * Initialise @q as an empty FIFO over @nslots slots at @slots (caller's
 * storage, outliving @q). Returns 0 or -FV_EINVAL (NULL storage or no
 * slots; @q is then a queue that refuses every push).
 */
int vswitch_pktq_init(struct vswitch_pktq *q, struct vswitch_pkt_slot *slots, unsigned nslots);

/*
 * Append a copy of @frame (@len bytes). Returns 0; -FV_EINVAL if len is 0
 * or over VSWITCH_SLOT_SIZE; -FV_ENOSPC if the queue is full (counted in
 * q->drops). Nothing is queued on error.
 */
int vswitch_pktq_push(struct vswitch_pktq *q, const uint8_t *frame, size_t len);

/*
 * Append a frame of @len bytes that @fill(@ctx, dst) writes into the slot
 * (it must write exactly @len bytes and return @len; any other result
 * queues nothing). Same results as vswitch_pktq_push(), -FV_EIO for a
 * short fill. Saves the bounce copy of a frame still in a guest's buffers.
 */
int vswitch_pktq_push_fill(struct vswitch_pktq *q, size_t len,
                           size_t (*fill)(const void *ctx, uint8_t *dst), const void *ctx);

/*
 * The oldest frame: true with *@frame / *@len set (valid until the next
 * vswitch_pktq_pop() or re-init), false if the queue is empty.
 */
bool vswitch_pktq_peek(const struct vswitch_pktq *q, const uint8_t **frame, size_t *len);

/* Drop the oldest frame; nothing if the queue is empty. */
void vswitch_pktq_pop(struct vswitch_pktq *q);

/* Frames queued. */
unsigned vswitch_pktq_count(const struct vswitch_pktq *q);

#endif
