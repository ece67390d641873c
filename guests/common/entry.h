/* SPDX-License-Identifier: MIT */
#ifndef GUEST_ENTRY_H
#define GUEST_ENTRY_H

/* Entry points in crt0.S (not called from C: their addresses are handed to the SBI). */
void _start(void);
void _secondary_entry(void);

#endif
