/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_SVC_TOKENS_H
#define FV_TOOLS_SVC_TOKENS_H

/*
 * The service VM's configured API tokens (YAML `tokens:`) reach its ferrovisord as a small
 * cpio layer appended to the VM's initrd: /etc/ferrovisord/tokens.json ({"tokens": [{id,
 * role, sha256}]}), which fv-service passes as --tokens. Linux unpacks concatenated cpio
 * archives, compressed or not, each starting 4-byte aligned (zero padding between them).
 */
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/*
 * Writes the layer for vm's tokens, to be placed at byte offset `at` of the initrd (the
 * original initrd's size), into buf (cap bytes; buf NULL only measures). Returns the
 * layer's size including the alignment padding in front, 0 when vm has no tokens.
 */
size_t svc_tokens_layer(const struct model_vm *vm, uint64_t at, uint8_t *buf, size_t cap);

#endif
