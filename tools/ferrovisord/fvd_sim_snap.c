// SPDX-License-Identifier: MIT
/*
 * Snapshots of the simulated host (fvd_backend.h contracts), so the REST layer, the CLI and
 * their error paths are tested without a hypervisor. A simulated VM's "snapshot" is a small
 * stream of its own (not the hypervisor's format, docs/snapshot-format.md): magic, vCPUs,
 * memory, heartbeat count, name, 4 KiB of "RAM" derived from them, CRC-32C. A restore
 * checks all of it before the VM appears. One save and one restore at a time, under the
 * sim's lock like every operation.
 */
#include <stdio.h>
#include <string.h>

#include "fvd_hub.h"
#include "fvd_route.h"
#include "fvd_sim.h"

#define SIM_SNAP_RAM  4096u
#define SIM_SNAP_SIZE (64u + SIM_SNAP_RAM + 4u)

static struct {
	struct fvd_sim *sim;
	uint32_t id; /* 0: none */
	char name[FVD_NAME_MAX + 1];
	bool paused_by_us;
	uint8_t buf[SIM_SNAP_SIZE];
} save;

static struct {
	struct fvd_sim *sim;
	uint32_t id;
	char name[FVD_NAME_MAX + 1];
	uint64_t size, got;
	uint8_t buf[SIM_SNAP_SIZE];
} rest;

static uint32_t next_id = 1;

static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t crc = ~0u;

	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static struct fvd_sim_vm *find(struct fvd_sim *sim, const char *name)
{
	for (size_t i = 0; i < FVD_SIM_VM_LIMIT; i++)
		if (sim->vms[i].used && strcmp(sim->vms[i].info.name, name) == 0)
			return &sim->vms[i];
	return NULL;
}

static void state_event(struct fvd_sim *sim, const struct fvd_sim_vm *v, enum fvd_state old,
                        const char *cause)
{
	struct fvd_event ev = {.type = "vm-state",
	                       .vm = v->info.name,
	                       .state = fvd_state_name(v->info.state),
	                       .old_state = fvd_state_name(old),
	                       .cause = cause,
	                       .severity = "info",
	                       .count = -1};

	fvd_hub_event(sim->hub, &ev);
}

static void encode(const struct fvd_sim_vm *v, bool running, uint8_t *b)
{
	memset(b, 0, SIM_SNAP_SIZE);
	memcpy(b, "FVSIMSNP", 8);
	put32(b + 8, v->info.vcpus);
	put32(b + 12, running);
	put32(b + 16, (uint32_t)(v->info.memory_bytes >> 20));
	put32(b + 20, (uint32_t)(v->info.memory_bytes >> 52));
	put32(b + 24, v->beats);
	memcpy(b + 32, v->info.name, strlen(v->info.name));
	for (uint32_t i = 0; i < SIM_SNAP_RAM; i++)
		b[64 + i] = (uint8_t)(i * 31u + v->beats + b[32 + i % 32]);
	put32(b + 64 + SIM_SNAP_RAM, crc32c(b, 64 + SIM_SNAP_RAM));
}

static int snap_begin_l(struct fvd_sim *sim, const char *name, uint32_t *id, uint64_t *size)
{
	struct fvd_sim_vm *v = find(sim, name);

	if (!v)
		return FVD_E_NOTFOUND;
	if (v->info.service)
		return FVD_E_DENIED;
	if (save.id)
		return FVD_E_BUSY;
	if (v->info.state != FVD_VM_RUNNING && v->info.state != FVD_VM_PAUSED)
		return FVD_E_STATE;
	save.sim = sim;
	save.paused_by_us = v->info.state == FVD_VM_RUNNING;
	if (save.paused_by_us) {
		v->info.state = FVD_VM_PAUSED;
		state_event(sim, v, FVD_VM_RUNNING, "operator:snapshot");
	}
	encode(v, save.paused_by_us, save.buf);
	save.id = next_id++;
	memcpy(save.name, name, strlen(name) + 1);
	*id = save.id;
	*size = SIM_SNAP_SIZE;
	return FVD_OK;
}

static int snap_read_l(struct fvd_sim *sim, uint32_t id, uint64_t off, void *buf, size_t max,
                       size_t *n)
{
	if (!save.id || save.sim != sim || id != save.id || max == 0)
		return FVD_E_INVAL;
	if (off > SIM_SNAP_SIZE)
		return FVD_E_INVAL;
	*n = SIM_SNAP_SIZE - off < max ? SIM_SNAP_SIZE - (size_t)off : max;
	memcpy(buf, save.buf + off, *n);
	return FVD_OK;
}

