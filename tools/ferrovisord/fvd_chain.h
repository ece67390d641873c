/* SPDX-License-Identifier: MIT */
/*
 * The hash chain of the audit log (docs/ferrovisord.md, "Tokens, roles, audit"), shared by
 * ferrovisord (which seals records) and the host tool's `ferrovisor audit verify`.
 *
 * A record is one line of JSON: an object whose members end with
 * `"prev":"<hex>","hash":"<hex>"}`. `prev` is the `hash` of the line before it (the first
 * record's is FVD_CHAIN_GENESIS), and `hash` is the SHA-256 (nettle) of the line's text with
 * its `,"hash":"<hex>"` member cut out, so changing any byte of a record breaks its own hash,
 * and deleting or moving a record breaks the next record's `prev`. Records also count
 * `seq` from 1 without gaps.
 */
#ifndef FVD_CHAIN_H
#define FVD_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FVD_HASH_HEX 64 /* SHA-256 as lowercase hex, without the NUL */
/* The fixed anchor of the first record's prev. */
#define FVD_CHAIN_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* SHA-256 of data as 64 lowercase hex digits plus a NUL. */
void fvd_sha256_hex(const void *data, size_t n, char out[FVD_HASH_HEX + 1]);

/* Compares two equal-length byte strings in time independent of their contents. */
bool fvd_chain_equal(const void *a, const void *b, size_t n);

/* Seals a record: body is a JSON object text ending in `"prev":"<hex>"}`; writes body with
 * `,"hash":"<hex>"` inserted before its closing brace to out (NUL-terminated) and the hash to
 * hash_out. Returns false when body does not end in '}' or out is too small. */
bool fvd_chain_seal(const char *body, char *out, size_t outsz, char hash_out[FVD_HASH_HEX + 1]);

/* Checks one line (len bytes, no newline) as record number seq after a record whose hash is
 * prev. On success writes the line's hash to hash_out and returns true; otherwise returns
 * false with a one-line reason in why ("hash mismatch: ...", "prev ... does not chain", ...). */
bool fvd_chain_check(const char *line, size_t len, const char *prev, uint64_t seq,
                     char hash_out[FVD_HASH_HEX + 1], char *why, size_t whylen);

#endif /* FVD_CHAIN_H */
