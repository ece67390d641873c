// SPDX-License-Identifier: MIT
/*
 * ctl_test: the control channel end to end, from the service VM's side.
 *
 * In the service VM (its device tree has a node marked "ferrovisor,control"):
 * HELLO, host info, VM/vCPU/device lists, console attach to the "hello"
 * witness (its heartbeats arrive as events), stop and start it (state
 * events; heartbeats stop and continue), then hostile input: garbage,
 * bad CRC, oversized, truncated, unknown type, bad flags/version/lengths/
 * names, out-of-order upload chunks. Each gets its error reply, later
 * requests still work and the witness keeps running.
 *
 * In any other VM: its device tree names no control device and the
 * service VM's control window answers with access faults (main.c, per architecture).
 * Portable: the riscv64 entry is main.c, the arm64 one guests/arm64/ctl_test.
 */
#include "ct.h"
#include "fdt.h"
#include "plat.h"
#include "printf.h"
#include "test.h"

#define WITNESS "hello"
#define DYN     "dyn" /* the VM of the uploaded blob (dynvm.dts) */

/* The hypervisor's architecture is this guest's (HOST_INFO's arch field). */
#if defined(__aarch64__)
#define CT_ARCH "arm64"
#else
#define CT_ARCH "riscv64"
#endif
#define KERNEL_OFFSET 0x200000u /* where Ferrovisor loads a VM's kernel in its RAM */
#define WITNESS_RAM   0x2000000u

static uint8_t txf[CTL_MAX_FRAME]; /* hand-made (hostile) frames */
static uint64_t ram;               /* guest-physical RAM base (the witness's as the service VM's) */

/* Events seen so far. */
static unsigned heartbeats;     /* EV_CONSOLE lines of the witness with "heartbeat" */
static unsigned console_events; /* any EV_CONSOLE */
static int witness_state = -1;  /* last EV_VM_STATE new_state of the witness */
static unsigned state_events;
static unsigned dyn_heartbeats; /* EV_CONSOLE heartbeat lines of the VM created at run time */
static int dyn_state = -1;      /* its last EV_VM_STATE new_state */

static void on_event(const struct ctl_hdr *h, const uint8_t *p)
{
	if (h->type == CTL_T_EV_CONSOLE && h->len >= 40) {
		console_events++;
		if (fvcp_name_is(p + 8, WITNESS) && fvcp_has(p + 40, h->len - 40, "heartbeat"))
			heartbeats++;
		if (fvcp_name_is(p + 8, DYN) && fvcp_has(p + 40, h->len - 40, "heartbeat"))
			dyn_heartbeats++;
	} else if (h->type == CTL_T_EV_VM_STATE && h->len == 48) {
		state_events++;
		if (fvcp_name_is(p + 16, WITNESS))
			witness_state = (int)ctl_get32(p + 8);
		if (fvcp_name_is(p + 16, DYN))
			dyn_state = (int)ctl_get32(p + 8);
	}
}

/* Raw bytes, then the next response must be an ERROR/typed reply with @status. */
static long raw_expect(const void *bytes, size_t n)
{
	vcon_write(bytes, n);
	return fvcp_next_response(3000) ? (long)fvcp_last()->status : -1;
}

const uint8_t *ct_resp(uint32_t *len)
{
	*len = fvcp_last()->len;
	return fvcp_payload();
}

static bool wait_for(unsigned *counter, unsigned above, uint64_t ms)
{
	uint64_t end = plat_now() + plat_ms_to_ticks(ms);
	while (*counter <= above && plat_now() < end)
		fvcp_pump(20);
	return *counter > above;
}

static bool wait_state_of(const int *which, int state, uint64_t ms)
{
	uint64_t end = plat_now() + plat_ms_to_ticks(ms);
	while (*which != state && plat_now() < end)
		fvcp_pump(20);
	return *which == state;
}

static bool wait_state(int state, uint64_t ms)
{
	return wait_state_of(&witness_state, state, ms);
}

/* The VM_LIST entry of @name (in the last response), or a zeroed one if absent. */
static const uint8_t *list_entry(const char *name)
{
	static const uint8_t none[88];
	if (fvcp_call(CTL_T_VM_LIST, NULL, 0) != CTL_OK)
		return none;
	uint32_t n = ctl_get32(fvcp_payload());
	for (uint32_t i = 0; i < n && 8 + (i + 1) * 88 <= fvcp_last()->len; i++)
		if (fvcp_name_is(fvcp_payload() + 8 + i * 88 + 56, name))
			return fvcp_payload() + 8 + i * 88;
	return none;
}

