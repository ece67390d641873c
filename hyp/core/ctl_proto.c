// SPDX-License-Identifier: MIT
/*
 * Control protocol encoder/decoder (docs/control-protocol.md): framing,
 * CRC-32C, stream reassembly with resynchronisation, request validation and
 * the staged upload's ordering rules. Pure: no allocation, no hypervisor
 * state, so it runs unchanged in host unit tests, the fuzzer and the daemon.
 * Every byte it reads comes from the service VM and is treated as hostile.
 */
#include "core/ctl_proto.h"

/*
 * CRC-32C, reflected polynomial 0x82F63B78, four bits per step through a
 * 16-entry table: const data (no init race in the hypervisor), and fast
 * enough for image uploads (two lookups per byte).
 */
static const uint32_t crc_nibble[16] = {
    0x00000000, 0x105ec76f, 0x20bd8ede, 0x30e349b1, 0x417b1dbc, 0x5125dad3, 0x61c69362, 0x7198540d,
    0x82f63b78, 0x92a8fc17, 0xa24bb5a6, 0xb21572c9, 0xc38d26c4, 0xd3d3e1ab, 0xe330a81a, 0xf36e6f75,
};

uint32_t ctl_crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ crc_nibble[crc & 0xf];
		crc = (crc >> 4) ^ crc_nibble[crc & 0xf];
	}
	return ~crc;
}

/* Fixed request sizes, indexed by type; max 0 = not a request type. */
struct req_size {
	uint16_t type;
	uint32_t min, max;
};

#define REF sizeof(struct ctl_vm_ref)
static const struct req_size req_sizes[] = {
    {CTL_T_HELLO, sizeof(struct ctl_hello), sizeof(struct ctl_hello)},
    {CTL_T_HOST_INFO, 0, 0},
    {CTL_T_VM_LIST, 0, 0},
    {CTL_T_VCPU_LIST, REF, REF},
    {CTL_T_DEV_LIST, REF, REF},
    {CTL_T_VM_START, REF, REF},
    {CTL_T_VM_STOP, REF, REF},
    {CTL_T_VM_RESET, REF, REF},
    {CTL_T_VM_PAUSE, REF, REF},
    {CTL_T_VM_RESUME, REF, REF},
    {CTL_T_VM_DESTROY, REF, REF},
    {CTL_T_SET_WEIGHT, sizeof(struct ctl_set_weight), sizeof(struct ctl_set_weight)},
    {CTL_T_SET_AFFINITY, sizeof(struct ctl_set_affinity), sizeof(struct ctl_set_affinity)},
    {CTL_T_UPLOAD_BEGIN, sizeof(struct ctl_upload_begin), sizeof(struct ctl_upload_begin)},
    {CTL_T_UPLOAD_CHUNK, sizeof(struct ctl_upload_chunk) + 1, CTL_MAX_PAYLOAD},
    {CTL_T_UPLOAD_COMMIT, sizeof(struct ctl_upload_id), sizeof(struct ctl_upload_id)},
    {CTL_T_UPLOAD_ABORT, sizeof(struct ctl_upload_id), sizeof(struct ctl_upload_id)},
    {CTL_T_CONSOLE_ATTACH, REF, REF},
    {CTL_T_CONSOLE_DETACH, REF, REF},
    {CTL_T_CONSOLE_INPUT, sizeof(struct ctl_console_input), CTL_MAX_PAYLOAD},
    {CTL_T_CTL_STATS, 0, 0},
    {CTL_T_HOST_METRICS, 0, 0},
    {CTL_T_VM_METRICS, REF, REF},
    {CTL_T_NET_METRICS, 0, 0},
    {CTL_T_TRACE_CTL, sizeof(struct ctl_trace_ctl), sizeof(struct ctl_trace_ctl)},
    {CTL_T_TRACE_READ, sizeof(struct ctl_trace_read), sizeof(struct ctl_trace_read)},
    {CTL_T_DUMP_INFO, REF, REF},
    {CTL_T_DUMP_READ, sizeof(struct ctl_dump_read), sizeof(struct ctl_dump_read)},
    {CTL_T_PROF_START, sizeof(struct ctl_prof_start), sizeof(struct ctl_prof_start)},
    {CTL_T_PROF_STOP, 0, 0},
    {CTL_T_PROF_READ, sizeof(struct ctl_prof_read), sizeof(struct ctl_prof_read)},
    {CTL_T_SNAP_BEGIN, sizeof(struct ctl_snap_begin), sizeof(struct ctl_snap_begin)},
    {CTL_T_SNAP_READ, sizeof(struct ctl_snap_read), sizeof(struct ctl_snap_read)},
    {CTL_T_SNAP_END, sizeof(struct ctl_snap_end), sizeof(struct ctl_snap_end)},
    {CTL_T_RESTORE_BEGIN, sizeof(struct ctl_restore_begin), sizeof(struct ctl_restore_begin)},
    {CTL_T_RESTORE_DATA, sizeof(struct ctl_upload_chunk) + 1, CTL_MAX_PAYLOAD},
    {CTL_T_RESTORE_COMMIT, sizeof(struct ctl_snap_end), sizeof(struct ctl_snap_end)},
    {CTL_T_RESTORE_ABORT, sizeof(struct ctl_snap_end), sizeof(struct ctl_snap_end)},
    {CTL_T_MIG_BEGIN, sizeof(struct ctl_snap_begin), sizeof(struct ctl_snap_begin)},
    {CTL_T_MIG_ROUND, sizeof(struct ctl_snap_end), sizeof(struct ctl_snap_end)},
    {CTL_T_MIG_READ, sizeof(struct ctl_snap_read), sizeof(struct ctl_snap_read)},
    {CTL_T_MIG_END, sizeof(struct ctl_snap_end), sizeof(struct ctl_snap_end)},
};
#undef REF

