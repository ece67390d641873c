/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_SNAP_FMT_H
#define FV_CORE_SNAP_FMT_H

/*
 * The VM snapshot format (docs/snapshot-format.md), pure C11: a streaming
 * generator (snap_gen_*) that produces the byte stream on demand from a
 * paused VM through callbacks, and a streaming parser (snap_rd_*) that takes
 * the stream in pieces of any size and hands each part to its consumer once
 * it is checked. A snapshot file is hostile input: the parser checks every
 * length, count, offset, order rule and CRC-32C before it passes anything on,
 * and stops at the first error for good (snap_rd.err, sticky).
 *
 * Shared unchanged by the hypervisor and the host unit tests / fuzzer; uses
 * only <stdint.h>/<stddef.h>/<stdbool.h> and ctl_proto.c's CRC-32C.
 *
 * Layout: a 128-byte file header, then sections, each
 *   u16 type, u16 instance, u32 reserved (0), u64 length, payload[length],
 *   u32 CRC-32C over the 16 header bytes and the payload,
 * in this order: CONFIG; IMAGE 0 (kernel), IMAGE 1 (initrd, if any); the
 * state sections (VM, VM_ARCH, VCPU i, VCPU_ARCH i, IRQCHIP, RTC, UART, DEVICE j, any
 * order, each at most once); RAM chunks by increasing address; END (length 0).
 * A migration stream differs (SNAP_F_MIGRATION): BIND j sections after the
 * images, RAM and state interleaved, RAM repeated, END with the guest time.
 * Integers are little-endian.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SNAP_MAGIC       "FVSNAP\r\n" /* 8 bytes: a text-mode copy breaks it */
#define SNAP_VERSION     1u
#define SNAP_HDR_SIZE    128u
#define SNAP_SECT_HDR    16u
#define SNAP_SECT_CRC    4u
#define SNAP_SMALL_MAX   16384u /* largest payload of a non-streamed section */
#define SNAP_PAGE        4096u
#define SNAP_CHUNK_PAGES 1024u /* pages described by one RAM section at most */
#define SNAP_RAM_HEAD    16u   /* gpa, npages, reserved before the bitmap */
#define SNAP_MAX_VCPUS   64u
#define SNAP_MAX_DEVICES 8u /* DEVICE instances 0..7 */
#define SNAP_NAME_MAX    32u
#define SNAP_ARCH_MAX    16u
#define SNAP_IMAGE_MAX   (1ull << 32) /* an image section is at most 4 GiB */
#define SNAP_RAM_MAX     (1ull << 40) /* guest RAM described by one snapshot */
#define SNAP_MIG_END_LEN 8u           /* a migration stream's END: guest time at the final pause */

/* hdr.flags */
#define SNAP_F_RUNNING   0x1u /* the VM was running (paused for the save) */
#define SNAP_F_MIGRATION 0x2u /* a live-migration stream (rounds; no total size) */
#define SNAP_F_KNOWN     (SNAP_F_RUNNING | SNAP_F_MIGRATION)

enum snap_sect {
	SNAP_S_CONFIG = 1,    /* the VM's configuration (snap_cfg.c) */
	SNAP_S_IMAGE = 2,     /* instance 0 kernel, 1 initrd: raw bytes, streamed */
	SNAP_S_VM = 3,        /* arch-neutral VM state */
	SNAP_S_VM_ARCH = 4,   /* arch VM state (arch_snap_vm_*) */
	SNAP_S_VCPU = 5,      /* arch-neutral vCPU state, instance = vCPU index */
	SNAP_S_VCPU_ARCH = 6, /* arch vCPU state (arch_snap_vcpu_*), instance = vCPU index */
	SNAP_S_IRQCHIP = 7,   /* the emulated interrupt controller (arch payload) */
	SNAP_S_RTC = 8,       /* the goldfish RTC */
	SNAP_S_UART = 9,      /* the ns16550 and console input queue */
	SNAP_S_RAM = 10,      /* a chunk of guest RAM, zero pages elided */
	SNAP_S_DEVICE = 11,   /* a virtio device, instance = its window (snap_virtio.c) */
	SNAP_S_BIND = 12,     /* migration streams only: device j's backend binding, before RAM */
	SNAP_S_TYPES = 13,
	SNAP_S_END = 0xffff,
};

/* Errors (SNAP_OK = 0); a consumer callback returns one of these too. */
enum snap_err {
	SNAP_OK = 0,
	SNAP_E_MAGIC,     /* not a snapshot */
	SNAP_E_VERSION,   /* format version this build does not read */
	SNAP_E_ARCH,      /* made on another architecture */
	SNAP_E_HDR_CRC,   /* header checksum */
	SNAP_E_FIELD,     /* reserved field not zero, count or flag out of range */
	SNAP_E_ORDER,     /* section out of order, duplicated or unknown */
	SNAP_E_LENGTH,    /* section length wrong for its type */
	SNAP_E_CRC,       /* section checksum */
	SNAP_E_RANGE,     /* RAM chunk outside the VM's RAM or overlapping the last */
	SNAP_E_TRAILING,  /* bytes after END */
	SNAP_E_TRUNCATED, /* stream ended before END (snap_rd_finish) */
	SNAP_E_SIZE,      /* END not at the header's total size */
	SNAP_E_CONSUMER,  /* the consumer refused a section (it logged why) */
	SNAP_E_COUNT,
};