static void suite_session(void)
{
	test_check_eq("ctl.before_hello.not_negotiated", fvcp_call(CTL_T_VM_LIST, NULL, 0),
	              CTL_E_NOT_NEGOTIATED);
	uint8_t hello[40] = {0};
	ctl_put16(hello, 1);
	ctl_put16(hello + 2, 1);
	ctl_put32(hello + 4, CTL_MAX_FRAME);
	fvcp_put_name(hello + 8, "ctl_test");
	ctl_put16(hello + 2, 0); /* max < min */
	test_check_eq("ctl.hello.bad_range", fvcp_call(CTL_T_HELLO, hello, 40), CTL_E_BAD_FIELD);
	ctl_put16(hello, 2);
	ctl_put16(hello + 2, 9); /* only newer versions than the hypervisor's */
	test_check_eq("ctl.hello.too_new", fvcp_call(CTL_T_HELLO, hello, 40), CTL_E_BAD_VERSION);
	ctl_put16(hello, 1);
	ctl_put16(hello + 2, 7);
	test_check_eq("ctl.hello.ok", fvcp_call(CTL_T_HELLO, hello, 40), CTL_OK);
	test_check_eq("ctl.hello.version", ctl_get16(fvcp_payload()), 1);
	test_check_eq("ctl.hello.max_vms", ctl_get32(fvcp_payload() + 8), 8);
	test_check_eq("ctl.hello.features", ctl_get32(fvcp_payload() + 12),
	              CTL_FEAT_DYNAMIC_VMS | CTL_FEAT_PAUSE);

	test_check_eq("ctl.host_info.ok", fvcp_call(CTL_T_HOST_INFO, NULL, 0), CTL_OK);
	/* The 56-byte answer plus the architecture's name (appended with the arm64 port). */
	test_check_eq("ctl.host_info.len", fvcp_last()->len, sizeof(struct ctl_host_info));
	test_check(fvcp_name_is(fvcp_payload() + 56, CT_ARCH), "ctl.host_info.arch");
	test_check(ctl_get32(fvcp_payload()) >= 1, "ctl.host_info.cpus");
	test_check_eq("ctl.host_info.vms", ctl_get32(fvcp_payload() + 4), 3);
	test_check(ctl_get64(fvcp_payload() + 16) > ctl_get64(fvcp_payload() + 24),
	           "ctl.host_info.mem");

	uint32_t flags = 0, count = 0;
	test_check_eq("ctl.vm_list.witness_running", fvcp_list_state(WITNESS, &flags, &count),
	              CTL_VM_RUNNING);
	test_check_eq("ctl.vm_list.count", count, 3);
	test_check(fvcp_list_state("probe", &flags, &count) >= 0, "ctl.vm_list.sees_probe");
	test_check_eq("ctl.vm_list.service_flag",
	              fvcp_list_state("svc", &flags, &count) >= 0 ? flags : 0, CTL_VMF_SERVICE);

	test_check_eq("ctl.vcpu_list.ok", fvcp_call_vm(CTL_T_VCPU_LIST, WITNESS), CTL_OK);
	test_check_eq("ctl.vcpu_list.count", ctl_get32(fvcp_payload()), 1);
	test_check(ctl_get64(fvcp_payload() + 8 + 16) > 0, "ctl.vcpu_list.exits");
	test_check_eq("ctl.dev_list.ok", fvcp_call_vm(CTL_T_DEV_LIST, "svc"), CTL_OK);
	test_check_eq("ctl.dev_list.count", ctl_get32(fvcp_payload()), 1);
	test_check_eq("ctl.dev_list.kind", ctl_get32(fvcp_payload() + 8 + 4), CTL_DEV_CONTROL);
	test_check_eq("ctl.dev_list.no_vm", fvcp_call_vm(CTL_T_DEV_LIST, "nosuch"), CTL_E_NO_VM);
}

/* DUMP_READ of the witness: @gpa, @len, @reserved as given (hostile values included). */
static long dump_read(uint64_t gpa, uint32_t len, uint32_t reserved)
{
	uint8_t r[48];
	fvcp_put_name(r, WITNESS);
	ctl_put64(r + 32, gpa);
	ctl_put32(r + 40, len);
	ctl_put32(r + 44, reserved);
	return fvcp_call(CTL_T_DUMP_READ, r, sizeof(r));
}

