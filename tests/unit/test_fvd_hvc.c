/* SPDX-License-Identifier: MIT */
/*
 * ferrovisord's control-channel backend (tools/ferrovisord/fvd_hvc.c) against the simulated
 * host: a small FVCP server thread (this file, built on hyp/core/ctl_proto.c) answers on one
 * end of a socketpair from a struct fvd_sim; the backend talks to the other end. Every
 * operation must give what the sim gives directly: results, states, errors, upload progress
 * and CRC check. Garbage and events on the channel are skipped by the client.
 * Without the protocol in the tree (before the ctl branch is merged) the test skips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#ifdef FVD_HAVE_CTL
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/ctl_proto.h"
#include "../../tools/ferrovisord/fvd_hub.h"
#include "../../tools/ferrovisord/fvd_hvc.h"
#include "../../tools/ferrovisord/fvd_metrics.h"
#include "../../tools/ferrovisord/fvd_route.h"
#include "../../tools/ferrovisord/fvd_sim.h"
#include "../../tools/ferrovisord/fvd_prof.h"
#include "core/prof_buf.h"

static struct fvd_sim srv_sim;
static int srv_fd;
static uint32_t srv_events;
static bool srv_noise;      /* send an event and garbage before each response */
static uint64_t srv_seq_at; /* nonzero: RESTORE_DATA at this offset answered E_SEQUENCE */
static int srv_bad_metrics; /* 1: VM_METRICS claims 9 vCPUs; 2: NET_METRICS one byte short */
static bool srv_bad_dump;   /* DUMP_INFO claims one vCPU more than it carries */

/* The test server's staged upload: the package starts with the VM name (NUL-terminated),
 * standing in for the configuration blob the hypervisor would parse. */
static struct ctl_upload srv_up;
static uint8_t srv_pkg[1 << 16];

/* Console attachments the server was asked for (CONSOLE_ATTACH), in order. */
static pthread_mutex_t srv_lock = PTHREAD_MUTEX_INITIALIZER; /* srv_send and the log */
static char srv_attach_log[256];
static uint64_t srv_stat_errors; /* what CTL_STATS reports as errors counted */

static void srv_send(uint16_t type, uint8_t flags, uint32_t seq, uint32_t status, const void *p,
                     size_t n)
{
	static uint8_t out[CTL_MAX_FRAME];
	struct ctl_hdr h = {.magic = CTL_MAGIC,
	                    .version = CTL_VERSION,
	                    .flags = flags,
	                    .type = type,
	                    .seq = seq,
	                    .status = status};
	size_t k;

	pthread_mutex_lock(&srv_lock);
	k = ctl_encode(out, sizeof(out), &h, p, n);
	assert_true(k > 0);
	assert_int_equal(write(srv_fd, out, k), (ssize_t)k);
	pthread_mutex_unlock(&srv_lock);
}

static const uint32_t srv_err_status[FVD_E__COUNT] = {
    [-FVD_E_NOTFOUND] = CTL_E_NO_VM,     [-FVD_E_STATE] = CTL_E_BAD_STATE,
    [-FVD_E_LIMIT] = CTL_E_LIMIT,        [-FVD_E_NOMEM] = CTL_E_NO_MEMORY,
    [-FVD_E_DENIED] = CTL_E_PERMISSION,  [-FVD_E_BUSY] = CTL_E_BUSY,
    [-FVD_E_INVAL] = CTL_E_BAD_FIELD,    [-FVD_E_EXISTS] = CTL_E_BAD_CONFIG,
    [-FVD_E_TOOBIG] = CTL_E_UPLOAD_SIZE,
};

static const uint32_t srv_states[FVD_VM__COUNT] = {
    [FVD_VM_STOPPED] = CTL_VM_STOPPED,
    [FVD_VM_RUNNING] = CTL_VM_RUNNING,
    [FVD_VM_PAUSED] = CTL_VM_PAUSED,
    [FVD_VM_CRASHED] = CTL_VM_CRASHED,
};

static void srv_vm_entry(uint8_t *p, const struct fvd_vm_info *vm)
{
	memset(p, 0, 88);
	ctl_put32(p, vm->id);
	ctl_put32(p + 4, srv_states[vm->state]);
	ctl_put32(p + 8, vm->vcpus);
	ctl_put32(p + 12, vm->weight);
	ctl_put64(p + 16, vm->affinity);
	ctl_put64(p + 24, vm->memory_bytes);
	ctl_put32(p + 48, vm->service ? CTL_VMF_SERVICE : 0);
	memcpy(p + 56, vm->name, strlen(vm->name));
}

/* Metrics of the sim's VMs with counters derived from the VM id (id * 1000 + field). */
static size_t srv_vm_metrics(const char *name, uint8_t *out)
{
	struct fvd_vm_info vm;
	size_t n = 184;

	if (fvd_sim_ops.vm_get(&srv_sim, name, &vm))
		return 0;
	memset(out, 0, 184 + 112 + 24 + 104);
	ctl_put32(out, vm.id);
	ctl_put32(out + 4, srv_states[vm.state]);
	ctl_put32(out + 8, srv_bad_metrics == 1 ? 9 : 1); /* one vCPU entry */
	ctl_put32(out + 12, 1);                           /* one call kind */
	ctl_put32(out + 16, 1);                           /* one device */
	ctl_put64(out + 24, vm.memory_bytes);
	ctl_put64(out + 40, vm.id * 1000u + 1);         /* boots */
	ctl_put64(out + 48, vm.id * 1000u + 2);         /* crashes */
	ctl_put64(out + 56, vm.id * 1000000000ull + 3); /* run_ns */
	ctl_put64(out + 88 + 8 * 6, vm.id * 1000u + 6); /* exits, cause other */
	memcpy(out + 152, vm.name, strlen(vm.name));
	ctl_put64(out + n + 16, vm.id * 1000u + 7); /* vCPU 0 run_ns */
	n += 112;
	memcpy(out + n, "timeXXXXXXXXXXXX", 16); /* not terminated: read to the field end */
	ctl_put64(out + n + 16, vm.id * 1000u + 8);
	n += 24;
	ctl_put32(out + n + 4, CTL_DEV_NET);
	ctl_put32(out + n + 12, 0); /* switch 0 */
	ctl_put32(out + n + 16, vm.id);
	ctl_put64(out + n + 24 + 8, vm.id * 1000u + 9); /* rx bytes */
	memcpy(out + n + 88, "eth0", 4);
	return n + 104;
}

static size_t srv_metrics(uint16_t type, const uint8_t *p, uint8_t *out)
{
	char name[CTL_NAME_MAX];

	switch (type) {
	case CTL_T_HOST_METRICS:
		memset(out, 0, 120 + 2 * 72);
		ctl_put32(out, 2);
		ctl_put64(out + 8, 5000000000ull);
		ctl_put64(out + 16, 1000);
		ctl_put64(out + 64, 4242);          /* heap used */
		ctl_put64(out + 120 + 72 + 16, 77); /* cpu 1 idle */
		ctl_put32(out + 120 + 72, 1);
		return 120 + 2 * 72;
	case CTL_T_VM_METRICS:
		if (ctl_get_name(p, name) != CTL_OK)
			return 0;
		return srv_vm_metrics(name, out);
	case CTL_T_NET_METRICS:
		memset(out, 0, 8 + 48 + 48);
		ctl_put32(out, 1);
		ctl_put32(out + 4, 1);
		memcpy(out + 8, "lan0", 4);
		ctl_put64(out + 8 + 24, 11);
		ctl_put32(out + 56 + 4, 2);
		ctl_put32(out + 56 + 12, 2); /* alpha's id in the sim */
		ctl_put64(out + 56 + 16, 12);
		return srv_bad_metrics == 2 ? 8 + 48 + 47 : 8 + 48 + 48;
	}
	return 0;
}