struct snap_hdr {
	uint32_t version;
	uint32_t flags;
	char arch[SNAP_ARCH_MAX]; /* NUL-terminated, e.g. "riscv64" */
	char name[SNAP_NAME_MAX]; /* the VM's name, NUL-terminated */
	uint64_t total_size;      /* bytes of the whole file, END included */
	uint64_t guest_time;      /* guest clock (timebase ticks) when saved */
	uint64_t timebase_hz;
	uint64_t ram_gpa; /* the VM's one RAM region */
	uint64_t ram_size;
	uint32_t nr_vcpus;    /* 1..SNAP_MAX_VCPUS */
	uint32_t nr_sections; /* END included */
};

/* Name of an error ("E_CRC"), "?" for an unknown one. */
const char *snap_err_name(int err);

/* Encode / decode the header (SNAP_HDR_SIZE bytes, CRC included / checked). */
void snap_hdr_put(uint8_t *p, const struct snap_hdr *h);
int snap_hdr_get(const uint8_t *p, struct snap_hdr *h, const char *arch);

/*
 * Append one complete section (header, @len payload bytes, CRC) at @out
 * (room @cap). Returns the bytes written, 0 if it does not fit or @len >
 * SNAP_SMALL_MAX. The state sections are built with this.
 */
size_t snap_sect_put(uint8_t *out, size_t cap, uint16_t type, uint16_t inst, const void *payload,
                     uint32_t len);

/* --- generator ------------------------------------------------------------------------------ */

struct snap_gen_ops {
	/* Contents of the RAM page at @gpa, or NULL when it is known to be zero (never touched). */
	const uint8_t *(*page)(void *ctx, uint64_t gpa);
	/* Image @inst bytes from @off: pointer and *n contiguous bytes available (>= 1). */
	const uint8_t *(*image)(void *ctx, unsigned inst, uint64_t off, uint64_t *n);
};

enum snap_gen_stage { SG_PRE, SG_IMAGE, SG_POST, SG_RAM, SG_END, SG_DONE };

struct snap_gen {
	const struct snap_gen_ops *ops;
	void *ctx;
	struct snap_hdr hdr;
	const uint8_t *post; /* state sections, complete (snap_sect_put) */
	uint32_t post_len;
	uint64_t image_len[2];
	uint8_t *nz; /* bit p: page p of RAM is not zero (caller's storage) */
	uint64_t npages;
	/* cursor */
	uint64_t pos;
	enum snap_gen_stage stage;
	unsigned sub;      /* image instance / RAM chunk index */
	uint64_t sub_off;  /* bytes of the current item emitted */
	uint64_t sub_len;  /* its payload bytes */
	uint32_t crc;      /* running CRC of the current streamed section */
	unsigned part;     /* streamed section: 0 head (tmp), 1 data, 2 CRC (tail) */
	uint64_t page_cur; /* RAM: page being emitted (index from ram_gpa) */
	uint32_t page_off;
	uint32_t tmp_len, tmp_off;
	bool mig;         /* a migration stream: segments (snap_gen_mig_*) */
	bool final;       /* migration: the current segment ends with END */
	bool pre;         /* migration: the first segment (its BIND sections end it) */
	uint64_t pre_len; /* migration: bytes of the first segment */
	uint8_t tail[SNAP_SECT_CRC];
	uint8_t tmp[SNAP_HDR_SIZE + SNAP_SECT_HDR + SNAP_SMALL_MAX + SNAP_SECT_CRC];
};

/* Bytes of the caller's bitmap storage for @ram_size bytes of RAM. */
static inline size_t snap_gen_bitmap_bytes(uint64_t ram_size)
{
	return (size_t)((ram_size / SNAP_PAGE + 7) / 8);
}

/*
 * Prepare a stream: @hdr (total_size and nr_sections are computed here),
 * the CONFIG payload (@cfg_len <= SNAP_SMALL_MAX), the image sizes (0 =
 * no such image; the kernel is required), @post/@post_len/@post_sections
 * the encoded state sections, @nz the bitmap storage (zeroed here). Scans
 * the RAM once through ops->page to find the non-zero pages: the VM must
 * not run until the stream is read. Returns SNAP_OK or SNAP_E_FIELD.
 */
int snap_gen_init(struct snap_gen *g, const struct snap_gen_ops *ops, void *ctx,
                  const struct snap_hdr *hdr, const void *cfg, uint32_t cfg_len,
                  const uint64_t image_len[2], const uint8_t *post, uint32_t post_len,
                  uint32_t post_sections, uint8_t *nz);

/* Next up to @cap bytes of the stream into @out; returns how many (0 at the end). */
size_t snap_gen_read(struct snap_gen *g, uint8_t *out, size_t cap);