/* Crash-dump requests on the stopped witness (1 vCPU, 32 MiB at the RAM base). */
static void suite_dump(void)
{
	test_check_eq("ctl.dump_info.stopped", fvcp_call_vm(CTL_T_DUMP_INFO, WITNESS), CTL_OK);
	test_check_eq("ctl.dump_info.len", fvcp_last()->len, 152 + 16 + 8 + 8 * CTL_DUMP_NR_REGS);
	test_check_eq("ctl.dump_info.state", ctl_get32(fvcp_payload() + 4), CTL_VM_STOPPED);
	test_check_eq("ctl.dump_info.vcpus", ctl_get32(fvcp_payload() + 8), 1);
	test_check(fvcp_name_is(fvcp_payload() + 24, WITNESS), "ctl.dump_info.name");
	test_check_eq("ctl.dump_info.ram_gpa", (long)ctl_get64(fvcp_payload() + 152), (long)ram);
	test_check_eq("ctl.dump_info.ram_size", (long)ctl_get64(fvcp_payload() + 160), WITNESS_RAM);
	uint64_t pc = ctl_get64(fvcp_payload() + 168 + 8);
	test_check(pc >= ram + KERNEL_OFFSET && pc < ram + 2 * KERNEL_OFFSET,
	           "ctl.dump_info.pc_in_kernel");
	/* The witness's first instruction word, as loaded at its kernel offset. */
	test_check_eq("ctl.dump_read.ok", dump_read(ram + KERNEL_OFFSET, 16, 0), CTL_OK);
	test_check_eq("ctl.dump_read.len", fvcp_last()->len, 16);
	test_check(ctl_get32(fvcp_payload()) != 0, "ctl.dump_read.kernel_bytes");
	test_check_eq("ctl.dump_read.last_byte", dump_read(ram + WITNESS_RAM - 1, 1, 0), CTL_OK);
	test_check_eq("ctl.dump_read.below_ram", dump_read(ram - 8, 16, 0), CTL_E_BAD_FIELD);
	test_check_eq("ctl.dump_read.past_end", dump_read(ram + WITNESS_RAM - 8, 16, 0),
	              CTL_E_BAD_FIELD);
	test_check_eq("ctl.dump_read.wraps", dump_read(UINT64_MAX - 7, 16, 0), CTL_E_BAD_FIELD);
	test_check_eq("ctl.dump_read.zero_len", dump_read(ram + KERNEL_OFFSET, 0, 0),
	              CTL_E_BAD_FIELD);
	test_check_eq("ctl.dump_read.too_long",
	              dump_read(ram + KERNEL_OFFSET, CTL_DUMP_CHUNK + 1, 0), CTL_E_BAD_FIELD);
	test_check_eq("ctl.dump_read.reserved", dump_read(ram + KERNEL_OFFSET, 16, 1),
	              CTL_E_BAD_FIELD);
	test_check_eq("ctl.dump_info.no_vm", fvcp_call_vm(CTL_T_DUMP_INFO, "nosuch"), CTL_E_NO_VM);
}

