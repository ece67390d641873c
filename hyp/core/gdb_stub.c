// SPDX-License-Identifier: MIT
/*
 * gdb remote stub commands (gdb manual, "Packets", "General Query Packets",
 * "Stop Reply Packets"); see gdb_stub.h. Table dispatch on the first byte,
 * then on the query name.
 */
#include "core/gdb_stub.h"
#include "lib/fv_err.h"
#include "lib/printf.h"
#include "lib/string.h"

typedef void (*gdb_cmd_fn)(struct gdb_stub *s, const char *p);

static void send_frame(struct gdb_stub *s, const char *payload)
{
	size_t n =
	    gdb_rsp_encode((const uint8_t *)payload, strlen(payload), s->out, sizeof(s->out));
	if (!n)
		return; /* cannot happen: replies are bounded by GDB_RSP_MAX */
	s->out_len = (uint32_t)n;
	s->ops->send(s->ctx, s->out, n);
}

/* The reply in s->reply. */
static void reply(struct gdb_stub *s)
{
	send_frame(s, s->reply);
}

static void reply_str(struct gdb_stub *s, const char *str)
{
	fv_snprintf(s->reply, sizeof(s->reply), "%s", str);
	reply(s);
}

static void reply_err(struct gdb_stub *s, int err)
{
	reply_str(s, err == -FV_EFAULT ? "E14" : "E01");
}

/* Whether p starts with prefix; *rest after it. */
static bool starts(const char *p, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);
	if (strncmp(p, prefix, n) != 0)
		return false;
	if (rest)
		*rest = p + n;
	return true;
}

/* "addr,len" with len <= max. */
static bool parse_addr_len(const char **p, uint64_t *addr, uint64_t *len, uint64_t max)
{
	if (!gdb_hex_u64(p, addr) || **p != ',')
		return false;
	(*p)++;
	return gdb_hex_u64(p, len) && *len <= max;
}

/*
 * A thread id: "-1" (all), "0" (any) or a positive hex number, optionally
 * as "pPID.TID" (multiprocess form). Result 0-based, or -1 for all/any.
 */
static bool parse_tid(const char **p, long *tid)
{
	uint64_t v;
	if ((*p)[0] == 'p') {
		(*p)++;
		if (!gdb_hex_u64(p, &v) || **p != '.')
			return false;
		(*p)++;
	}
	if ((*p)[0] == '-' && (*p)[1] == '1') {
		*p += 2;
		*tid = -1;
		return true;
	}
	if (!gdb_hex_u64(p, &v) || v > 0xffff)
		return false;
	*tid = v == 0 ? -1 : (long)v - 1;
	return true;
}

static bool tid_valid(struct gdb_stub *s, long tid)
{
	return tid >= 0 && (unsigned long)tid < s->ops->nr_threads(s->ctx);
}

static void format_stop(struct gdb_stub *s, unsigned tid, int sig, const char *extra)
{
	fv_snprintf(s->last_stop, sizeof(s->last_stop), "T%02xthread:%x;%s", (unsigned)sig & 0xff,
	            tid + 1, extra ? extra : "");
}

void gdb_stub_init(struct gdb_stub *s, const struct gdb_stub_ops *ops, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->ctx = ctx;
	gdb_rsp_init(&s->rsp);
	format_stop(s, 0, GDB_SIGTRAP, "");
}

void gdb_stub_stopped(struct gdb_stub *s, unsigned tid, int sig, const char *extra)
{
	s->stopped = true;
	s->halt_pending = false;
	if (sig < 0)
		sig = s->sig;
	s->last_tid = tid;
	s->g_tid = tid;
	format_stop(s, tid, sig, extra);
	if (s->want_stop) {
		s->want_stop = false;
		send_frame(s, s->last_stop);
	}
}

