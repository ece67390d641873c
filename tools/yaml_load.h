/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_YAML_LOAD_H
#define FV_TOOLS_YAML_LOAD_H

/*
 * YAML configuration loader (libyaml document API). It checks the syntax,
 * that every key is known and given once, and the type and range of each
 * value, and records the position of every key for later messages. Checks
 * that need files or several VMs are the resolver's (resolve.h).
 *
 * The file holds either one VM (VM keys at the top level, optionally with
 * a host: section) or host: plus vms: (a list of VMs). docs/configuration.md
 * lists every key.
 */
#include <stddef.h>

#include "diag.h"
#include "model.h"

/* Largest configuration file accepted. */
#define YLOAD_MAX_BYTES (1u << 20)

/*
 * Deepest nesting of mappings and sequences accepted (a configuration
 * needs 6: vms, a VM, network, an interface, uplink, hostfwd). libyaml's
 * scanner costs time proportional to the depth for every token, so without
 * a bound a 1 MiB file of brackets takes minutes; the bound keeps the load
 * linear in the file size.
 */
#define YLOAD_MAX_DEPTH 32u

/*
 * Parse len bytes of YAML into m (which model_init() prepared; m->file is
 * the name used in messages). Returns 0, or -1 with the error in d. On
 * error m holds what was loaded so far: free it with model_free().
 */
int yload_buffer(struct model *m, const unsigned char *buf, size_t len, struct diag *d);

/* Read the file m->file and parse it as yload_buffer(); also sets m->dir. */
int yload_file(struct model *m, struct diag *d);

#endif