static int snap_end_l(struct fvd_sim *sim, uint32_t id, bool resume)
{
	struct fvd_sim_vm *v;

	if (!save.id || save.sim != sim || id != save.id)
		return FVD_E_INVAL;
	v = find(sim, save.name);
	if (v && resume && save.paused_by_us && v->info.state == FVD_VM_PAUSED) {
		v->info.state = FVD_VM_RUNNING;
		state_event(sim, v, FVD_VM_PAUSED, "operator:snapshot");
	}
	save.id = 0;
	return FVD_OK;
}

static int restore_begin_l(struct fvd_sim *sim, const char *name, uint64_t size, uint32_t *id)
{
	size_t used = 0;

	if (find(sim, name))
		return FVD_E_EXISTS;
	if (rest.id)
		return FVD_E_BUSY;
	/* Size 0: a migration stream (fvd_sim_mig_*), a snapshot of its own. */
	if (size == 0)
		size = SIM_SNAP_SIZE;
	if (size > SIM_SNAP_SIZE)
		return FVD_E_INVAL;
	for (size_t i = 0; i < FVD_SIM_VM_LIMIT; i++)
		used += sim->vms[i].used ? 1u : 0u;
	if (used == FVD_SIM_VM_LIMIT)
		return FVD_E_LIMIT;
	rest.sim = sim;
	rest.id = next_id++;
	rest.size = size;
	rest.got = 0;
	memcpy(rest.name, name, strlen(name) + 1);
	*id = rest.id;
	return FVD_OK;
}

static int restore_data_l(struct fvd_sim *sim, uint32_t id, uint64_t off, const void *data,
                          size_t len)
{
	if (!rest.id || rest.sim != sim || id != rest.id || off != rest.got || len == 0 ||
	    len > rest.size - rest.got)
		return FVD_E_INVAL;
	memcpy(rest.buf + off, data, len);
	rest.got += len;
	return FVD_OK;
}

static int restore_end_l(struct fvd_sim *sim, uint32_t id, bool commit, bool resume,
                         struct fvd_vm_info *out)
{
	const uint8_t *b = rest.buf;
	uint64_t mem, used = 0;
	uint32_t vcpus;

	if (!rest.id || rest.sim != sim || id != rest.id)
		return FVD_E_INVAL;
	rest.id = 0;
	if (!commit)
		return FVD_OK;
	vcpus = get32(b + 8);
	mem = ((uint64_t)get32(b + 16) << 20) | ((uint64_t)get32(b + 20) << 52);
	/* Everything checked before the VM exists: a refused stream leaves nothing behind. */
	if (rest.got != SIM_SNAP_SIZE || memcmp(b, "FVSIMSNP", 8) != 0 ||
	    crc32c(b, 64 + SIM_SNAP_RAM) != get32(b + 64 + SIM_SNAP_RAM) || vcpus == 0 ||
	    vcpus > 8 || mem == 0)
		return FVD_E_INVAL;
	for (size_t i = 0; i < FVD_SIM_VM_LIMIT; i++)
		used += sim->vms[i].used ? sim->vms[i].info.memory_bytes : 0;
	if (mem > FVD_SIM_MEMORY - used)
		return FVD_E_NOMEM;
	if (find(sim, rest.name))
		return FVD_E_EXISTS;
	for (size_t i = 0; i < FVD_SIM_VM_LIMIT; i++) {
		struct fvd_sim_vm *v = &sim->vms[i];

		if (v->used)
			continue;
		memset(v, 0, sizeof(*v));
		v->used = true;
		memcpy(v->info.name, rest.name, strlen(rest.name) + 1);
		v->info.id = sim->next_id++;
		v->info.vcpus = vcpus;
		v->info.memory_bytes = mem;
		v->info.weight = 256;
		v->info.affinity = (1ull << 2) - 1;
		v->beats = get32(b + 24);
		v->info.state = resume ? FVD_VM_RUNNING : FVD_VM_PAUSED;
		state_event(sim, v, FVD_VM_CREATING, "operator:restore");
		*out = v->info;
		return FVD_OK;
	}
	return FVD_E_LIMIT;
}

/* --- live migration of simulated VMs ------------------------------------------------------- */

static struct {
	struct fvd_sim *sim;
	uint32_t id; /* 0: none */
	char name[FVD_NAME_MAX + 1];
	uint32_t rounds;
	bool paused_by_us, final;
	uint64_t seg_end; /* stream bytes up to the end of the open segment */
	uint8_t buf[SIM_SNAP_SIZE];
} mig;

static int mig_begin_l(struct fvd_sim *sim, const char *name, uint32_t *id, uint64_t *bytes)
{
	struct fvd_sim_vm *v = find(sim, name);

	if (!v)
		return FVD_E_NOTFOUND;
	if (v->info.service)
		return FVD_E_DENIED;
	if (mig.id)
		return FVD_E_BUSY;
	if (v->info.state != FVD_VM_RUNNING)
		return FVD_E_STATE;
	memset(&mig, 0, sizeof(mig));
	mig.sim = sim;
	mig.id = next_id++;
	memcpy(mig.name, name, strlen(name) + 1);
	*id = mig.id;
	*bytes = 0; /* the simulated stream is all in the final round */
	return FVD_OK;
}

