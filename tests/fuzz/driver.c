// SPDX-License-Identifier: MIT
/*
 * Standalone driver for fuzz targets when libFuzzer is not available (gcc):
 *   fuzz_yaml [-t SECONDS] [-s SEED] FILE_OR_DIR...
 * Runs every input file once, then, until the time is up, feeds the target
 * random mutations of them (byte flips, inserts, deletes, splices of two
 * inputs, dictionary tokens). Built with ASan/UBSan, a bug aborts the run.
 * The input that is about to run is kept in ./fuzz-current.bin, so after a
 * crash it is there to reproduce it: fuzz_yaml fuzz-current.bin.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUTS 512
#define MAX_LEN    8192

static uint8_t *inputs[MAX_INPUTS];
static size_t lens[MAX_INPUTS];
static unsigned nr_inputs;

static const char *const tokens[] = {
    "vms:\n",
    "host:\n",
    "  - ",
    "name: ",
    "kernel: ",
    "memory: ",
    "vcpus: ",
    "pin: [",
    "]",
    "{",
    "}",
    ": ",
    "\n",
    "  ",
    "&a ",
    "*a",
    "!!str ",
    "---\n",
    "\"",
    "'",
    "${HOME}",
    "~",
    "0x",
    "512M",
    "1G",
    "network:\n",
    "storage:\n",
    "- tap: t0\n",
    "image: ",
    "null",
    "99999999999999999999",
    "affinity: ",
    "console_focus: ",
    "\\0",
};

static void add_input(const uint8_t *data, size_t len)
{
	if (nr_inputs == MAX_INPUTS || len > MAX_LEN)
		return;
	inputs[nr_inputs] = malloc(len ? len : 1);
	if (!inputs[nr_inputs])
		return;
	memcpy(inputs[nr_inputs], data, len);
	lens[nr_inputs++] = len;
}

static void load_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	static uint8_t buf[MAX_LEN];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	add_input(buf, n);
}

static void load_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		load_file(path);
		return;
	}
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char p[4096];
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		load_file(p);
	}
	closedir(d);
}

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static size_t mutate(uint8_t *buf, size_t len)
{
	unsigned rounds = 1 + (unsigned)(rnd() % 8);
	for (unsigned r = 0; r < rounds; r++) {
		size_t pos = len ? (size_t)(rnd() % len) : 0;
		switch (rnd() % 6) {
		case 0: /* flip a byte */
			if (len)
				buf[pos] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 1: /* random byte */
			if (len)
				buf[pos] = (uint8_t)rnd();
			break;
		case 2: { /* delete a run */
			size_t n = len ? (size_t)(rnd() % 16) : 0;
			if (pos + n > len)
				n = len - pos;
			memmove(buf + pos, buf + pos + n, len - pos - n);
			len -= n;
			break;
		}
		case 3: { /* insert a token */
			const char *t = tokens[rnd() % (sizeof(tokens) / sizeof(tokens[0]))];
			size_t n = strlen(t);
			if (len + n > MAX_LEN)
				break;
			memmove(buf + pos + n, buf + pos, len - pos);
			memcpy(buf + pos, t, n);
			len += n;
			break;
		}
		case 4: { /* splice in a piece of another input */
			unsigned o = (unsigned)(rnd() % nr_inputs);
			if (!lens[o])
				break;
			size_t from = (size_t)(rnd() % lens[o]);
			size_t n = (size_t)(rnd() % (lens[o] - from + 1));
			if (len + n > MAX_LEN)
				break;
			memmove(buf + pos + n, buf + pos, len - pos);
			memcpy(buf + pos, inputs[o] + from, n);
			len += n;
			break;
		}
		default: /* duplicate a run (deep nesting, long lines) */
			if (len && len * 2 <= MAX_LEN) {
				size_t n = len - pos;
				memmove(buf + pos + n, buf + pos, len - pos);
				len += n;
			}
			break;
		}
	}
	return len;
}

static void run_one(const uint8_t *data, size_t len)
{
	FILE *f = fopen("fuzz-current.bin", "wb");
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
	LLVMFuzzerTestOneInput(data, len);
}

int main(int argc, char **argv)
{
	unsigned seconds = 30;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
			seconds = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			rng_state = strtoull(argv[++i], NULL, 10) | 1;
		else {
			fprintf(stderr, "usage: %s [-t SECONDS] [-s SEED] FILE_OR_DIR...\n",
			        argv[0]);
			return 2;
		}
	}
	for (; i < argc; i++)
		load_path(argv[i]);
	if (nr_inputs == 0)
		add_input((const uint8_t *)"kernel: k.bin\n", 14);
	for (unsigned k = 0; k < nr_inputs; k++)
		run_one(inputs[k], lens[k]);
	time_t end = time(NULL) + (time_t)seconds;
	static uint8_t buf[MAX_LEN];
	unsigned long runs = 0;
	while (time(NULL) < end) {
		for (int b = 0; b < 256; b++, runs++) {
			unsigned k = (unsigned)(rnd() % nr_inputs);
			memcpy(buf, inputs[k], lens[k]);
			size_t len = mutate(buf, lens[k]);
			run_one(buf, len);
			/* Keep some mutants as new starting points. */
			if (rnd() % 64 == 0) {
				if (nr_inputs < MAX_INPUTS)
					add_input(buf, len);
				else {
					unsigned v = (unsigned)(rnd() % MAX_INPUTS);
					free(inputs[v]);
					inputs[v] = malloc(len ? len : 1);
					if (inputs[v]) {
						memcpy(inputs[v], buf, len);
						lens[v] = len;
					} else {
						lens[v] = 0;
						inputs[v] = malloc(1);
					}
				}
			}
		}
	}
	remove("fuzz-current.bin");
	printf("fuzz: %lu runs in %u s, %u inputs, no crash\n", runs, seconds, nr_inputs);
	for (unsigned k = 0; k < nr_inputs; k++)
		free(inputs[k]);
	return 0;
}
