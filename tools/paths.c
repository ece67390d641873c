// SPDX-License-Identifier: MIT
/* Path expansion for configuration files (contract in paths.h). */
#include "paths.h"

#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CACHE_VAR "FERROVISOR_CACHE"

struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->s, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

const char *path_home(void)
{
	const char *h = getenv("HOME");
	if (h && *h)
		return h;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_dir ? pw->pw_dir : "/";
}

char *path_cache_dir(void)
{
	const char *c = getenv(CACHE_VAR);
	if (c && *c)
		return strdup(c);
	struct sbuf b = {0};
	sb_str(&b, path_home());
	sb_str(&b, "/.cache/ferrovisor");
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

static bool var_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

/* Append the value of ${...} starting at p (just after "${"); returns the char after '}'. */
static const char *expand_var(struct sbuf *b, const char *p, char *err, size_t errlen)
{
	const char *name = p;
	while (var_char(*p, p == name))
		p++;
	size_t nlen = (size_t)(p - name);
	const char *def = NULL;
	size_t dlen = 0;
	if (p[0] == ':' && p[1] == '-') {
		def = p + 2;
		p = strchr(def, '}');
		if (p)
			dlen = (size_t)(p - def);
	}
	if (nlen == 0 || !p || *p != '}') {
		snprintf(err, errlen, "bad ${...} (use ${NAME} or ${NAME:-default})");
		return NULL;
	}
	char var[128];
	if (nlen >= sizeof(var)) {
		snprintf(err, errlen, "variable name too long");
		return NULL;
	}
	memcpy(var, name, nlen);
	var[nlen] = '\0';
	const char *val = getenv(var);
	if (val && *val) {
		sb_str(b, val);
	} else if (def) {
		sb_add(b, def, dlen);
	} else if (strcmp(var, CACHE_VAR) == 0) {
		char *c = path_cache_dir();
		if (c)
			sb_str(b, c);
		else
			b->oom = true;
		free(c);
	} else {
		snprintf(err, errlen, "${%s} is not set", var);
		return NULL;
	}
	return p + 1;
}

char *path_expand(const char *in, const char *base_dir, char *err, size_t errlen)
{
	struct sbuf b = {0};
	const char *p = in;
	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
		sb_str(&b, path_home());
		p++;
	} else if (p[0] == '~') {
		snprintf(err, errlen, "only ~ or ~/... is supported, not ~user");
		return NULL;
	}
	while (*p) {
		if (p[0] == '$' && p[1] == '{') {
			p = expand_var(&b, p + 2, err, errlen);
			if (!p) {
				free(b.s);
				return NULL;
			}
			continue;
		}
		sb_add(&b, p, 1);
		p++;
	}
	if (!b.s || !*b.s) {
		free(b.s);
		snprintf(err, errlen, "empty file name");
		return NULL;
	}
	if (b.s[0] != '/') {
		struct sbuf abs = {0};
		sb_str(&abs, base_dir);
		if (abs.len && abs.s[abs.len - 1] != '/')
			sb_str(&abs, "/");
		sb_str(&abs, b.s[0] == '.' && b.s[1] == '/' ? b.s + 2 : b.s);
		free(b.s);
		b = abs;
	}
	if (b.oom) {
		free(b.s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return b.s;
}

char *path_dir_of(const char *file)
{
	const char *slash = strrchr(file, '/');
	char dir[PATH_MAX];
	if (!slash) {
		snprintf(dir, sizeof(dir), ".");
	} else if (slash == file) {
		snprintf(dir, sizeof(dir), "/");
	} else {
		size_t n = (size_t)(slash - file);
		if (n >= sizeof(dir))
			return NULL;
		memcpy(dir, file, n);
		dir[n] = '\0';
	}
	char *abs = realpath(dir, NULL);
	if (abs)
		return abs;
	/* The directory is gone or unreadable: still give an absolute name. */
	if (dir[0] == '/')
		return strdup(dir);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	struct sbuf b = {0};
	sb_str(&b, cwd);
	if (strcmp(dir, ".") != 0) {
		sb_str(&b, "/");
		sb_str(&b, dir);
	}
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