/*
 * A live-migration stream (docs/snapshot-format.md, "Migration streams"): the
 * same sections, read in segments. mig_init prepares the first segment: the
 * header (SNAP_F_MIGRATION, total size and section count 0), CONFIG, the
 * images and @bind/@bind_len, the encoded BIND sections (one per virtio device,
 * complete as snap_sect_put makes them; the caller's storage, kept until the
 * segment is read; may be empty); @nz is the caller's page bitmap (snap_gen_bitmap_bytes, zeroed
 * here). Each later segment is one round: the caller sets the bits of the
 * pages to send in g->nz (every bit set is sent, zero pages too: they
 * overwrite what an earlier round sent), then mig_round starts it; @final
 * puts the state sections @post first and END last (carrying g->hdr.guest_time,
 * which the caller sets to the paused VM's clock first). A segment is read with
 * snap_gen_read until it returns 0; mig_round needs the previous one read
 * whole. mig_init returns SNAP_OK or SNAP_E_FIELD; mig_round the bytes of
 * the segment (0: an empty round), or UINT64_MAX if the previous segment is
 * not finished or END was sent.
 */
int snap_gen_mig_init(struct snap_gen *g, const struct snap_gen_ops *ops, void *ctx,
                      const struct snap_hdr *hdr, const void *cfg, uint32_t cfg_len,
                      const uint64_t image_len[2], const uint8_t *bind, uint32_t bind_len,
                      uint8_t *nz);
uint64_t snap_gen_mig_round(struct snap_gen *g, const uint8_t *post, uint32_t post_len, bool final);
/* Bytes of the segment snap_gen_mig_init prepared (header, CONFIG, images, BIND). */
uint64_t snap_gen_mig_pre_bytes(const struct snap_gen *g);

/* --- parser --------------------------------------------------------------------------------- */

struct snap_rd_ops {
	/* The checked header. */
	int (*header)(void *ctx, const struct snap_hdr *h);
	/* A whole non-streamed section (CONFIG and the state sections), its CRC verified; in
	 * a migration stream also END's payload (the guest time), before end(). */
	int (*section)(void *ctx, uint16_t type, uint16_t inst, const uint8_t *p, uint32_t len);
	/* Image @inst: @len bytes follow (called before its first byte). */
	int (*image_begin)(void *ctx, unsigned inst, uint64_t len);
	/* Image bytes at @off (CRC checked at the section's end: the consumer must not use
	 * them before its end callback). */
	int (*image)(void *ctx, unsigned inst, uint64_t off, const uint8_t *p, uint32_t n);
	/* @n RAM bytes for guest address @gpa (inside one page, inside the header's RAM). */
	int (*ram)(void *ctx, uint64_t gpa, const uint8_t *p, uint32_t n);
	/* END read: every section's CRC was good and the size is the header's. Bytes pushed
	 * after END still fail the stream (SNAP_E_TRAILING): commit only when
	 * snap_rd_finish() returns SNAP_OK. */
	int (*end)(void *ctx);
};

enum snap_rd_state {
	SR_HDR,
	SR_SECT,
	SR_SMALL,
	SR_IMAGE,
	SR_RAM_HEAD,
	SR_RAM_PAGE,
	SR_CRC,
	SR_DONE
};

struct snap_rd {
	const struct snap_rd_ops *ops;
	void *ctx;
	const char *arch;
	int err; /* first error; sticky */
	enum snap_rd_state st;
	uint64_t pos; /* bytes taken */
	struct snap_hdr hdr;
	uint32_t have; /* bytes of the current fixed-size item in buf */
	uint32_t need;
	uint16_t type, inst;
	uint64_t len, done; /* current section's payload length and bytes read */
	uint32_t crc;
	uint32_t nsect;
	unsigned phase; /* 0 CONFIG next, 1 images, 2 state, 3 RAM, 4 done */
	unsigned images;
	uint64_t seen[SNAP_S_TYPES]; /* bit i: (type, instance i) read */
	bool state_begun;            /* a state section was read (no BIND after it) */
	uint64_t ram_next;           /* lowest address the next RAM chunk may start at */
	uint64_t ram_gpa;            /* current chunk */
	uint32_t ram_npages, ram_bit, ram_page_off;
	uint8_t ram_bm[SNAP_CHUNK_PAGES / 8];
	bool mig; /* the header's SNAP_F_MIGRATION: RAM may repeat, no total size */
	uint8_t tail[SNAP_SECT_CRC];
	uint8_t buf[SNAP_SECT_HDR + SNAP_SMALL_MAX];
};

/* Start a parse; @arch is the architecture this build restores ("riscv64"). */
void snap_rd_init(struct snap_rd *r, const struct snap_rd_ops *ops, void *ctx, const char *arch);
/* Feed @n bytes. Returns SNAP_OK or the (sticky) error. */
int snap_rd_push(struct snap_rd *r, const uint8_t *p, size_t n);
/* The stream is over: SNAP_OK only when END was read (else the error or SNAP_E_TRUNCATED). */
int snap_rd_finish(const struct snap_rd *r);

#endif
