/* SPDX-License-Identifier: MIT */
/*
 * Host unit test of the daemon's dump store (tools/ferrovisord/fvd_dump.c) over the sim
 * backend: a running VM is paused for its dump and resumed, a stopped one stays stopped,
 * the service VM and a VM being created are refused, ids count up, the listing skips a
 * tampered description, downloads open the core, and the crash hook obeys --auto-dump.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../tools/ferrovisord/fvd_dump.h"
#include "../../tools/ferrovisord/fvd_sim.h"

static struct fvd_sim sim;
static struct fvd_backend be = {&fvd_sim_ops, &sim};
static char dir[] = "/tmp/fvd-dump-test-XXXXXX";

static enum fvd_state state_of(const char *name)
{
	struct fvd_vm_info vm;
	assert_int_equal(fvd_sim_ops.vm_get(&sim, name, &vm), 0);
	return vm.state;
}

/* Whether VM @name's dump fits on the test directory's disk by the --auto-dump auto rule. */
static bool disk_fits(const char *name)
{
	struct fvd_dump_info di;
	struct statvfs fs;
	uint64_t ram = 0;

	assert_int_equal(fvd_sim_ops.dump_info(&sim, name, &di), 0);
	for (uint32_t i = 0; i < di.nr_regions && i < FVD_DUMP_MAX_REGION; i++)
		ram += di.region[i].size;
	assert_int_equal(statvfs(dir, &fs), 0);
	uint64_t unit = fs.f_frsize ? fs.f_frsize : fs.f_bsize;
	return fvd_dump_fits(ram, (uint64_t)fs.f_bavail * unit, (uint64_t)fs.f_blocks * unit);
}

static void test_dump_store(void **state)
{
	struct fvd_dump_meta m, list[8];
	size_t n;
	uint64_t size;
	int fd;
	char path[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	fvd_sim_init(&sim, fvd_sim_now_ms());
	assert_int_equal(fvd_dump_init(dir, false), 0);
	/* Running: paused for the dump, running after it. */
	assert_int_equal(fvd_dump_create(&be, "alpha", &m), 0);
	assert_string_equal(m.id, "alpha-1");
	assert_string_equal(m.state, "paused");
	assert_int_equal(m.vcpus, 2);
	assert_int_equal(state_of("alpha"), FVD_VM_RUNNING);
	snprintf(path, sizeof(path), "%s/dumps/alpha-1.core", dir);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((uint64_t)st.st_size, m.size);
	/* Stopped: dumped as it is; ids count up over all VMs. */
	assert_int_equal(fvd_dump_create(&be, "beta", &m), 0);
	assert_string_equal(m.id, "beta-2");
	assert_string_equal(m.state, "stopped");
	assert_int_equal(state_of("beta"), FVD_VM_STOPPED);
	/* Refusals leave no file. */
	assert_int_equal(fvd_dump_create(&be, "service", &m), FVD_E_DENIED);
	assert_int_equal(fvd_dump_create(&be, "nope", &m), FVD_E_NOTFOUND);
	struct fvd_create_req cr = {
	    .name = "gamma", .vcpus = 1, .memory_bytes = 64 << 20, .package_bytes = 10};
	assert_int_equal(fvd_sim_ops.create_begin(&sim, &cr), 0);
	assert_int_equal(fvd_dump_create(&be, "gamma", &m), FVD_E_STATE);
	/* The listing, oldest first; a tampered description is skipped, not trusted. */
	assert_int_equal(fvd_dump_list(list, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].id, "alpha-1");
	assert_string_equal(list[1].id, "beta-2");
	snprintf(path, sizeof(path), "%s/dumps/evil-7.json", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"id\":\"../../etc/passwd\",\"vm\":\"x\"}", f);
	fclose(f);
	assert_int_equal(fvd_dump_list(list, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(fvd_dump_open("evil-7", &fd, &size, &m), FVD_E_NOTFOUND);
	assert_int_equal(fvd_dump_open("../x", &fd, &size, &m), FVD_E_NOTFOUND);
	assert_int_equal(fvd_dump_open("beta-2", &fd, &size, &m), 0);
	uint8_t magic[4];
	assert_int_equal(read(fd, magic, 4), 4);
	assert_memory_equal(magic, "\177ELF", 4);
	assert_int_equal(size, m.size);
	close(fd);
	/* The crash hook: nothing with --auto-dump off, a dump with it on (the seq goes on
	 * past the evil file's 7: a new id never reuses one). */
	assert_int_equal(fvd_dump_on_crash(&be, "beta"), 0);
	assert_int_equal(fvd_dump_list(list, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(fvd_dump_init(dir, true), 0);
	assert_int_equal(fvd_dump_on_crash(&be, "beta"), 0);
	assert_int_equal(fvd_dump_list(list, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[2].id, "beta-8");
	assert_int_equal(fvd_dump_on_crash(&be, "service"), FVD_E_DENIED);
	/* --auto-dump auto (the default): a dump exactly when the fit rule says the VM fits on
	 * the disk the test runs on (a small VM fits on any disk with room; a nearly full build
	 * machine's disk must get none, not a failed test). */
	assert_int_equal(fvd_dump_init(dir, FVD_AUTO_DUMP_FIT), 0);
	assert_int_equal(fvd_dump_on_crash(&be, "beta"), 0);
	assert_int_equal(fvd_dump_list(list, 8, &n), 0);
	assert_int_equal(n, disk_fits("beta") ? 4 : 3);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* --auto-dump auto's rule: RAM + 1 MiB must fit and leave 5 % of the disk, >= 16 MiB. */
static void test_dump_fits(void **state)
{
	(void)state;
	const uint64_t MiB = 1ull << 20, GiB = 1ull << 30;
	/* A 4 MiB VM on a 1 GiB disk with 100 MiB free: fits (margin 51.2 MiB). */
	assert_true(fvd_dump_fits(4 * MiB, 100 * MiB, GiB));
	/* A 256 MiB VM on the same disk: does not. */
	assert_false(fvd_dump_fits(256 * MiB, 100 * MiB, GiB));
	/* Exactly at the edge: free = RAM + overhead + margin. */
	uint64_t margin = GiB / 20;
	assert_true(fvd_dump_fits(40 * MiB, 40 * MiB + FVD_DUMP_OVERHEAD + margin, GiB));
	assert_false(fvd_dump_fits(40 * MiB, 40 * MiB + FVD_DUMP_OVERHEAD + margin - 1, GiB));
	/* Small disks keep at least 16 MiB. */
	assert_false(fvd_dump_fits(4 * MiB, 20 * MiB, 64 * MiB));
	assert_true(fvd_dump_fits(4 * MiB, 21 * MiB, 64 * MiB));
	/* Less free than the margin, a full disk, hostile sizes: never, and nothing wraps. */
	assert_false(fvd_dump_fits(0, 10 * MiB, 64 * MiB));
	assert_false(fvd_dump_fits(0, 0, 0));
	assert_false(fvd_dump_fits(UINT64_MAX, UINT64_MAX, UINT64_MAX));
	assert_false(fvd_dump_fits(UINT64_MAX - FVD_DUMP_OVERHEAD + 1, UINT64_MAX, 0));
	assert_true(fvd_dump_fits(GiB, UINT64_MAX, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dump_fits),
	    cmocka_unit_test(test_dump_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