/* Answers one request from the sim; returns the status. */
/* The profiler, answered with the hypervisor's own encoder (hyp/core/prof_buf.c). */
static struct prof_buf *srv_prof;
static bool srv_prof_on;
static int srv_prof_bad; /* 1: PROF_READ one byte short; 2: a count above the chunk limit */

static uint32_t srv_profiler(const struct ctl_hdr *h, const uint8_t *p, uint8_t *out, size_t *n)
{
	char name[CTL_NAME_MAX];
	struct fvd_vm_info vm;

	switch (h->type) {
	case CTL_T_PROF_START:
		if (ctl_get_name(p, name) != CTL_OK || ctl_get32(p + 32) < 100)
			return CTL_E_BAD_FIELD;
		if (fvd_sim_ops.vm_get(&srv_sim, name, &vm))
			return CTL_E_NO_VM;
		if (srv_prof_on)
			return CTL_E_BUSY;
		srv_prof_on = true;
		prof_buf_reset(srv_prof);
		for (unsigned i = 0; i < 250; i++) {
			struct prof_sample s = {.pc = 0x1000 + 4 * (i % 5), .depth = 2, .cpu = 1};
			s.ra[0] = 0x2000;
			s.ra[1] = 0x3000;
			if (i == 7) {
				s.flags = PROF_F_HYP;
				s.vcpu = 0xffffffffu;
				s.depth = 0;
			}
			prof_buf_push(srv_prof, &s);
		}
		return CTL_OK;
	case CTL_T_PROF_STOP:
		srv_prof_on = false;
		return CTL_OK;
	default: /* CTL_T_PROF_READ */
		if (srv_prof_on)
			return CTL_E_BAD_STATE;
		const struct prof_buf *bufs[1] = {srv_prof};
		*n = prof_buf_encode(bufs, 1, ctl_get32(p), out, CTL_MAX_PAYLOAD);
		if (srv_prof_bad == 1)
			(*n)--;
		if (srv_prof_bad == 2)
			ctl_put32(out + 8, 200);
		return CTL_OK;
	}
}

/* Snapshots: the sim's own (fvd_sim_snap.c) behind the SNAP_ and RESTORE_ requests. */
static uint32_t srv_snapshot(const struct ctl_hdr *h, const uint8_t *p, uint8_t *out, size_t *n)
{
	char name[CTL_NAME_MAX];
	struct fvd_vm_info vm;
	uint64_t size;
	uint32_t id;
	size_t k = 0;
	int err;

	switch (h->type) {
	case CTL_T_SNAP_BEGIN:
		if (ctl_get_name(p, name) != CTL_OK)
			return CTL_E_BAD_FIELD;
		err = fvd_sim_ops.snap_begin(&srv_sim, name, &id, &size);
		if (err)
			return srv_err_status[-err];
		memset(out, 0, 16);
		ctl_put32(out, id);
		ctl_put64(out + 8, size);
		*n = 16;
		return CTL_OK;
	case CTL_T_SNAP_READ:
		err = fvd_sim_ops.snap_read(&srv_sim, ctl_get32(p), ctl_get64(p + 8), out,
		                            ctl_get32(p + 4), &k);
		*n = k;
		return err ? srv_err_status[-err] : CTL_OK;
	case CTL_T_SNAP_END:
		err = fvd_sim_ops.snap_end(&srv_sim, ctl_get32(p),
		                           ctl_get32(p + 4) & CTL_SNAP_RESUME);
		return err ? srv_err_status[-err] : CTL_OK;
	case CTL_T_RESTORE_BEGIN:
		if (ctl_get_name(p, name) != CTL_OK)
			return CTL_E_BAD_FIELD;
		err = fvd_sim_ops.restore_begin(&srv_sim, name, ctl_get64(p + 32), &id);
		/* As the hypervisor: a name in use is "bad state". */
		if (err == FVD_E_EXISTS)
			return CTL_E_BAD_STATE;
		if (err)
			return srv_err_status[-err];
		memset(out, 0, 16);
		ctl_put32(out, id);
		*n = 16;
		return CTL_OK;
	case CTL_T_RESTORE_DATA:
		if (srv_seq_at && ctl_get64(p + 8) == srv_seq_at)
			return CTL_E_SEQUENCE; /* no meaning to the daemon: a channel failure */
		err = fvd_sim_ops.restore_data(&srv_sim, ctl_get32(p), ctl_get64(p + 8), p + 16,
		                               h->len - 16);
		if (err)
			return srv_err_status[-err];
		memset(out, 0, 16);
		ctl_put32(out, ctl_get32(p));
		ctl_put64(out + 8, ctl_get64(p + 8) + h->len - 16);
		*n = 16;
		return CTL_OK;
	case CTL_T_RESTORE_COMMIT:
		err = fvd_sim_ops.restore_end(&srv_sim, ctl_get32(p), true,
		                              ctl_get32(p + 4) & CTL_SNAP_RESUME, &vm);
		if (err)
			return err == FVD_E_INVAL ? CTL_E_UPLOAD_CRC : srv_err_status[-err];
		srv_vm_entry(out, &vm);
		*n = 88;
		return CTL_OK;
	default: /* CTL_T_RESTORE_ABORT */
		err = fvd_sim_ops.restore_end(&srv_sim, ctl_get32(p), false, false, NULL);
		return err ? srv_err_status[-err] : CTL_OK;
	}
}

/*
 * Live migration, source side, as the hypervisor answers it (ctl_mig.c): one open segment of
 * srv_mig_len pattern bytes read strictly in order (an offset other than the bytes read so
 * far is E_SEQUENCE), each read filled up to its max until the segment ends; the first
 * srv_mig_busy reads are answered E_BUSY. Counts what it answered.
 */
static uint64_t srv_mig_pos, srv_mig_len;
static unsigned srv_mig_busy, srv_mig_reads, srv_mig_seq_errs;

static uint8_t srv_mig_byte(uint64_t i)
{
	return (uint8_t)(i * 7u + (i >> 11));
}

static uint32_t srv_migration(const struct ctl_hdr *h, const uint8_t *p, uint8_t *out, size_t *n)
{
	uint32_t max;

	switch (h->type) {
	case CTL_T_MIG_BEGIN:
		srv_mig_pos = 0;
		srv_mig_len = 50000;
		memset(out, 0, 16);
		ctl_put32(out, 7);
		ctl_put64(out + 8, srv_mig_len);
		*n = 16;
		return CTL_OK;
	case CTL_T_MIG_ROUND:
		if (ctl_get32(p) != 7 || srv_mig_pos != srv_mig_len)
			return CTL_E_SEQUENCE;
		srv_mig_len += 20000;
		memset(out, 0, 24);
		ctl_put64(out + 8, 5);
		ctl_put64(out + 16, 20000);
		*n = 24;
		return CTL_OK;
	case CTL_T_MIG_READ:
		max = ctl_get32(p + 4);
		srv_mig_reads++;
		if (ctl_get32(p) != 7)
			return CTL_E_NO_UPLOAD;
		if (max == 0 || max > CTL_SNAP_CHUNK)
			return CTL_E_BAD_FIELD;
		if (ctl_get64(p + 8) != srv_mig_pos) {
			srv_mig_seq_errs++;
			return CTL_E_SEQUENCE;
		}
		if (srv_mig_busy) {
			srv_mig_busy--;
			return CTL_E_BUSY;
		}
		*n = srv_mig_len - srv_mig_pos < max ? (size_t)(srv_mig_len - srv_mig_pos) : max;
		for (size_t i = 0; i < *n; i++)
			out[i] = srv_mig_byte(srv_mig_pos + i);
		srv_mig_pos += *n;
		return CTL_OK;
	default: /* CTL_T_MIG_END */
		return ctl_get32(p) == 7 ? CTL_OK : CTL_E_NO_UPLOAD;
	}
}

