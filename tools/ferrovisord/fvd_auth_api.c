// SPDX-License-Identifier: MIT
/* JSON of the token endpoints (see fvd_auth_api.h). */
#include "fvd_auth_api.h"

#include <stdio.h>
#include <string.h>

#include "fvd_backend.h"

cJSON *fvd_auth_json_whoami(const char *id, enum fvd_role role)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddStringToObject(o, "id", id) ||
	    !cJSON_AddStringToObject(o, "role", fvd_role_name(role))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *auth_api_token(const struct fvd_token *t)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddStringToObject(o, "id", t->id) ||
	    !cJSON_AddStringToObject(o, "role", fvd_role_name(t->role)) ||
	    !cJSON_AddStringToObject(o, "created", t->created) ||
	    !cJSON_AddBoolToObject(o, "configured", t->configured)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *fvd_auth_json_tokens(struct fvd_auth *a)
{
	struct fvd_token tok[FVD_TOKENS_MAX];
	size_t n = fvd_auth_list(a, tok);
	cJSON *o = cJSON_CreateObject();
	cJSON *list = o ? cJSON_AddArrayToObject(o, "tokens") : NULL;

	for (size_t i = 0; list && i < n; i++) {
		cJSON *t = auth_api_token(&tok[i]);

		if (!t || !cJSON_AddItemToArray(list, t)) {
			cJSON_Delete(t);
			list = NULL;
		}
	}
	if (!list) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int fvd_auth_api_create(struct fvd_auth *a, const char *body, size_t len, cJSON **out, char *detail,
                        size_t detail_len)
{
	static const char *const errs[] = {
	    [-FVD_E_EXISTS] = "a token of that id exists",
	    [-FVD_E_LIMIT] = "token limit reached",
	    [-FVD_E_IO] = "the token store could not be written",
	};
	char secret[FVD_TOKEN_TEXT];
	cJSON *j = cJSON_ParseWithLength(body, len);
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "id"));
	const char *role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "role"));
	enum fvd_role r;
	int err = FVD_E_INVAL;

	*out = NULL;
	if (!cJSON_IsObject(j) || cJSON_GetArraySize(j) != 2 || !fvd_auth_valid_id(id) ||
	    !fvd_role_parse(role, &r)) {
		snprintf(detail, detail_len,
		         "body must be {\"id\": \"<1-%d of A-Z a-z 0-9 _ ->\", \"role\": "
		         "\"viewer|operator|admin\"}",
		         FVD_TOKEN_ID_MAX);
		goto out;
	}
	err = fvd_auth_create(a, id, r, secret);
	if (err) {
		snprintf(detail, detail_len, "token '%s': %s", id,
		         err == FVD_E_EXISTS || err == FVD_E_LIMIT || err == FVD_E_IO ? errs[-err]
		                                                                      : "refused");
		goto out;
	}
	{
		struct fvd_token t;

		if (fvd_auth_get(a, id, &t))
			*out = auth_api_token(&t);
	}
	if (!*out || !cJSON_AddStringToObject(*out, "token", secret)) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	memset(secret, 0, sizeof(secret));
out:
	cJSON_Delete(j);
	return err;
}