int ctl_req_size(uint16_t type, uint32_t *min, uint32_t *max)
{
	for (size_t i = 0; i < sizeof(req_sizes) / sizeof(req_sizes[0]); i++) {
		if (req_sizes[i].type == type) {
			*min = req_sizes[i].min;
			*max = req_sizes[i].max;
			return 1;
		}
	}
	return 0;
}

static const char *const status_names[CTL_STATUS_COUNT] = {
    "OK",
    "E_BAD_MAGIC",
    "E_BAD_VERSION",
    "E_BAD_CRC",
    "E_TOO_LONG",
    "E_TRUNCATED",
    "E_BAD_LENGTH",
    "E_UNKNOWN_TYPE",
    "E_BAD_FLAGS",
    "E_BAD_FIELD",
    "E_NO_VM",
    "E_BAD_STATE",
    "E_NOT_SUPPORTED",
    "E_NO_UPLOAD",
    "E_SEQUENCE",
    "E_UPLOAD_SIZE",
    "E_UPLOAD_CRC",
    "E_BUSY",
    "E_NO_MEMORY",
    "E_BAD_CONFIG",
    "E_LIMIT",
    "E_PERMISSION",
    "E_INTERNAL",
    "E_NOT_NEGOTIATED",
};

const char *ctl_status_name(uint32_t status)
{
	return status < CTL_STATUS_COUNT ? status_names[status] : "?";
}

void ctl_hdr_get(const uint8_t *p, struct ctl_hdr *h)
{
	h->magic = ctl_get32(p);
	h->version = p[4];
	h->flags = p[5];
	h->type = ctl_get16(p + 6);
	h->seq = ctl_get32(p + 8);
	h->status = ctl_get32(p + 12);
	h->len = ctl_get32(p + 16);
	h->crc = ctl_get32(p + 20);
}