static uint32_t srv_handle(const struct ctl_hdr *h, const uint8_t *p, uint8_t *out, size_t *n)
{
	char name[CTL_NAME_MAX];
	struct fvd_vm_info vms[FVD_SIM_VM_LIMIT];
	struct fvd_host_info hi;
	size_t k;
	int err = 0;

	*n = 0;
	switch (h->type) {
	case CTL_T_HELLO:
		memset(out, 0, 48);
		ctl_put16(out, CTL_VERSION);
		ctl_put32(out + 4, CTL_MAX_FRAME);
		ctl_put32(out + 8, FVD_SIM_VM_LIMIT);
		memcpy(out + 16, "ferrovisor-test", 15);
		*n = 48;
		return CTL_OK;
	case CTL_T_HOST_INFO:
		fvd_sim_ops.host_info(&srv_sim, &hi);
		memset(out, 0, 56);
		ctl_put32(out, hi.cpus);
		ctl_put32(out + 4, hi.vm_count);
		ctl_put32(out + 8, hi.vm_limit);
		ctl_put64(out + 16, hi.memory_total);
		ctl_put64(out + 24, hi.memory_free);
		ctl_put64(out + 32, 7000000000ull);
		*n = 56;
		return CTL_OK;
	case CTL_T_VM_LIST:
		fvd_sim_ops.vm_list(&srv_sim, vms, FVD_SIM_VM_LIMIT, &k);
		memset(out, 0, 8);
		ctl_put32(out, (uint32_t)k);
		for (size_t i = 0; i < k; i++)
			srv_vm_entry(out + 8 + i * 88, &vms[i]);
		*n = 8 + k * 88;
		return CTL_OK;
	case CTL_T_VM_START:
	case CTL_T_VM_STOP:
	case CTL_T_VM_RESET:
	case CTL_T_VM_PAUSE:
	case CTL_T_VM_RESUME:
	case CTL_T_VM_DESTROY:
		if (ctl_get_name(p, name) != CTL_OK)
			return CTL_E_BAD_FIELD;
		if (h->type == CTL_T_VM_DESTROY)
			err = fvd_sim_ops.vm_destroy(&srv_sim, name);
		else
			err = fvd_sim_ops.vm_action(&srv_sim, name,
			                            (enum fvd_action)(h->type - CTL_T_VM_START));
		return err ? srv_err_status[-err] : CTL_OK;
	case CTL_T_UPLOAD_BEGIN: {
		uint32_t st =
		    ctl_upload_begin(&srv_up, 7, ctl_get64(p), ctl_get32(p + 8), ctl_get32(p + 12));

		if (st == CTL_OK && srv_up.size > sizeof(srv_pkg)) {
			srv_up.id = 0;
			st = CTL_E_NO_MEMORY;
		}
		if (st != CTL_OK)
			return st;
		memset(out, 0, 16);
		ctl_put32(out, 7);
		*n = 16;
		return CTL_OK;
	}
	case CTL_T_UPLOAD_CHUNK: {
		uint32_t st = ctl_upload_chunk(&srv_up, srv_pkg, ctl_get32(p), ctl_get64(p + 8),
		                               p + 16, h->len - 16);

		if (st != CTL_OK)
			return st;
		memset(out, 0, 16);
		ctl_put32(out, srv_up.id);
		ctl_put64(out + 8, srv_up.received);
		*n = 16;
		return CTL_OK;
	}
	case CTL_T_UPLOAD_COMMIT: {
		struct fvd_create_req cr = {.vcpus = 1, .memory_bytes = 16u << 20};
		uint32_t st = ctl_upload_finish(&srv_up, ctl_get32(p));
		struct fvd_vm_info vm;

		if (st != CTL_OK)
			return st;
		memcpy(cr.name, srv_pkg, strnlen((const char *)srv_pkg, FVD_NAME_MAX));
		cr.package_bytes = srv_up.size;
		err = fvd_sim_ops.create_begin(&srv_sim, &cr);
		if (!err)
			err = fvd_sim_ops.create_chunk(&srv_sim, cr.name, srv_pkg, srv_up.size);
		if (!err)
			err = fvd_sim_ops.create_end(&srv_sim, cr.name, true);
		if (!err)
			err = fvd_sim_ops.vm_get(&srv_sim, cr.name, &vm);
		srv_up.id = 0;
		if (err)
			return srv_err_status[-err];
		srv_vm_entry(out, &vm);
		*n = 88;
		return CTL_OK;
	}
	case CTL_T_SET_WEIGHT:
	case CTL_T_SET_AFFINITY: {
		struct fvd_sched_req sr = {0};

		if (ctl_get_name(p, name) != CTL_OK || h->len != 40)
			return CTL_E_BAD_FIELD;
		if (h->type == CTL_T_SET_WEIGHT)
			sr.weight = ctl_get32(p + 32);
		else
			sr.affinity = ctl_get64(p + 32);
		if (!sr.weight && !sr.affinity)
			return CTL_E_BAD_FIELD;
		err = fvd_sim_ops.vm_set_sched(&srv_sim, name, &sr);
		return err ? srv_err_status[-err] : CTL_OK;
	}
	case CTL_T_UPLOAD_ABORT:
		if (ctl_get32(p) != srv_up.id || !srv_up.id)
			return CTL_E_NO_UPLOAD;
		srv_up.id = 0;
		return CTL_OK;
	case CTL_T_HOST_METRICS:
	case CTL_T_VM_METRICS:
	case CTL_T_NET_METRICS:
		*n = srv_metrics(h->type, p, out);
		return *n ? CTL_OK : CTL_E_NO_VM;
	case CTL_T_CONSOLE_ATTACH:
		if (ctl_get_name(p, name) != CTL_OK)
			return CTL_E_BAD_FIELD;
		if (strcmp(name, "service") == 0)
			return CTL_E_PERMISSION;
		pthread_mutex_lock(&srv_lock);
		strncat(srv_attach_log, name, sizeof(srv_attach_log) - strlen(srv_attach_log) - 2);
		strcat(srv_attach_log, " ");
		pthread_mutex_unlock(&srv_lock);
		return CTL_OK;
	case CTL_T_CTL_STATS:
		memset(out, 0, 40 + 8 * CTL_STATUS_COUNT);
		pthread_mutex_lock(&srv_lock);
		ctl_put64(out + 8, srv_stat_errors);
		pthread_mutex_unlock(&srv_lock);
		*n = 40 + 8 * CTL_STATUS_COUNT;
		return CTL_OK;
	case CTL_T_CONSOLE_INPUT: {
		size_t taken;

		if (ctl_get_name(p, name) != CTL_OK || ctl_get32(p + 32) != h->len - 40)
			return CTL_E_BAD_FIELD;
		err = fvd_sim_ops.console_input(&srv_sim, name, p + 40, h->len - 40, &taken);
		if (err)
			return srv_err_status[-err];
		memset(out, 0, 8);
		ctl_put32(out, (uint32_t)taken);
		*n = 8;
		return CTL_OK;
	}
	case CTL_T_DUMP_INFO: {
		static struct fvd_dump_info di;
		if (ctl_get_name(p, name) != CTL_OK)
			return CTL_E_BAD_FIELD;
		err = fvd_sim_ops.dump_info(&srv_sim, name, &di);
		if (err)
			return srv_err_status[-err];
		memset(out, 0, 152);
		ctl_put32(out + 4, di.state == FVD_VM_PAUSED ? CTL_VM_PAUSED : CTL_VM_STOPPED);
		ctl_put32(out + 8, di.nr_vcpus + (srv_bad_dump ? 1u : 0u));
		ctl_put32(out + 12, di.nr_regions);
		ctl_put64(out + 16, di.boots);
		memcpy(out + 24, di.name, strlen(di.name));
		memcpy(out + 56, "test cause", 10);
		*n = 152;
		ctl_put64(out + *n, di.region[0].gpa);
		ctl_put64(out + *n + 8, di.region[0].size);
		*n += 16;
		for (uint32_t i = 0; i < di.nr_vcpus; i++, *n += 8 + 8 * CTL_DUMP_NR_REGS) {
			ctl_put32(out + *n, i);
			for (unsigned r = 0; r < CTL_DUMP_NR_REGS; r++)
				ctl_put64(out + *n + 8 + 8 * r, di.vcpu[i].reg[r]);
		}
		return CTL_OK;
	}
	case CTL_T_DUMP_READ:
		if (ctl_get_name(p, name) != CTL_OK || ctl_get32(p + 44))
			return CTL_E_BAD_FIELD;
		err = fvd_sim_ops.dump_read(&srv_sim, name, ctl_get64(p + 32), out,
		                            ctl_get32(p + 40));
		if (err)
			return srv_err_status[-err];
		*n = ctl_get32(p + 40);
		return CTL_OK;
	case CTL_T_PROF_START:
	case CTL_T_PROF_STOP:
	case CTL_T_PROF_READ:
		return srv_profiler(h, p, out, n);
	case CTL_T_SNAP_BEGIN:
	case CTL_T_SNAP_READ:
	case CTL_T_SNAP_END:
	case CTL_T_RESTORE_BEGIN:
	case CTL_T_RESTORE_DATA:
	case CTL_T_RESTORE_COMMIT:
	case CTL_T_RESTORE_ABORT:
		return srv_snapshot(h, p, out, n);
	case CTL_T_MIG_BEGIN:
	case CTL_T_MIG_ROUND:
	case CTL_T_MIG_READ:
	case CTL_T_MIG_END:
		return srv_migration(h, p, out, n);
	default:
		return CTL_E_UNKNOWN_TYPE;
	}
}

