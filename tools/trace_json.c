// SPDX-License-Identifier: MIT
/* Trace dump to Chrome/Perfetto trace-event JSON (trace_json.h). */
#include "trace_json.h"
#include "trace_arch.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Event numbers and argument layout: the hypervisor's hyp/core/trace.h. The enum values
 * named here (VM states, actions, vCPU states) follow hyp/core/vm.h and vcpu.h.
 */
enum {
	EV_EXIT = 0x00,
	EV_SBI = 0x10,
	EV_IRQ = 0x20,
	EV_IN = 0x30,
	EV_OUT = 0x31,
	EV_MIGRATE = 0x32,
	EV_VNOTIFY = 0x40,
	EV_VCOMPLETE = 0x41,
	EV_MMIO = 0x50,
	EV_VM_STATE = 0x60,
	EV_VM_REQUEST = 0x61,
};

#define NONE        0xffu
#define MAX_CPUS    64u
#define MAX_VMS     256u
#define TID_LIFE    1000u
#define TID_DEVICES 1001u
#define PID_CPUS    0u

struct rec {
	uint64_t ts; /* ns */
	unsigned long seq;
	unsigned cpu, ev, vm, vcpu;
	uint64_t a0, a1;
	uint32_t a2;
};

struct out_ev {
	uint64_t ts, dur; /* ns */
	unsigned long seq;
	char ph;
	unsigned pid, tid;
	char name[48];
	char args[160];
};

struct conv {
	struct rec *recs;
	size_t nrec, caprec;
	struct out_ev *evs;
	size_t nev, capev;
	char vm_name[MAX_VMS][32];
	unsigned vm_vcpus[MAX_VMS];
	bool vm_known[MAX_VMS];
	bool cpu_seen[MAX_CPUS];
	struct trace_json_stats *st;
	enum trace_arch arch; /* from the TRACE-BEGIN line: names exits and hypercalls */
};

static const char *const vm_states[] = {"stopped", "running",   "stopping",
                                        "crashed", "suspended", "paused"};
static const char *const vm_actions[] = {"none", "stop", "reset", "crash", "destroy"};

static const char *name_of(const char *const *tab, size_t n, uint64_t v)
{
	return v < n ? tab[v] : "?";
}

static struct out_ev *add_ev(struct conv *c, char ph, uint64_t ts, unsigned pid, unsigned tid)
{
	if (c->nev == c->capev) {
		size_t cap = c->capev ? c->capev * 2 : 1024;
		struct out_ev *n = realloc(c->evs, cap * sizeof(*n));
		if (!n)
			return NULL;
		c->evs = n;
		c->capev = cap;
	}
	struct out_ev *e = &c->evs[c->nev];
	memset(e, 0, sizeof(*e));
	e->ph = ph;
	e->ts = ts;
	e->pid = pid;
	e->tid = tid;
	e->seq = c->nev++;
	return e;
}

static unsigned vm_pid(unsigned vm)
{
	return 1u + vm;
}

static void vcpu_label(const struct conv *c, unsigned vm, unsigned vcpu, char *buf, size_t len)
{
	if (vm < MAX_VMS && c->vm_known[vm])
		snprintf(buf, len, "%s/vcpu%u", c->vm_name[vm], vcpu);
	else
		snprintf(buf, len, "vm%u/vcpu%u", vm, vcpu);
}

/* A vCPU run slice [start, end] on CPU cpu: on the CPU's track and the vCPU's. */
static int run_slice(struct conv *c, unsigned cpu, unsigned vm, unsigned vcpu, uint64_t start,
                     uint64_t end, bool open)
{
	struct out_ev *e = add_ev(c, 'X', start, PID_CPUS, cpu);
	if (!e)
		return -1;
	e->dur = end - start;
	vcpu_label(c, vm, vcpu, e->name, sizeof(e->name));
	snprintf(e->args, sizeof(e->args), "{\"vm\":%u,\"vcpu\":%u%s}", vm, vcpu,
	         open ? ",\"open\":true" : "");
	e = add_ev(c, 'X', start, vm_pid(vm), vcpu);
	if (!e)
		return -1;
	e->dur = end - start;
	snprintf(e->name, sizeof(e->name), "run");
	snprintf(e->args, sizeof(e->args), "{\"cpu\":%u%s}", cpu, open ? ",\"open\":true" : "");
	return 0;
}

/* The vCPU a CPU runs, from its sched-in: the start of the slice in progress. */
struct cpu_slice {
	bool open;
	unsigned vm, vcpu;
	uint64_t start, last;
	bool any, sched_seen; /* a record / a sched event of this CPU seen */
	bool pre;             /* an exit seen before any sched event: pre_vm/pre_vcpu ran */
	unsigned pre_vm, pre_vcpu;
	uint64_t first; /* ts of its first record */
};

