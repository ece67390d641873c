/* SPDX-License-Identifier: MIT */
/*
 * JSON bodies of the REST API, built with cJSON from the backend's plain structs. The
 * shapes are those of docs/api/openapi.yaml (Host, Vm, VmList, Problem).
 */
#ifndef FVD_JSON_H
#define FVD_JSON_H

#include <cjson/cJSON.h>

#include "fvd_backend.h"
#include "fvd_route.h"

/* Each returns a new cJSON tree (caller deletes it) or NULL when out of memory. */
cJSON *fvd_json_host(const struct fvd_host_info *h, const char *backend_kind);
cJSON *fvd_json_vm(const struct fvd_vm_info *vm);
cJSON *fvd_json_vm_list(const struct fvd_vm_info *vms, size_t n);
/* An RFC 9457 problem: type "urn:ferrovisor:problem:<slug>", title, status, detail and
 * the request path as instance. */
cJSON *fvd_json_problem(const struct fvd_problem_kind *k, const char *detail, const char *instance);

#endif /* FVD_JSON_H */