static void *srv_main(void *arg)
{
	static struct ctl_rx rx;
	static uint8_t out[CTL_MAX_PAYLOAD];
	uint8_t buf[4096];

	(void)arg;
	ctl_rx_init(&rx);
	for (;;) {
		ssize_t k = read(srv_fd, buf, sizeof(buf));
		size_t off = 0;

		if (k <= 0)
			return NULL;
		while (off < (size_t)k) {
			struct ctl_hdr h;
			const uint8_t *p;
			int r;

			off += ctl_rx_push(&rx, buf + off, (size_t)k - off);
			while ((r = ctl_rx_pop(&rx, &h, &p)) != -1) {
				size_t n;
				uint32_t st;

				if (r != CTL_OK) {
					srv_send(CTL_T_ERROR, CTL_F_RESPONSE, h.seq, (uint32_t)r,
					         NULL, 0);
					continue;
				}
				st = ctl_check_request(&h);
				if (st == CTL_OK)
					st = srv_handle(&h, p, out, &n);
				if (srv_noise) {
					static uint8_t ev[6000]; /* more than one read */

					srv_send(CTL_T_EV_VM_STATE, CTL_F_EVENT, ++srv_events, 0,
					         ev, sizeof(ev));
					assert_int_equal(write(srv_fd, "junk!", 5), 5);
				}
				srv_send(h.type, CTL_F_RESPONSE, h.seq, st, out,
				         st == CTL_OK ? n : 0);
			}
		}
	}
}

static struct fvd_hvc *hvc;
static int cli_fd;
static pthread_t srv_thread;

static int setup(void **state)
{
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	srv_fd = sv[0];
	cli_fd = sv[1];
	fvd_sim_init(&srv_sim, fvd_sim_now_ms());
	memset(&srv_up, 0, sizeof(srv_up));
	assert_int_equal(pthread_create(&srv_thread, NULL, srv_main, NULL), 0);
	hvc = fvd_hvc_open(cli_fd, 2000);
	assert_non_null(hvc);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (hvc)
		fvd_hvc_close(hvc); /* closes cli_fd: the server's read ends */
	hvc = NULL;
	pthread_join(srv_thread, NULL);
	close(srv_fd);
	srv_noise = false;
	srv_bad_metrics = 0;
	srv_prof_on = false;
	srv_prof_bad = 0;
	return 0;
}

static void test_queries(void **state)
{
	struct fvd_host_info hi;
	struct fvd_vm_info vms[8], vm;
	size_t n;

	(void)state;
	assert_int_equal(fvd_hvc_ops.host_info(hvc, &hi), 0);
	assert_string_equal(hi.version, "ferrovisor-test");
	assert_int_equal(hi.vm_count, 3);
	assert_int_equal(hi.vm_limit, FVD_SIM_VM_LIMIT);
	assert_int_equal(hi.memory_total, FVD_SIM_MEMORY);
	assert_int_equal(hi.uptime_ms, 7000);
	assert_int_equal(fvd_hvc_ops.vm_list(hvc, vms, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(vms[0].name, "service");
	assert_true(vms[0].service);
	assert_string_equal(vms[1].name, "alpha");
	assert_int_equal(vms[1].vcpus, 2);
	assert_int_equal(vms[1].memory_bytes, 512ull << 20);
	assert_int_equal(vms[2].state, FVD_VM_STOPPED);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "beta", &vm), 0);
	assert_int_equal(vm.id, 3);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "nope", &vm), FVD_E_NOTFOUND);
}

static void test_metrics(void **state)
{
	static struct fvd_metrics m;

	(void)state;
	srv_noise = true;
	assert_int_equal(fvd_hvc_ops.metrics(hvc, &m), 0);
	assert_int_equal(m.nr_cpus, 2);
	assert_int_equal(m.uptime_ns, 5000000000ull);
	assert_int_equal(m.heap_used, 4242);
	assert_int_equal(m.cpu[1].cpu, 1);
	assert_int_equal(m.cpu[1].idle_ns, 77);
	assert_int_equal(m.nr_vms, 3);
	assert_string_equal(m.vm[1].name, "alpha");
	assert_int_equal(m.vm[1].state, FVD_VM_RUNNING);
	assert_int_equal(m.vm[1].boots, 2001);
	assert_int_equal(m.vm[1].crashes, 2002);
	assert_int_equal(m.vm[1].run_ns, 2000000003ull);
	assert_int_equal(m.vm[1].exits[6], 2006);
	assert_int_equal(m.vm[1].nr_vcpus, 1);
	assert_int_equal(m.vm[1].vcpu[0].run_ns, 2007);
	assert_string_equal(m.vm[1].call[0].name, "timeXXXXXXXXXXXX");
	assert_int_equal(m.vm[1].call[0].calls, 2008);
	assert_int_equal(m.vm[1].dev[0].kind, FVD_M_DEV_NET);
	assert_string_equal(m.vm[1].dev[0].name, "eth0");
	assert_int_equal(m.vm[1].dev[0].port, 2);
	assert_int_equal(m.vm[1].dev[0].c[1], 2009);
	assert_true(m.vm[0].service == false); /* the test server sets no flags */
	assert_int_equal(m.nr_switches, 1);
	assert_string_equal(m.sw[0].name, "lan0");
	assert_int_equal(m.sw[0].drops, 11);
	assert_int_equal(m.nr_ports, 1);
	assert_string_equal(m.port[0].vm, "alpha"); /* VM id -> name */
	assert_int_equal(m.port[0].rx_frames, 12);
	/* Counts that do not match the payload's length are refused, not trusted. */
	srv_bad_metrics = 1;
	assert_int_equal(fvd_hvc_ops.metrics(hvc, &m), FVD_E_IO);
	srv_bad_metrics = 2;
	assert_int_equal(fvd_hvc_ops.metrics(hvc, &m), FVD_E_IO);
}

