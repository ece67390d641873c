/* SPDX-License-Identifier: MIT */
#ifndef FV_LIB_PRINTF_H
#define FV_LIB_PRINTF_H

/*
 * Freestanding, integer-only printf family (C11 §7.21.6.1 subset).
 *
 * Conversions: d i u x X o c s p %. Length modifiers: hh h l ll z t j.
 * Flags: - 0 + space #. Field width and precision, each a decimal number
 * or '*' taken from the arguments (a negative '*' width means '-' flag, a
 * negative '*' precision means "no precision"). %p prints the pointer as
 * 0x-prefixed lower-case hex ("0x0" for NULL); %s of NULL prints "(null)".
 * There is no floating point and no %n. A conversion that is not supported
 * is printed verbatim, from the '%' up to and including the unknown
 * character, without consuming an argument for it.
 *
 * All functions are reentrant and take no locks; they may be called from
 * any context as long as the output callback can be.
 */
#include <stdarg.h>
#include <stddef.h>

#define FV_PRINTF(fmt_idx, arg_idx) __attribute__((__format__(__printf__, fmt_idx, arg_idx)))

/*
 * Format into buf, writing at most size bytes including the terminating
 * NUL; when size > 0 the result is always NUL-terminated. buf may be NULL
 * when size is 0. Returns the number of characters the full output has
 * (excluding the NUL), which is >= size when the output was truncated, or
 * -FV_ERANGE if that count does not fit in an int.
 */
int fv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) FV_PRINTF(3, 0);

/* Variadic form of fv_vsnprintf(), same contract. */
int fv_snprintf(char *buf, size_t size, const char *fmt, ...) FV_PRINTF(3, 4);

/*
 * Format and hand each output character, in order, to out(arg, c). No NUL
 * is emitted. Returns the number of characters emitted, or -FV_ERANGE if
 * that count does not fit in an int (the output is still complete). Used
 * by the console to print without an intermediate buffer.
 */
int fv_vcbprintf(void (*out)(void *arg, char c), void *arg, const char *fmt, va_list ap)
    FV_PRINTF(3, 0);

#endif
