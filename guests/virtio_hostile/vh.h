/* SPDX-License-Identifier: MIT */
#ifndef VH_H
#define VH_H

/*
 * virtio_hostile: a guest that owns virtio-blk device 0 (virtio-mmio version 2 at
 * VH_BASE, VIRTIO 1.2 §4.2) and attacks it. This header is shared by the driver (vdrv.c),
 * the check helpers (check.c) and the attack groups (attack_*.c).
 *
 * The driver polls: the device serves a notification synchronously in the trapped
 * QueueNotify store (work beyond its per-call budget continues on the vCPU's next exits),
 * so completions are visible right after the kick or after a few more exits. Interrupts
 * stay off; InterruptStatus is read and acknowledged by hand.
 */
#include <stdbool.h>
#include <stdint.h>

/* --- device registers (spec §4.2.2) ---------------------------------------------------- */

#define VH_BASE        0x10001000UL
#define VH_WINDOW      0x200UL /* the device's register window; the stride is 0x1000 */
#define VH_PLIC        0x0c000000UL
#define VH_UART        0x10000000UL
#define R_MAGIC        0x000u
#define R_VERSION      0x004u
#define R_DEVICE_ID    0x008u
#define R_DEV_FEAT     0x010u
#define R_DEV_FEAT_SEL 0x014u
#define R_DRV_FEAT     0x020u
#define R_DRV_FEAT_SEL 0x024u
#define R_QUEUE_SEL    0x030u
#define R_QUEUE_NUMMAX 0x034u
#define R_QUEUE_NUM    0x038u
#define R_QUEUE_READY  0x044u
#define R_NOTIFY       0x050u
#define R_ISR          0x060u
#define R_ISR_ACK      0x064u
#define R_STATUS       0x070u
#define R_DESC_LO      0x080u
#define R_DESC_HI      0x084u
#define R_AVAIL_LO     0x090u
#define R_AVAIL_HI     0x094u
#define R_USED_LO      0x0a0u
#define R_USED_HI      0x0a4u
#define R_CONFIG       0x100u

#define ST_ACK         1u
#define ST_DRIVER      2u
#define ST_DRIVER_OK   4u
#define ST_FEATURES_OK 8u
#define ST_NEEDS_RESET 64u
#define ST_FAILED      128u

#define ISR_VRING  1u
#define ISR_CONFIG 2u

#define F_BLK_SEG_MAX  (1ULL << 2)
#define F_BLK_BLK_SIZE (1ULL << 6)
#define F_BLK_FLUSH    (1ULL << 9)
#define F_INDIRECT     (1ULL << 28)
#define F_EVENT_IDX    (1ULL << 29)
#define F_VERSION_1    (1ULL << 32)
/* What a well-behaved driver negotiates here (no event index: every kick is served). */
#define VH_FEATURES (F_VERSION_1 | F_INDIRECT | F_BLK_FLUSH | F_BLK_SEG_MAX | F_BLK_BLK_SIZE)

/* --- split virtqueue (spec §2.7) and block requests (spec §5.2.6) ------------------------ */

#define VH_QMAX 256u /* the largest queue this guest lays out (QueueNumMax is 256) */
#define VH_QDEF 16u  /* the queue size of a normal initialisation */
/* How long a request may take before it counts as dropped (completions are asynchronous). */
#define VH_WAIT_MS 1000u

#define D_NEXT     1u
#define D_WRITE    2u
#define D_INDIRECT 4u

#define T_IN     0u
#define T_OUT    1u
#define T_FLUSH  4u
#define T_GET_ID 8u
#define S_OK     0u
#define S_IOERR  1u
#define S_UNSUPP 2u

#define SECTOR     512u
#define VH_UNTOUCH 0xa5u /* sentinel for status bytes and buffers the device must not write */

struct vh_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vh_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[VH_QMAX + 1]; /* + used_event after ring[size] */
};

struct vh_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vh_used {
	uint16_t flags;
	uint16_t idx;
	struct vh_used_elem ring[VH_QMAX];
	uint16_t avail_event;
};

struct vh_blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* The queue as the driver sees it; the ring pointers may be moved by ring attacks. */
struct vh_queue {
	volatile struct vh_desc *desc;
	volatile struct vh_avail *avail;
	volatile struct vh_used *used;
	uint16_t size;
	uint16_t avail_idx; /* the avail->idx published last */
	uint16_t used_seen; /* used->idx consumed so far */
};

/*
 * Guest memory the requests use (in .bss, page-aligned). slot k owns hdr[k], status[k] and
 * ind[k] (an indirect table of 4 descriptors); data[] holds four 4 KiB buffers; big is the
 * 512 KiB buffer of the reset-in-a-batch attack.
 */
#define VH_DATA_BUFS 4u
#define VH_DATA_SIZE 4096u
#define VH_BIG_SIZE  (512u << 10)
struct vh_mem {
	struct vh_desc desc[VH_QMAX];
	struct vh_avail avail __attribute__((aligned(4096)));
	struct vh_used used __attribute__((aligned(4096)));
	struct vh_desc ind[VH_QMAX][4] __attribute__((aligned(4096)));
	struct vh_blk_hdr hdr[VH_QMAX];
	uint8_t status[VH_QMAX];
	uint8_t data[VH_DATA_BUFS][VH_DATA_SIZE] __attribute__((aligned(4096)));
	uint8_t big[VH_BIG_SIZE] __attribute__((aligned(4096)));
};