static void test_actions(void **state)
{
	struct fvd_vm_info vm;

	(void)state;
	srv_noise = true; /* large events and garbage between the responses change nothing */
	assert_int_equal(fvd_hvc_ops.vm_action(hvc, "alpha", FVD_ACT_PAUSE), 0);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "alpha", &vm), 0);
	assert_int_equal(vm.state, FVD_VM_PAUSED);
	assert_int_equal(fvd_hvc_ops.vm_action(hvc, "alpha", FVD_ACT_PAUSE), FVD_E_STATE);
	assert_int_equal(fvd_hvc_ops.vm_action(hvc, "alpha", FVD_ACT_RESUME), 0);
	assert_int_equal(fvd_hvc_ops.vm_action(hvc, "alpha", FVD_ACT_STOP), 0);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "alpha", &vm), 0);
	assert_int_equal(vm.state, FVD_VM_STOPPED);
	assert_int_equal(fvd_hvc_ops.vm_action(hvc, "nope", FVD_ACT_START), FVD_E_NOTFOUND);
	assert_int_equal(fvd_hvc_ops.vm_action(hvc, "service", FVD_ACT_STOP), FVD_E_DENIED);
	assert_int_equal(fvd_hvc_ops.vm_destroy(hvc, "service"), FVD_E_DENIED);
	assert_int_equal(fvd_hvc_ops.vm_destroy(hvc, "beta"), 0);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "beta", &vm), FVD_E_NOTFOUND);
}

/* Crash dumps: DUMP_INFO parsed field by field, DUMP_READ's bytes, errors mapped. */
static void test_dump(void **state)
{
	static struct fvd_dump_info di, want;
	uint8_t buf[FVD_DUMP_CHUNK], ref[FVD_DUMP_CHUNK];

	(void)state;
	srv_noise = true;
	assert_int_equal(fvd_hvc_ops.dump_info(hvc, "alpha", &di), FVD_E_STATE); /* running */
	assert_int_equal(fvd_hvc_ops.dump_info(hvc, "service", &di), FVD_E_DENIED);
	assert_int_equal(fvd_hvc_ops.dump_info(hvc, "nope", &di), FVD_E_NOTFOUND);
	assert_int_equal(fvd_hvc_ops.vm_action(hvc, "alpha", FVD_ACT_PAUSE), 0);
	assert_int_equal(fvd_hvc_ops.dump_info(hvc, "alpha", &di), 0);
	assert_int_equal(fvd_sim_ops.dump_info(&srv_sim, "alpha", &want), 0);
	assert_string_equal(di.name, "alpha");
	assert_int_equal(di.state, FVD_VM_PAUSED);
	assert_string_equal(di.cause, "test cause");
	assert_int_equal(di.nr_vcpus, 2);
	assert_int_equal(di.nr_regions, 1);
	assert_int_equal(di.region[0].gpa, want.region[0].gpa);
	assert_int_equal(di.region[0].size, want.region[0].size);
	assert_memory_equal(di.vcpu, want.vcpu, sizeof(di.vcpu[0]) * 2);
	assert_int_equal(fvd_hvc_ops.dump_read(hvc, "alpha", di.region[0].gpa + 8, buf, 4000), 0);
	assert_int_equal(fvd_sim_ops.dump_read(&srv_sim, "alpha", di.region[0].gpa + 8, ref, 4000),
	                 0);
	assert_memory_equal(buf, ref, 4000);
	/* Outside RAM: refused by the other side; too long: refused before sending. */
	assert_int_equal(fvd_hvc_ops.dump_read(hvc, "alpha", di.region[0].gpa - 8, buf, 16),
	                 FVD_E_INVAL);
	assert_int_equal(
	    fvd_hvc_ops.dump_read(hvc, "alpha", di.region[0].gpa, buf, FVD_DUMP_CHUNK + 1),
	    FVD_E_INVAL);
	/* A count that does not match the payload is not trusted. */
	srv_bad_dump = true;
	assert_int_equal(fvd_hvc_ops.dump_info(hvc, "alpha", &di), FVD_E_IO);
	srv_bad_dump = false;
}

/* Snapshots through the channel: a save read in pieces, restored under a new name (paused),
 * the name in use refused, a damaged stream refused with nothing left behind. */
static void test_snapshot(void **state)
{
	static uint8_t snap[8192];
	struct fvd_vm_info vm;
	uint64_t size, off = 0;
	uint32_t id, rid;
	size_t n;

	(void)state;
	srv_noise = true;
	assert_int_equal(fvd_hvc_ops.snap_begin(hvc, "service", &id, &size), FVD_E_DENIED);
	assert_int_equal(fvd_hvc_ops.snap_begin(hvc, "nope", &id, &size), FVD_E_NOTFOUND);
	assert_int_equal(fvd_hvc_ops.snap_begin(hvc, "alpha", &id, &size), 0);
	assert_true(size > 64 && size <= sizeof(snap));
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "alpha", &vm), 0);
	assert_int_equal(vm.state, FVD_VM_PAUSED);
	while (off < size) {
		assert_int_equal(fvd_hvc_ops.snap_read(hvc, id, off, snap + off, 1000, &n), 0);
		assert_true(n > 0 && n <= 1000);
		off += n;
	}
	assert_int_equal(fvd_hvc_ops.snap_read(hvc, id, off, snap + off, 1000, &n), 0);
	assert_int_equal(n, 0);
	assert_memory_equal(snap, "FVSIMSNP", 8);
	assert_int_equal(fvd_hvc_ops.snap_end(hvc, id, true), 0);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "alpha", &vm), 0);
	assert_int_equal(vm.state, FVD_VM_RUNNING);

	assert_int_equal(fvd_hvc_ops.restore_begin(hvc, "alpha", size, &rid), FVD_E_EXISTS);
	assert_int_equal(fvd_hvc_ops.restore_begin(hvc, "alpha2", size, &rid), 0);
	for (off = 0; off < size; off += n) {
		n = size - off < FVD_SNAP_CHUNK ? (size_t)(size - off) : FVD_SNAP_CHUNK;
		n = n > 1500 ? 1500 : n;
		assert_int_equal(fvd_hvc_ops.restore_data(hvc, rid, off, snap + off, n), 0);
	}
	assert_int_equal(fvd_hvc_ops.restore_end(hvc, rid, true, false, &vm), 0);
	assert_string_equal(vm.name, "alpha2");
	assert_int_equal(vm.state, FVD_VM_PAUSED);
	assert_int_equal(vm.vcpus, 2);
	/* Damaged: refused at commit, no VM. */
	snap[100] ^= 1;
	assert_int_equal(fvd_hvc_ops.restore_begin(hvc, "alpha3", size, &rid), 0);
	assert_int_equal(fvd_hvc_ops.restore_data(hvc, rid, 0, snap, (size_t)size), 0);
	assert_int_equal(fvd_hvc_ops.restore_end(hvc, rid, true, false, &vm), FVD_E_INVAL);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "alpha3", &vm), FVD_E_NOTFOUND);
	/* Abandoned: nothing either. */
	assert_int_equal(fvd_hvc_ops.restore_begin(hvc, "alpha4", size, &rid), 0);
	assert_int_equal(fvd_hvc_ops.restore_end(hvc, rid, false, false, NULL), 0);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "alpha4", &vm), FVD_E_NOTFOUND);
	assert_int_equal(fvd_hvc_ops.restore_data(hvc, rid, 0, snap, 0), FVD_E_INVAL);
	srv_noise = false;
}

/*
 * Restore data goes out pipelined: a piece the hypervisor refuses (here at a wrong offset)
 * fails a later call or the commit with its own error, and no VM is made.
 */
