/* SPDX-License-Identifier: MIT */
/* The built-in default configuration blob (used when no boot bundle is given). */
	.section .rodata
	.balign 8
	.global config_builtin_start
config_builtin_start:
	.incbin FV_BUILTIN_CONFIG
	.global config_builtin_end
config_builtin_end:
