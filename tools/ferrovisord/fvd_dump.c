// SPDX-License-Identifier: MIT
/* Crash dumps kept by the daemon (see fvd_dump.h). */
#include "fvd_dump.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "fvd_core.h"
#include "fvd_hub.h"
#include "fvd_route.h"

#define DUMP_PAUSE_WAIT_MS 5000 /* a pause completes when every vCPU has left its CPU */
#define DUMP_META_MAX      4096

static char dump_dir[4096];
static enum fvd_auto_dump dump_auto;
static bool dump_temp; /* dump_dir is a temporary directory: fvd_dump_fini removes it */

int fvd_dump_init(const char *state_dir, enum fvd_auto_dump mode)
{
	dump_auto = mode;
	if (!state_dir) {
		/* Made at the first dump (dump_ensure_dir): most daemons never write one. */
		dump_dir[0] = '\0';
		return 0;
	}
	if ((size_t)snprintf(dump_dir, sizeof(dump_dir), "%s/dumps", state_dir) >=
	    sizeof(dump_dir) - 64) {
		fprintf(stderr, "ferrovisord: --state-dir too long\n");
		return -1;
	}
	if (mkdir(dump_dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "ferrovisord: %s: %s\n", dump_dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* A daemon without --state-dir: a private temporary directory, made at the first dump. */
static int dump_ensure_dir(void)
{
	char tmpl[] = "/tmp/ferrovisord-dumps-XXXXXX";

	if (dump_dir[0])
		return FVD_OK;
	if (!mkdtemp(tmpl)) {
		fprintf(stderr, "ferrovisord: dump directory: %s\n", strerror(errno));
		return FVD_E_IO;
	}
	snprintf(dump_dir, sizeof(dump_dir), "%s", tmpl);
	dump_temp = true;
	printf("ferrovisord: no --state-dir: dumps go to %s (not kept)\n", dump_dir);
	return FVD_OK;
}

void fvd_dump_fini(void)
{
	DIR *d;
	struct dirent *e;
	char path[4400];

	if (!dump_temp || !(d = opendir(dump_dir)))
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dump_dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dump_dir);
	dump_temp = false;
	dump_dir[0] = '\0';
}

/* The seq of a dump file name "<vm>-<seq>.json", 0 if it is not one. */
static unsigned long dump_seq_of(const char *fname)
{
	const char *dot = strrchr(fname, '.');
	const char *dash = strrchr(fname, '-');
	if (!dot || !dash || dash > dot || strcmp(dot, ".json") != 0 || dot == dash + 1)
		return 0;
	unsigned long v = 0;
	for (const char *p = dash + 1; p < dot; p++) {
		if (*p < '0' || *p > '9' || v > 100000000ul)
			return 0;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	return v;
}

static unsigned long dump_next_seq(void)
{
	unsigned long max = 0;
	DIR *d = opendir(dump_dir);
	struct dirent *e;
	if (!d)
		return 1;
	while ((e = readdir(d)) != NULL) {
		unsigned long s = dump_seq_of(e->d_name);
		if (s > max)
			max = s;
	}
	closedir(d);
	return max + 1;
}

struct dump_reader {
	struct fvd_backend *be;
	const char *name;
};

static int dump_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	struct dump_reader *r = ctx;
	return r->be->ops->dump_read(r->be->ctx, r->name, gpa, buf, len);
}

static void dump_sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int dump_write_meta(const struct fvd_dump_meta *m)
{
	char path[4200], tmp[4210];
	cJSON *j = cJSON_CreateObject();
	char *text;
	FILE *f;
	int ok;

	if (!j)
		return FVD_E_NOMEM;
	cJSON_AddStringToObject(j, "id", m->id);
	cJSON_AddStringToObject(j, "vm", m->vm);
	cJSON_AddStringToObject(j, "state", m->state);
	cJSON_AddStringToObject(j, "cause", m->cause);
	cJSON_AddNumberToObject(j, "size_bytes", (double)m->size);
	cJSON_AddNumberToObject(j, "created", (double)m->created);
	cJSON_AddNumberToObject(j, "vcpus", m->vcpus);
	text = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (!text)
		return FVD_E_NOMEM;
	snprintf(path, sizeof(path), "%s/%s.json", dump_dir, m->id);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	ok = f && fputs(text, f) >= 0;
	if (f && fclose(f) != 0)
		ok = 0;
	free(text);
	/* The description appears last, complete: a listing never sees half a dump. */
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return FVD_E_IO;
	}
	return FVD_OK;
}

/* Info of a quiet VM; a pause just asked may still be completing (FVD_E_BUSY). */
static int dump_info_wait(struct fvd_backend *be, const char *name, struct fvd_dump_info *di)
{
	int err = FVD_E_BUSY;
	for (int waited = 0; waited <= DUMP_PAUSE_WAIT_MS && err == FVD_E_BUSY; waited += 20) {
		err = be->ops->dump_info(be->ctx, name, di);
		if (err == FVD_E_BUSY)
			dump_sleep_ms(20);
	}
	return err;
}

static int dump_write(struct fvd_backend *be, const char *name, struct fvd_dump_meta *m)
{
	static struct fvd_dump_info di;
	char core[4200], tmp[4210];
	struct dump_reader rd = {be, name};
	int err = dump_info_wait(be, name, &di);
	FILE *f;

	if (err)
		return err;
	memset(m, 0, sizeof(*m));
	unsigned long seq = dump_next_seq();
	char num[24];
	int nl = snprintf(num, sizeof(num), "-%lu", seq);
	int keep = (int)strlen(name);
	if (keep + nl > FVD_DUMP_ID_MAX)
		keep = FVD_DUMP_ID_MAX - nl; /* a long VM name is clipped in the id only */
	snprintf(m->id, sizeof(m->id), "%.*s%s", keep, name, num);
	snprintf(m->vm, sizeof(m->vm), "%s", name);
	snprintf(m->state, sizeof(m->state), "%s", fvd_state_name(di.state));
	snprintf(m->cause, sizeof(m->cause), "%s", di.cause);
	m->created = (int64_t)time(NULL);
	m->vcpus = di.nr_vcpus;
	snprintf(core, sizeof(core), "%s/%s.core", dump_dir, m->id);
	snprintf(tmp, sizeof(tmp), "%s.tmp", core);
	f = fopen(tmp, "w+");
	if (!f)
		return FVD_E_IO;
	err = fvd_core_write(f, &di, dump_read, &rd, &m->size);
	if (fclose(f) != 0 && !err)
		err = FVD_E_IO;
	if (!err && rename(tmp, core) != 0)
		err = FVD_E_IO;
	if (!err)
		err = dump_write_meta(m);
	if (err) {
		unlink(tmp);
		unlink(core);
	}
	return err;
}

int fvd_dump_create(struct fvd_backend *be, const char *name, struct fvd_dump_meta *out)
{
	struct fvd_vm_info vm;
	bool paused = false;
	int err;

	if (!be->ops->dump_info || !be->ops->dump_read)
		return FVD_E_NOTSUP;
	err = be->ops->vm_get(be->ctx, name, &vm);
	if (err)
		return err;
	if (vm.service)
		return FVD_E_DENIED;
	if (vm.state == FVD_VM_CREATING || vm.state == FVD_VM_STOPPING)
		return FVD_E_STATE;
	err = dump_ensure_dir();
	if (err)
		return err;
	if (vm.state == FVD_VM_RUNNING) {
		err = be->ops->vm_action(be->ctx, name, FVD_ACT_PAUSE);
		if (err)
			return err;
		paused = true;
	}
	err = dump_write(be, name, out);
	if (paused) {
		/* The guest goes on as before the dump, whatever became of the dump. */
		int rerr = be->ops->vm_action(be->ctx, name, FVD_ACT_RESUME);
		if (!err && rerr && rerr != FVD_E_STATE)
			err = rerr;
	}
	return err;
}

bool fvd_dump_fits(uint64_t ram_bytes, uint64_t free_bytes, uint64_t total_bytes)
{
	uint64_t margin = total_bytes / 20;
	if (margin < FVD_DUMP_MARGIN_MIN)
		margin = FVD_DUMP_MARGIN_MIN;
	/* Each comparison subtracts only what it has checked is there: nothing wraps. */
	if (free_bytes < margin || ram_bytes > UINT64_MAX - FVD_DUMP_OVERHEAD)
		return false;
	return ram_bytes + FVD_DUMP_OVERHEAD <= free_bytes - margin;
}

/* --auto-dump auto: whether VM name's dump fits where dumps go (said why not). */
static bool dump_fits_now(struct fvd_backend *be, const char *name)
{
	struct fvd_dump_info di;
	struct statvfs fs;
	uint64_t ram = 0;

	if (!be->ops->dump_info || be->ops->dump_info(be->ctx, name, &di) != FVD_OK)
		return true; /* no size to judge by: fvd_dump_create reports the real error */
	for (uint32_t i = 0; i < di.nr_regions && i < FVD_DUMP_MAX_REGION; i++)
		ram += di.region[i].size;
	if (dump_ensure_dir() != FVD_OK || statvfs(dump_dir, &fs) != 0) {
		fprintf(stderr,
		        "ferrovisord: vm %s crashed: no dump (%s: cannot tell its free space)\n",
		        name, dump_dir);
		return false;
	}
	uint64_t unit = fs.f_frsize ? fs.f_frsize : fs.f_bsize;
	uint64_t avail = (uint64_t)fs.f_bavail * unit, total = (uint64_t)fs.f_blocks * unit;
	if (fvd_dump_fits(ram, avail, total))
		return true;
	printf("ferrovisord: vm %s crashed: no dump (--auto-dump auto): up to %llu MiB needed, "
	       "%s has %llu MiB free of %llu MiB; dump it with POST /api/v1/vms/%s/dump after "
	       "making room\n",
	       name, (unsigned long long)((ram + FVD_DUMP_OVERHEAD) >> 20), dump_dir,
	       (unsigned long long)(avail >> 20), (unsigned long long)(total >> 20), name);
	fflush(stdout);
	return false;
}

int fvd_dump_on_crash(struct fvd_backend *be, const char *name)
{
	struct fvd_dump_meta m;
	int err;

	if (dump_auto == FVD_AUTO_DUMP_OFF)
		return FVD_OK;
	if (dump_auto == FVD_AUTO_DUMP_FIT && !dump_fits_now(be, name))
		return FVD_OK;
	err = fvd_dump_create(be, name, &m);
	if (err)
		fprintf(stderr, "ferrovisord: auto-dump of %s failed (%s)\n", name,
		        fvd_route_problem(err)->slug);
	else
		printf("ferrovisord: vm %s crashed: dump %s (%llu bytes)\n", name, m.id,
		       (unsigned long long)m.size);
	return err;
}

struct dump_follower {
	struct fvd_backend *be;
	struct fvd_hub *hub;
	uint64_t after; /* the hub's last event when following began */
};

static void *dump_follow(void *arg)
{
	static char buf[FVD_HUB_EVENT_MAX + 1];
	struct dump_follower *f = arg;
	uint64_t after = f->after, seq;
	char type[FVD_HUB_TYPE_MAX];
	int r;

	while ((r = fvd_hub_next_event(f->hub, after, buf, &seq, type, 1000)) >= 0) {
		cJSON *j, *vm;

		if (r == 0)
			continue;
		after = seq;
		if (strcmp(type, "vm-crash") != 0)
			continue;
		j = cJSON_Parse(buf);
		vm = j ? cJSON_GetObjectItemCaseSensitive(j, "vm") : NULL;
		if (cJSON_IsString(vm) &&
		    fvd_route_valid_name(vm->valuestring, strlen(vm->valuestring)))
			fvd_dump_on_crash(f->be, vm->valuestring);
		cJSON_Delete(j);
	}
	free(f);
	return NULL;
}

int fvd_dump_follow(struct fvd_backend *be, struct fvd_hub *hub)
{
	struct dump_follower *f;
	pthread_t t;

	if (dump_auto == FVD_AUTO_DUMP_OFF)
		return 0;
	f = malloc(sizeof(*f));
	if (!f)
		return -1;
	f->be = be;
	f->hub = hub;
	/* Taken here, not by the thread: a crash between this call and the thread's first
	 * look at the hub (a busy host) must not be missed. */
	f->after = fvd_hub_last_seq(hub);
	if (pthread_create(&t, NULL, dump_follow, f) != 0) {
		free(f);
		return -1;
	}
	pthread_detach(t);
	return 0;
}

/* Reads DIR/<fname> (a .json description) into *m; false if it is not a valid one. */
static bool dump_read_meta(const char *fname, struct fvd_dump_meta *m)
{
	char path[4400], text[DUMP_META_MAX];
	snprintf(path, sizeof(path), "%s/%s", dump_dir, fname);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	cJSON *j = cJSON_Parse(text);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
	const cJSON *vm = cJSON_GetObjectItemCaseSensitive(j, "vm");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "state");
	const cJSON *ca = cJSON_GetObjectItemCaseSensitive(j, "cause");
	const cJSON *sz = cJSON_GetObjectItemCaseSensitive(j, "size_bytes");
	const cJSON *cr = cJSON_GetObjectItemCaseSensitive(j, "created");
	const cJSON *vc = cJSON_GetObjectItemCaseSensitive(j, "vcpus");
	bool ok = cJSON_IsString(id) && cJSON_IsString(vm) && cJSON_IsString(st) &&
	          cJSON_IsString(ca) && cJSON_IsNumber(sz) && cJSON_IsNumber(cr) &&
	          cJSON_IsNumber(vc) &&
	          fvd_route_valid_name(id->valuestring, strlen(id->valuestring));
	if (ok) {
		memset(m, 0, sizeof(*m));
		snprintf(m->id, sizeof(m->id), "%s", id->valuestring);
		snprintf(m->vm, sizeof(m->vm), "%s", vm->valuestring);
		snprintf(m->state, sizeof(m->state), "%s", st->valuestring);
		snprintf(m->cause, sizeof(m->cause), "%s", ca->valuestring);
		m->size = (uint64_t)sz->valuedouble;
		m->created = (int64_t)cr->valuedouble;
		m->vcpus = (uint32_t)vc->valuedouble;
	}
	cJSON_Delete(j);
	return ok;
}

