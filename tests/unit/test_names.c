/* test_names.c - errno, signal and syscall names (base/names.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/names.h"

/* real-time signals as bash's kill -l names them, both ways */
static void test_realtime_signals(void **state)
{
	static const struct {
		int sig;
		const char *name;
	} rt[] = {{34, "SIGRTMIN"}, {37, "SIGRTMIN+3"}, {49, "SIGRTMIN+15"},
		  {50, "SIGRTMAX-14"}, {63, "SIGRTMAX-1"}, {64, "SIGRTMAX"}};

	for (size_t i = 0; i < sizeof(rt) / sizeof(rt[0]); i++) {
		assert_string_equal(gh_signal_name(rt[i].sig), rt[i].name);
		assert_int_equal(gh_signal_from_name(rt[i].name), rt[i].sig);
		assert_int_equal(gh_signal_from_name(rt[i].name + 3), rt[i].sig); /* RTMIN+3 */
	}
	assert_int_equal(gh_signal_from_name("RTMIN+30"), 64); /* bash takes it too */
	assert_int_equal(gh_signal_from_name("SIGRTMIN+31"), -1);
	assert_int_equal(gh_signal_from_name("SIGRTMAX+1"), -1);
	assert_int_equal(gh_signal_from_name("SIGRTMIN+"), -1);
	assert_int_equal(gh_signal_from_name("SIGRTMIN3"), -1);
	assert_int_equal(gh_signal_from_name("SIGRT0"), -1);
}

static void test_signals(void **state)
{
	assert_string_equal(gh_signal_name(9), "SIGKILL");
	assert_int_equal(gh_signal_from_name("SIGKILL"), 9);
	assert_int_equal(gh_signal_from_name("KILL"), 9);
	assert_int_equal(gh_signal_from_name("SIGFOO"), -1);
	assert_null(gh_signal_name(0));
	assert_null(gh_signal_name(65));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_realtime_signals),
		cmocka_unit_test(test_signals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
