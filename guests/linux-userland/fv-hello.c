// SPDX-License-Identifier: MIT
/*
 * fv-hello: the example program of the guest userland layer (guests/linux-userland/).
 *
 * Prints one line a test can check against the kernel it booted:
 *   fv-hello: ok kernel=<uname -r> machine=<uname -m> sum=<sum of the integer arguments>
 * The sum proves arguments reach the program; the release proves the line comes from the
 * running guest, not from a file baked into the initramfs. Exit status 0, or 1 with an
 * "fv-hello: error ..." line when an argument is not an integer or uname() fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>

int main(int argc, char **argv)
{
	struct utsname u;
	long long sum = 0;

	for (int i = 1; i < argc; i++) {
		char *end;

		errno = 0;
		long long v = strtoll(argv[i], &end, 0);
		if (errno != 0 || end == argv[i] || *end != '\0') {
			printf("fv-hello: error argument '%s' is not an integer\n", argv[i]);
			return 1;
		}
		sum += v;
	}
	if (uname(&u) != 0) {
		printf("fv-hello: error uname: errno %d\n", errno);
		return 1;
	}
	printf("fv-hello: ok kernel=%s machine=%s sum=%lld\n", u.release, u.machine, sum);
	return 0;
}
