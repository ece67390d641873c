/* SPDX-License-Identifier: MIT */
#ifndef FV_VDEV_VIRTIO_MMIO_H
#define FV_VDEV_VIRTIO_MMIO_H

/*
 * VIRTIO 1.2 over MMIO, version 2 register layout (spec §4.2.2), device
 * side: the transport register model shared by every emulated virtio device.
 * A device model (virtio-blk, -net, -console ...) describes itself with a
 * struct virtio_dev_info and implements struct virtio_dev_ops; the host (VM
 * layer) supplies guest-memory translation and the interrupt line.
 *
 * Status (spec §2.1, §3.1): writing 0 resets the device; the driver may only
 * add ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK and FAILED bits (attempts
 * to clear bits are ignored, DEVICE_NEEDS_RESET is device-owned). FEATURES_OK
 * sticks only if the driver's features are a subset of the offered ones,
 * include VIRTIO_F_VERSION_1 and pass ops->features_ok; the driver feature
 * words are frozen from then on. DRIVER_OK sticks only after FEATURES_OK.
 * Queues are processed (ops->notify) only while DRIVER_OK is set and neither
 * FAILED nor DEVICE_NEEDS_RESET is (spec §3.1.2 "MUST NOT consume buffers
 * before DRIVER_OK").
 *
 * Hostile access: control registers (offset < 0x100) accept only aligned
 * 32-bit accesses (spec §4.2.2.2); other widths or misaligned offsets return
 * -FV_EINVAL (the guest gets an access fault) without side effect. Reads of
 * write-only, reserved and legacy registers return 0 (SHMLen/SHMBase: ~0,
 * "no such region"); writes to read-only or reserved registers are ignored.
 * Config space (0x100 + config_size) takes 1, 2, 4 or 8-byte accesses at any
 * offset; bytes past config_size read 0 and ignore writes. A QueueSel beyond
 * the device's queues selects nothing (QueueNumMax and QueueReady read 0,
 * queue writes are ignored). Invalid queue setups (QueueReady = 1 with a bad
 * size or bad addresses) and ring errors found by the device set
 * DEVICE_NEEDS_RESET.
 *
 * Concurrency: not internally locked. The owner serialises every call on
 * one instance (the VM's lock for this device). Callbacks run synchronously
 * inside those calls with that serialisation held; ops callbacks may call
 * virtio_mmio_queue(), virtio_mmio_used_irq(), virtio_mmio_config_changed(),
 * virtio_mmio_needs_reset() and the query helpers, never
 * virtio_mmio_read/write/reset.
 *
 * Snapshots: plain values apart from ops/ctx, host/host_ctx and the queues'
 * translation callback. Counts and indices are clamped on use.
 */
#include "lib/types.h"
#include "vdev/virtq.h"

#define VIRTIO_MMIO_SIZE       0x200u      /* register window per device */
#define VIRTIO_MMIO_MAGIC      0x74726976u /* "virt" */
#define VIRTIO_MMIO_VERSION_2  2u
#define VIRTIO_MMIO_VENDOR     0x52535646u /* "FVSR" */
#define VIRTIO_MMIO_MAX_QUEUES 8u
#define VIRTIO_MMIO_CONFIG     0x100u
#define VIRTIO_MMIO_CONFIG_MAX (VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG)

/* Register offsets (spec §4.2.2, table "MMIO Device Register Layout"). */
#define VIRTIO_MMIO_MAGIC_VALUE         0x000u
#define VIRTIO_MMIO_VERSION             0x004u
#define VIRTIO_MMIO_DEVICE_ID           0x008u
#define VIRTIO_MMIO_VENDOR_ID           0x00cu
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010u
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014u
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020u
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024u
#define VIRTIO_MMIO_QUEUE_SEL           0x030u
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034u
#define VIRTIO_MMIO_QUEUE_NUM           0x038u
#define VIRTIO_MMIO_QUEUE_READY         0x044u
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050u
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060u
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064u
#define VIRTIO_MMIO_STATUS              0x070u
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080u
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084u
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090u
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094u
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0u
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4u
#define VIRTIO_MMIO_SHM_SEL             0x0acu
#define VIRTIO_MMIO_SHM_LEN_LOW         0x0b0u
#define VIRTIO_MMIO_SHM_LEN_HIGH        0x0b4u
#define VIRTIO_MMIO_SHM_BASE_LOW        0x0b8u
#define VIRTIO_MMIO_SHM_BASE_HIGH       0x0bcu
#define VIRTIO_MMIO_QUEUE_RESET         0x0c0u
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fcu

/* InterruptStatus / InterruptACK bits */
#define VIRTIO_MMIO_INT_VRING  1u /* used buffer notification */
#define VIRTIO_MMIO_INT_CONFIG 2u /* configuration change notification */

/* Device status bits (spec §2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE        1u
#define VIRTIO_STATUS_DRIVER             2u
#define VIRTIO_STATUS_DRIVER_OK          4u
#define VIRTIO_STATUS_FEATURES_OK        8u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED             128u

/* Reserved feature bits (spec §6) used here, as bit numbers */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1     32
#define VIRTIO_FEAT(bit)       (1ULL << (bit))

/*
 * Device IDs (spec §5). Guarded and spelled exactly like the physical
 * driver's (drivers/virtio_mmio_phys.h) so both headers can be included.
 */