/* Ask for a halt (once) and a stop reply with sig. */
static void request_halt(struct gdb_stub *s, int sig)
{
	s->want_stop = true;
	if (s->halt_pending)
		return;
	s->sig = sig;
	s->halt_pending = true;
	s->ops->halt(s->ctx);
}

static void run_target(struct gdb_stub *s, int tid, bool step)
{
	s->stopped = false;
	s->want_stop = true;
	s->sig = GDB_SIGTRAP;
	s->ops->resume(s->ctx, tid, step);
}

/* Commands that need a stopped target answer E01 while it runs. */
static bool need_stopped(struct gdb_stub *s)
{
	if (s->stopped)
		return true;
	reply_str(s, "E01");
	return false;
}

static void cmd_status(struct gdb_stub *s, const char *p)
{
	(void)p;
	if (s->stopped)
		reply_str(s, s->last_stop);
	else
		request_halt(s, GDB_SIGTRAP);
}

static void cmd_g(struct gdb_stub *s, const char *p)
{
	(void)p;
	if (!need_stopped(s))
		return;
	char *o = s->reply;
	for (unsigned r = 0; r < GDB_G_REGS; r++) {
		uint64_t v = 0;
		unsigned size = 8;
		if (s->ops->reg_read(s->ctx, s->g_tid, r, &v, &size) || size > 8) {
			reply_str(s, "E01");
			return;
		}
		gdb_hex_le(v, size, o);
		o += 2 * size;
	}
	reply(s);
}

static void cmd_G(struct gdb_stub *s, const char *p)
{
	if (!need_stopped(s))
		return;
	if (strlen(p) < GDB_G_REGS * 16) {
		reply_str(s, "E01");
		return;
	}
	for (unsigned r = 0; r < GDB_G_REGS; r++) {
		uint8_t b[8];
		if (!gdb_hex_decode(p + 16 * r, b, 8)) {
			reply_str(s, "E01");
			return;
		}
		uint64_t v = 0;
		for (unsigned i = 0; i < 8; i++)
			v |= (uint64_t)b[i] << (8 * i);
		if (r != 0 && s->ops->reg_write(s->ctx, s->g_tid, r, v)) {
			reply_str(s, "E01");
			return;
		}
	}
	reply_str(s, "OK");
}

static void cmd_p(struct gdb_stub *s, const char *p)
{
	uint64_t r, v = 0;
	unsigned size = 8;
	if (!need_stopped(s))
		return;
	if (!gdb_hex_u64(&p, &r) || *p || r > 0xffff ||
	    s->ops->reg_read(s->ctx, s->g_tid, (unsigned)r, &v, &size) || size > 8) {
		reply_str(s, "E01");
		return;
	}
	gdb_hex_le(v, size, s->reply);
	reply(s);
}

static void cmd_P(struct gdb_stub *s, const char *p)
{
	uint64_t r, v = 0;
	uint8_t b[8] = {0};
	if (!need_stopped(s))
		return;
	if (!gdb_hex_u64(&p, &r) || *p != '=' || r > 0xffff) {
		reply_str(s, "E01");
		return;
	}
	p++;
	size_t n = strlen(p) / 2;
	if (n == 0 || n > 8 || strlen(p) % 2 || !gdb_hex_decode(p, b, n)) {
		reply_str(s, "E01");
		return;
	}
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	int ret = s->ops->reg_write(s->ctx, s->g_tid, (unsigned)r, v);
	reply_str(s, ret ? "E01" : "OK");
}

static void cmd_m(struct gdb_stub *s, const char *p)
{
	uint64_t addr, len;
	uint8_t buf[GDB_MEM_MAX];
	if (!need_stopped(s))
		return;
	if (!parse_addr_len(&p, &addr, &len, GDB_MEM_MAX) || *p) {
		reply_str(s, "E01");
		return;
	}
	int ret = s->ops->mem_read(s->ctx, s->g_tid, addr, buf, (size_t)len, false);
	if (ret) {
		reply_err(s, ret);
		return;
	}
	gdb_hex_encode(buf, (size_t)len, s->reply);
	reply(s);
}