static void suite_manage(void)
{
	test_check_eq("ctl.console_attach.ok", fvcp_call_vm(CTL_T_CONSOLE_ATTACH, WITNESS), CTL_OK);
	test_check(wait_for(&heartbeats, heartbeats + 1, 5000), "ctl.console.heartbeats_arrive");
	test_check_eq("ctl.console_attach.self", fvcp_call_vm(CTL_T_CONSOLE_ATTACH, "svc"),
	              CTL_E_PERMISSION);

	/* Pause: the witness's heartbeats stop while its state reads paused, then continue. */
	test_check_eq("ctl.vm_resume.running", fvcp_call_vm(CTL_T_VM_RESUME, WITNESS),
	              CTL_E_BAD_STATE);
	test_check_eq("ctl.vm_pause.ok", fvcp_call_vm(CTL_T_VM_PAUSE, WITNESS), CTL_OK);
	test_check(wait_state(CTL_VM_PAUSED, 5000), "ctl.event.paused");
	test_check_eq("ctl.vm_pause.again", fvcp_call_vm(CTL_T_VM_PAUSE, WITNESS), CTL_E_BAD_STATE);
	fvcp_pump(300);
	unsigned phb = heartbeats;
	fvcp_pump(1500);
	test_check_eq("ctl.vm_pause.heartbeat_stops", heartbeats - phb, 0);
	uint32_t pflags, pcount;
	test_check_eq("ctl.vm_list.witness_paused", fvcp_list_state(WITNESS, &pflags, &pcount),
	              CTL_VM_PAUSED);
	test_check_eq("ctl.vm_resume.ok", fvcp_call_vm(CTL_T_VM_RESUME, WITNESS), CTL_OK);
	test_check(wait_state(CTL_VM_RUNNING, 5000), "ctl.event.resumed");
	phb = heartbeats;
	test_check(wait_for(&heartbeats, phb + 1, 5000), "ctl.vm_resume.heartbeat_continues");
	test_check_eq("ctl.vm_pause.self", fvcp_call_vm(CTL_T_VM_PAUSE, "svc"), CTL_E_PERMISSION);
	test_check_eq("ctl.dump_info.running", fvcp_call_vm(CTL_T_DUMP_INFO, WITNESS),
	              CTL_E_BAD_STATE);
	test_check_eq("ctl.dump_info.self", fvcp_call_vm(CTL_T_DUMP_INFO, "svc"), CTL_E_PERMISSION);
	test_check_eq("ctl.vm_destroy.no_vm", fvcp_call_vm(CTL_T_VM_DESTROY, "nosuch"),
	              CTL_E_NO_VM);
	test_check_eq("ctl.set_weight.running", fvcp_call(CTL_T_SET_WEIGHT, NULL, 0),
	              CTL_E_TRUNCATED);

	test_check_eq("ctl.vm_stop.ok", fvcp_call_vm(CTL_T_VM_STOP, WITNESS), CTL_OK);
	test_check(wait_state(CTL_VM_STOPPED, 5000), "ctl.event.stopped");
	fvcp_pump(300);
	unsigned hb = heartbeats;
	fvcp_pump(1500);
	test_check_eq("ctl.vm_stop.heartbeat_stops", heartbeats - hb, 0);
	uint32_t flags, count;
	test_check_eq("ctl.vm_list.witness_stopped", fvcp_list_state(WITNESS, &flags, &count),
	              CTL_VM_STOPPED);
	suite_dump();

	uint8_t w[40];
	fvcp_put_name(w, WITNESS);
	ctl_put32(w + 32, 0);
	ctl_put32(w + 36, 0);
	test_check_eq("ctl.set_weight.zero", fvcp_call(CTL_T_SET_WEIGHT, w, 40), CTL_E_BAD_FIELD);
	ctl_put32(w + 32, 65536);
	test_check_eq("ctl.set_weight.too_big", fvcp_call(CTL_T_SET_WEIGHT, w, 40),
	              CTL_E_BAD_FIELD);
	ctl_put32(w + 32, 512);
	test_check_eq("ctl.set_weight.stopped", fvcp_call(CTL_T_SET_WEIGHT, w, 40), CTL_OK);
	ctl_put64(w + 32, 0);
	test_check_eq("ctl.set_affinity.empty", fvcp_call(CTL_T_SET_AFFINITY, w, 40),
	              CTL_E_BAD_FIELD);
	ctl_put64(w + 32, 1ULL << 63);
	test_check_eq("ctl.set_affinity.no_such_cpu", fvcp_call(CTL_T_SET_AFFINITY, w, 40),
	              CTL_E_BAD_FIELD);
	ctl_put64(w + 32, 1);
	test_check_eq("ctl.set_affinity.stopped", fvcp_call(CTL_T_SET_AFFINITY, w, 40), CTL_OK);

	test_check_eq("ctl.vm_start.ok", fvcp_call_vm(CTL_T_VM_START, WITNESS), CTL_OK);
	test_check(wait_state(CTL_VM_RUNNING, 5000), "ctl.event.running");
	test_check_eq("ctl.vm_start.again", fvcp_call_vm(CTL_T_VM_START, WITNESS), CTL_E_BAD_STATE);
	hb = heartbeats;
	test_check(wait_for(&heartbeats, hb + 1, 5000), "ctl.vm_start.heartbeat_continues");
	test_check_eq("ctl.vm_list.weight", fvcp_list_state(WITNESS, &flags, &count),
	              CTL_VM_RUNNING);
	/* A running VM takes new scheduling parameters too (the scheduler applies them). */
	ctl_put32(w + 32, 300);
	test_check_eq("ctl.set_weight.while_running", fvcp_call(CTL_T_SET_WEIGHT, w, 40), CTL_OK);
	ctl_put64(w + 32, 3);
	test_check_eq("ctl.set_affinity.while_running", fvcp_call(CTL_T_SET_AFFINITY, w, 40),
	              CTL_OK);
	test_check_eq("ctl.vm_list.still_running", fvcp_list_state(WITNESS, &flags, &count),
	              CTL_VM_RUNNING);
	test_check_eq("ctl.vm_list.new_weight", ctl_get32(list_entry(WITNESS) + 12), 300);
	test_check_eq("ctl.vm_list.new_affinity", ctl_get64(list_entry(WITNESS) + 16), 3);
	hb = heartbeats;
	test_check(wait_for(&heartbeats, hb + 1, 5000), "ctl.set_weight.heartbeat_continues");
	test_check_eq("ctl.vm_stop.self", fvcp_call_vm(CTL_T_VM_STOP, "svc"), CTL_E_PERMISSION);
}

