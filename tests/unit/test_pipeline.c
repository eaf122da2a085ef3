/* test_pipeline.c - the one path of every kind's events (run/pipeline.h),
 * on hand-made events and a schema built by hand: the judge, -F before
 * and after the script, the script's filter and enrich, the sink, the
 * counters. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lua.h>

#include "run/pipeline.h"
#include "schema/filter.h"
#include "script/gadget_spec.h"
#include "script/lua_script.h"
#include "rec_schema.h"

/* The script: counts its filter's calls in calls, drops pid 3, raises for
 * pid 4, and sets kind = "odd" / "even"; pid 9 gets no kind. */
static const char script[] =
	"calls = 0\n"
	"return {\n"
	"  object = 'none.bpf.o',\n"
	"  fields = { kind = { type = 'string' } },\n"
	"  filter = function(ev)\n"
	"    calls = calls + 1\n"
	"    if ev.pid == 4 then error('four') end\n"
	"    return ev.pid ~= 3\n"
	"  end,\n"
	"  enrich = function(ev)\n"
	"    if ev.pid ~= 9 then ev.kind = ev.pid % 2 == 1 and 'odd' or 'even' end\n"
	"  end,\n"
	"}\n";

struct fixture {
	char path[64];
	struct gh_schema s;
	struct gh_lua *lua;
	struct gh_filter *filter;
	struct gh_pipeline p;
	/* what the sink saw: pid and kind of each kept event */
	char seen[256];
	int sink_ret;
	/* the judge: refuses pid 5; the seq it was last asked with */
	uint64_t judged_seq;
};

static int sink(void *ctx, struct gh_event *ev)
{
	struct fixture *fx = ctx;
	struct gh_value v;
	int kind = gh_schema_find(&fx->s, "kind");
	size_t at = strlen(fx->seen);

	assert_int_equal(gh_field_value(&fx->s, 0, ev, &v), 0);
	snprintf(fx->seen + at, sizeof(fx->seen) - at, "%llu", (unsigned long long)v.u);
	at = strlen(fx->seen);
	/* the overlay of enrich is there while the sink runs */
	assert_int_equal(gh_field_value(&fx->s, kind, ev, &v), 0);
	snprintf(fx->seen + at, sizeof(fx->seen) - at, "%.*s ",
		 v.type == GH_V_STR ? (int)v.s.len : 1, v.type == GH_V_STR ? v.s.p : "-");
	return fx->sink_ret;
}

