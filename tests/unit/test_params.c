/* test_params.c - params encoded into .rodata bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "gadget/params.h"

static void test_bool(void **state)
{
	uint8_t b = 7;
	char err[128];

	assert_int_equal(gh_param_encode("--x", "bool", "true", &b, 1, err, sizeof(err)), 0);
	assert_int_equal(b, 1);
	assert_int_equal(gh_param_encode("--x", "bool", "no", &b, 1, err, sizeof(err)), 0);
	assert_int_equal(b, 0);
	assert_int_equal(gh_param_encode("--x", "bool", "maybe", &b, 1, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--x: \"maybe\" is not a boolean (true/false)");
}

static void test_ints(void **state)
{
	uint32_t u = 0;
	int16_t s = 0;
	uint64_t big = 0;
	char err[128];

	assert_int_equal(gh_param_encode("--n", "uint", "4096", &u, 4, err, sizeof(err)), 0);
	assert_int_equal(u, 4096);
	assert_int_equal(gh_param_encode("--n", "uint", "0x10", &u, 4, err, sizeof(err)), 0);
	assert_int_equal(u, 16);
	assert_int_equal(gh_param_encode("--n", "uint", "4294967296", &u, 4, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "--n: 4294967296 does not fit in 4 bytes");
	assert_int_equal(gh_param_encode("--n", "uint", "-1", &u, 4, err, sizeof(err)), -EINVAL);
	assert_int_equal(gh_param_encode("--n", "uint", "12abc", &u, 4, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--n: \"12abc\" is not an integer");
	assert_int_equal(gh_param_encode("--n", "int", "-32768", &s, 2, err, sizeof(err)), 0);
	assert_int_equal(s, -32768);
	assert_int_equal(gh_param_encode("--n", "int", "32768", &s, 2, err, sizeof(err)), -EINVAL);
	assert_int_equal(gh_param_encode("--n", "uint", "18446744073709551615", &big, 8, err,
					 sizeof(err)), 0);
	assert_true(big == UINT64_MAX);
}

static void test_string(void **state)
{
	char comm[16];
	char err[128];

	memset(comm, 'x', sizeof(comm));
	assert_int_equal(gh_param_encode("--comm", "string", "bash", comm, 16, err, sizeof(err)), 0);
	assert_string_equal(comm, "bash");
	assert_int_equal(comm[15], 0);
	assert_int_equal(gh_param_encode("--comm", "string", "0123456789abcdef", comm, 16, err,
					 sizeof(err)), -EINVAL);
	assert_string_equal(err, "--comm: \"0123456789abcdef\" is longer than 15 bytes");
	assert_int_equal(gh_param_encode("--p", "float", "1", comm, 16, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown param type \"float\""));
}

static void test_uint16_list(void **state)
{
	uint16_t ports[4];
	char err[128];
	const char *bad[] = {"0", "80,", ",80", "80,,443", "65536", "http", "80 443", "-1",
			     "1,2,3,4,5"};

	(void)state;
	memset(ports, 0xff, sizeof(ports));
	assert_int_equal(gh_param_encode("--ports", "uint16list", "80,443", ports, sizeof(ports),
					 err, sizeof(err)), 0);
	assert_int_equal(ports[0], 80);
	assert_int_equal(ports[1], 443);
	assert_int_equal(ports[2], 0);
	assert_int_equal(ports[3], 0);
	assert_int_equal(gh_param_encode("--ports", "uint16list", "1,2,3,65535", ports,
					 sizeof(ports), err, sizeof(err)), 0);
	assert_int_equal(ports[3], 65535);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(gh_param_encode("--ports", "uint16list", bad[i], ports,
						 sizeof(ports), err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "--ports: "));
	}
	assert_int_equal(gh_param_encode("--ports", "uint16list", "1,2,3,4,5", ports,
					 sizeof(ports), err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--ports: \"1,2,3,4,5\" has more than 4 entries");
}

static void test_duration(void **state)
{
	uint64_t ns = 0;
	uint32_t small = 0;
	char err[160];

	assert_int_equal(gh_param_encode("--min", "duration", "250", &ns, 8, err, sizeof(err)), 0);
	assert_true(ns == 250000000ULL); /* a plain number is milliseconds */
	assert_int_equal(gh_param_encode("--min", "duration", "1.5ms", &ns, 8, err, sizeof(err)), 0);
	assert_true(ns == 1500000ULL);
	assert_int_equal(gh_param_encode("--min", "duration", "20us", &ns, 8, err, sizeof(err)), 0);
	assert_true(ns == 20000ULL);
	assert_int_equal(gh_param_encode("--min", "duration", "2s", &ns, 8, err, sizeof(err)), 0);
	assert_true(ns == 2000000000ULL);
	assert_int_equal(gh_param_encode("--min", "duration", "7ns", &ns, 8, err, sizeof(err)), 0);
	assert_true(ns == 7);
	assert_int_equal(gh_param_encode("--min", "duration", "10q", &ns, 8, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "--min: \"10q\" is not a duration"));
	assert_int_equal(gh_param_encode("--min", "duration", "-1ms", &ns, 8, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(gh_param_encode("--min", "duration", "", &ns, 8, err, sizeof(err)), -EINVAL);
	assert_int_equal(gh_param_encode("--min", "duration", "1", &small, 4, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "--min: a duration needs a 64-bit global");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_ints),
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_uint16_list),
		cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
