/* SPDX-License-Identifier: MIT */
/*
 * Live migration, driven by the source daemon (docs/snapshots.md "Live migration"):
 * POST /api/v1/vms/{name}/migrate makes this daemon open a streaming HTTP request to the
 * destination daemon's POST /api/v1/vms/incoming (chunked transfer encoding, the
 * destination's admin token) and send the backend's migration stream into it, round by
 * round (mig_begin, mig_round, mig_read; fvd_backend.h): the first segment (configuration,
 * images), pre-copy rounds of RAM while the VM runs, then the final round (the VM paused:
 * its last dirty pages, state and END). The destination restores as the bytes arrive and
 * answers 201 once the VM runs there; then the source's VM is destroyed. Any failure or a
 * cancel (DELETE) before the final round is sent leaves the VM running on the source and
 * the destination's half-made VM destroyed (it sees its request cut off).
 */
#ifndef FVD_MIGRATE_H
#define FVD_MIGRATE_H

#include <cjson/cJSON.h>

#include "fvd_backend.h"

#define FVD_MIG_MAX_ROUNDS 8  /* pre-copy rounds at most, the first included */
#define FVD_MIG_CONVERGED  64 /* dirty pages few enough for the final round */
#define FVD_MIG_TARGET_MS  50 /* a pre-copy round sent this fast is final-round sized */
#define FVD_MIG_URL_MAX    128

struct fvd_mig_result {
	uint32_t nrounds; /* entries of round[], the final one last */
	struct fvd_mig_round round[FVD_MIG_MAX_ROUNDS + 1];
	uint64_t first_bytes; /* the first segment (configuration, images) */
	uint64_t total_bytes; /* the whole stream */
	double total_ms;      /* begin to the destination's answer */
	double downtime_ms;   /* the final pause to the destination's answer (VM running there) */
	/*
	 * Where the time goes (docs/performance.md "Live migration"): round_ms[i] from asking
	 * for round i to its last byte sent; the downtime is final_round_ms (pause, vCPUs off,
	 * devices quiesced, the state taken) + final_send_ms (the last segment read and sent) +
	 * answer_ms (the destination's rest: its last writes, the check, the commit, the resume).
	 */
	double first_ms; /* the first segment (configuration, images) */
	double round_ms[FVD_MIG_MAX_ROUNDS + 1];
	double final_round_ms, final_send_ms, answer_ms;
	unsigned dest_status; /* HTTP status the destination answered, 0 if none */
	bool cancelled;
	bool source_paused; /* failed after the final round was sent: left paused (see docs) */
	char error[256];    /* why it failed */
};

/* Check a destination URL: http://HOST:PORT (HOST an IPv4 address or a name, PORT 1-65535,
 * an optional trailing '/'). Returns true and fills host/port. */
bool fvd_migrate_parse_url(const char *url, char *host, size_t host_len, unsigned *port);

/*
 * Migrate VM @name to the daemon at @url with its admin @token (one migration at a time per
 * daemon: FVD_E_BUSY). Returns FVD_OK (the VM runs on the destination and is destroyed
 * here), or an FVD_E_* with res->error: FVD_E_INVAL bad URL or token, FVD_E_IO the
 * destination failed or refused (res->dest_status), FVD_E_STATE cancelled, or the backend's
 * error. Blocks for the whole migration; fvd_migrate_cancel may be called meanwhile.
 */
int fvd_migrate_run(struct fvd_backend *be, const char *name, const char *url, const char *token,
                    struct fvd_mig_result *res);
/* Cancel the migration of @name: FVD_OK (it stops at its next step), FVD_E_NOTFOUND (none),
 * FVD_E_STATE (the final round is sent: too late to undo). */
int fvd_migrate_cancel(const char *name);
/* The JSON answer for a migration (summary, rounds, times). */
cJSON *fvd_migrate_json(const char *name, const char *url, const struct fvd_mig_result *r);
/* One line for the audit log's op field. */
void fvd_migrate_summary(const char *url, const struct fvd_mig_result *r, char *out, size_t len);

#endif /* FVD_MIGRATE_H */