static void test_restore_pipelined(void **state)
{
	static uint8_t snap[8192];
	struct fvd_vm_info vm;
	uint64_t size, off = 0;
	uint32_t id, rid;
	size_t n;
	int err = 0;

	(void)state;
	srv_noise = true;
	assert_int_equal(fvd_hvc_ops.snap_begin(hvc, "alpha", &id, &size), 0);
	while (off < size) {
		assert_int_equal(fvd_hvc_ops.snap_read(hvc, id, off, snap + off, 700, &n), 0);
		off += n;
	}
	assert_int_equal(fvd_hvc_ops.snap_end(hvc, id, true), 0);
	/* Whole, in small pieces (several in flight): restored. */
	assert_int_equal(fvd_hvc_ops.restore_begin(hvc, "beta5", size, &rid), 0);
	for (off = 0; off < size; off += n) {
		n = size - off < 300 ? (size_t)(size - off) : 300;
		assert_int_equal(fvd_hvc_ops.restore_data(hvc, rid, off, snap + off, n), 0);
	}
	assert_int_equal(fvd_hvc_ops.restore_end(hvc, rid, true, false, &vm), 0);
	assert_string_equal(vm.name, "beta5");
	/* The second piece at the wrong offset: refused, the error comes back. */
	assert_int_equal(fvd_hvc_ops.restore_begin(hvc, "beta6", size, &rid), 0);
	for (off = 0; off < size && !err; off += 300) {
		n = size - off < 300 ? (size_t)(size - off) : 300;
		err = fvd_hvc_ops.restore_data(hvc, rid, off == 300 ? 301 : off, snap + off, n);
	}
	if (!err)
		err = fvd_hvc_ops.restore_end(hvc, rid, true, false, &vm);
	else
		fvd_hvc_ops.restore_end(hvc, rid, false, false, NULL);
	assert_int_equal(err, FVD_E_INVAL);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "beta6", &vm), FVD_E_NOTFOUND);
	/* A piece answered with a status of no meaning to the daemon: a channel failure whose
	 * detail names the request and the status, whichever later call reports it. */
	char why[FVD_IO_DETAIL_MAX];
	fvd_io_detail_take(why, sizeof(why));
	srv_seq_at = 600;
	err = 0;
	assert_int_equal(fvd_hvc_ops.restore_begin(hvc, "beta7", size, &rid), 0);
	for (off = 0; off < size && !err; off += 300) {
		n = size - off < 300 ? (size_t)(size - off) : 300;
		err = fvd_hvc_ops.restore_data(hvc, rid, off, snap + off, n);
	}
	if (!err)
		err = fvd_hvc_ops.restore_end(hvc, rid, true, false, &vm);
	srv_seq_at = 0;
	assert_int_equal(err, FVD_E_IO);
	fvd_io_detail_take(why, sizeof(why));
	assert_non_null(strstr(why, "E_SEQUENCE"));
	fvd_hvc_ops.restore_end(hvc, rid, false, false, NULL);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "beta7", &vm), FVD_E_NOTFOUND);
	/* The channel is in step again: a query works. */
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "beta5", &vm), 0);
	srv_noise = false;
}

/*
 * MIG_READ in batches: a read of more than one request's bytes goes out as several requests
 * at once and comes back whole and in order; one past the segment's end returns the rest
 * (the requests beyond are refused by the hypervisor and ignored); E_BUSY is asked again.
 */
static void test_mig_read_batched(void **state)
{
	static uint8_t buf[32768];
	struct fvd_mig_round rd;
	uint64_t first, pos = 0;
	uint32_t id;
	size_t n;

	(void)state;
	srv_noise = true;
	srv_mig_reads = srv_mig_seq_errs = 0;
	assert_int_equal(fvd_hvc_ops.mig_begin(hvc, "alpha", &id, &first), 0);
	assert_int_equal(first, 50000);
	/* 4 requests of 8192 bytes. */
	assert_int_equal(fvd_hvc_ops.mig_read(hvc, id, pos, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, sizeof(buf));
	assert_int_equal(srv_mig_reads, 4);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(buf[i], srv_mig_byte(pos + i));
	pos += n;
	/* Past the end: 17232 bytes left, the fourth request refused. */
	assert_int_equal(fvd_hvc_ops.mig_read(hvc, id, pos, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 50000 - sizeof(buf));
	assert_int_equal(srv_mig_seq_errs, 1);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(buf[i], srv_mig_byte(pos + i));
	pos += n;
	assert_int_equal(fvd_hvc_ops.mig_read(hvc, id, pos, buf, 100, &n), 0);
	assert_int_equal(n, 0);
	/* The next segment; its first read busy once (the batch's others out of sequence). */
	assert_int_equal(fvd_hvc_ops.mig_round(hvc, id, false, &rd), 0);
	assert_int_equal(rd.bytes, 20000);
	srv_mig_busy = 1;
	srv_mig_seq_errs = 0;
	assert_int_equal(fvd_hvc_ops.mig_read(hvc, id, pos, buf, 20000, &n), 0);
	assert_int_equal(srv_mig_busy, 0);
	assert_int_equal(srv_mig_seq_errs, 2);
	assert_int_equal(n, 20000);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(buf[i], srv_mig_byte(pos + i));
	/* A wrong offset: nothing, an error. */
	assert_int_not_equal(fvd_hvc_ops.mig_read(hvc, id, pos + 1, buf, 20000, &n), 0);
	assert_int_equal(fvd_hvc_ops.mig_end(hvc, id, true), 0);
	srv_noise = false;
}

/* A package of many chunks, pipelined (HVC_CHUNK_WINDOW in flight), with events and
 * garbage between the answers: every byte arrives in order, the CRC matches. */
static void test_upload_pipelined(void **state)
{
	static uint8_t pkg[60000];
	struct fvd_create_req cr = {.name = "big",
	                            .vcpus = 1,
	                            .memory_bytes = 16u << 20,
	                            .package_bytes = sizeof(pkg),
	                            .has_crc = true};
	struct fvd_vm_info vm;

	(void)state;
	srv_noise = true;
	for (size_t i = 0; i < sizeof(pkg); i++)
		pkg[i] = (uint8_t)(i * 13u + (i >> 9));
	memcpy(pkg, "big", 4);
	cr.crc32c = ctl_crc32c(0, pkg, sizeof(pkg));
	assert_int_equal(fvd_hvc_ops.create_begin(hvc, &cr), 0);
	assert_int_equal(fvd_hvc_ops.create_chunk(hvc, "big", pkg, 50000), 0);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "big", &vm), 0);
	assert_int_equal(vm.upload_done, 50000);
	assert_int_equal(fvd_hvc_ops.create_chunk(hvc, "big", pkg + 50000, sizeof(pkg) - 50000), 0);
	assert_int_equal(fvd_hvc_ops.create_end(hvc, "big", true), 0);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "big", &vm), 0);
	assert_int_equal(vm.state, FVD_VM_STOPPED);
	assert_memory_equal(srv_pkg, pkg, sizeof(pkg));
}

/* Weight and affinity travel as SET_WEIGHT / SET_AFFINITY and come back in VM_LIST. */
static void test_set_sched(void **state)
{
	struct fvd_vm_info vm;
	struct fvd_sched_req both = {.weight = 700, .affinity = 2};
	struct fvd_sched_req bad = {.affinity = 4};

	(void)state;
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "alpha", &vm), 0);
	assert_int_equal(vm.weight, 256);
	assert_int_equal(vm.affinity, 3);
	assert_int_equal(fvd_hvc_ops.vm_set_sched(hvc, "alpha", &both), 0);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "alpha", &vm), 0);
	assert_int_equal(vm.weight, 700);
	assert_int_equal(vm.affinity, 2);
	assert_int_equal(vm.state, FVD_VM_RUNNING);
	assert_int_equal(fvd_hvc_ops.vm_set_sched(hvc, "alpha", &bad), FVD_E_INVAL);
	assert_int_equal(fvd_hvc_ops.vm_set_sched(hvc, "nope", &both), FVD_E_NOTFOUND);
	assert_int_equal(fvd_hvc_ops.vm_set_sched(hvc, "service", &both), FVD_E_DENIED);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "alpha", &vm), 0);
	assert_int_equal(vm.affinity, 2);
}