static int dump_cmp(const void *a, const void *b)
{
	const struct fvd_dump_meta *x = a, *y = b;
	char fx[40], fy[40];
	snprintf(fx, sizeof(fx), "%s.json", x->id);
	snprintf(fy, sizeof(fy), "%s.json", y->id);
	unsigned long sx = dump_seq_of(fx), sy = dump_seq_of(fy);
	return sx < sy ? -1 : sx > sy;
}

int fvd_dump_list(struct fvd_dump_meta *out, size_t max, size_t *n)
{
	DIR *d = opendir(dump_dir);
	struct dirent *e;
	size_t k = 0;

	*n = 0;
	if (!dump_dir[0])
		return FVD_OK; /* no dump written yet (no --state-dir) */
	if (!d)
		return FVD_E_IO;
	while ((e = readdir(d)) != NULL) {
		struct fvd_dump_meta m;
		if (!dump_seq_of(e->d_name) || !dump_read_meta(e->d_name, &m))
			continue;
		if (k < max)
			out[k] = m;
		k++;
	}
	closedir(d);
	qsort(out, k < max ? k : max, sizeof(*out), dump_cmp);
	*n = k;
	return FVD_OK;
}

int fvd_dump_open(const char *id, int *fd, uint64_t *size, struct fvd_dump_meta *meta)
{
	char fname[48], path[4200];
	struct stat st;

	if (!dump_dir[0] || !fvd_route_valid_name(id, strlen(id)))
		return FVD_E_NOTFOUND;
	snprintf(fname, sizeof(fname), "%s.json", id);
	if (!dump_read_meta(fname, meta) || strcmp(meta->id, id) != 0)
		return FVD_E_NOTFOUND;
	snprintf(path, sizeof(path), "%s/%s.core", dump_dir, id);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return FVD_E_NOTFOUND;
	if (fstat(*fd, &st) != 0) {
		close(*fd);
		return FVD_E_IO;
	}
	*size = (uint64_t)st.st_size;
	return FVD_OK;
}

struct cJSON *fvd_dump_json(const struct fvd_dump_meta *m)
{
	cJSON *j = cJSON_CreateObject();
	char href[64];

	if (!j)
		return NULL;
	snprintf(href, sizeof(href), "%s/dumps/%s", FVD_API_PREFIX, m->id);
	cJSON_AddStringToObject(j, "id", m->id);
	cJSON_AddStringToObject(j, "vm", m->vm);
	cJSON_AddStringToObject(j, "state", m->state);
	cJSON_AddStringToObject(j, "cause", m->cause);
	cJSON_AddNumberToObject(j, "size_bytes", (double)m->size);
	cJSON_AddNumberToObject(j, "created", (double)m->created);
	cJSON_AddNumberToObject(j, "vcpus", m->vcpus);
	cJSON_AddStringToObject(j, "href", href);
	return j;
}
