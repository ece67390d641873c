/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_PROC_H
#define FV_TOOLS_PROC_H

/*
 * Running a child program (QEMU, qemu-img) with the terminal and signals
 * handled for it: the child inherits stdio, dies with the tool
 * (PR_SET_PDEATHSIG), gets SIGINT/SIGTERM/SIGHUP the tool receives, and
 * is stopped (SIGTERM, then SIGKILL) when a timeout expires. The terminal
 * settings of stdin are restored afterwards, however the child ended.
 */

#define PROC_EXIT_TIMEOUT 124 /* as timeout(1) */
#define PROC_EXIT_NOEXEC  127 /* as the shell: the program could not be started */

/*
 * Run argv[0] (searched in PATH) with arguments argv, NULL-terminated.
 * timeout_s 0 = no limit. Returns the child's exit code, 128 + signal if
 * a signal killed it or if the tool itself received SIGINT/SIGTERM/SIGHUP
 * (forwarded to the child) while it ran, PROC_EXIT_TIMEOUT or
 * PROC_EXIT_NOEXEC (with a message on stderr).
 */
int proc_run(char *const argv[], unsigned timeout_s);

#endif
