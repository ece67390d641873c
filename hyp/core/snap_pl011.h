/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_SNAP_PL011_H
#define FV_CORE_SNAP_PL011_H

/*
 * The UART section of a snapshot where the VM's UART is the PL011 (arm64 streams,
 * arch/defs.h ARCH_GUEST_UART_PL011; docs/snapshot-format.md, "UART (PL011)"): the model's
 * registers and receive FIFO as a fixed 48-byte payload. Pure: encode and decode only, the
 * caller holds the console lock and drives the interrupt line afterwards.
 */
#include "lib/types.h"
#include "vdev/vpl011.h"

#define SNAP_PL011_LEN 48u

/* Encode @u into @out (room SNAP_PL011_LEN); returns SNAP_PL011_LEN. */
uint32_t snap_pl011_save(const struct vpl011 *u, uint8_t *out);
/*
 * Decode a payload into @u (its ops and ctx kept): 0, or -FV_EINVAL with @u untouched
 * for a wrong length, an index or count outside the FIFO, or a value no register write
 * could have produced. irq_level is set to what the loaded registers drive.
 */
int snap_pl011_load(struct vpl011 *u, const uint8_t *p, uint32_t len);

#endif