void ctl_hdr_put(uint8_t *p, const struct ctl_hdr *h)
{
	ctl_put32(p, h->magic);
	p[4] = h->version;
	p[5] = h->flags;
	ctl_put16(p + 6, h->type);
	ctl_put32(p + 8, h->seq);
	ctl_put32(p + 12, h->status);
	ctl_put32(p + 16, h->len);
	ctl_put32(p + 20, h->crc);
}

size_t ctl_encode(uint8_t *out, size_t cap, const struct ctl_hdr *hdr, const void *payload,
                  size_t payload_len)
{
	if (payload_len > CTL_MAX_PAYLOAD || cap < CTL_HDR_SIZE || payload_len > cap - CTL_HDR_SIZE)
		return 0;
	struct ctl_hdr h = *hdr;
	h.magic = CTL_MAGIC;
	h.len = (uint32_t)payload_len;
	h.crc = 0;
	ctl_hdr_put(out, &h);
	const uint8_t *src = payload;
	for (size_t i = 0; i < payload_len; i++)
		out[CTL_HDR_SIZE + i] = src[i];
	h.crc = ctl_crc32c(0, out, CTL_HDR_SIZE + payload_len);
	ctl_put32(out + 20, h.crc);
	return CTL_HDR_SIZE + payload_len;
}

/* --- stream reassembly ------------------------------------------------------------------ */

void ctl_rx_init(struct ctl_rx *rx)
{
	rx->len = 0;
	rx->consume = 0;
	rx->in_garbage = 0;
}

/* Drop the first @n buffered bytes. */
static void rx_drop(struct ctl_rx *rx, uint32_t n)
{
	if (n > rx->len)
		n = rx->len;
	for (uint32_t i = n; i < rx->len; i++)
		rx->buf[i - n] = rx->buf[i];
	rx->len -= n;
}

/* The frame handed out by the last pop is no longer needed. */
static void rx_release(struct ctl_rx *rx)
{
	if (rx->consume) {
		rx_drop(rx, rx->consume);
		rx->consume = 0;
	}
}

size_t ctl_rx_push(struct ctl_rx *rx, const uint8_t *data, size_t n)
{
	rx_release(rx);
	size_t room = sizeof(rx->buf) - rx->len;
	size_t k = n < room ? n : room;
	for (size_t i = 0; i < k; i++)
		rx->buf[rx->len + i] = data[i];
	rx->len += (uint32_t)k;
	return k;
}

/* Offset of the first position that may start a magic (a full or partial match at the end). */
static uint32_t find_magic(const struct ctl_rx *rx)
{
	static const uint8_t m[4] = {'F', 'V', 'C', 'P'};
	for (uint32_t i = 0; i < rx->len; i++) {
		uint32_t k = 0;
		while (k < 4 && i + k < rx->len && rx->buf[i + k] == m[k])
			k++;
		if (k == 4 || i + k == rx->len)
			return i;
	}
	return rx->len;
}

int ctl_rx_pop(struct ctl_rx *rx, struct ctl_hdr *hdr, const uint8_t **payload)
{
	rx_release(rx);
	*payload = 0;
	hdr->seq = 0;
	for (;;) {
		uint32_t skip = find_magic(rx);
		if (skip) {
			rx_drop(rx, skip);
			if (!rx->in_garbage) {
				rx->in_garbage = 1;
				return CTL_E_BAD_MAGIC;
			}
		}
		if (rx->len < CTL_HDR_SIZE)
			return -1;
		ctl_hdr_get(rx->buf, hdr);
		if (hdr->len > CTL_MAX_PAYLOAD) {
			/* Not a frame we can hold: drop the magic's first byte and search on. */
			rx_drop(rx, 1);
			rx->in_garbage = 1;
			return CTL_E_TOO_LONG;
		}
		if (rx->len < CTL_HDR_SIZE + hdr->len)
			return -1; /* truncated so far: wait for the rest */
		uint8_t saved[4];
		for (int i = 0; i < 4; i++) {
			saved[i] = rx->buf[20 + i];
			rx->buf[20 + i] = 0;
		}
		uint32_t crc = ctl_crc32c(0, rx->buf, CTL_HDR_SIZE + hdr->len);
		for (int i = 0; i < 4; i++)
			rx->buf[20 + i] = saved[i];
		if (crc != hdr->crc) {
			rx_drop(rx, 1);
			rx->in_garbage = 1;
			return CTL_E_BAD_CRC;
		}
		rx->in_garbage = 0;
		rx->consume = CTL_HDR_SIZE + hdr->len;
		*payload = rx->buf + CTL_HDR_SIZE;
		return CTL_OK;
	}
}