static int one_record(struct conv *c, const struct rec *r, struct cpu_slice *cs)
{
	struct out_ev *e = NULL;
	unsigned pid = vm_pid(r->vm), tid = r->vcpu;
	if (!cs->any)
		cs->first = r->ts;
	cs->any = true;
	cs->last = r->ts;
	bool first_sched = !cs->sched_seen;
	if (r->ev == EV_IN || r->ev == EV_OUT)
		cs->sched_seen = true;
	if (!cs->sched_seen && !cs->pre && r->ev == EV_EXIT) {
		/* Exits are emitted by the CPU the vCPU runs on: it was switched in earlier. */
		cs->pre = true;
		cs->pre_vm = r->vm;
		cs->pre_vcpu = r->vcpu;
	}
	switch (r->ev) {
	case EV_IN:
		if (cs->open && run_slice(c, r->cpu, cs->vm, cs->vcpu, cs->start, r->ts, true))
			return -1;
		cs->open = true;
		cs->vm = r->vm;
		cs->vcpu = r->vcpu;
		cs->start = r->ts;
		return 0;
	case EV_OUT:
		if (!cs->open && first_sched) {
			/* Switched in before tracing began: its slice shows from the CPU's start.
			 */
			return run_slice(c, r->cpu, r->vm, r->vcpu, cs->first, r->ts, true);
		}
		if (!cs->open || cs->vm != r->vm || cs->vcpu != r->vcpu) {
			c->st->unpaired++; /* a sched-out that no sched-in explains */
			cs->open = false;
			return 0;
		}
		cs->open = false;
		return run_slice(c, r->cpu, r->vm, r->vcpu, cs->start, r->ts, false);
	case EV_EXIT:
		e = add_ev(c, 'i', r->ts, pid, tid);
		if (e) {
			char a[112];
			snprintf(e->name, sizeof(e->name), "exit %s",
			         trace_arch_exit_name(c->arch, r->a0));
			trace_arch_exit_args(c->arch, r->a0, r->a1, r->a2, a, sizeof(a));
			snprintf(e->args, sizeof(e->args), "{%s,\"cpu\":%u}", a, r->cpu);
		}
		break;
	case EV_SBI:
		e = add_ev(c, 'i', r->ts, pid, tid);
		if (e) {
			char a[112];
			trace_arch_hcall(c->arch, r->a0, r->a1, r->a2, e->name, sizeof(e->name), a,
			                 sizeof(a));
			snprintf(e->args, sizeof(e->args), "{%s,\"cpu\":%u}", a, r->cpu);
		}
		break;
	case EV_IRQ:
		e = add_ev(c, 'i', r->ts, pid, tid);
		if (e) {
			snprintf(e->name, sizeof(e->name), "irq inject");
			snprintf(e->args, sizeof(e->args),
			         "{\"%s\":\"0x%" PRIx64 "\",\"by_cpu\":%u}",
			         c->arch == TRACE_ARCH_ARM64 ? "intid" : "lines", r->a0, r->cpu);
		}
		break;
	case EV_MIGRATE:
		e = add_ev(c, 'i', r->ts, PID_CPUS, r->cpu);
		if (!e)
			return -1;
		vcpu_label(c, r->vm, r->vcpu, e->args, 64);
		snprintf(e->name, sizeof(e->name), "migrate in %.32s", e->args);
		snprintf(e->args, sizeof(e->args), "{\"from\":%" PRIu64 ",\"to\":%" PRIu64 "}",
		         r->a0, r->a1);
		e = add_ev(c, 'i', r->ts, pid, tid);
		if (e) {
			snprintf(e->name, sizeof(e->name), "migrate");
			snprintf(e->args, sizeof(e->args),
			         "{\"from\":%" PRIu64 ",\"to\":%" PRIu64 "}", r->a0, r->a1);
		}
		break;
	case EV_VNOTIFY:
	case EV_VCOMPLETE:
		e = add_ev(c, 'i', r->ts, pid,
		           r->ev == EV_VNOTIFY && r->vcpu != NONE ? r->vcpu : TID_DEVICES);
		if (e) {
			snprintf(e->name, sizeof(e->name), "virtio %s dev%" PRIu64,
			         r->ev == EV_VNOTIFY ? "notify" : "complete", r->a0);
			snprintf(e->args, sizeof(e->args),
			         "{\"dev\":%" PRIu64 ",\"%s\":%" PRIu64 ",\"cpu\":%u}", r->a0,
			         r->ev == EV_VNOTIFY ? "queue" : "isr", r->a1, r->cpu);
		}
		break;
	case EV_MMIO: {
		/* a1 = start in ns (the dump converts ticks); 0 or later than ts: no duration. */
		bool timed = r->a1 != 0 && r->a1 <= r->ts;
		e = add_ev(c, timed ? 'X' : 'i', timed ? r->a1 : r->ts, pid, tid);
		if (e) {
			e->dur = timed ? r->ts - r->a1 : 0;
			snprintf(e->name, sizeof(e->name), "mmio %s",
			         (r->a2 & 0x100) ? "write" : "read");
			snprintf(e->args, sizeof(e->args),
			         "{\"gpa\":\"0x%" PRIx64 "\",\"size\":%u,\"cpu\":%u}", r->a0,
			         (unsigned)(r->a2 & 0xff), r->cpu);
		}
		break;
	}
	case EV_VM_STATE:
		e = add_ev(c, 'i', r->ts, pid, TID_LIFE);
		if (e) {
			snprintf(e->name, sizeof(e->name), "state %s -> %s",
			         name_of(vm_states, 6, r->a0), name_of(vm_states, 6, r->a1));
			snprintf(e->args, sizeof(e->args),
			         "{\"old_state\":\"%s\",\"state\":\"%s\",\"cpu\":%u}",
			         name_of(vm_states, 6, r->a0), name_of(vm_states, 6, r->a1),
			         r->cpu);
		}
		break;
	case EV_VM_REQUEST:
		e = add_ev(c, 'i', r->ts, pid, TID_LIFE);
		if (e) {
			snprintf(e->name, sizeof(e->name), "request %s",
			         name_of(vm_actions, 5, r->a0));
			snprintf(e->args, sizeof(e->args),
			         "{\"action\":\"%s\",\"state\":\"%s\",\"cpu\":%u}",
			         name_of(vm_actions, 5, r->a0), name_of(vm_states, 6, r->a1),
			         r->cpu);
		}
		break;
	default:
		e = add_ev(c, 'i', r->ts, pid, tid);
		if (e)
			snprintf(e->name, sizeof(e->name), "event 0x%02x", r->ev);
		break;
	}
	return e ? 0 : -1;
}

