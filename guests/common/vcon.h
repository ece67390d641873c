/* SPDX-License-Identifier: MIT */
#ifndef VCON_H
#define VCON_H

/*
 * Polling virtio-console driver (vcon.c): the byte pipe of the control
 * channel under the FVCP client (fvcp_client.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reset and start the virtio-console at @base; false if it is not one or will not run. */
bool vcon_init(uint64_t base);
/* Write @n bytes (in chunks of at most 4 KiB), each chunk completed before the next. */
void vcon_write(const void *buf, size_t n);
/* Copy what the device returned into @buf (room @cap), re-posting the buffers; bytes copied. */
size_t vcon_read(uint8_t *buf, size_t cap);

#endif
