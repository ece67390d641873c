// SPDX-License-Identifier: MIT
/* Guest console byte rendering for the multiplexed view (contract in conesc.h). */
#include "core/conesc.h"

/* cat -v's form of a 7-bit byte: printable as is, controls as ^X, DEL as ^?. */
static size_t caret(uint8_t ch, char *out)
{
	if (ch >= 0x20 && ch < 0x7f) {
		out[0] = (char)ch;
		return 1;
	}
	out[0] = '^';
	out[1] = ch == 0x7f ? '?' : (char)(ch + 0x40);
	return 2;
}

size_t conesc_byte(uint8_t ch, unsigned *col, char out[CONESC_MAX])
{
	switch (ch) {
	case '\n':
		out[0] = '\n';
		*col = 0;
		return 1;
	case '\r':
		/* A carriage return would let the rest of the line overwrite the tag. */
		return 0;
	case '\t':
		/* Counted as one cell: the terminal moves at least that far, so the '\b'
		 * allowance below never exceeds what the guest itself put on the line. */
		out[0] = '\t';
		*col += 1;
		return 1;
	case '\b':
		if (*col > 0) {
			out[0] = '\b';
			*col -= 1;
			return 1;
		}
		break;
	default:
		break;
	}
	if (ch >= 0x20 && ch < 0x7f) {
		out[0] = (char)ch;
		*col += 1;
		return 1;
	}
	/*
	 * An escaped byte earns no backspace credit: a run of backspaces then shows
	 * as ^H^H... instead of taking back its own ^H glyphs one by one.
	 */
	if (ch & 0x80) {
		out[0] = 'M';
		out[1] = '-';
		return 2 + caret(ch & 0x7f, out + 2);
	}
	return caret(ch, out);
}
