// SPDX-License-Identifier: MIT
/* The host end of the dump channel: frames to ELF core files (see dump_recv.h). */
#include "dump_recv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ctl_proto.h"
#include "ferrovisord/fvd_core.h"
#include "ferrovisord/fvd_dump_wire.h"

void dump_recv_init(struct dump_recv *r, const char *dir, FILE *log)
{
	memset(r, 0, sizeof(*r));
	r->dir = dir;
	r->log = log;
	dump_frame_rx_init(&r->rx);
}

static void recv_reset(struct dump_recv *r)
{
	for (unsigned i = 0; i < FVD_DUMP_MAX_REGION; i++) {
		free(r->ram[i]);
		r->ram[i] = NULL;
	}
	r->active = false;
}

/* Drop the dump being assembled, saying why. */
static void recv_drop(struct dump_recv *r, const char *why)
{
	if (r->active) {
		fprintf(r->log, "ferrovisor: dump %u of VM %s lost: %s\n", r->number, r->info.name,
		        why);
		r->dropped++;
	}
	recv_reset(r);
}

static bool name_ok(const char *s)
{
	if (!s[0] || s[0] == '.')
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
		            *s))
			return false;
	return true;
}

static void recv_begin(struct dump_recv *r, const struct dump_frame *f)
{
	if (r->active)
		recv_drop(r, "a new dump began before its end");
	if (f->seq != 0 || f->len < 8) {
		r->dropped++;
		fprintf(r->log, "ferrovisor: dump channel: malformed dump start ignored\n");
		return;
	}
	struct fvd_dump_info *di = &r->info;
	if (fvd_dump_info_decode(f->payload + 8, f->len - 8, di) != FVD_OK) {
		r->dropped++;
		fprintf(r->log, "ferrovisor: dump channel: undecodable dump start ignored\n");
		return;
	}
	r->number = ctl_get32(f->payload);
	di->name[FVD_NAME_MAX] = '\0';
	di->cause[sizeof(di->cause) - 1] = '\0';
	r->active = true;
	r->next_seq = 1;
	r->ram_frames = 0;
	uint64_t total = 0;
	for (uint32_t i = 0; i < di->nr_regions; i++) {
		uint64_t size = di->region[i].size;
		if (size == 0 || size > DUMP_RECV_MAX_RAM - total) {
			recv_drop(r, "RAM regions too large for the host tool");
			return;
		}
		total += size;
		r->ram[i] = calloc(1, (size_t)size);
		if (!r->ram[i]) {
			recv_drop(r, "out of memory for its RAM");
			return;
		}
	}
	if (!name_ok(di->name))
		snprintf(di->name, sizeof(di->name), "vm");
}

static void recv_ram(struct dump_recv *r, const struct dump_frame *f)
{
	if (f->len <= 8) {
		recv_drop(r, "an empty RAM frame");
		return;
	}
	uint64_t gpa = ctl_get64(f->payload);
	size_t n = f->len - 8;
	for (uint32_t i = 0; i < r->info.nr_regions; i++) {
		uint64_t base = r->info.region[i].gpa, size = r->info.region[i].size;
		/* Inside the region, written so that no sum can wrap. */
		if (gpa < base || gpa - base > size || n > size - (gpa - base))
			continue;
		memcpy(r->ram[i] + (gpa - base), f->payload + 8, n);
		r->ram_frames++;
		return;
	}
	recv_drop(r, "a RAM frame outside the VM's RAM");
}

struct recv_reader {
	const struct dump_recv *r;
};

static int recv_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	const struct dump_recv *r = ((const struct recv_reader *)ctx)->r;
	for (uint32_t i = 0; i < r->info.nr_regions; i++) {
		uint64_t base = r->info.region[i].gpa, size = r->info.region[i].size;
		if (gpa < base || gpa - base > size || len > size - (gpa - base))
			continue;
		memcpy(buf, r->ram[i] + (gpa - base), len);
		return FVD_OK;
	}
	return FVD_E_INVAL;
}

/* A new file DIR/NAME-<n>.core (n from 1), opened for reading and writing; NULL on error. */
static FILE *recv_create(struct dump_recv *r, char *path, size_t cap)
{
	for (unsigned n = 1; n < 100000; n++) {
		int len = snprintf(path, cap, "%s/%s-%u.core", r->dir, r->info.name, n);
		if (len < 0 || (size_t)len >= cap)
			return NULL;
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd >= 0) {
			FILE *f = fdopen(fd, "w+");
			if (!f)
				close(fd);
			return f;
		}
		if (errno != EEXIST)
			return NULL;
	}
	return NULL;
}

static void recv_end(struct dump_recv *r, const struct dump_frame *f)
{
	if (f->len != 8) {
		recv_drop(r, "a malformed end frame");
		return;
	}
	uint32_t status = ctl_get32(f->payload), frames = ctl_get32(f->payload + 4);
	if (status != DUMP_END_OK) {
		recv_drop(r, "the VM changed state during the dump (the hypervisor abandoned it)");
		return;
	}
	if (frames != r->ram_frames) {
		recv_drop(r, "RAM frames missing");
		return;
	}
	char path[sizeof(r->last_path)];
	FILE *out = recv_create(r, path, sizeof(path));
	if (!out) {
		char why[160];
		snprintf(why, sizeof(why), "cannot create a file in %s (%s)", r->dir,
		         strerror(errno));
		recv_drop(r, why);
		return;
	}
	struct recv_reader rd = {r};
	uint64_t size = 0;
	int err = fvd_core_write(out, &r->info, recv_read, &rd, &size);
	if (fclose(out) != 0 && !err)
		err = FVD_E_IO;
	if (err) {
		unlink(path);
		recv_drop(r, "the core file could not be written");
		return;
	}
	snprintf(r->last_path, sizeof(r->last_path), "%s", path);
	r->written++;
	fprintf(r->log, "ferrovisor: dump of VM %s (%s%s%s) written to %s (%llu bytes)\n",
	        r->info.name, r->info.state == FVD_VM_CRASHED ? "crashed" : "on request",
	        r->info.cause[0] ? ": " : "", r->info.cause, path, (unsigned long long)size);
	fflush(r->log);
	recv_reset(r);
}

static void recv_frame(void *ctx, const struct dump_frame *f)
{
	struct dump_recv *r = ctx;
	if (f->type == DUMP_FRAME_BEGIN) {
		recv_begin(r, f);
		return;
	}
	if (!r->active)
		return; /* the rest of a dump whose start was lost or refused */
	if (f->seq != r->next_seq) {
		recv_drop(r, "frames lost in transit");
		return;
	}
	r->next_seq++;
	if (f->type == DUMP_FRAME_RAM)
		recv_ram(r, f);
	else if (f->type == DUMP_FRAME_END)
		recv_end(r, f);
	else
		recv_drop(r, "an unknown frame type");
}

void dump_recv_feed(struct dump_recv *r, const uint8_t *data, size_t n)
{
	/* A damaged frame is skipped by the decoder; the sequence check of the next frame of
	 * its dump (or the missing END) then drops that dump. */
	dump_frame_rx_feed(&r->rx, data, n, recv_frame, r);
}

void dump_recv_finish(struct dump_recv *r)
{
	recv_drop(r, "the channel closed before its end");
}