#ifndef VIRTIO_ID_NET
#define VIRTIO_ID_NET 1
#endif
#ifndef VIRTIO_ID_BLOCK
#define VIRTIO_ID_BLOCK 2
#endif
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG     4

/* What a device model is; copied into the transport state at init. */
struct virtio_dev_info {
	uint32_t device_id;   /* VIRTIO_ID_*, non-zero */
	uint64_t features;    /* offered; VIRTIO_F_VERSION_1 is always added */
	uint16_t nqueues;     /* 1..VIRTIO_MMIO_MAX_QUEUES */
	uint16_t queue_max;   /* QueueNumMax: power of two, 1..VIRTQ_SIZE_MAX */
	uint32_t config_size; /* device config bytes, <= VIRTIO_MMIO_CONFIG_MAX */
};

/* Device model callbacks; all optional (NULL) unless said otherwise. */
struct virtio_dev_ops {
	/* Copy config bytes [off, off+len) (within config_size) to/from buf. */
	void (*config_read)(void *ctx, uint32_t off, void *buf, uint32_t len);
	void (*config_write)(void *ctx, uint32_t off, const void *buf, uint32_t len);
	/* Extra feature-dependency check at FEATURES_OK; false refuses it. */
	bool (*features_ok)(void *ctx, uint64_t features);
	/* Available buffer notification for a ready queue, device running. */
	void (*notify)(void *ctx, unsigned queue);
	/* Device reset (status 0 or virtio_mmio_reset()); queues already reset. */
	void (*reset)(void *ctx);
};

/* Host (VM) side. Both callbacks required for a working device. */
struct virtio_mmio_host {
	virtq_gpa_to_hva_fn gpa_to_hva; /* this VM's RAM only */
	virtq_dirty_fn dirty;           /* optional: device writes into RAM (virtq_set_dirty) */
	/* Interrupt line changed to @level (InterruptStatus != 0). */
	void (*irq_update)(void *ctx, bool level);
};

struct virtio_mmio {
	/* identity (from struct virtio_dev_info) */
	uint32_t device_id;
	uint32_t nqueues;
	uint32_t queue_max;
	uint32_t config_size;
	uint64_t device_features;
	/* registers */
	uint64_t driver_features;
	uint32_t dev_features_sel;
	uint32_t drv_features_sel;
	uint32_t queue_sel;
	uint32_t status;
	uint32_t isr;
	uint32_t config_gen;
	bool irq_level; /* last level reported through host->irq_update */
	struct virtq vq[VIRTIO_MMIO_MAX_QUEUES];
	const struct virtio_dev_ops *ops;
	void *ctx;
	const struct virtio_mmio_host *host;
	void *host_ctx;
};

/*
 * Initialise @t in reset state for the device described by @info, with
 * device callbacks @ops(@ctx) and host callbacks @host(@host_ctx). Does not
 * call any callback. Returns 0, or -FV_EINVAL for an invalid @info (@t is
 * then inert: DeviceID 0, no queues). Caller owns @t.
 */
int virtio_mmio_init(struct virtio_mmio *t, const struct virtio_dev_info *info,
                     const struct virtio_dev_ops *ops, void *ctx,
                     const struct virtio_mmio_host *host, void *host_ctx);

/*
 * Device reset, as if the driver wrote 0 to Status: status, features,
 * selectors, interrupt status and every queue cleared; calls ops->reset and
 * lowers the interrupt line if it was high. For the VM layer on VM reset.
 */
void virtio_mmio_reset(struct virtio_mmio *t);

/*
 * Guest MMIO read/write at byte @offset of the window (see the header
 * comment for the access rules). Returns 0; -FV_ERANGE if offset + width
 * exceeds VIRTIO_MMIO_SIZE; -FV_EINVAL for a refused width/alignment. On
 * error reads return *val = 0 and nothing changes. Writes may call ops and
 * host callbacks. Guest-controlled input. Serialised by the caller.
 */
int virtio_mmio_read(struct virtio_mmio *t, uint64_t offset, unsigned width, uint64_t *val);
int virtio_mmio_write(struct virtio_mmio *t, uint64_t offset, unsigned width, uint64_t val);

/* Queue @idx of the device, NULL if idx >= nqueues. */
struct virtq *virtio_mmio_queue(struct virtio_mmio *t, unsigned idx);

/* Device side: raise the used buffer interrupt (InterruptStatus bit 0). */
void virtio_mmio_used_irq(struct virtio_mmio *t);

/*
 * Device side: configuration changed. Bumps ConfigGeneration and, once
 * DRIVER_OK is set, raises the configuration change interrupt.
 */
void virtio_mmio_config_changed(struct virtio_mmio *t);

/*
 * Device side: enter the error state (spec §2.1.2): set DEVICE_NEEDS_RESET,
 * stop processing queues until the driver resets the device, and if
 * DRIVER_OK is set send a configuration change notification.
 */
void virtio_mmio_needs_reset(struct virtio_mmio *t);

/* DRIVER_OK set, and neither FAILED nor DEVICE_NEEDS_RESET. Pure. */
bool virtio_mmio_running(const struct virtio_mmio *t);

/* Whether feature @bit was negotiated (FEATURES_OK accepted). Pure. */
bool virtio_mmio_has_feature(const struct virtio_mmio *t, unsigned bit);

/* Current level of the interrupt output. Pure. */
static inline bool virtio_mmio_irq_pending(const struct virtio_mmio *t)
{
	return t->isr != 0;
}

#endif