extern struct vh_mem vh_mem;
extern struct vh_queue vh_q;

/* Outcome of one request, as a bit so attacks can allow several. */
enum vh_outcome {
	VH_OK = 1,      /* completed, status S_OK */
	VH_ERR = 2,     /* completed with another status */
	VH_BROKEN = 4,  /* DEVICE_NEEDS_RESET, no used entry */
	VH_DROPPED = 8, /* neither completed nor reported: the driver would hang */
	VH_BADUSED = 16 /* used ring moved by more than one, or returned another id */
};

/* --- driver (vdrv.c) --------------------------------------------------------------------- */

uint32_t vh_rd(unsigned off);
void vh_wr(unsigned off, uint32_t val);
uint64_t vh_capacity(void);
/* Writes 0 to Status; returns Status read back (0 once the reset is done, spec §4.2.3.1). */
uint32_t vh_reset(void);
/* Reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK; true if FEATURES_OK stuck. */
bool vh_negotiate(uint64_t features);
/* Select queue 0 and program size and ring addresses (QueueReady untouched). */
void vh_queue_program(uint32_t size, uint64_t desc, uint64_t avail, uint64_t used);
/*
 * Full initialisation with the rings at the given guest addresses (zeroed here):
 * negotiate, program, QueueReady, DRIVER_OK. true if the queue is ready and the device
 * running. Points vh_q at the rings.
 */
bool vh_init_at(uint64_t features, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used);
/* vh_init_at() with the rings in vh_mem. */
bool vh_init(uint64_t features, uint16_t size);
void vh_set_desc(volatile struct vh_desc *table, unsigned i, uint64_t addr, uint32_t len,
                 uint16_t flags, uint16_t next);
/* Put head into the avail ring and advance avail->idx (no notification). */
void vh_publish(uint16_t head);
void vh_kick(void);
/*
 * Wait up to ms for used->idx to advance by n past vh_q.used_seen, or for
 * DEVICE_NEEDS_RESET. Returns VH_OK when it advanced by exactly n (vh_q.used_seen updated),
 * VH_BADUSED when by more, VH_BROKEN or VH_DROPPED.
 */
enum vh_outcome vh_wait(uint16_t n, uint32_t ms);
/* Publish head, kick, wait for its single completion and classify it by *status. */
enum vh_outcome vh_submit(uint16_t head, volatile uint8_t *status);
/*
 * Build a request chain in the ring's descriptor table from index first: header
 * hdr[slot] (type, sector), then len data bytes at gpa data (device-writable if
 * dev_writes; omitted if len is 0), then status[slot] (set to VH_UNTOUCH). Returns first.
 */
uint16_t vh_build(unsigned first, unsigned slot, uint32_t type, uint64_t sector, uint64_t data,
                  uint32_t len, bool dev_writes);
/* One request with descriptors 0..2 and slot 0; the outcome, and the status in *st. */
enum vh_outcome vh_rw(uint32_t type, uint64_t sector, void *buf, uint32_t len, uint8_t *st);
const char *vh_outcome_name(unsigned o);

/* --- checks and shared helpers (check.c) --------------------------------------------------- */

/* Round 0 prints every check; soak rounds print failures only, prefixed "soak<N>.". */
void vh_set_round(unsigned round);
unsigned vh_round(void);
bool vh_check(bool cond, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Check that got is one of the allowed outcome bits. */
bool vh_expect(const char *name, enum vh_outcome got, unsigned allowed);
/*
 * After an attack: reset (Status, QueueReady and InterruptStatus read 0), initialise
 * cleanly, read the reference sector and compare it. Checks "<name>.recover".
 */
bool vh_recover(const char *name);
/* The device reports DEVICE_NEEDS_RESET and a configuration change interrupt, and ignores
 * a valid request made available after that. Checks "<name>.broken" and ".stopped". */
void vh_expect_stopped(const char *name);
uint8_t vh_pattern(uint64_t sector, unsigned i);
void vh_fill(void *buf, uint64_t sector, uint32_t len);
bool vh_matches(const void *buf, uint64_t sector, uint32_t len);
bool vh_all(const void *buf, uint8_t v, uint32_t len);
/* Sleep ms with WFI and the SBI timer (interrupts stay masked). */
void vh_sleep_ms(uint32_t ms);
uint64_t vh_ram_end(void);
uint64_t vh_rng(void);
/* Fault bookkeeping of the register attacks. */
void vh_count_fault(void);
unsigned long vh_faults(void);

#define VH_REF_SECTOR 1u /* written by the baseline, read by every recovery */

/* --- attack groups --------------------------------------------------------------------------- */

void vh_baseline(void);
void vh_attack_ring(void);
void vh_attack_queue_setup(void);
void vh_attack_buffers(void);
void vh_attack_requests(void);
void vh_attack_registers(void);
void vh_attack_negotiation(void);
void vh_attack_storm(void);
void vh_attack_reset_batch(void);
void vh_attack_bad_mid_flight(void);
void vh_attack_race(void);
/* SBI SRST cold reboot from the second vCPU while a batch is served; does not return. */
void vh_reboot_mid_batch(void);

#endif