/* --- validation ---------------------------------------------------------------------------- */

uint32_t ctl_check_request(const struct ctl_hdr *h)
{
	uint32_t min, max;
	if (h->flags != 0)
		return CTL_E_BAD_FLAGS;
	if (h->status != 0)
		return CTL_E_BAD_FIELD;
	if (h->type != CTL_T_HELLO && h->version != CTL_VERSION)
		return CTL_E_BAD_VERSION;
	if (!ctl_req_size(h->type, &min, &max))
		return CTL_E_UNKNOWN_TYPE;
	if (h->len < min)
		return CTL_E_TRUNCATED;
	if (h->len > max)
		return CTL_E_BAD_LENGTH;
	return CTL_OK;
}

uint32_t ctl_get_name(const uint8_t *field, char *out)
{
	unsigned n = 0;
	while (n < CTL_NAME_MAX && field[n])
		n++;
	if (n == 0 || n == CTL_NAME_MAX)
		return CTL_E_BAD_FIELD;
	for (unsigned i = 0; i < CTL_NAME_MAX; i++) {
		uint8_t c = field[i];
		/* Name bytes printable; padding after the NUL must be zero too. */
		if (i < n ? (c < 0x21 || c > 0x7e) : c != 0)
			return CTL_E_BAD_FIELD;
		out[i] = (char)c;
	}
	return CTL_OK;
}

/* --- staged upload ---------------------------------------------------------------------- */

uint32_t ctl_upload_begin(struct ctl_upload *u, uint32_t id, uint64_t size, uint32_t crc,
                          uint32_t flags)
{
	if (u->id)
		return CTL_E_BUSY;
	if (id == 0 || size == 0 || size > CTL_UPLOAD_MAX || (flags & ~CTL_UPF_START))
		return CTL_E_BAD_FIELD;
	*u = (struct ctl_upload){
	    .id = id, .flags = flags, .size = size, .crc_expect = crc, .crc_run = 0};
	return CTL_OK;
}

uint32_t ctl_upload_chunk(struct ctl_upload *u, uint8_t *dst, uint32_t id, uint64_t offset,
                          const uint8_t *data, uint32_t len)
{
	if (!u->id || id != u->id)
		return CTL_E_NO_UPLOAD;
	if (len == 0 || len > CTL_CHUNK_MAX)
		return CTL_E_BAD_LENGTH;
	if (offset != u->received)
		return CTL_E_SEQUENCE;
	/* received <= size always, so size - received cannot wrap. */
	if (len > u->size - u->received)
		return CTL_E_UPLOAD_SIZE;
	for (uint32_t i = 0; i < len; i++)
		dst[u->received + i] = data[i];
	u->crc_run = ctl_crc32c(u->crc_run, data, len);
	u->received += len;
	return CTL_OK;
}

uint32_t ctl_upload_finish(struct ctl_upload *u, uint32_t id)
{
	if (!u->id || id != u->id)
		return CTL_E_NO_UPLOAD;
	if (u->received != u->size)
		return CTL_E_UPLOAD_SIZE;
	if (u->crc_run != u->crc_expect) {
		u->id = 0;
		return CTL_E_UPLOAD_CRC;
	}
	u->id = 0;
	return CTL_OK;
}