static int cmp_rec(const void *pa, const void *pb)
{
	const struct rec *a = pa, *b = pb;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Time order; at one start the longer slice first (it encloses the other). */
static int cmp_ev(const void *pa, const void *pb)
{
	const struct out_ev *a = pa, *b = pb;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if (a->dur != b->dur)
		return a->dur > b->dur ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* A console line without its "[tag] " prefix. */
static const char *strip_tag(const char *line)
{
	if (line[0] == '[') {
		const char *e = strstr(line, "] ");
		if (e)
			return e + 2;
	}
	return line;
}

static int parse(struct conv *c, FILE *in, char *why, size_t whylen)
{
	char line[512];
	bool begun = false;
	unsigned long lineno = 0;
	while (fgets(line, sizeof(line), in)) {
		lineno++;
		const char *s = strip_tag(line);
		if (strncmp(s, "TRACE-BEGIN", 11) == 0) {
			/* "TRACE-BEGIN v1 [arch]": no arch word is riscv64 (older dumps). */
			char ver[8], arch[16];
			int n = sscanf(s + 11, "%7s %15s", ver, arch);
			c->arch = trace_arch_from(n == 2 ? arch : NULL);
			begun = true;
			continue;
		}
		if (!begun)
			continue;
		if (strncmp(s, "TRACE-END", 9) == 0)
			break;
		if (strncmp(s, "TRVM ", 5) == 0) {
			unsigned id, n;
			char name[32];
			if (sscanf(s + 5, "%u %u %31s", &id, &n, name) != 3 || id >= MAX_VMS) {
				snprintf(why, whylen, "line %lu: bad TRVM line", lineno);
				return -1;
			}
			c->vm_known[id] = true;
			c->vm_vcpus[id] = n;
			snprintf(c->vm_name[id], sizeof(c->vm_name[id]), "%s", name);
		} else if (strncmp(s, "TRDROP ", 7) == 0) {
			unsigned cpu;
			unsigned long n;
			if (sscanf(s + 7, "%u %lu", &cpu, &n) == 2)
				c->st->dropped += n;
		} else if (strncmp(s, "TR ", 3) == 0) {
			struct rec r;
			unsigned long long ts, a0, a1;
			unsigned a2;
			if (sscanf(s + 3, "%u %llu %x %u %u %llx %llx %x", &r.cpu, &ts, &r.ev,
			           &r.vm, &r.vcpu, &a0, &a1, &a2) != 8 ||
			    r.cpu >= MAX_CPUS || r.vm > NONE || r.vcpu > NONE || r.ev > 0xff) {
				snprintf(why, whylen, "line %lu: bad TR record", lineno);
				return -1;
			}
			r.ts = ts;
			r.a0 = a0;
			r.a1 = a1;
			r.a2 = a2;
			if (c->nrec == c->caprec) {
				size_t cap = c->caprec ? c->caprec * 2 : 1024;
				struct rec *n = realloc(c->recs, cap * sizeof(*n));
				if (!n) {
					snprintf(why, whylen, "out of memory");
					return -1;
				}
				c->recs = n;
				c->caprec = cap;
			}
			r.seq = c->nrec;
			c->recs[c->nrec++] = r;
			c->cpu_seen[r.cpu] = true;
			c->st->records++;
		}
	}
	if (!begun) {
		snprintf(why, whylen, "no TRACE-BEGIN line: not a trace dump");
		return -1;
	}
	return 0;
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void meta(FILE *out, bool *first, const char *what, unsigned pid, unsigned tid,
                 const char *name)
{
	fprintf(out, "%s\n{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":",
	        *first ? "" : ",", what, pid, tid);
	json_str(out, name);
	fputs("}}", out);
	*first = false;
}

static void write_json(struct conv *c, FILE *out)
{
	bool first = true;
	char buf[64];
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", out);
	meta(out, &first, "process_name", PID_CPUS, 0, "Physical CPUs");
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		if (!c->cpu_seen[i])
			continue;
		snprintf(buf, sizeof(buf), "CPU %u", i);
		meta(out, &first, "thread_name", PID_CPUS, i, buf);
	}
	for (unsigned v = 0; v < MAX_VMS; v++) {
		if (!c->vm_known[v])
			continue;
		snprintf(buf, sizeof(buf), "VM %s", c->vm_name[v]);
		meta(out, &first, "process_name", vm_pid(v), 0, buf);
		for (unsigned k = 0; k < c->vm_vcpus[v] && k < NONE; k++) {
			snprintf(buf, sizeof(buf), "vCPU %u", k);
			meta(out, &first, "thread_name", vm_pid(v), k, buf);
		}
		meta(out, &first, "thread_name", vm_pid(v), TID_LIFE, "lifecycle");
		meta(out, &first, "thread_name", vm_pid(v), TID_DEVICES, "devices");
	}
	c->st->events = 0;
	for (size_t i = 0; i < c->nev; i++) {
		const struct out_ev *e = &c->evs[i];
		fprintf(out, ",\n{\"ph\":\"%c\",\"name\":", e->ph);
		json_str(out, e->name);
		fprintf(out, ",\"pid\":%u,\"tid\":%u,\"ts\":%" PRIu64 ".%03u", e->pid, e->tid,
		        e->ts / 1000, (unsigned)(e->ts % 1000));
		if (e->ph == 'X')
			fprintf(out, ",\"dur\":%" PRIu64 ".%03u", e->dur / 1000,
			        (unsigned)(e->dur % 1000));
		else
			fputs(",\"s\":\"t\"", out);
		fprintf(out, ",\"args\":%s}", e->args[0] ? e->args : "{}");
		c->st->events++;
	}
	fprintf(out, "\n],\"otherData\":{\"records\":%lu,\"dropped\":%lu,\"unpaired\":%lu}}\n",
	        c->st->records, c->st->dropped, c->st->unpaired);
}

int trace_json_convert(FILE *in, FILE *out, struct trace_json_stats *st, char *why, size_t whylen)
{
	struct conv *c = calloc(1, sizeof(*c));
	struct cpu_slice cs[MAX_CPUS];
	int ret = -1;
	if (!c) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	memset(st, 0, sizeof(*st));
	memset(cs, 0, sizeof(cs));
	c->st = st;
	if (parse(c, in, why, whylen))
		goto out;
	if (c->nrec)
		qsort(c->recs, c->nrec, sizeof(*c->recs), cmp_rec);
	for (size_t i = 0; i < c->nrec; i++) {
		if (one_record(c, &c->recs[i], &cs[c->recs[i].cpu])) {
			snprintf(why, whylen, "out of memory");
			goto out;
		}
	}
	/* Slices still running when tracing stopped end at their CPU's last record. */
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		/* No switch on this CPU while tracing: the vCPU of its exits ran throughout. */
		if (!cs[i].sched_seen && cs[i].pre) {
			cs[i].open = true;
			cs[i].vm = cs[i].pre_vm;
			cs[i].vcpu = cs[i].pre_vcpu;
			cs[i].start = cs[i].first;
		}
		if (cs[i].open &&
		    run_slice(c, i, cs[i].vm, cs[i].vcpu, cs[i].start, cs[i].last, true)) {
			snprintf(why, whylen, "out of memory");
			goto out;
		}
	}
	if (c->nev)
		qsort(c->evs, c->nev, sizeof(*c->evs), cmp_ev);
	write_json(c, out);
	ret = 0;
out:
	free(c->recs);
	free(c->evs);
	free(c);
	return ret;
}