static void test_upload(void **state)
{
	static uint8_t pkg[20000];
	struct fvd_create_req cr = {.name = "gamma",
	                            .vcpus = 1,
	                            .memory_bytes = 16u << 20,
	                            .package_bytes = sizeof(pkg),
	                            .has_crc = true};
	struct fvd_vm_info vm;

	(void)state;
	for (size_t i = 0; i < sizeof(pkg); i++)
		pkg[i] = (uint8_t)(i * 7u);
	memcpy(pkg, "gamma", 6);
	cr.crc32c = ctl_crc32c(0, pkg, sizeof(pkg));
	/* No CRC: the control channel cannot take the package. */
	cr.has_crc = false;
	assert_int_equal(fvd_hvc_ops.create_begin(hvc, &cr), FVD_E_INVAL);
	cr.has_crc = true;
	assert_int_equal(fvd_hvc_ops.create_begin(hvc, &cr), 0);
	assert_int_equal(fvd_hvc_ops.create_begin(hvc, &cr), FVD_E_BUSY);
	/* Split over several UPLOAD_CHUNKs; progress is visible in between. */
	assert_int_equal(fvd_hvc_ops.create_chunk(hvc, "gamma", pkg, 12000), 0);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "gamma", &vm), 0);
	assert_int_equal(vm.state, FVD_VM_CREATING);
	assert_int_equal(vm.upload_done, 12000);
	assert_int_equal(vm.upload_total, sizeof(pkg));
	assert_int_equal(fvd_hvc_ops.vm_action(hvc, "gamma", FVD_ACT_START), FVD_E_BUSY);
	assert_int_equal(fvd_hvc_ops.create_chunk(hvc, "gamma", pkg + 12000, sizeof(pkg)),
	                 FVD_E_TOOBIG);
	assert_int_equal(fvd_hvc_ops.create_chunk(hvc, "gamma", pkg + 12000, sizeof(pkg) - 12000),
	                 0);
	assert_int_equal(fvd_hvc_ops.create_end(hvc, "gamma", true), 0);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "gamma", &vm), 0);
	assert_int_equal(vm.state, FVD_VM_STOPPED);
	/* A damaged package: the hypervisor's CRC check refuses it, nothing is created. */
	memcpy(pkg, "delta", 6);
	strcpy(cr.name, "delta");
	assert_int_equal(fvd_hvc_ops.create_begin(hvc, &cr), 0);
	assert_int_equal(fvd_hvc_ops.create_chunk(hvc, "delta", pkg, sizeof(pkg)), 0);
	assert_int_equal(fvd_hvc_ops.create_end(hvc, "delta", true), FVD_E_INVAL);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "delta", &vm), FVD_E_NOTFOUND);
	/* Abort: no VM either, and the channel takes a new upload. */
	cr.crc32c = ctl_crc32c(0, pkg, sizeof(pkg));
	assert_int_equal(fvd_hvc_ops.create_begin(hvc, &cr), 0);
	assert_int_equal(fvd_hvc_ops.create_end(hvc, "delta", false), 0);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "delta", &vm), FVD_E_NOTFOUND);
	assert_int_equal(fvd_hvc_ops.create_begin(hvc, &cr), 0);
	assert_int_equal(fvd_hvc_ops.create_chunk(hvc, "delta", pkg, sizeof(pkg)), 0);
	assert_int_equal(fvd_hvc_ops.create_end(hvc, "delta", true), 0);
	assert_int_equal(fvd_hvc_ops.vm_get(hvc, "delta", &vm), 0);
}

static bool attach_log_has(const char *want)
{
	bool ok;

	pthread_mutex_lock(&srv_lock);
	ok = strcmp(srv_attach_log, want) == 0;
	pthread_mutex_unlock(&srv_lock);
	return ok;
}

static void wait_attach_log(const char *want)
{
	for (int i = 0; i < 200 && !attach_log_has(want); i++)
		usleep(10000);
	pthread_mutex_lock(&srv_lock);
	assert_string_equal(srv_attach_log, want);
	pthread_mutex_unlock(&srv_lock);
}

static void ev_state(const char *name, uint32_t old, uint32_t st, uint32_t seq)
{
	uint8_t p[48] = {0};

	ctl_put32(p, 9);
	ctl_put32(p + 4, old);
	ctl_put32(p + 8, st);
	memcpy(p + 16, name, strlen(name));
	srv_send(CTL_T_EV_VM_STATE, CTL_F_EVENT, seq, 0, p, sizeof(p));
}

static void ev_console(const char *name, const char *text, uint32_t len, uint32_t seq)
{
	uint8_t p[256] = {0};

	ctl_put32(p, 1);
	ctl_put32(p + 4, len);
	memcpy(p + 8, name, strlen(name));
	memcpy(p + 40, text, strlen(text));
	srv_send(CTL_T_EV_CONSOLE, CTL_F_EVENT, seq, 0, p, 40 + strlen(text));
}

/* The next event logged after *after, as JSON text (asserts that one comes). */
static const char *next_event(struct fvd_hub *hub, uint64_t *after, const char *type)
{
	static char text[FVD_HUB_EVENT_MAX];
	char t[FVD_HUB_TYPE_MAX];

	assert_int_equal(fvd_hub_next_event(hub, *after, text, after, t, 2000), 1);
	assert_string_equal(t, type);
	return text;
}

/* Events and consoles: the pump thread follows every VM from events_start on, attaches to
 * VMs that appear (again after a slot was freed), turns events into the hub's log with the
 * cause (operator request or guest), skips malformed events, reports lost ones. */
