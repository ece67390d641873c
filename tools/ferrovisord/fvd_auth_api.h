/* SPDX-License-Identifier: MIT */
/*
 * JSON bodies of the token endpoints (GET/POST /api/v1/tokens, GET /api/v1/whoami), kept
 * apart from the HTTP glue so they are unit-tested on the host.
 */
#ifndef FVD_AUTH_API_H
#define FVD_AUTH_API_H

#include <cjson/cJSON.h>

#include "fvd_auth.h"

/* {"id": id, "role": role}; NULL when out of memory. */
cJSON *fvd_auth_json_whoami(const char *id, enum fvd_role role);

/* {"tokens": [{"id", "role", "created", "configured"}]} (never a hash or a secret). */
cJSON *fvd_auth_json_tokens(struct fvd_auth *a);

/* POST /api/v1/tokens: body {"id": "...", "role": "viewer|operator|admin"}. On success
 * returns 0 and *out = {"id", "role", "created", "configured": false, "token": secret}
 * (the only time the secret is shown). Otherwise a negative FVD_E_* with a reason in
 * detail: FVD_E_INVAL (body), FVD_E_EXISTS, FVD_E_LIMIT, FVD_E_IO. */
int fvd_auth_api_create(struct fvd_auth *a, const char *body, size_t len, cJSON **out, char *detail,
                        size_t detail_len);

#endif /* FVD_AUTH_API_H */
