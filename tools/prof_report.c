// SPDX-License-Identifier: MIT
/* `vm profile`: symbolization, folded stacks and the top list (see prof_report.h). */
#include "prof_report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 160
#define LINE_MAX_LEN ((PROF_REPORT_DEPTH + 1) * (NAME_MAX_LEN + 1))

/* "0x..." as the daemon writes addresses; false for anything else. */
static bool hex_addr(const cJSON *j, uint64_t *out)
{
	char *end;

	if (!cJSON_IsString(j) || strncmp(j->valuestring, "0x", 2) != 0 || !j->valuestring[2])
		return false;
	*out = strtoull(j->valuestring + 2, &end, 16);
	return *end == '\0';
}

int prof_report_parse(const cJSON *profile, struct prof_stack **out, size_t *n)
{
	const cJSON *stacks = cJSON_GetObjectItemCaseSensitive(profile, "stacks");
	const cJSON *e;
	size_t i = 0;

	*out = NULL;
	*n = 0;
	if (!cJSON_IsArray(stacks)) {
		fprintf(stderr, "ferrovisor: profile: answer without a \"stacks\" array\n");
		return -1;
	}
	*out = calloc((size_t)cJSON_GetArraySize(stacks) + 1, sizeof(**out));
	if (!*out)
		return -1;
	cJSON_ArrayForEach(e, stacks)
	{
		struct prof_stack *s = &(*out)[i];
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(e, "kind");
		const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(e, "count");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "stack");
		const cJSON *ra;

		if (!cJSON_IsString(kind) || !cJSON_IsNumber(cnt) || cnt->valuedouble < 1 ||
		    !hex_addr(cJSON_GetObjectItemCaseSensitive(e, "pc"), &s->pc) ||
		    !cJSON_IsArray(st) || cJSON_GetArraySize(st) > PROF_REPORT_DEPTH) {
			fprintf(stderr,
			        "ferrovisor: profile: stack entry %zu does not have the documented "
			        "shape\n",
			        i);
			free(*out);
			*out = NULL;
			return -1;
		}
		s->hyp = strcmp(kind->valuestring, "hypervisor") == 0;
		s->count = (unsigned long)cnt->valuedouble;
		cJSON_ArrayForEach(ra, st)
		{
			if (!hex_addr(ra, &s->ra[s->depth])) {
				fprintf(
				    stderr,
				    "ferrovisor: profile: stack entry %zu: bad return address\n",
				    i);
				free(*out);
				*out = NULL;
				return -1;
			}
			s->depth++;
		}
		i++;
	}
	*n = i;
	return 0;
}

static void name_of(const struct prof_symtab *syms, bool hyp, uint64_t addr, bool is_ra,
                    bool with_offset, char *buf, size_t len)
{
	const struct prof_sym *s = NULL;
	uint64_t off = 0;

	if (hyp) {
		/* With the hypervisor's ELF: "[hypervisor] func", a frame of its own per function.
		 */
		if (syms && syms->hyp)
			s = prof_sym_lookup(syms->hyp, addr, &off);
		if (!s)
			snprintf(buf, len, "[hypervisor]");
		else if (with_offset && off)
			snprintf(buf, len, "[hypervisor] %s+0x%" PRIx64, s->name, off);
		else
			snprintf(buf, len, "[hypervisor] %s", s->name);
		return;
	}
	if (syms)
		s = prof_sym_lookup(syms, is_ra && addr ? addr - 1 : addr, &off);
	if (!s)
		snprintf(buf, len, "0x%" PRIx64, addr);
	else if (with_offset && off)
		snprintf(buf, len, "%s+0x%" PRIx64, s->name, off + (is_ra && addr ? 1 : 0));
	else
		snprintf(buf, len, "%s", s->name);
}

void prof_report_name(const struct prof_symtab *syms, bool hyp, uint64_t addr, bool is_ra,
                      char *buf, size_t len)
{
	name_of(syms, hyp, addr, is_ra, true, buf, len);
}

struct line {
	char *text;
	unsigned long count;
};

static int line_cmp(const void *a, const void *b)
{
	return strcmp(((const struct line *)a)->text, ((const struct line *)b)->text);
}

static int count_cmp(const void *a, const void *b)
{
	const struct line *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->text, y->text);
}

/* Merge lines with the same text (sorted by text first), counts added; returns the new n. */
static size_t merge(struct line *l, size_t n)
{
	size_t k = 0;

	qsort(l, n, sizeof(*l), line_cmp);
	for (size_t i = 0; i < n; i++) {
		if (k && strcmp(l[k - 1].text, l[i].text) == 0) {
			l[k - 1].count += l[i].count;
			free(l[i].text);
			continue;
		}
		l[k++] = l[i];
	}
	return k;
}

static void free_lines(struct line *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i].text);
	free(l);
}

int prof_report_folded(FILE *f, const struct prof_stack *s, size_t n,
                       const struct prof_symtab *syms)
{
	struct line *l = calloc(n + 1, sizeof(*l));
	char name[NAME_MAX_LEN];

	if (!l)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char text[LINE_MAX_LEN] = "";
		size_t used = 0;
		unsigned depth = s[i].depth > PROF_REPORT_DEPTH ? PROF_REPORT_DEPTH : s[i].depth;

		/* Root first: the outermost caller, down to the function the pc is in. */
		for (unsigned k = depth; k-- > 0;) {
			name_of(syms, s[i].hyp, s[i].ra[k], true, false, name, sizeof(name));
			used += (size_t)snprintf(text + used, sizeof(text) - used, "%s;", name);
		}
		name_of(syms, s[i].hyp, s[i].pc, false, false, name, sizeof(name));
		snprintf(text + used, sizeof(text) - used, "%s", name);
		l[i].text = strdup(text);
		l[i].count = s[i].count;
		if (!l[i].text) {
			free_lines(l, i);
			return -1;
		}
	}
	n = merge(l, n);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s %lu\n", l[i].text, l[i].count);
	free_lines(l, n);
	return 0;
}

int prof_report_top(FILE *f, const struct prof_stack *s, size_t n, const struct prof_symtab *syms,
                    unsigned top)
{
	struct line *l = calloc(n + 1, sizeof(*l));
	char name[NAME_MAX_LEN];
	unsigned long total = 0;

	if (!l)
		return -1;
	for (size_t i = 0; i < n; i++) {
		name_of(syms, s[i].hyp, s[i].pc, false, false, name, sizeof(name));
		l[i].text = strdup(name);
		l[i].count = s[i].count;
		total += s[i].count;
		if (!l[i].text) {
			free_lines(l, i);
			return -1;
		}
	}
	n = merge(l, n);
	qsort(l, n, sizeof(*l), count_cmp);
	fprintf(f, "%6s %8s  %s\n", "PCT", "SAMPLES", "FUNCTION");
	for (size_t i = 0; i < n && i < top; i++)
		fprintf(f, "%5.1f%% %8lu  %s\n",
		        total ? 100.0 * (double)l[i].count / (double)total : 0.0, l[i].count,
		        l[i].text);
	free_lines(l, n);
	return 0;
}
