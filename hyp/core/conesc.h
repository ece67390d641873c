/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_CONESC_H
#define FV_CORE_CONESC_H

/*
 * Rendering of guest console bytes in the multiplexed view, so that a guest
 * cannot drive the operator's terminal: no escape sequences (erase a tag,
 * move the cursor, set the window title), no bell, no cursor return to the
 * start of a line that another source's tag could be faked over.
 *
 * Allow-list, per byte:
 *   0x20-0x7e        printable ASCII, as is
 *   '\n'             end of line (the caller ends the tagged line)
 *   '\r'             dropped ("\r\n" is a newline; a lone '\r' cannot rewind)
 *   '\t'             as is (moves right only)
 *   '\b'             as is while the line has a cell of the guest's own plain
 *                    text (printable or tab) to take back, else shown as ^H
 *   other 0x00-0x1f  ^@ .. ^_ (cat -v: ESC is ^[, BEL is ^G), 0x7f is ^?
 *   0x80-0xff        M- then the rendering of the low 7 bits (cat -v): UTF-8
 *                    is escaped byte by byte, never passed, since a multibyte
 *                    sequence can encode C1 controls (U+009B is a CSI) or
 *                    bidirectional overrides. The operator's raw mode (shell
 *                    `console raw on`) shows the focused VM's bytes unchanged.
 */
#include "lib/types.h"

#define CONESC_MAX 4 /* longest rendering of one byte: "M-^[" */

/*
 * Render guest byte ch into out (not NUL-terminated); returns its length
 * (0 for '\r'). *col is the backspace credit of the current line: cells of
 * plain text (printable ASCII, tab) the guest showed after its tag and has
 * not taken back; '\n' resets it (and so does the caller for a new line).
 * Pure: no locks, callable anywhere.
 */
size_t conesc_byte(uint8_t ch, unsigned *col, char out[CONESC_MAX]);

#endif