static void test_events(void **state)
{
	struct fvd_hub *hub = fvd_hub_new();
	uint64_t after = 0, pos = 0, first;
	uint8_t crash[136] = {0};
	char buf[64] = {0};
	size_t taken;
	const char *e;

	(void)state;
	assert_non_null(hub);
	pthread_mutex_lock(&srv_lock);
	srv_attach_log[0] = '\0';
	pthread_mutex_unlock(&srv_lock);
	assert_int_equal(fvd_hvc_ops.events_start(hvc, hub), 0);
	/* Every VM but the service VM, before any client asks. */
	wait_attach_log("alpha beta ");

	/* Console output lands in the VM's history, byte for byte. */
	ev_console("alpha", "hello\n", 6, ++srv_events);
	assert_int_equal(fvd_hub_console_read(hub, "alpha", &pos, &first, buf, sizeof(buf), 2000),
	                 6);
	assert_memory_equal(buf, "hello\n", 6);
	/* Malformed: length beyond the payload, a name without NUL: skipped. */
	ev_console("alpha", "xy", 50, ++srv_events);
	ev_console("alpha12345678901234567890123456789", "zz", 2, ++srv_events);
	ev_console("alpha", "ok", 2, ++srv_events);
	assert_int_equal(fvd_hub_console_read(hub, "alpha", &pos, &first, buf, sizeof(buf), 2000),
	                 2);
	assert_memory_equal(buf, "ok", 2);

	/* A state change the operator asked for, then one nobody asked for. */
	assert_int_equal(fvd_hvc_ops.vm_action(hvc, "alpha", FVD_ACT_STOP), 0);
	ev_state("alpha", CTL_VM_RUNNING, CTL_VM_STOPPED, ++srv_events);
	e = next_event(hub, &after, "vm-state");
	assert_non_null(strstr(e, "\"vm\":\"alpha\",\"state\":\"stopped\",\"old_state\":"
	                          "\"running\",\"cause\":\"operator:stop\",\"severity\":\"info\""));
	assert_int_equal(fvd_hvc_ops.vm_action(hvc, "alpha", FVD_ACT_START), 0);
	ev_state("alpha", CTL_VM_STOPPED, CTL_VM_RUNNING, ++srv_events);
	e = next_event(hub, &after, "vm-state");
	assert_non_null(strstr(e, "\"cause\":\"operator:start\""));
	ev_state("alpha", CTL_VM_RUNNING, CTL_VM_CRASHED, ++srv_events);
	e = next_event(hub, &after, "vm-state");
	assert_non_null(strstr(e, "\"state\":\"crashed\""));
	assert_non_null(strstr(e, "\"cause\":\"guest\",\"severity\":\"critical\""));
	memcpy(crash + 8, "alpha", 5);
	memcpy(crash + 40, "illegal instruction \x01 at 0x80000000", 36);
	srv_send(CTL_T_EV_VM_CRASH, CTL_F_EVENT, ++srv_events, 0, crash, sizeof(crash));
	e = next_event(hub, &after, "vm-crash");
	assert_non_null(strstr(e, "\"cause\":\"illegal instruction ? at 0x80000000\""));

	/* Lost events (a gap in the event seq) are reported. */
	srv_events += 3;
	ev_state("beta", CTL_VM_STOPPED, CTL_VM_RUNNING, ++srv_events);
	e = next_event(hub, &after, "control-error");
	assert_non_null(strstr(e, "\"count\":3"));
	e = next_event(hub, &after, "vm-state");
	assert_non_null(strstr(e, "\"vm\":\"beta\""));

	/* A VM the daemon did not know: attached on its first event; after its slot was freed
	 * (destroyed), a VM there is attached again. */
	ev_state("gamma", CTL_VM_STOPPED, CTL_VM_RUNNING, ++srv_events);
	wait_attach_log("alpha beta gamma ");
	ev_state("gamma", CTL_VM_RUNNING, CTL_VM_DESTROYED, ++srv_events);
	ev_state("gamma", CTL_VM_STOPPED, CTL_VM_RUNNING, ++srv_events);
	wait_attach_log("alpha beta gamma gamma ");

	/* Console input reaches the VM (the sim behind the server echoes it). */
	assert_int_equal(fvd_hvc_ops.console_input(hvc, "alpha", "echo hi\n", 8, &taken), 0);
	assert_int_equal(taken, 8);
	/* (beta only seemed to start: the server's sim has it stopped) */
	assert_int_equal(fvd_hvc_ops.console_input(hvc, "beta", "x", 1, &taken), FVD_E_STATE);
	assert_int_equal(fvd_hvc_ops.console_input(hvc, "service", "x", 1, &taken), FVD_E_DENIED);
	assert_int_equal(fvd_hvc_ops.console_input(hvc, "nope", "x", 1, &taken), FVD_E_NOTFOUND);
	assert_int_equal(fvd_hvc_ops.console_input(hvc, "beta", "", 0, &taken), FVD_E_INVAL);

	/* Errors the hypervisor counts (CTL_STATS, polled every 5 s from events_start on; the
	 * first answer is the baseline) become a control-error event with the increase. */
	pthread_mutex_lock(&srv_lock);
	srv_stat_errors += 3;
	pthread_mutex_unlock(&srv_lock);
	{
		char text[FVD_HUB_EVENT_MAX], t[FVD_HUB_TYPE_MAX];

		/* (after the three state events of gamma above) */
		do {
			assert_int_equal(fvd_hub_next_event(hub, after, text, &after, t, 8000), 1);
		} while (strcmp(t, "vm-state") == 0);
		assert_string_equal(t, "control-error");
		assert_non_null(strstr(text, "\"count\":3"));
		assert_non_null(strstr(text, "counted 3 control-channel errors"));
	}
	fvd_hub_stop(hub);
	fvd_hvc_close(hvc); /* joins the pump before the hub goes */
	hvc = NULL;
	fvd_hub_free(hub);
}

static void test_dead_channel(void **state)
{
	struct fvd_host_info hi;
	int sv[2];
	struct fvd_hvc *h;

	(void)state;
	/* Nobody answers: HELLO times out, no backend. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_null(fvd_hvc_open(sv[1], 100));
	close(sv[0]);
	/* The peer goes away after HELLO: operations fail with FVD_E_IO. */
	shutdown(srv_fd, SHUT_RDWR);
	h = hvc;
	assert_int_equal(fvd_hvc_ops.host_info(h, &hi), FVD_E_IO);
	/* The operator's error says which request and why; taking it clears it. */
	char why[FVD_IO_DETAIL_MAX];
	fvd_io_detail_take(why, sizeof(why));
	assert_non_null(strstr(why, "control request 0x"));
	assert_non_null(strstr(why, "closed"));
	fvd_io_detail_take(why, sizeof(why));
	assert_string_equal(why, "");
}

/* PROF_START/STOP/READ through the backend and fvd_prof_run: the hypervisor's encoding
 * decoded sample for sample over three chunks; a malformed answer is FVD_E_IO. */
static void test_profile(void **state)
{
	struct fvd_backend be = {&fvd_hvc_ops, NULL};
	struct fvd_prof_req req = {1, 1000};
	struct fvd_prof_chunk *c = malloc(sizeof(*c));
	cJSON *j;

	(void)state;
	be.ctx = hvc;
	srv_prof = calloc(1, sizeof(*srv_prof));
	assert_non_null(srv_prof);
	assert_int_equal(fvd_hvc_ops.prof_start(hvc, "nope", 1000), FVD_E_NOTFOUND);
	assert_int_equal(fvd_hvc_ops.prof_start(hvc, "alpha", 1000), 0);
	assert_int_equal(fvd_hvc_ops.prof_start(hvc, "alpha", 1000), FVD_E_BUSY);
	assert_int_equal(fvd_hvc_ops.prof_read(hvc, 0, c), FVD_E_STATE);
	assert_int_equal(fvd_hvc_ops.prof_stop(hvc), 0);
	assert_int_equal(fvd_hvc_ops.prof_read(hvc, 200, c), 0);
	assert_int_equal(c->total, 250);
	assert_int_equal(c->count, 50);
	assert_int_equal(c->s[0].pc, 0x1000);
	assert_int_equal(c->s[0].depth, 2);
	assert_int_equal(c->s[0].ra[1], 0x3000);
	assert_int_equal(c->s[0].cpu, 1);
	srv_prof_bad = 1;
	assert_int_equal(fvd_hvc_ops.prof_read(hvc, 0, c), FVD_E_IO);
	srv_prof_bad = 2;
	assert_int_equal(fvd_hvc_ops.prof_read(hvc, 0, c), FVD_E_IO);
	srv_prof_bad = 0;

	assert_int_equal(fvd_prof_run(&be, "alpha", &req, &j), 0);
	assert_int_equal(cJSON_GetObjectItem(j, "samples")->valueint, 250);
	const cJSON *st = cJSON_GetObjectItem(j, "stacks");
	assert_int_equal(cJSON_GetArraySize(st), 6); /* five guest pcs, one hypervisor */
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(st, 0), "count")->valueint, 50);
	cJSON_Delete(j);
	free(c);
	free(srv_prof);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_profile, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_queries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_actions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_upload, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_events, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_sched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dump, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_upload_pipelined, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restore_pipelined, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mig_read_batched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dead_channel, setup, teardown),
	};

	/* A write to the closed peer fails with EPIPE instead of killing the test. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#else /* !FVD_HAVE_CTL */

static void test_needs_control_protocol(void **state)
{
	(void)state;
	skip(); /* hyp/core/ctl_proto.h is not in this tree yet */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_needs_control_protocol),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
