/* test_metrics.c - Prometheus text (base/prom_text.h), metrics from events
 * (run/event_metrics.h) on hand-made events, and the daemon's merge of
 * its children's reports (daemon/prom_set.h): exact text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/prom_text.h"
#include "daemon/prom_set.h"
#include "run/event_metrics.h"
#include "rec_schema.h"

static void observe(struct gh_event_metrics *m, uint32_t pid, const char *comm)
{
	struct rec r = {.pid = pid};
	struct gh_event ev = {.data = (const uint8_t *)&r, .len = sizeof(r)};

	snprintf(r.comm, sizeof(r.comm), "%s", comm);
	gh_event_metrics_observe(m, &ev);
}

static void test_label_escaping(void **state)
{
	struct gh_buf b = GH_BUF_INIT;
	char name[32];

	assert_int_equal(gh_buf_putc(&b, '{'), 0);
	assert_int_equal(gh_prom_label(&b, "a", "x\"y\\z\nw", 7), 0);
	assert_int_equal(gh_prom_label(&b, "b", "\xff\0", 2), 0);
	assert_string_equal(b.p, "{a=\"x\\\"y\\\\z\\nw\",b=\"\xef\xbf\xbd\xef\xbf\xbd\"");
	gh_buf_reset(&b);
	assert_int_equal(gh_prom_value(&b, 3), 0);
	assert_int_equal(gh_buf_putc(&b, ' '), 0);
	assert_int_equal(gh_prom_value(&b, 0.5), 0);
	assert_string_equal(b.p, "3 0.5");
	gh_prom_label_name("runtime.containerName", name, sizeof(name));
	assert_string_equal(name, "runtime_containerName");
	assert_true(gh_prom_metric_name_ok("gadgethost_x"));
	assert_false(gh_prom_metric_name_ok("9x"));
	gh_buf_free(&b);
}

static void test_counter_gauge_histogram(void **state)
{
	const char *specs[] = {"n=counter by comm", "last=gauge(pid)", "h=histogram(pid) by comm"};
	struct gh_event_metrics *m;
	struct gh_schema s;
	struct gh_buf b = GH_BUF_INIT;
	char err[256];

	make_schema(&s);
	assert_int_equal(gh_event_metrics_new(&m, &s, specs, 3, NULL, 0, 0, err, sizeof(err)), 0);
	observe(m, 1, "sh");
	observe(m, 3, "sh");
	observe(m, 2, "ls");
	assert_int_equal(gh_event_metrics_render(m, &b), 0);
	assert_string_equal(b.p,
		"# TYPE gadgethost_event_n_total counter\n"
		"gadgethost_event_n_total{comm=\"ls\"} 1\n"
		"gadgethost_event_n_total{comm=\"sh\"} 2\n"
		"# TYPE gadgethost_event_last gauge\n"
		"gadgethost_event_last 2\n"
		"# TYPE gadgethost_event_h histogram\n"
		"gadgethost_event_h_bucket{comm=\"ls\",le=\"1\"} 0\n"
		"gadgethost_event_h_bucket{comm=\"ls\",le=\"2\"} 1\n"
		"gadgethost_event_h_bucket{comm=\"ls\",le=\"4\"} 1\n"
		"gadgethost_event_h_bucket{comm=\"ls\",le=\"+Inf\"} 1\n"
		"gadgethost_event_h_sum{comm=\"ls\"} 2\n"
		"gadgethost_event_h_count{comm=\"ls\"} 1\n"
		"gadgethost_event_h_bucket{comm=\"sh\",le=\"1\"} 1\n"
		"gadgethost_event_h_bucket{comm=\"sh\",le=\"2\"} 1\n"
		"gadgethost_event_h_bucket{comm=\"sh\",le=\"4\"} 2\n"
		"gadgethost_event_h_bucket{comm=\"sh\",le=\"+Inf\"} 2\n"
		"gadgethost_event_h_sum{comm=\"sh\"} 4\n"
		"gadgethost_event_h_count{comm=\"sh\"} 2\n"
		"# TYPE gadgethost_event_series_dropped_total counter\n"
		"gadgethost_event_series_dropped_total{metric=\"n\"} 0\n"
		"gadgethost_event_series_dropped_total{metric=\"last\"} 0\n"
		"gadgethost_event_series_dropped_total{metric=\"h\"} 0\n");
	gh_buf_free(&b);
	gh_event_metrics_free(m);
	gh_schema_free(&s);
}

static void test_cardinality_limit(void **state)
{
	const char *specs[] = {"n=counter by comm"};
	struct gh_event_metrics *m;
	struct gh_schema s;
	struct gh_buf b = GH_BUF_INIT;
	char err[256];

	make_schema(&s);
	assert_int_equal(gh_event_metrics_new(&m, &s, specs, 1, NULL, 0, 2, err, sizeof(err)), 0);
	observe(m, 1, "a");
	observe(m, 1, "b");
	observe(m, 1, "c");
	observe(m, 1, "d");
	observe(m, 1, "a");
	assert_int_equal(gh_event_metrics_render(m, &b), 0);
	assert_string_equal(b.p,
		"# TYPE gadgethost_event_n_total counter\n"
		"gadgethost_event_n_total{comm=\"b\"} 1\n"
		"gadgethost_event_n_total{comm=\"a\"} 2\n"
		"# TYPE gadgethost_event_series_dropped_total counter\n"
		"gadgethost_event_series_dropped_total{metric=\"n\"} 2\n");
	gh_buf_free(&b);
	gh_event_metrics_free(m);
	gh_schema_free(&s);
}

static void test_bad_specs(void **state)
{
	static const struct {
		const char *spec, *err;
	} cases[] = {
		{"n=counter by nosuch", "--metric \"n=counter by nosuch\": the gadget has no field "
		 "\"nosuch\" (gadgethost info GADGET lists them)"},
		{"h=histogram(comm)", "--metric \"h=histogram(comm)\": a histogram needs a number, "
		 "and \"comm\" is a string field"},
		{"g=gauge", "--metric \"g=gauge\": gauge(FIELD) expected"},
		{"x=sum(pid)", "--metric \"x=sum(pid)\": the kind is counter, gauge or histogram"},
		{"a-b=counter", "--metric \"a-b=counter\": the name \"a-b\" is not letters, digits "
		 "and '_' (not starting with a digit)"},
		{"n=counter with comm", "--metric \"n=counter with comm\": \"by FIELD,...\" or "
		 "nothing expected after the kind, not \"with comm\""},
	};
	struct gh_event_metrics *m;
	struct gh_schema s;
	char err[256];

	make_schema(&s);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(gh_event_metrics_new(&m, &s, &cases[i].spec, 1, NULL, 0, 0, err,
						      sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].err);
	}
	{
		const char *two[] = {"n=counter", "n=counter by comm"};

		assert_int_equal(gh_event_metrics_new(&m, &s, two, 2, NULL, 0, 0, err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, "--metric \"n=counter by comm\": a second metric named n");
		assert_int_equal(gh_event_metrics_new(&m, &s, two + 1, 1, "/g/x.lua", 0, 0, err,
						      sizeof(err)), 0);
		gh_event_metrics_free(m);
		two[0] = "n=gauge(comm)";
		assert_int_equal(gh_event_metrics_new(&m, &s, two, 1, "/g/x.lua", 1, 0, err,
						      sizeof(err)), -EINVAL);
		assert_string_equal(err, "/g/x.lua: metrics: \"n=gauge(comm)\": a gauge needs a "
			     "number, and \"comm\" is a string field");
	}
	gh_schema_free(&s);
}

static void test_merge(void **state)
{
	static const char a[] = "# HELP x_total Xs.\n# TYPE x_total counter\nx_total 3\n"
				"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\n"
				"h_sum 1\nh_count 1\n";
	/* another child's h is a gauge: left out, the rest kept */
	static const char b[] = "# TYPE x_total counter\nx_total{k=\"v\"} 4\n"
				"# TYPE h gauge\nh 7\n";
	struct gh_prom_set *p;
	struct gh_buf out = GH_BUF_INIT;

	assert_int_equal(gh_prom_set_new(&p), 0);
	assert_int_equal(gh_prom_set_merge(p, a, strlen(a), "i=\"a\""), 0);
	assert_int_equal(gh_prom_set_merge(p, b, strlen(b), "i=\"b\""), 0);
	assert_int_equal(gh_prom_set_add(p, "up", "gauge", "Up.", "", "", 1), 0);
	assert_int_equal(gh_prom_set_render(p, &out), 0);
	assert_string_equal(out.p,
		"# TYPE h histogram\n"
		"h_bucket{i=\"a\",le=\"1\"} 1\n"
		"h_bucket{i=\"a\",le=\"+Inf\"} 1\n"
		"h_sum{i=\"a\"} 1\n"
		"h_count{i=\"a\"} 1\n"
		"# HELP up Up.\n# TYPE up gauge\nup 1\n"
		"# HELP x_total Xs.\n# TYPE x_total counter\n"
		"x_total{i=\"a\"} 3\n"
		"x_total{i=\"b\",k=\"v\"} 4\n");
	gh_buf_free(&out);
	gh_prom_set_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_counter_gauge_histogram),
		cmocka_unit_test(test_cardinality_limit),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
