// SPDX-License-Identifier: MIT
/*
 * Fuzz target for the gdb stub (hyp/core/gdb_rsp.c, hyp/core/gdb_stub.c):
 * arbitrary bytes from the gdb channel fed to a stub whose fake target
 * stops whenever it is asked to run or halt, so every command path is
 * reachable. Checked invariants: every frame the stub sends is well formed
 * (`$...#cs` with the right checksum, or a lone `+`/`-`), register and
 * memory requests stay inside what the target described, no sanitizer
 * report.
 *
 * Built with libFuzzer or tests/fuzz/driver.c (mk/tools.mk: make fuzz).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/gdb_stub.h"
#include "lib/fv_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gdb_stub stub;
static uint8_t mem[4096];
static uint64_t regs[4][512];
static bool want_stop;

static unsigned f_nr(void *c)
{
	(void)c;
	return 4;
}
static int f_reg_read(void *c, unsigned tid, unsigned r, uint64_t *v, unsigned *size)
{
	(void)c;
	if (tid >= 4)
		abort();
	if (r >= 512)
		return -FV_ENOENT;
	*v = regs[tid][r];
	*size = (r & 1) ? 4 : 8;
	return 0;
}
static int f_reg_write(void *c, unsigned tid, unsigned r, uint64_t v)
{
	(void)c;
	if (tid >= 4)
		abort();
	if (r >= 512)
		return -FV_ENOENT;
	regs[tid][r] = v;
	return 0;
}
static int f_mem(uint64_t a, size_t len)
{
	if (len > GDB_MEM_MAX)
		abort(); /* the stub clamps lengths */
	return a >= 0x1000 && a - 0x1000 <= sizeof(mem) && len <= sizeof(mem) - (a - 0x1000)
	           ? 0
	           : -FV_EFAULT;
}
static int f_mem_read(void *c, unsigned tid, uint64_t a, uint8_t *buf, size_t len, bool phys)
{
	(void)c;
	(void)phys;
	if (tid >= 4)
		abort();
	int ret = f_mem(a, len);
	if (!ret)
		memcpy(buf, mem + (a - 0x1000), len);
	return ret;
}
static int f_mem_write(void *c, unsigned tid, uint64_t a, const uint8_t *buf, size_t len, bool phys)
{
	(void)c;
	(void)phys;
	if (tid >= 4)
		abort();
	int ret = f_mem(a, len);
	if (!ret)
		memcpy(mem + (a - 0x1000), buf, len);
	return ret;
}
static int f_point(void *c, unsigned tid, unsigned type, uint64_t a, uint64_t kind, bool ins)
{
	(void)c;
	(void)a;
	(void)kind;
	(void)ins;
	if (tid >= 4 || type > GDB_WP_ACCESS)
		abort();
	return type > 1 ? -FV_ENOTSUP : 0;
}
static void f_resume(void *c, int step, bool stepping)
{
	(void)c;
	(void)stepping;
	if (step >= 4)
		abort();
	want_stop = true;
}
static void f_halt(void *c)
{
	(void)c;
	want_stop = true;
}
static void f_detach(void *c)
{
	(void)c;
}
/* Every frame the stub sends must be well formed. */
static void f_send(void *c, const uint8_t *buf, size_t len)
{
	(void)c;
	if (len == 1 && (buf[0] == '+' || buf[0] == '-'))
		return;
	if (len < 4 || buf[0] != '$' || buf[len - 3] != '#')
		abort();
	uint8_t sum = 0;
	for (size_t i = 1; i < len - 3; i++)
		sum = (uint8_t)(sum + buf[i]);
	static const char hex[] = "0123456789abcdef";
	if (buf[len - 2] != hex[sum >> 4] || buf[len - 1] != hex[sum & 15])
		abort();
}
static void f_info(void *c, unsigned tid, char *buf, size_t len)
{
	(void)c;
	if (tid >= 4 || len < 2)
		abort();
	buf[0] = 'x';
	buf[1] = 0;
}

static const struct gdb_stub_ops fake = {
    .nr_threads = f_nr,
    .reg_read = f_reg_read,
    .reg_write = f_reg_write,
    .mem_read = f_mem_read,
    .mem_write = f_mem_write,
    .point = f_point,
    .resume = f_resume,
    .halt = f_halt,
    .detach = f_detach,
    .send = f_send,
    .thread_info = f_info,
    .target_xml = "<target version=\"1.0\"><architecture>riscv:rv64</architecture></target>",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gdb_stub_init(&stub, &fake, NULL);
	want_stop = false;
	/* Feed in pieces: the first byte picks the piece size, as a slow link would deliver. */
	size_t piece = size ? (size_t)(data[0] % 64) + 1 : 1;
	for (size_t off = 0; off < size; off += piece) {
		size_t n = size - off < piece ? size - off : piece;
		gdb_stub_input(&stub, data + off, n);
		if (want_stop) {
			want_stop = false;
			gdb_stub_stopped(&stub, (unsigned)(off % 4), (off & 1) ? -1 : GDB_SIGTRAP,
			                 "");
		}
	}
	return 0;
}