static void suite_hostile(void)
{
	static uint8_t junk[600];
	for (unsigned i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 13 + 7);
	test_check_eq("ctl.hostile.garbage", raw_expect(junk, sizeof(junk)), CTL_E_BAD_MAGIC);

	uint8_t ref[CTL_NAME_MAX];
	fvcp_put_name(ref, WITNESS);
	struct ctl_hdr h = {.version = 1, .type = CTL_T_VCPU_LIST, .seq = 4242};
	size_t n = ctl_encode(txf, sizeof(txf), &h, ref, sizeof(ref));
	txf[CTL_HDR_SIZE + 2] ^= 1;
	test_check_eq("ctl.hostile.bad_crc", raw_expect(txf, n), CTL_E_BAD_CRC);
	test_check_eq("ctl.hostile.bad_crc_seq", fvcp_last()->seq, 4242);
	test_check_eq("ctl.hostile.after_bad_crc", fvcp_call(CTL_T_HOST_INFO, NULL, 0), CTL_OK);

	struct ctl_hdr big = {
	    .magic = CTL_MAGIC, .version = 1, .type = CTL_T_VM_LIST, .seq = 77, .len = 1u << 20};
	uint8_t bh[CTL_HDR_SIZE];
	ctl_hdr_put(bh, &big);
	test_check_eq("ctl.hostile.oversized", raw_expect(bh, sizeof(bh)), CTL_E_TOO_LONG);
	test_check_eq("ctl.hostile.oversized_seq", fvcp_last()->seq, 77);
	test_check_eq("ctl.hostile.after_oversized", fvcp_call(CTL_T_HOST_INFO, NULL, 0), CTL_OK);

	/*
	 * Truncated: a frame cut short (the decoder waits for the rest), then junk that
	 * completes its announced length: the CRC fails, and the junk after it is skipped
	 * silently (one report per run of garbage).
	 */
	h.seq = 4343;
	n = ctl_encode(txf, sizeof(txf), &h, ref, sizeof(ref));
	vcon_write(txf, 30);
	test_check_eq("ctl.hostile.truncated_waits", fvcp_next_response(200), false);
	static uint8_t pad[64];
	for (unsigned i = 0; i < sizeof(pad); i++)
		pad[i] = 0xee;
	test_check_eq("ctl.hostile.truncated", raw_expect(pad, sizeof(pad)), CTL_E_BAD_CRC);
	test_check_eq("ctl.hostile.truncated_seq", fvcp_last()->seq, 4343);
	test_check_eq("ctl.hostile.truncated_rest_silent", fvcp_next_response(300), false);
	test_check_eq("ctl.hostile.after_truncated", fvcp_call(CTL_T_HOST_INFO, NULL, 0), CTL_OK);

	test_check_eq("ctl.hostile.unknown_type", fvcp_call(0x7e, NULL, 0), CTL_E_UNKNOWN_TYPE);
	test_check_eq("ctl.hostile.event_as_request", fvcp_call(CTL_T_EV_VM_STATE, NULL, 0),
	              CTL_E_UNKNOWN_TYPE);
	test_check_eq("ctl.hostile.short", fvcp_call(CTL_T_VM_START, ref, 31), CTL_E_TRUNCATED);
	static uint8_t long_pl[64];
	test_check_eq("ctl.hostile.long", fvcp_call(CTL_T_VM_START, long_pl, 64), CTL_E_BAD_LENGTH);
	uint8_t noz[CTL_NAME_MAX];
	for (unsigned i = 0; i < sizeof(noz); i++)
		noz[i] = 'a';
	test_check_eq("ctl.hostile.name_unterminated", fvcp_call(CTL_T_VM_STOP, noz, 32),
	              CTL_E_BAD_FIELD);
	test_check_eq("ctl.hostile.no_vm", fvcp_call_vm(CTL_T_VM_STOP, "nosuch"), CTL_E_NO_VM);

	/* An echoed response is not answered (no ping-pong), unknown flag bits are. */
	h = (struct ctl_hdr){
	    .version = 1, .flags = CTL_F_RESPONSE, .type = CTL_T_HOST_INFO, .seq = 99};
	n = ctl_encode(txf, sizeof(txf), &h, NULL, 0);
	vcon_write(txf, n);
	test_check_eq("ctl.hostile.echo_ignored", fvcp_next_response(300), false);
	h.flags = 0x80;
	n = ctl_encode(txf, sizeof(txf), &h, NULL, 0);
	test_check_eq("ctl.hostile.bad_flags", raw_expect(txf, n), CTL_E_BAD_FLAGS);
	h = (struct ctl_hdr){.version = 3, .type = CTL_T_HOST_INFO, .seq = 98};
	n = ctl_encode(txf, sizeof(txf), &h, NULL, 0);
	test_check_eq("ctl.hostile.bad_version", raw_expect(txf, n), CTL_E_BAD_VERSION);

	/* Upload: ordering, size and checksum rules. */
	static uint8_t blob[300];
	for (unsigned i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i ^ 0x5a);
	uint8_t b[16];
	ctl_put64(b, sizeof(blob));
	ctl_put32(b + 8, ctl_crc32c(0, blob, sizeof(blob)));
	ctl_put32(b + 12, 0);
	test_check_eq("ctl.upload_begin.ok", fvcp_call(CTL_T_UPLOAD_BEGIN, b, 16), CTL_OK);
	uint32_t id = ctl_get32(fvcp_payload());
	test_check_eq("ctl.upload_begin.busy", fvcp_call(CTL_T_UPLOAD_BEGIN, b, 16), CTL_E_BUSY);
	static uint8_t ch[16 + 300];
	ctl_put32(ch, id);
	ctl_put32(ch + 4, 0);
	ctl_put64(ch + 8, 100);
	for (unsigned i = 0; i < 100; i++)
		ch[16 + i] = blob[100 + i];
	test_check_eq("ctl.upload_chunk.out_of_order", fvcp_call(CTL_T_UPLOAD_CHUNK, ch, 116),
	              CTL_E_SEQUENCE);
	ctl_put64(ch + 8, 0);
	for (unsigned i = 0; i < 200; i++)
		ch[16 + i] = blob[i];
	test_check_eq("ctl.upload_chunk.first", fvcp_call(CTL_T_UPLOAD_CHUNK, ch, 216), CTL_OK);
	test_check_eq("ctl.upload_chunk.received", ctl_get64(fvcp_payload() + 8), 200);
	test_check_eq("ctl.upload_chunk.replay", fvcp_call(CTL_T_UPLOAD_CHUNK, ch, 216),
	              CTL_E_SEQUENCE);
	uint8_t c[16] = {0};
	ctl_put32(c, id);
	test_check_eq("ctl.upload_commit.short", fvcp_call(CTL_T_UPLOAD_COMMIT, c, 16),
	              CTL_E_UPLOAD_SIZE);
	ctl_put64(ch + 8, 200);
	for (unsigned i = 0; i < 101; i++)
		ch[16 + i] = i < 100 ? blob[200 + i] : 0;
	test_check_eq("ctl.upload_chunk.past_end", fvcp_call(CTL_T_UPLOAD_CHUNK, ch, 117),
	              CTL_E_UPLOAD_SIZE);
	ctl_put32(ch, id + 1000);
	test_check_eq("ctl.upload_chunk.bad_id", fvcp_call(CTL_T_UPLOAD_CHUNK, ch, 116),
	              CTL_E_NO_UPLOAD);
	ctl_put32(ch, id);
	ch[16 + 5] ^= 0xff; /* corrupt: the whole-blob CRC must catch it */
	test_check_eq("ctl.upload_chunk.last", fvcp_call(CTL_T_UPLOAD_CHUNK, ch, 116), CTL_OK);
	test_check_eq("ctl.upload_commit.bad_crc", fvcp_call(CTL_T_UPLOAD_COMMIT, c, 16),
	              CTL_E_UPLOAD_CRC);
	test_check_eq("ctl.upload_commit.gone", fvcp_call(CTL_T_UPLOAD_COMMIT, c, 16),
	              CTL_E_NO_UPLOAD);
	test_check_eq("ctl.upload_begin.again", fvcp_call(CTL_T_UPLOAD_BEGIN, b, 16), CTL_OK);
	ctl_put32(c, ctl_get32(fvcp_payload()));
	test_check_eq("ctl.upload_abort.ok", fvcp_call(CTL_T_UPLOAD_ABORT, c, 16), CTL_OK);
	ctl_put64(b, 0);
	test_check_eq("ctl.upload_begin.zero", fvcp_call(CTL_T_UPLOAD_BEGIN, b, 16),
	              CTL_E_BAD_FIELD);

	/* Console input reaches the witness's input queue (it does not read it). */
	uint8_t ci[40 + 4];
	fvcp_put_name(ci, WITNESS);
	ctl_put32(ci + 32, 5);
	ctl_put32(ci + 36, 0);
	test_check_eq("ctl.console_input.len_mismatch", fvcp_call(CTL_T_CONSOLE_INPUT, ci, 44),
	              CTL_E_TRUNCATED);
	ctl_put32(ci + 32, 4);
	ci[40] = 'p', ci[41] = 'i', ci[42] = 'n', ci[43] = 'g';
	test_check_eq("ctl.console_input.ok", fvcp_call(CTL_T_CONSOLE_INPUT, ci, 44), CTL_OK);
	test_check_eq("ctl.console_input.took", ctl_get32(fvcp_payload()), 4);

	test_check_eq("ctl.ctl_stats.ok", fvcp_call(CTL_T_CTL_STATS, NULL, 0), CTL_OK);
	test_check(ctl_get64(fvcp_payload() + 8) >= 20, "ctl.ctl_stats.errors");
	test_check(ctl_get64(fvcp_payload() + 40 + 8 * CTL_E_BAD_CRC) >= 2,
	           "ctl.ctl_stats.bad_crc");
	test_check(ctl_get64(fvcp_payload() + 40 + 8 * CTL_E_SEQUENCE) >= 2,
	           "ctl.ctl_stats.sequence");

	/* The witness ran through all of it. */
	unsigned hb = heartbeats;
	test_check(wait_for(&heartbeats, hb + 1, 5000), "ctl.hostile.witness_alive");
	uint32_t flags, count;
	test_check_eq("ctl.hostile.witness_running", fvcp_list_state(WITNESS, &flags, &count),
	              CTL_VM_RUNNING);
	test_check_eq("ctl.console_detach.ok", fvcp_call_vm(CTL_T_CONSOLE_DETACH, WITNESS), CTL_OK);
	printf("ctl_test: %u console events, %u state events\n", console_events, state_events);
}

