// SPDX-License-Identifier: MIT
/* VM snapshots from the command line (cmd_snap.h). */
#include "cmd_snap.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define SNAP_HDR_BYTES 128
#define SNAP_NAME_AT   32 /* the VM's name in the file header (docs/snapshot-format.md) */

/* A VM name for the URL: letters, digits, '-', '_', 1..31 of them. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 31)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

int cmd_vm_snapshot(const struct api_client *c, int argc, char **argv)
{
	const char *name = NULL, *file = NULL;
	bool stop = false;
	unsigned long long got = 0;
	char path[128], tmp[1024];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--stop") == 0)
			stop = true;
		else if (!name)
			name = argv[i];
		else if (!file)
			file = argv[i];
		else
			return cli_usage_error("vm", "snapshot: unexpected argument \"%s\"",
			                       argv[i]);
	}
	if (!name || !file)
		return cli_usage_error("vm", "snapshot NAME FILE [--stop]");
	if (!name_ok(name))
		return cli_usage_error("vm", "\"%s\" is no VM name (letters, digits, '-', '_')",
		                       name);
	/* Written beside FILE and renamed at the end: a failed save never leaves half a file
	 * under the name a later restore would trust. */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.part", file) >= sizeof(tmp))
		return cli_usage_error("vm", "snapshot: file name too long");
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		cli_error("%s: cannot create", tmp);
		return CLI_RUNTIME;
	}
	snprintf(path, sizeof(path), "/vms/%s/snapshot?resume=%s", name, stop ? "false" : "true");
	fprintf(stderr, "snapshot of %s: saving to %s ...\n", name, file);
	int ret = api_post_download(c, path, f, &got);
	if (fclose(f) != 0 || ret < 0) {
		if (ret >= 0)
			cli_error("%s: write failed", tmp);
		remove(tmp);
		return CLI_RUNTIME;
	}
	if (got < SNAP_HDR_BYTES || rename(tmp, file) != 0) {
		cli_error("%s: snapshot incomplete (%llu bytes)", file, got);
		remove(tmp);
		return CLI_RUNTIME;
	}
	printf("%s: snapshot of %llu bytes written to %s; VM %s\n", name, got, file,
	       stop ? "left paused" : "running again (if it was running)");
	return CLI_OK;
}

int cmd_vm_restore(const struct api_client *c, int argc, char **argv)
{
	const char *file = NULL;
	char name[32] = "";
	bool start = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			snprintf(name, sizeof(name), "%s", argv[++i]);
		else if (strcmp(argv[i], "--start") == 0)
			start = true;
		else if (!file && argv[i][0] != '-')
			file = argv[i];
		else
			return cli_usage_error("vm", "restore: unexpected argument \"%s\"",
			                       argv[i]);
	}
	if (!file)
		return cli_usage_error("vm", "restore FILE [--name NEW] [--start]");
	int fd = open(file, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < SNAP_HDR_BYTES) {
		cli_error("%s: cannot read a snapshot from it", file);
		if (fd >= 0)
			close(fd);
		return CLI_RUNTIME;
	}
	size_t size = (size_t)st.st_size;
	/* Mapped, not read: the file is sent from the page cache as curl asks for it. */
	void *data = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (data == MAP_FAILED) {
		cli_error("%s: cannot map", file);
		return CLI_RUNTIME;
	}
	if (!name[0]) {
		/* The saved VM's name from the header (NUL-padded, 32 bytes). */
		memcpy(name, (const char *)data + SNAP_NAME_AT, 31);
		name[31] = '\0';
	}
	if (!name_ok(name)) {
		munmap(data, size);
		return cli_usage_error("vm", "restore: \"%s\" is no VM name: give --name NEW",
		                       name);
	}
	char path[128];
	snprintf(path, sizeof(path), "/vms/restore?name=%s&resume=%s", name,
	         start ? "true" : "false");
	struct api_upload up = {data, size, true, "application/octet-stream"};
	cJSON *j = NULL;
	int ret = CLI_RUNTIME;
	fprintf(stderr, "restoring %s from %s (%zu bytes)\n", name, file, size);
	if (api_request(c, "POST", path, &up, &j, NULL) >= 0) {
		printf("%s: restored, %s\n", api_str(j, "name"), api_str(j, "state"));
		ret = CLI_OK;
	}
	cJSON_Delete(j);
	munmap(data, size);
	return ret;
}
