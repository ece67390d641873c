/* SPDX-License-Identifier: MIT */
/* Unit tests for the dashboard's URL to file mapping (tools/ferrovisord/fvd_www.c): the one
 * check between a URL and open(2), so every traversal form must be refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../tools/ferrovisord/fvd_www.h"

static void maps_to(const char *url, const char *rel, const char *ctype)
{
	char out[FVD_WWW_PATH_MAX + 1];
	const char *ct = NULL;

	assert_true(fvd_www_claims(url));
	assert_true(fvd_www_map(url, out, &ct));
	assert_string_equal(out, rel);
	assert_string_equal(ct, ctype);
}

static void refused(const char *url)
{
	char out[FVD_WWW_PATH_MAX + 1];
	const char *ct = NULL;

	memset(out, 'Z', sizeof(out));
	if (fvd_www_map(url, out, &ct))
		fail_msg("'%s' was mapped to '%s'", url, out);
	/* Nothing written for a refused URL. */
	assert_int_equal(out[0], 'Z');
}

static void test_www_map_valid(void **state)
{
	(void)state;
	maps_to("/", "index.html", "text/html; charset=utf-8");
	maps_to("/index.html", "index.html", "text/html; charset=utf-8");
	maps_to("/ui", "index.html", "text/html; charset=utf-8");
	maps_to("/ui/", "index.html", "text/html; charset=utf-8");
	maps_to("/ui/app.js", "app.js", "text/javascript; charset=utf-8");
	maps_to("/ui/style.css", "style.css", "text/css; charset=utf-8");
	maps_to("/ui/img/logo.svg", "img/logo.svg", "image/svg+xml");
	maps_to("/ui/a-b_c.1.png", "a-b_c.1.png", "image/png");
	maps_to("/ui/favicon.ico", "favicon.ico", "image/x-icon");
}

static void test_www_map_traversal(void **state)
{
	char longp[FVD_WWW_PATH_MAX + 16];

	(void)state;
	refused("/ui/../etc/passwd");
	refused("/ui/..");
	refused("/ui/../");
	refused("/ui/x/../../fvd.js");
	refused("/ui/./app.js");
	refused("/ui/x/./app.js");
	refused("/ui/.hidden.js");
	refused("/ui/x/.git/config.txt");
	refused("/ui//app.js");
	refused("/ui/x//app.js");
	refused("/ui/x/");
	refused("/ui//etc/passwd.txt");
	refused("/ui/x\\..\\app.js");
	refused("/ui/%2e%2e/app.js"); /* undecoded '%' is not a path character either */
	refused("/ui/app.js?x=1");
	refused("/ui/a b.js");
	refused("/ui/\xc3\xa9.js");
	refused("/ui/app.js\n");
	refused("/uiapp.js");
	refused("/api/v1/host");
	refused("");
	refused("//");
	refused("/etc/passwd");
	/* Only served types: no executables, no source, no extension. */
	refused("/ui/ferrovisord");
	refused("/ui/fvd_www.c");
	refused("/ui/run.sh");
	refused("/ui/.js");
	refused("/ui/js");
	/* Length bound: one more than the maximum is refused, exactly the maximum served. */
	memset(longp, 0, sizeof(longp));
	memcpy(longp, "/ui/", 4);
	memset(longp + 4, 'a', FVD_WWW_PATH_MAX - 2);
	memcpy(longp + 4 + FVD_WWW_PATH_MAX - 2, ".js", 4);
	assert_int_equal(strlen(longp + 4), FVD_WWW_PATH_MAX + 1);
	refused(longp);
	memcpy(longp + 4 + FVD_WWW_PATH_MAX - 3, ".js", 4);
	assert_int_equal(strlen(longp + 4), FVD_WWW_PATH_MAX);
	{
		char out[FVD_WWW_PATH_MAX + 1];
		const char *ct;

		assert_true(fvd_www_map(longp, out, &ct));
		assert_int_equal(strlen(out), FVD_WWW_PATH_MAX);
	}
}

static void test_www_claims(void **state)
{
	(void)state;
	assert_true(fvd_www_claims("/ui/../../x"));
	assert_false(fvd_www_claims("/api/v1/host"));
	assert_false(fvd_www_claims("/metrics"));
	assert_false(fvd_www_claims("/uix"));
	assert_false(fvd_www_claims(""));
}

static void test_www_cache_control(void **state)
{
	(void)state;
	assert_string_equal(fvd_www_cache_control("index.html"), "no-cache");
	assert_string_equal(fvd_www_cache_control("app.js"), "no-cache");
	assert_string_equal(fvd_www_cache_control("logo.svg"), "public, max-age=86400");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_www_map_valid),
	    cmocka_unit_test(test_www_map_traversal),
	    cmocka_unit_test(test_www_claims),
	    cmocka_unit_test(test_www_cache_control),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