static int mig_round_l(struct fvd_sim *sim, uint32_t id, bool final, struct fvd_mig_round *out)
{
	struct fvd_sim_vm *v;

	if (!mig.id || mig.sim != sim || id != mig.id)
		return FVD_E_INVAL;
	if (mig.final)
		return FVD_E_INVAL;
	v = find(sim, mig.name);
	if (!v || v->info.state != FVD_VM_RUNNING) {
		mig.id = 0; /* gone or stopped meanwhile: the migration is over */
		return FVD_E_STATE;
	}
	out->round = mig.rounds++;
	out->pages = 0;
	out->bytes = 0;
	if (final) {
		v->info.state = FVD_VM_PAUSED;
		state_event(sim, v, FVD_VM_RUNNING, "operator:migrate");
		mig.paused_by_us = true;
		mig.final = true;
		encode(v, true, mig.buf);
		out->pages = SIM_SNAP_RAM / 4096u;
		out->bytes = SIM_SNAP_SIZE;
		mig.seg_end = SIM_SNAP_SIZE;
	}
	return FVD_OK;
}

static int mig_read_l(struct fvd_sim *sim, uint32_t id, uint64_t off, void *buf, size_t max,
                      size_t *n)
{
	if (!mig.id || mig.sim != sim || id != mig.id || max == 0 || off > mig.seg_end)
		return FVD_E_INVAL;
	*n = mig.seg_end - off < max ? (size_t)(mig.seg_end - off) : max;
	if (*n)
		memcpy(buf, mig.buf + off, *n);
	return FVD_OK;
}

static int mig_end_l(struct fvd_sim *sim, uint32_t id, bool resume)
{
	struct fvd_sim_vm *v;

	if (!mig.id || mig.sim != sim || id != mig.id)
		return FVD_E_INVAL;
	v = find(sim, mig.name);
	if (v && resume && mig.paused_by_us && v->info.state == FVD_VM_PAUSED) {
		v->info.state = FVD_VM_RUNNING;
		state_event(sim, v, FVD_VM_PAUSED, "operator:migrate");
	}
	mig.id = 0;
	return FVD_OK;
}

#define SIM_SNAP_LOCKED(call)                                                                      \
	do {                                                                                       \
		struct fvd_sim *s_ = be;                                                           \
		int r_;                                                                            \
		pthread_mutex_lock(&s_->lock);                                                     \
		r_ = call;                                                                         \
		pthread_mutex_unlock(&s_->lock);                                                   \
		return r_;                                                                         \
	} while (0)

int fvd_sim_snap_begin(void *be, const char *name, uint32_t *id, uint64_t *size)
{
	SIM_SNAP_LOCKED(snap_begin_l(s_, name, id, size));
}

int fvd_sim_snap_read(void *be, uint32_t id, uint64_t off, void *buf, size_t max, size_t *n)
{
	SIM_SNAP_LOCKED(snap_read_l(s_, id, off, buf, max, n));
}

int fvd_sim_snap_end(void *be, uint32_t id, bool resume)
{
	SIM_SNAP_LOCKED(snap_end_l(s_, id, resume));
}

int fvd_sim_restore_begin(void *be, const char *name, uint64_t size, uint32_t *id)
{
	SIM_SNAP_LOCKED(restore_begin_l(s_, name, size, id));
}

int fvd_sim_restore_data(void *be, uint32_t id, uint64_t off, const void *data, size_t len)
{
	SIM_SNAP_LOCKED(restore_data_l(s_, id, off, data, len));
}

int fvd_sim_restore_end(void *be, uint32_t id, bool commit, bool resume, struct fvd_vm_info *out)
{
	SIM_SNAP_LOCKED(restore_end_l(s_, id, commit, resume, out));
}

int fvd_sim_mig_begin(void *be, const char *name, uint32_t *id, uint64_t *bytes)
{
	SIM_SNAP_LOCKED(mig_begin_l(s_, name, id, bytes));
}

int fvd_sim_mig_round(void *be, uint32_t id, bool final, struct fvd_mig_round *out)
{
	SIM_SNAP_LOCKED(mig_round_l(s_, id, final, out));
}

int fvd_sim_mig_read(void *be, uint32_t id, uint64_t off, void *buf, size_t max, size_t *n)
{
	SIM_SNAP_LOCKED(mig_read_l(s_, id, off, buf, max, n));
}

int fvd_sim_mig_end(void *be, uint32_t id, bool resume)
{
	SIM_SNAP_LOCKED(mig_end_l(s_, id, resume));
}