static void cmd_M(struct gdb_stub *s, const char *p)
{
	uint64_t addr, len;
	uint8_t buf[GDB_MEM_MAX];
	if (!need_stopped(s))
		return;
	if (!parse_addr_len(&p, &addr, &len, GDB_MEM_MAX) || *p != ':' ||
	    strlen(p + 1) != 2 * len || !gdb_hex_decode(p + 1, buf, (size_t)len)) {
		reply_str(s, "E01");
		return;
	}
	int ret = s->ops->mem_write(s->ctx, s->g_tid, addr, buf, (size_t)len, false);
	if (ret)
		reply_err(s, ret);
	else
		reply_str(s, "OK");
}

/* X: binary data; the framing already removed the escapes, so the length is exact. */
static void cmd_X(struct gdb_stub *s, const char *p)
{
	uint64_t addr, len;
	if (!need_stopped(s))
		return;
	const char *start = (const char *)s->rsp.buf;
	if (!parse_addr_len(&p, &addr, &len, GDB_MEM_MAX) || *p != ':') {
		reply_str(s, "E01");
		return;
	}
	size_t off = (size_t)(p + 1 - start);
	if (off + len != s->rsp.len) {
		reply_str(s, "E01");
		return;
	}
	int ret =
	    len ? s->ops->mem_write(s->ctx, s->g_tid, addr, s->rsp.buf + off, (size_t)len, false)
	        : 0;
	if (ret)
		reply_err(s, ret);
	else
		reply_str(s, "OK");
}

/* Z/z type,addr,kind */
static void point(struct gdb_stub *s, const char *p, bool insert)
{
	uint64_t type, addr, kind;
	if (!need_stopped(s))
		return;
	if (!gdb_hex_u64(&p, &type) || *p++ != ',' || !gdb_hex_u64(&p, &addr) || *p++ != ',' ||
	    !gdb_hex_u64(&p, &kind) || type > GDB_WP_ACCESS) {
		reply_str(s, "E01");
		return;
	}
	/* Conditions and commands after `;` (target-side) are not offered: ignore them. */
	int ret = s->ops->point(s->ctx, s->g_tid, (unsigned)type, addr, kind, insert);
	if (ret == -FV_ENOTSUP)
		reply_str(s, "");
	else if (ret)
		reply_err(s, ret);
	else
		reply_str(s, "OK");
}

static void cmd_Z(struct gdb_stub *s, const char *p)
{
	point(s, p, true);
}

static void cmd_z(struct gdb_stub *s, const char *p)
{
	point(s, p, false);
}

/* c/s/C/S [sig;][addr]: resuming at another address is refused (gdb sets pc with P). */
static void resume_cmd(struct gdb_stub *s, const char *p, bool step, bool with_sig)
{
	uint64_t v;
	if (!need_stopped(s))
		return;
	if (with_sig) {
		if (!gdb_hex_u64(&p, &v)) {
			reply_str(s, "E01");
			return;
		}
		if (*p == ';')
			p++;
	}
	if (*p) {
		reply_str(s, "E01");
		return;
	}
	run_target(s, step ? (int)s->g_tid : -1, step);
}

static void cmd_c(struct gdb_stub *s, const char *p)
{
	resume_cmd(s, p, false, false);
}

static void cmd_s(struct gdb_stub *s, const char *p)
{
	resume_cmd(s, p, true, false);
}

static void cmd_C(struct gdb_stub *s, const char *p)
{
	resume_cmd(s, p, false, true);
}

static void cmd_S(struct gdb_stub *s, const char *p)
{
	resume_cmd(s, p, true, true);
}