/*
 * Upload @blob (@n bytes) in @chunk-byte UPLOAD_CHUNKs and commit it: the commit's status,
 * or a failing earlier step's; *chunks counts the chunks sent.
 */
static long upload(const uint8_t *blob, uint32_t n, uint32_t flags, uint32_t chunk,
                   unsigned *chunks)
{
	static uint8_t ch[16 + 1024];
	uint8_t b[16];
	ctl_put64(b, n);
	ctl_put32(b + 8, ctl_crc32c(0, blob, n));
	ctl_put32(b + 12, flags);
	long s = fvcp_call(CTL_T_UPLOAD_BEGIN, b, 16);
	if (s != CTL_OK)
		return s;
	uint32_t id = ctl_get32(fvcp_payload());
	*chunks = 0;
	for (uint32_t off = 0; off < n; off += chunk) {
		uint32_t k = n - off < chunk ? n - off : chunk;
		ctl_put32(ch, id);
		ctl_put32(ch + 4, 0);
		ctl_put64(ch + 8, off);
		for (uint32_t i = 0; i < k; i++)
			ch[16 + i] = blob[off + i];
		s = fvcp_call(CTL_T_UPLOAD_CHUNK, ch, 16 + k);
		if (s != CTL_OK)
			return s;
		(*chunks)++;
	}
	uint8_t c[16] = {0};
	ctl_put32(c, id);
	return fvcp_call(CTL_T_UPLOAD_COMMIT, c, 16);
}

