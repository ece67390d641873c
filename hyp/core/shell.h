/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_SHELL_H
#define FV_CORE_SHELL_H

/*
 * The hypervisor's own command shell on the physical console (focus "hyp").
 * Fed byte by byte by the console multiplexer on the boot CPU.
 */

/* Feed one input byte (echoes, edits, runs the line on Enter). */
void shell_input(char c);
/* Print the prompt. */
void shell_prompt(void);
/*
 * Run one command line (also used by tests). Bad arguments print usage;
 * nothing a user types can crash the hypervisor.
 */
void shell_exec(char *line);

#endif