static bool judge(void *ctx, const struct gh_event *ev, uint64_t seq)
{
	struct fixture *fx = ctx;

	fx->judged_seq = seq;
	return ((const struct rec *)ev->data)->pid != 5;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct gh_gadget_spec spec = {0};
	char err[256];
	FILE *f;
	int fd;

	assert_non_null(fx);
	snprintf(fx->path, sizeof(fx->path), "/tmp/gh-pipeline-XXXXXX");
	fd = mkstemp(fx->path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(script, f);
	fclose(f);
	make_schema(&fx->s);
	assert_int_equal(gh_lua_open(&fx->lua, fx->path, err, sizeof(err)), 0);
	assert_int_equal(gh_lua_read_spec(fx->lua, &spec, err, sizeof(err)), 0);
	gh_gadget_spec_free(&spec);
	assert_int_equal(gh_lua_apply_fields(fx->lua, &fx->s, err, sizeof(err)), 0);
	fx->filter = gh_filter_new();
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	gh_lua_close(fx->lua);
	gh_filter_free(fx->filter);
	gh_schema_free(&fx->s);
	unlink(fx->path);
	free(fx);
	return 0;
}

static void feed(struct fixture *fx, uint32_t pid, const char *comm)
{
	struct rec r = {.pid = pid};
	struct gh_event ev = {.data = (const uint8_t *)&r, .len = sizeof(r)};

	snprintf(r.comm, sizeof(r.comm), "%s", comm);
	assert_int_equal(gh_pipeline_event(&fx->p, &ev), 0);
}

static int lua_calls(struct fixture *fx)
{
	lua_State *L = gh_lua_state(fx->lua);
	int n;

	lua_getglobal(L, "calls");
	n = (int)lua_tointeger(L, -1);
	lua_pop(L, 1);
	return n;
}

static void start(struct fixture *fx, const char *spec)
{
	char err[256];

	if (spec)
		assert_int_equal(gh_filter_add(fx->filter, &fx->s, spec, err, sizeof(err)), 0);
	gh_pipeline_init(&fx->p, &fx->s, fx->filter, fx->lua, false);
	gh_pipeline_set_accept(&fx->p, judge, fx);
	gh_pipeline_set_sink(&fx->p, sink, fx);
}

/* No -F: the judge, then the script's filter (drops 3, raises for 4) and
 * enrich, then the sink with the enriched field. */
static void test_order_and_counts(void **state)
{
	struct fixture *fx = *state;

	start(fx, NULL);
	fx->p.seq = 7;
	for (uint32_t pid = 1; pid <= 9; pid++)
		feed(fx, pid, "cat");
	assert_string_equal(fx->seen, "1odd 2even 6even 7odd 8even 9- ");
	assert_int_equal(fx->judged_seq, 7);
	assert_int_equal(fx->p.n.refused, 1);   /* 5 */
	assert_int_equal(fx->p.n.received, 8);
	assert_int_equal(fx->p.n.dropped, 2);   /* 3 by the filter, 4 by its error */
	assert_int_equal(fx->p.n.kept, 6);
	assert_int_equal(lua_calls(fx), 8);
	assert_int_equal(gh_lua_errors(fx->lua), 1);
}

/* -F split per condition: comm==cat is judged before the script (the
 * script never sees "ls"), kind==odd after enrich. */
static void test_filter_split(void **state)
{
	struct fixture *fx = *state;

	start(fx, "comm==cat,kind==odd");
	feed(fx, 1, "cat");
	feed(fx, 2, "cat");
	feed(fx, 7, "ls");
	feed(fx, 9, "cat");
	feed(fx, 11, "cat");
	assert_string_equal(fx->seen, "1odd 11odd ");
	assert_int_equal(lua_calls(fx), 4);     /* not for "ls" */
	assert_int_equal(fx->p.n.received, 5);
	assert_int_equal(fx->p.n.dropped, 3);   /* 2 and 9 after enrich, 7 before */
	assert_int_equal(fx->p.n.kept, 2);
	assert_true(fx->p.before);
	assert_true(fx->p.after);
}

/* 1 from the sink: not kept, the drain goes on; -errno: returned. */
static void test_sink_verdicts(void **state)
{
	struct fixture *fx = *state;
	struct rec r = {.pid = 2};
	struct gh_event ev = {.data = (const uint8_t *)&r, .len = sizeof(r)};

	start(fx, NULL);
	fx->sink_ret = 1;
	feed(fx, 1, "cat");
	assert_int_equal(fx->p.n.kept, 0);
	fx->sink_ret = -EPIPE;
	assert_int_equal(gh_pipeline_event(&fx->p, &ev), -EPIPE);
	assert_int_equal(fx->p.n.kept, 0);
	/* the judge alone, then the rest (a stack sampler's order) */
	r.pid = 5;
	assert_false(gh_pipeline_accept(&fx->p, &ev));
	assert_int_equal(fx->p.n.refused, 1);
	fx->sink_ret = 0;
	r.pid = 8;
	assert_true(gh_pipeline_accept(&fx->p, &ev));
	assert_int_equal(gh_pipeline_accepted(&fx->p, &ev), 0);
	assert_int_equal(fx->p.n.kept, 1);
}

/* Without a script or a sink: -F alone, counted. */
static void test_no_script(void **state)
{
	struct fixture *fx = *state;
	char err[256];

	assert_int_equal(gh_filter_add(fx->filter, &fx->s, "pid>=5", err, sizeof(err)), 0);
	gh_pipeline_init(&fx->p, &fx->s, fx->filter, NULL, false);
	for (uint32_t pid = 1; pid <= 9; pid++)
		feed(fx, pid, "cat");
	assert_int_equal(fx->p.n.received, 9);
	assert_int_equal(fx->p.n.kept, 5);
	assert_int_equal(fx->p.n.dropped, 4);
	assert_string_equal(fx->seen, "");
	assert_int_equal(lua_calls(fx), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sink_verdicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_script, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
