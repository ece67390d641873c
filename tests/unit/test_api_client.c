/* SPDX-License-Identifier: MIT */
/* Unit tests for the remote CLI's REST client (tools/api_client.c): the package checksum
 * against the hypervisor's own CRC-32C (hyp/core/ctl_proto.c, what the control channel checks),
 * URL normalisation, the JSON accessors, and a refused connection reported with the URL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../tools/api_client.h"
#include "core/ctl_proto.h"

/* api_client.c reports through the CLI's cli_error() (tools/main.c): captured here. */
static char last_error[512];

void cli_error(const char *fmt, ...);
void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

static void test_crc32c(void **state)
{
	unsigned char buf[4099];

	(void)state;
	/* The standard check value of CRC-32C. */
	assert_int_equal(api_crc32c("123456789", 9), 0xe3069283u);
	assert_int_equal(api_crc32c("", 0), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 131u + (i >> 7));
	for (size_t n = 0; n <= sizeof(buf); n += 257)
		assert_int_equal(api_crc32c(buf, n), ctl_crc32c(0, buf, n));
}

static void test_client_init(void **state)
{
	struct api_client c;
	char longurl[700];

	(void)state;
	assert_int_equal(api_client_init(&c, "http://127.0.0.1:8080"), 0);
	assert_string_equal(c.base, "http://127.0.0.1:8080");
	assert_int_equal(api_client_init(&c, "http://h:1//"), 0);
	assert_string_equal(c.base, "http://h:1");
	assert_int_equal(api_client_init(&c, "https://h/api/v1/"), 0);
	assert_string_equal(c.base, "https://h");
	assert_int_equal(api_client_init(&c, "https://h/base/api/v1"), 0);
	assert_string_equal(c.base, "https://h/base");
	last_error[0] = '\0';
	assert_int_equal(api_client_init(&c, "ftp://h"), -1);
	assert_non_null(strstr(last_error, "ftp://h"));
	assert_int_equal(api_client_init(&c, "127.0.0.1:8080"), -1);
	memset(longurl, 'a', sizeof(longurl) - 1);
	longurl[sizeof(longurl) - 1] = '\0';
	memcpy(longurl, "http://", 7);
	assert_int_equal(api_client_init(&c, longurl), -1);
}

static void test_accessors(void **state)
{
	cJSON *j = cJSON_Parse("{\"name\":\"a\",\"vcpus\":2,\"n\":null,\"s\":3}");

	(void)state;
	assert_non_null(j);
	assert_string_equal(api_str(j, "name"), "a");
	assert_string_equal(api_str(j, "vcpus"), "-");
	assert_string_equal(api_str(j, "missing"), "-");
	assert_int_equal(api_num(j, "vcpus"), 2);
	assert_int_equal(api_num(j, "name"), -1);
	assert_int_equal(api_num(j, "n"), -1);
	assert_string_equal(api_str(NULL, "name"), "-");
	cJSON_Delete(j);
}

static void test_refused_connection_names_url(void **state)
{
	struct api_client c;
	cJSON *j = (cJSON *)1;
	long status = 99;

	(void)state;
	/* Port 1 on loopback: nothing listens, the connection is refused at once. */
	assert_int_equal(api_client_init(&c, "http://127.0.0.1:1"), 0);
	last_error[0] = '\0';
	assert_int_equal(api_request(&c, "GET", "/vms", NULL, &j, &status), -1);
	assert_null(j);
	assert_int_equal(status, 0);
	assert_non_null(strstr(last_error, "http://127.0.0.1:1/api/v1/vms"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crc32c),
	    cmocka_unit_test(test_client_init),
	    cmocka_unit_test(test_accessors),
	    cmocka_unit_test(test_refused_connection_names_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