static void cmd_H(struct gdb_stub *s, const char *p)
{
	long tid;
	char op = *p++;
	if ((op != 'g' && op != 'c') || !parse_tid(&p, &tid) || *p) {
		reply_str(s, "E01");
		return;
	}
	/* Hc only says which thread a later s/c means; c resumes all, s uses g_tid. */
	if (tid >= 0) {
		if (!tid_valid(s, tid)) {
			reply_str(s, "E01");
			return;
		}
		s->g_tid = (unsigned)tid;
	}
	reply_str(s, "OK");
}

static void cmd_T(struct gdb_stub *s, const char *p)
{
	long tid;
	reply_str(s, parse_tid(&p, &tid) && !*p && tid_valid(s, tid) ? "OK" : "E01");
}

static void cmd_D(struct gdb_stub *s, const char *p)
{
	(void)p;
	reply_str(s, "OK");
	s->ops->detach(s->ctx);
	s->stopped = false;
	s->want_stop = false;
	s->halt_pending = false;
	s->noack = false;
}

static void cmd_k(struct gdb_stub *s, const char *p)
{
	/* No reply to k. The VM is not killed: the debugger lets go and the VM runs on. */
	(void)p;
	s->ops->detach(s->ctx);
	s->stopped = false;
	s->want_stop = false;
	s->halt_pending = false;
	s->noack = false;
}

/*
 * vCont;ACTION[:TID];...  The first step action wins (that vCPU alone steps); else a
 * continue without a thread id resumes every vCPU; else a continue of one thread resumes
 * that vCPU alone (gdb's software single step: a breakpoint, then vCont;c:TID).
 */
static void cmd_vcont(struct gdb_stub *s, const char *p)
{
	long step = -2, cont_one = -2;
	bool cont_all = false;
	if (!need_stopped(s))
		return;
	while (*p == ';') {
		p++;
		char a = *p++;
		uint64_t sig;
		if (a == 'C' || a == 'S') {
			if (!gdb_hex_u64(&p, &sig)) {
				reply_str(s, "E01");
				return;
			}
			a = a == 'C' ? 'c' : 's';
		}
		if (a != 'c' && a != 's' && a != 't') {
			reply_str(s, "E01");
			return;
		}
		long tid = -1;
		if (*p == ':') {
			p++;
			if (!parse_tid(&p, &tid) || (tid >= 0 && !tid_valid(s, tid))) {
				reply_str(s, "E01");
				return;
			}
		}
		if (a == 's' && step == -2)
			step = tid >= 0 ? tid : (long)s->g_tid;
		if (a == 'c' && tid < 0)
			cont_all = true;
		else if (a == 'c' && cont_one == -2)
			cont_one = tid;
	}
	if (*p) {
		reply_str(s, "E01");
		return;
	}
	if (step >= 0) {
		/* A step resumes only that vCPU; the others stay halted (as with
		 * scheduler-locking). */
		s->g_tid = (unsigned)step;
		run_target(s, (int)step, true);
	} else if (cont_all || cont_one < 0) {
		run_target(s, -1, false);
	} else {
		s->g_tid = (unsigned)cont_one;
		run_target(s, (int)cont_one, false);
	}
}

static void cmd_v(struct gdb_stub *s, const char *p)
{
	const char *rest;
	if (strcmp(p, "Cont?") == 0)
		reply_str(s, "vCont;c;C;s;S");
	else if (starts(p, "Cont", &rest) && (*rest == ';' || !*rest))
		cmd_vcont(s, rest);
	else
		reply_str(s, ""); /* vMustReplyEmpty, vRun, vKill ... */
}

/* qXfer:features:read:target.xml:OFF,LEN */
static void xfer_features(struct gdb_stub *s, const char *p)
{
	uint64_t off, len;
	const char *xml = s->ops->target_xml;
	if (!starts(p, "target.xml:", &p) || !parse_addr_len(&p, &off, &len, GDB_RSP_MAX) || *p) {
		reply_str(s, "E00");
		return;
	}
	size_t total = strlen(xml);
	if (off >= total) {
		reply_str(s, "l");
		return;
	}
	/* Leave room for escapes: the encoder doubles at most every byte. */
	size_t n = total - off;
	if (n > len)
		n = len;
	if (n > GDB_RSP_MAX / 2 - 2)
		n = GDB_RSP_MAX / 2 - 2;
	s->reply[0] = off + n < total ? 'm' : 'l';
	memcpy(s->reply + 1, xml + off, n);
	s->reply[1 + n] = 0;
	reply(s);
}