/* Host free memory (HOST_INFO), 0 if it does not answer. */
/* The blob with its VM node renamed to @name (3 characters, as "dyn"), CRC redone by upload. */
static bool rename_node(uint8_t *blob, uint32_t n, const char *from, const char *to)
{
	for (uint32_t i = 0; i + 8 <= n; i += 4)
		if (blob[i] == 0 && blob[i + 1] == 0 && blob[i + 2] == 0 && blob[i + 3] == 1 &&
		    blob[i + 4] == (uint8_t)from[0] && blob[i + 5] == (uint8_t)from[1] &&
		    blob[i + 6] == (uint8_t)from[2] && blob[i + 7] == 0) {
			for (unsigned k = 0; k < 3; k++)
				blob[i + 4 + k] = (uint8_t)to[k];
			return true;
		}
	return false;
}

/*
 * VMs at run time over the channel: the blob in this VM's initrd (one VM, the hello
 * witness inline) streamed in chunks and committed with CTL_UPF_START; it boots (its
 * heartbeats arrive). More copies under other names fill the build's VM limit, the next is
 * E_LIMIT; destroying them sends the state event once each slot is free and gives the
 * memory back.
 */
static void suite_dynamic(unsigned long dtb)
{
	uint32_t l1 = 0, l2 = 0;
	const uint8_t *ps = fdt_get_prop(dtb, "chosen", "linux,initrd-start", &l1);
	const uint8_t *pe = fdt_get_prop(dtb, "chosen", "linux,initrd-end", &l2);
	uint64_t start = 0, end = 0;
	for (uint32_t i = 0; ps && i < l1; i++)
		start = start << 8 | ps[i];
	for (uint32_t i = 0; pe && i < l2; i++)
		end = end << 8 | pe[i];
	uint8_t *blob = (uint8_t *)(uintptr_t)start;
	uint32_t n = (uint32_t)(end - start);
	/* A device tree blob: its magic (the hypervisor checks the rest on upload). */
	bool ok = ps && pe && end > start && n < (1u << 20) && blob[0] == 0xd0 && blob[1] == 0x0d &&
	          blob[2] == 0xfe && blob[3] == 0xed;
	test_check(ok, "ctl.dyn.blob_in_initrd");
	if (!ok)
		return;
	uint64_t free0 = fvcp_host_free();
	unsigned chunks = 0;
	test_check_eq("ctl.upload_commit.created", upload(blob, n, CTL_UPF_START, 1024, &chunks),
	              CTL_OK);
	test_check(chunks >= 3, "ctl.upload_chunk.streamed");
	test_check_eq("ctl.upload_commit.entry_len", fvcp_last()->len, 88);
	test_check(fvcp_name_is(fvcp_payload() + 56, DYN), "ctl.upload_commit.entry_name");
	test_check_eq("ctl.upload_commit.entry_running", ctl_get32(fvcp_payload() + 4),
	              CTL_VM_RUNNING);
	test_check_eq("ctl.dyn.attach", fvcp_call_vm(CTL_T_CONSOLE_ATTACH, DYN), CTL_OK);
	test_check(wait_for(&dyn_heartbeats, 0, 10000), "ctl.dyn.heartbeat");
	test_check_eq("ctl.upload_commit.name_taken", upload(blob, n, 0, 1024, &chunks),
	              CTL_E_BAD_CONFIG);
	uint32_t flags, count;
	test_check_eq("ctl.dyn.listed_running", fvcp_list_state(DYN, &flags, &count),
	              CTL_VM_RUNNING);

	/* Fill the slots: svc, hello, probe, dyn + 4 copies = 8; the ninth is refused. */
	static const char *const more[] = {"dy1", "dy2", "dy3", "dy4"};
	const char *prev = DYN;
	unsigned made = 0;
	for (unsigned i = 0; i < 4; i++) {
		rename_node(blob, n, prev, more[i]);
		prev = more[i];
		if (upload(blob, n, 0, 4096, &chunks) == CTL_OK)
			made++;
	}
	test_check_eq("ctl.upload_commit.fills_slots", made, 4);
	rename_node(blob, n, prev, "dy5");
	test_check_eq("ctl.upload_commit.vm_limit", upload(blob, n, 0, 4096, &chunks), CTL_E_LIMIT);
	test_check_eq("ctl.upload_commit.limit_no_vm", fvcp_list_state("dy5", &flags, &count), -1);
	rename_node(blob, n, "dy5", DYN); /* as it was */

	/* Destroy: accepted at once, the event when the slot is really free. */
	test_check_eq("ctl.vm_destroy.ok", fvcp_call_vm(CTL_T_VM_DESTROY, DYN), CTL_OK);
	test_check(wait_state_of(&dyn_state, CTL_VM_DESTROYED, 5000), "ctl.event.destroyed");
	test_check_eq("ctl.vm_destroy.gone", fvcp_list_state(DYN, &flags, &count), -1);
	test_check_eq("ctl.vm_destroy.again", fvcp_call_vm(CTL_T_VM_DESTROY, DYN), CTL_E_NO_VM);
	unsigned gone = 0;
	for (unsigned i = 0; i < 4; i++)
		if (fvcp_call_vm(CTL_T_VM_DESTROY, more[i]) == CTL_OK)
			gone++;
	test_check_eq("ctl.vm_destroy.copies", gone, 4);
	/* The slots are freed on the console tick: wait until the list is back to three. */
	uint64_t until = plat_now() + plat_ms_to_ticks(5000);
	do
		fvcp_pump(50);
	while (fvcp_list_state("svc", &flags, &count) >= 0 && count != 3 && plat_now() < until);
	test_check_eq("ctl.vm_destroy.slots_free", count, 3);
	/* Memory back: within 1 MiB of before (the five VMs held 20 MiB). */
	test_check(fvcp_host_free() + (1u << 20) >= free0, "ctl.vm_destroy.memory_back");
	printf("ctl_test: free memory %lu KiB before creating, %lu KiB after destroying\n",
	       (unsigned long)(free0 >> 10), (unsigned long)(fvcp_host_free() >> 10));
}

bool ct_is_service(unsigned long dtb)
{
	const uint8_t *p = (const uint8_t *)dtb;
	uint32_t size =
	    ((uint32_t)p[4] << 24) | ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) | p[7];
	return fvcp_has(p, size, "ferrovisor,control");
}

void ct_probe_dt(unsigned long dtb)
{
	const uint8_t *p = (const uint8_t *)dtb;
	uint32_t size =
	    ((uint32_t)p[4] << 24) | ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) | p[7];
	test_check(!fvcp_has(p, size, "ferrovisor,control"), "probe.dt.no_control_marker");
	test_check(!fvcp_has(p, size, "virtio,mmio"), "probe.dt.no_virtio");
}

void ct_run_service(unsigned long dtb, uint64_t ctl_base, uint64_t ram_base)
{
	ram = ram_base;
	if (!fvcp_init(ctl_base, on_event, "ctl_test", 3000))
		test_abort("control channel: no running virtio-console");
	test_check(true, "ctl.dt.marker");
	suite_session();
	suite_prof();
	suite_manage();
	suite_hostile();
	suite_dynamic(dtb);
	suite_fast();
	test_finish();
}