static void thread_list(struct gdb_stub *s)
{
	unsigned n = s->ops->nr_threads(s->ctx);
	size_t o = 0;
	s->reply[o++] = 'm';
	for (unsigned i = 0; i < n && o + 8 < sizeof(s->reply); i++)
		o += (size_t)fv_snprintf(s->reply + o, sizeof(s->reply) - o, "%s%x", i ? "," : "",
		                         i + 1);
	s->reply[o] = 0;
	reply(s);
}

static void monitor_out(struct gdb_stub *s, const char *text)
{
	size_t n = strlen(text);
	if (n > GDB_RSP_MAX / 2 - 2)
		n = GDB_RSP_MAX / 2 - 2;
	s->reply[0] = 'O';
	gdb_hex_encode((const uint8_t *)text, n, s->reply + 1);
	reply(s);
}

/* `monitor gpa ADDR [LEN]`: guest-physical bytes as a hex dump, 16 per line. */
static void monitor_gpa(struct gdb_stub *s, const char *args)
{
	uint64_t addr, len = 16;
	uint8_t buf[256];
	char line[96];
	while (*args == ' ')
		args++;
	if (args[0] == '0' && (args[1] == 'x' || args[1] == 'X'))
		args += 2;
	if (!gdb_hex_u64(&args, &addr)) {
		monitor_out(s, "usage: monitor gpa ADDR [LEN] (hex)\n");
		reply_str(s, "OK");
		return;
	}
	while (*args == ' ')
		args++;
	if (args[0] == '0' && (args[1] == 'x' || args[1] == 'X'))
		args += 2;
	if (*args && (!gdb_hex_u64(&args, &len) || len == 0 || len > sizeof(buf))) {
		monitor_out(s, "monitor gpa: LEN must be 1..0x100\n");
		reply_str(s, "OK");
		return;
	}
	int ret = s->ops->mem_read(s->ctx, s->g_tid, addr, buf, (size_t)len, true);
	if (ret) {
		fv_snprintf(line, sizeof(line), "gpa 0x%lx: not guest RAM\n", (unsigned long)addr);
		monitor_out(s, line);
		reply_str(s, "E14");
		return;
	}
	for (uint64_t i = 0; i < len; i += 16) {
		size_t o =
		    (size_t)fv_snprintf(line, sizeof(line), "%016lx:", (unsigned long)(addr + i));
		for (uint64_t k = i; k < len && k < i + 16; k++)
			o += (size_t)fv_snprintf(line + o, sizeof(line) - o, " %02x", buf[k]);
		fv_snprintf(line + o, sizeof(line) - o, "\n");
		monitor_out(s, line);
	}
	reply_str(s, "OK");
}

static void cmd_rcmd(struct gdb_stub *s, const char *hex)
{
	char cmd[128];
	size_t n = strlen(hex);
	if (n % 2 || n / 2 >= sizeof(cmd) || !gdb_hex_decode(hex, (uint8_t *)cmd, n / 2)) {
		reply_str(s, "E01");
		return;
	}
	cmd[n / 2] = 0;
	const char *args;
	if (starts(cmd, "gpa", &args) && (*args == ' ' || !*args)) {
		if (!need_stopped(s))
			return;
		monitor_gpa(s, args);
		return;
	}
	monitor_out(s, "Ferrovisor monitor commands:\n"
	               "  gpa ADDR [LEN]  guest-physical memory (hex, LEN <= 0x100)\n");
	reply_str(s, "OK");
}

static void cmd_q(struct gdb_stub *s, const char *p)
{
	const char *rest;
	long tid;
	if (starts(p, "Supported", NULL)) {
		fv_snprintf(s->reply, sizeof(s->reply),
		            "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;vContSupported+",
		            GDB_RSP_MAX);
		reply(s);
	} else if (starts(p, "Xfer:features:read:", &rest)) {
		xfer_features(s, rest);
	} else if (strcmp(p, "fThreadInfo") == 0) {
		thread_list(s);
	} else if (strcmp(p, "sThreadInfo") == 0) {
		reply_str(s, "l");
	} else if (strcmp(p, "C") == 0) {
		fv_snprintf(s->reply, sizeof(s->reply), "QC%x", s->g_tid + 1);
		reply(s);
	} else if (starts(p, "Attached", NULL)) {
		reply_str(s, "1");
	} else if (starts(p, "ThreadExtraInfo,", &rest)) {
		char text[80];
		if (!parse_tid(&rest, &tid) || *rest || !tid_valid(s, tid)) {
			reply_str(s, "E01");
			return;
		}
		s->ops->thread_info(s->ctx, (unsigned)tid, text, sizeof(text));
		gdb_hex_encode((const uint8_t *)text, strnlen(text, sizeof(text) - 1), s->reply);
		reply(s);
	} else if (starts(p, "Rcmd,", &rest)) {
		cmd_rcmd(s, rest);
	} else {
		reply_str(s, "");
	}
}

static void cmd_Q(struct gdb_stub *s, const char *p)
{
	if (strcmp(p, "StartNoAckMode") == 0) {
		/* This OK is still acknowledged; from the next packet on, none are. */
		reply_str(s, "OK");
		s->noack = true;
	} else {
		reply_str(s, "");
	}
}

static const gdb_cmd_fn cmds[128] = {
    ['?'] = cmd_status, ['g'] = cmd_g, ['G'] = cmd_G, ['p'] = cmd_p, ['P'] = cmd_P, ['m'] = cmd_m,
    ['M'] = cmd_M,      ['X'] = cmd_X, ['Z'] = cmd_Z, ['z'] = cmd_z, ['c'] = cmd_c, ['s'] = cmd_s,
    ['C'] = cmd_C,      ['S'] = cmd_S, ['H'] = cmd_H, ['T'] = cmd_T, ['D'] = cmd_D, ['k'] = cmd_k,
    ['v'] = cmd_v,      ['q'] = cmd_q, ['Q'] = cmd_Q,
};

static void packet(struct gdb_stub *s)
{
	const char *p = (const char *)s->rsp.buf;
	uint8_t c = s->rsp.buf[0];
	s->packets++;
	/* A new gdb starts with qSupported and expects acks until it asks for none again. */
	if (starts(p, "qSupported", NULL))
		s->noack = false;
	if (!s->noack)
		s->ops->send(s->ctx, (const uint8_t *)"+", 1);
	/* A NUL inside a non-X packet would cut the string parsers short: refuse it. */
	if (c != 'X' && strnlen(p, s->rsp.len) != s->rsp.len) {
		reply_str(s, "E01");
		return;
	}
	if (s->rsp.len && c < 128 && cmds[c])
		cmds[c](s, p + 1);
	else
		reply_str(s, "");
}

void gdb_stub_input(struct gdb_stub *s, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (gdb_rsp_feed(&s->rsp, buf[i])) {
		case GDB_RSP_PACKET:
			packet(s);
			break;
		case GDB_RSP_BAD:
			s->bad_packets++;
			if (!s->noack)
				s->ops->send(s->ctx, (const uint8_t *)"-", 1);
			break;
		case GDB_RSP_INTERRUPT:
			if (!s->stopped)
				request_halt(s, GDB_SIGINT);
			break;
		case GDB_RSP_NAK:
			if (!s->noack && s->out_len)
				s->ops->send(s->ctx, s->out, s->out_len);
			break;
		default:
			break;
		}
	}
}
