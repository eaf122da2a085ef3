/* test_out.c - columns, JSON, pretty JSON and YAML output, byte for byte. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "schema/field.h"
#include "output/out.h"

/* The test event: what an eBPF program would write. */
struct rec {
	uint32_t pid;
	int32_t ret;
	char comm[16];
	uint64_t big;
	int16_t neg;
	uint8_t ok;
	uint8_t pad;
	double d;
	int16_t arr[3];
	char cname[16];
	uint32_t flags;
	char cid[16];
	char args[32];
};

enum {
	FLD_PID, FLD_RET, FLD_COMM, FLD_BIG, FLD_NEG, FLD_OK, FLD_D, FLD_ARR, FLD_CNAME, FLD_FLAGS, FLD_CID, FLD_ARGS,
	FLD_FLAGS_STR, FLD_NOTHING, N_FIELDS
};

static struct gh_map_entry flag_entries[] = {
	{0x1, (char *)"O_WRONLY"},
	{0x40, (char *)"O_CREAT"},
};

static struct gh_value_map flag_map = {
	.is_flags = true,
	.entries = flag_entries,
	.n_entries = 2,
};

#define FIELD(n, k, m, ...)                                                          \
	{.name = (char *)(n), .kind = (k), .offset = offsetof(struct rec, m),        \
	 .size = sizeof(((struct rec *)0)->m), .map_source = -1, .lua_format_ref = -1, \
	 __VA_ARGS__}

static const struct gh_field field_tmpl[N_FIELDS] = {
	[FLD_PID] = FIELD("pid", GH_KIND_UINT, pid, .align = GH_ALIGN_RIGHT),
	[FLD_RET] = FIELD("ret", GH_KIND_INT, ret, .special = GH_SPECIAL_ERRNO),
	[FLD_COMM] = FIELD("comm", GH_KIND_STRING, comm),
	[FLD_BIG] = FIELD("big", GH_KIND_UINT, big),
	[FLD_NEG] = FIELD("neg", GH_KIND_INT, neg),
	[FLD_OK] = FIELD("ok", GH_KIND_BOOL, ok),
	[FLD_D] = FIELD("d", GH_KIND_FLOAT, d),
	[FLD_ARR] = FIELD("arr", GH_KIND_ARRAY, arr, .elem_size = 2, .count = 3, .elem_signed = true),
	[FLD_CNAME] = FIELD("runtime.containerName", GH_KIND_STRING, cname),
	[FLD_FLAGS] = FIELD("flags", GH_KIND_UINT, flags),
	[FLD_CID] = FIELD("runtime.containerId", GH_KIND_STRING, cid),
	[FLD_ARGS] = FIELD("args", GH_KIND_STRLIST, args),
	[FLD_FLAGS_STR] = {.name = (char *)"flags_str", .kind = GH_KIND_VIRTUAL,
			 .map_source = FLD_FLAGS, .map = &flag_map, .lua_format_ref = -1},
	[FLD_NOTHING] = {.name = (char *)"nothing", .kind = GH_KIND_VIRTUAL, .map_source = -1,
		       .lua_format_ref = -1},
};

struct fixture {
	struct gh_field fields[N_FIELDS];
	struct gh_schema schema;
	struct rec rec;
	struct gh_event ev;
};

static void fixture_init(struct fixture *fx)
{
	static const char args[] = "ls\0-l\0\0/tmp";

	memset(fx, 0, sizeof(*fx));
	memcpy(fx->fields, field_tmpl, sizeof(field_tmpl));
	fx->schema.struct_name = (char *)"rec";
	fx->schema.struct_size = sizeof(struct rec);
	fx->schema.fields = fx->fields;
	fx->schema.n_fields = N_FIELDS;

	fx->rec.pid = 1234;
	fx->rec.ret = -2; /* an errno stored negative: printed as 2, ENOENT */
	strcpy(fx->rec.comm, "bash");
	fx->rec.big = UINT64_MAX;
	fx->rec.neg = -5;
	fx->rec.ok = 1;
	fx->rec.d = 1.5;
	fx->rec.arr[0] = -1;
	fx->rec.arr[1] = 2;
	fx->rec.arr[2] = 300;
	strcpy(fx->rec.cname, "web");
	fx->rec.flags = 0x41;
	strcpy(fx->rec.cid, "abc123");
	memcpy(fx->rec.args, args, sizeof(args));

	fx->ev.data = (const uint8_t *)&fx->rec;
	fx->ev.len = sizeof(fx->rec);
}

/* Read all of fd from offset 0 into a NUL terminated string. */
static char *slurp(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *p = malloc(cap);
	ssize_t r;

	assert_non_null(p);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	while ((r = read(fd, p + n, cap - n - 1)) > 0) {
		n += (size_t)r;
		if (cap - n - 1 == 0) {
			cap *= 2;
			p = realloc(p, cap);
			assert_non_null(p);
		}
	}
	assert_true(r == 0);
	p[n] = '\0';
	if (len)
		*len = n;
	return p;
}

struct render {
	enum gh_out_format fmt;
	const int *fields;
	size_t n_fields;
	bool header;
	gh_text_hook_fn hook;
	void *hook_ctx;
};

/* Everything an output writes for these events, through gh_out_flush to a
 * temporary file; the caller frees it. */
static char *render_events(struct fixture *fx, const struct render *r,
			   const struct gh_event *evs, size_t n_evs)
{
	FILE *tmp = tmpfile();
	struct gh_out *out;
	char *text;

	assert_non_null(tmp);
	assert_int_equal(gh_out_new(&out, r->fmt, &fx->schema, r->fields, r->n_fields,
				    fileno(tmp)), 0);
	if (r->hook)
		gh_out_set_text_hook(out, r->hook, r->hook_ctx);
	if (r->header)
		assert_int_equal(gh_out_header(out), 0);
	for (size_t i = 0; i < n_evs; i++)
		assert_int_equal(gh_out_event(out, &evs[i]), 0);
	assert_int_equal(gh_out_flush(out), 0);
	assert_int_equal(gh_out_pending(out), 0);
	gh_out_free(out);
	text = slurp(fileno(tmp), NULL);
	fclose(tmp);
	return text;
}

static char *render(struct fixture *fx, enum gh_out_format fmt, const int *fields,
		    size_t n_fields, bool header)
{
	struct render r = {.fmt = fmt, .fields = fields, .n_fields = n_fields, .header = header};

	return render_events(fx, &r, &fx->ev, 1);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void assert_render(struct fixture *fx, enum gh_out_format fmt, const int *fields,
			  size_t n_fields, bool header, const char *expect)
{
	char *got = render(fx, fmt, fields, n_fields, header);

	assert_string_equal(got, expect);
	free(got);
}

static void assert_col(const char *text, size_t len, unsigned width, int right,
		       const char *expect)
{
	struct gh_buf b = GH_BUF_INIT;

	assert_int_equal(gh_col_put(&b, text, len, width, right), 0);
	assert_non_null(b.p);
	assert_int_equal(b.len, strlen(expect));
	assert_memory_equal(b.p, expect, b.len);
	gh_buf_free(&b);
}

#define COL(s, w, r, e) assert_col(s, sizeof(s) - 1, w, r, e)

static void assert_json_string(const char *s, size_t len, const char *expect)
{
	struct gh_buf b = GH_BUF_INIT;

	assert_int_equal(gh_json_put_string(&b, s, len), 0);
	assert_int_equal(b.len, strlen(expect));
	assert_memory_equal(b.p, expect, b.len);
	gh_buf_free(&b);
}

#define JSTR(s, e) assert_json_string(s, sizeof(s) - 1, e)

/* ---- formats ---------------------------------------------------------- */

static void test_format_parse(void **state)
{
	enum gh_out_format fmt = GH_OUT_COLUMNS;

	assert_int_equal(gh_out_format_parse("json", &fmt), 0);
	assert_int_equal(fmt, GH_OUT_JSON);
	assert_int_equal(gh_out_format_parse("jsonpretty", &fmt), 0);
	assert_int_equal(fmt, GH_OUT_JSONPRETTY);
	assert_int_equal(gh_out_format_parse("yaml", &fmt), 0);
	assert_int_equal(fmt, GH_OUT_YAML);
	assert_int_equal(gh_out_format_parse("columns", &fmt), 0);
	assert_int_equal(fmt, GH_OUT_COLUMNS);
	assert_int_equal(gh_out_format_parse("xml", &fmt), -EINVAL);
	assert_int_equal(gh_out_format_parse("", &fmt), -EINVAL);
	assert_int_equal(fmt, GH_OUT_COLUMNS);
}

static void test_new_rejects_bad_fields(void **state)
{
	struct fixture fx;
	struct gh_out *out = (struct gh_out *)&fx;
	int bad[] = {FLD_PID, N_FIELDS};
	int neg[] = {-1};

	fixture_init(&fx);
	assert_int_equal(gh_out_new(&out, GH_OUT_JSON, &fx.schema, bad, 2, -1), -EINVAL);
	assert_null(out);
	assert_int_equal(gh_out_new(&out, GH_OUT_COLUMNS, &fx.schema, neg, 1, -1), -EINVAL);
	assert_int_equal(gh_out_new(&out, (enum gh_out_format)42, &fx.schema, NULL, 0, -1),
			 -EINVAL);
	gh_out_free(NULL);
}

/* ---- columns ---------------------------------------------------------- */

static void test_columns_header_and_rows(void **state)
{
	struct fixture fx;
	int fields[] = {FLD_PID, FLD_COMM, FLD_RET, FLD_CNAME, FLD_ARGS};

	fixture_init(&fx);
	/* pid: u32, 10 wide, right; comm: char[16]; ret: errno, 8 wide, shown
	 * by name; runtime.containerName: 21 wide (its name is longer than
	 * 16); args: last, unbounded */
	assert_render(&fx, GH_OUT_COLUMNS, fields, N(fields), true,
		      "       PID COMM             RET      RUNTIME.CONTAINERNAME ARGS\n"
		      "      1234 bash             ENOENT   web                   ls -l \"\" /tmp\n");
}

static void test_columns_no_trailing_spaces(void **state)
{
	struct fixture fx;
	int fields[] = {FLD_COMM, FLD_ARGS};
	int fields2[] = {FLD_ARGS, FLD_COMM};

	fixture_init(&fx);
	memset(fx.rec.args, 0, sizeof(fx.rec.args));
	/* empty last column: the line ends after comm, no padding */
	assert_render(&fx, GH_OUT_COLUMNS, fields, N(fields), true,
		      "COMM             ARGS\n"
		      "bash\n");
	/* a short last column is not padded */
	assert_render(&fx, GH_OUT_COLUMNS, fields2, N(fields2), true,
		      "ARGS                             COMM\n"
		      "                                 bash\n");
}

static void test_columns_truncation(void **state)
{
	struct fixture fx;
	int fields[] = {FLD_COMM, FLD_PID, FLD_ARGS};
	char *got;

	fixture_init(&fx);
	fx.fields[FLD_COMM].width = 6;
	fx.fields[FLD_PID].width = 3;
	fx.fields[FLD_ARGS].width = 4; /* ignored: the last column is never cut */
	strcpy(fx.rec.comm, "abcdefghij");
	fx.rec.pid = 123456;
	strcpy(fx.rec.args, "a-long-argument");
	strcpy(fx.rec.args + 16, "second");
	got = render(&fx, GH_OUT_COLUMNS, fields, N(fields), true);
	assert_string_equal(got,
			    "COMM   PID ARGS\n"
			    "abcde… 12… a-long-argument second\n");
	free(got);
}

static void test_columns_truncation_right_aligned(void **state)
{
	struct fixture fx;
	int fields[] = {FLD_PID, FLD_COMM};

	fixture_init(&fx);
	fx.fields[FLD_PID].width = 4;
	fx.rec.pid = 123456;
	assert_render(&fx, GH_OUT_COLUMNS, fields, N(fields), true,
		      " PID COMM\n"
		      "123… bash\n");
}

static void test_col_put(void **state)
{
	/* padding and alignment */
	COL("ab", 5, 0, "ab   ");
	COL("ab", 5, 1, "   ab");
	COL("abcde", 5, 0, "abcde");
	COL("", 3, 0, "   ");
	/* cut: width-1 characters and the ellipsis */
	COL("abcdef", 5, 0, "abcd…");
	COL("abcdef", 5, 1, "abcd…");
	COL("abcdef", 1, 0, "…");
	/* width 0: no limit, no padding */
	COL("abcdef", 0, 0, "abcdef");
	COL("abcdef", 0, 1, "abcdef");
	/* UTF-8: characters, not bytes */
	COL("héllo", 5, 0, "héllo");
	COL("héllo", 7, 1, "  héllo");
	COL("héllo wörld", 8, 0, "héllo w…");
	/* terminal cells: a wide character takes 2, a combining mark 0 */
	COL("日本語テキスト", 4, 0, "日… ");
	COL("日本語テキスト", 7, 0, "日本語…");
	COL("日本語", 6, 0, "日本語");
	COL("日本語", 8, 1, "  日本語");
	COL("aé€😀b", 4, 0, "aé€…");
	COL("aé€😀b", 6, 0, "aé€😀b");
	COL("e\xcc\x81" "e\xcc\x81", 4, 0, "e\xcc\x81" "e\xcc\x81  ");
	/* control characters escaped: one row is one line */
	COL("a\nb\tc\rd", 0, 0, "a\\nb\\tc\\rd");
	COL("x\x01y\x7fz\x1b", 0, 0, "x\\x01y\\x7fz\\x1b");
	COL("a\nb", 6, 0, "a\\nb  ");
	/* an escape is never cut in half: padded instead */
	COL("ab\x01" "cd", 4, 0, "ab… ");
	COL("ab\x01" "cd", 8, 0, "ab\\x01cd");
	COL("ab\x01" "cde", 8, 0, "ab\\x01c…");
	/* invalid UTF-8 and C1 controls escaped too */
	COL("a\xff" "b", 0, 0, "a\\xffb");
	COL("a\xe2\x82", 0, 0, "a\\xe2\\x82");
	COL("\xc2\x9b" "2J", 0, 0, "\\u009b2J");
}

static void test_columns_control_chars_in_event(void **state)
{
	struct fixture fx;
	int fields[] = {FLD_COMM, FLD_ARGS};

	fixture_init(&fx);
	strcpy(fx.rec.comm, "a\nb\x01");
	memset(fx.rec.args, 0, sizeof(fx.rec.args));
	memcpy(fx.rec.args, "echo\0line1\nline2", 16);
	assert_render(&fx, GH_OUT_COLUMNS, fields, N(fields), false,
		      "a\\nb\\x01         echo line1\\nline2\n");
}

static int hook(void *ctx, int idx, const struct gh_event *ev, struct gh_buf *b)
{
	int *calls = ctx;

	(*calls)++;
	if (idx == FLD_COMM)
		return gh_buf_puts(b, "<comm>") ? -ENOMEM : 1;
	/* appended then declined: the default text must not see it */
	gh_buf_puts(b, "junk");
	return 0;
}

static void test_columns_text_hook(void **state)
{
	struct fixture fx;
	int fields[] = {FLD_PID, FLD_COMM, FLD_CNAME};
	int calls = 0;
	struct render r = {.fmt = GH_OUT_COLUMNS, .fields = fields, .n_fields = N(fields),
			   .hook = hook, .hook_ctx = &calls};
	char *got;

	fixture_init(&fx);
	got = render_events(&fx, &r, &fx.ev, 1);
	assert_string_equal(got, "      1234 <comm>           web\n");
	assert_int_equal(calls, 3);
	free(got);
}

/* ---- JSON ------------------------------------------------------------- */

static const int all_fields[] = {FLD_PID, FLD_RET, FLD_COMM, FLD_BIG, FLD_NEG, FLD_OK, FLD_D,
				 FLD_ARR, FLD_CNAME, FLD_FLAGS, FLD_CID, FLD_ARGS, FLD_FLAGS_STR, FLD_NOTHING};

/* Flags text: each value's own text even when values alternate (the host
 * keeps the last one), long lists whole (they were cut at 63 bytes, and a
 * full capability set takes 640), an unnamed rest as hex, and a cut marked
 * with "..." only past 1023 bytes. */
#define LONG_FLAG_NAME_55 "A_VERY_LONG_FLAG_NAME_THAT_GOES_ON_AND_ON_AND_ON_AND_ON"
#define LONG_FLAG_NAME LONG_FLAG_NAME_55 LONG_FLAG_NAME_55 LONG_FLAG_NAME_55 LONG_FLAG_NAME_55
static void test_flags_text(void **state)
{
	static struct gh_map_entry long_entries[] = {
		{1u << 0, (char *)"FLAG_NUMBER_ZERO"}, {1u << 1, (char *)"FLAG_NUMBER_ONE"},
		{1u << 2, (char *)"FLAG_NUMBER_TWO"}, {1u << 3, (char *)"FLAG_NUMBER_THREE"},
		{1u << 4, (char *)"FLAG_NUMBER_FOUR"}, {1u << 5, (char *)"FLAG_NUMBER_FIVE"},
	};
	struct gh_value_map m = {.is_flags = true, .entries = long_entries, .n_entries = 6};
	struct fixture fx;
	struct gh_value v;
	char many[2048] = "";
	char all[512];
	size_t n = 0;

	(void)state;
	fixture_init(&fx);
	fx.fields[FLD_FLAGS_STR].map = &m;

	fx.rec.flags = 0x3f;
	assert_int_equal(gh_field_value(&fx.schema, FLD_FLAGS_STR, &fx.ev, &v), 0);
	assert_int_equal(v.type, GH_V_STR);
	snprintf(all, sizeof(all), "%.*s", (int)v.s.len, v.s.p);
	assert_string_equal(all, "FLAG_NUMBER_ZERO|FLAG_NUMBER_ONE|FLAG_NUMBER_TWO|"
				 "FLAG_NUMBER_THREE|FLAG_NUMBER_FOUR|FLAG_NUMBER_FIVE");

	fx.rec.flags = 0x102; /* a named bit and an unnamed one */
	assert_int_equal(gh_field_value(&fx.schema, FLD_FLAGS_STR, &fx.ev, &v), 0);
	assert_int_equal(v.s.len, strlen("FLAG_NUMBER_ONE|0x100"));
	assert_memory_equal(v.s.p, "FLAG_NUMBER_ONE|0x100", v.s.len);

	fx.rec.flags = 0x3f; /* back to the first value: not the memo of 0x102 */
	assert_int_equal(gh_field_value(&fx.schema, FLD_FLAGS_STR, &fx.ev, &v), 0);
	assert_int_equal(v.s.len, strlen(all));

	/* past the memo (1023 bytes): cut, and the cut marked */
	for (int i = 0; i < 6; i++)
		long_entries[i].name = (char *)LONG_FLAG_NAME; /* 6 x 220 */
	m.memo_ok = false;
	assert_int_equal(gh_field_value(&fx.schema, FLD_FLAGS_STR, &fx.ev, &v), 0);
	assert_true(v.s.len <= sizeof(m.memo) - 1 && v.s.len > 900);
	assert_memory_equal(v.s.p + v.s.len - 3, "...", 3);
	for (int i = 0; i < 6; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%s%s", i ? "|" : "",
				      long_entries[i].name);
	assert_memory_equal(v.s.p, many, v.s.len - 3);
}

static void test_json_all_types(void **state)
{
	struct fixture fx;

	fixture_init(&fx);
	assert_render(&fx, GH_OUT_JSON, all_fields, N(all_fields), true,
		      "{\"pid\":1234,\"ret\":2,\"comm\":\"bash\",\"big\":18446744073709551615,"
		      "\"neg\":-5,\"ok\":true,\"d\":1.5,\"arr\":[-1,2,300],"
		      "\"runtime\":{\"containerName\":\"web\",\"containerId\":\"abc123\"},"
		      "\"flags\":65,\"args\":[\"ls\",\"-l\",\"\",\"/tmp\"],"
		      "\"flags_str\":\"O_WRONLY|O_CREAT\",\"nothing\":null}\n");
}

static void test_json_numbers(void **state)
{
	struct fixture fx;
	int fields[] = {FLD_D, FLD_NEG, FLD_OK};
	struct gh_event evs[5];
	struct rec recs[5];
	double ds[] = {0.1, INFINITY, NAN, -3.0, 1e300};
	struct render r = {.fmt = GH_OUT_JSON, .fields = fields, .n_fields = N(fields)};
	char *got;

	fixture_init(&fx);
	for (int i = 0; i < 5; i++) {
		recs[i] = fx.rec;
		recs[i].d = ds[i];
		recs[i].neg = i == 4 ? INT16_MIN : 0;
		recs[i].ok = 0;
		evs[i] = fx.ev;
		evs[i].data = (const uint8_t *)&recs[i];
	}
	got = render_events(&fx, &r, evs, 5);
	assert_string_equal(got,
			    "{\"d\":0.1,\"neg\":0,\"ok\":false}\n"
			    "{\"d\":null,\"neg\":0,\"ok\":false}\n"
			    "{\"d\":null,\"neg\":0,\"ok\":false}\n"
			    "{\"d\":-3,\"neg\":0,\"ok\":false}\n"
			    "{\"d\":1e+300,\"neg\":-32768,\"ok\":false}\n");
	free(got);
}

static void test_json_nesting(void **state)
{
	struct fixture fx;
	/* the runtime group sits where its first field is, and takes the
	 * other one from further down */
	int fields[] = {FLD_CID, FLD_PID, FLD_CNAME};
	int deep[] = {FLD_PID, FLD_CNAME, FLD_COMM, FLD_CID};

	fixture_init(&fx);
	assert_render(&fx, GH_OUT_JSON, fields, N(fields), false,
		      "{\"runtime\":{\"containerId\":\"abc123\",\"containerName\":\"web\"},"
		      "\"pid\":1234}\n");

	fx.fields[FLD_CNAME].name = (char *)"k8s.pod.name";
	fx.fields[FLD_CID].name = (char *)"k8s.namespace";
	fx.fields[FLD_COMM].name = (char *)"k8s.pod.uid";
	assert_render(&fx, GH_OUT_JSON, deep, N(deep), false,
		      "{\"pid\":1234,\"k8s\":{\"pod\":{\"name\":\"web\",\"uid\":\"bash\"},"
		      "\"namespace\":\"abc123\"}}\n");
	/* no fields at all */
	assert_render(&fx, GH_OUT_JSON, NULL, 0, false, "{}\n");
	assert_render(&fx, GH_OUT_JSONPRETTY, NULL, 0, false, "{}\n");
}

static void test_json_escaping(void **state)
{
	JSTR("plain", "\"plain\"");
	JSTR("", "\"\"");
	JSTR("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
	JSTR("\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\"");
	JSTR("\x01\x1f\x7f\x1b", "\"\\u0001\\u001f\\u007f\\u001b\"");
	JSTR("a\0b", "\"a\\u0000b\"");
	/* valid multibyte UTF-8 passes through */
	JSTR("é€😀", "\"é€😀\"");
	JSTR("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF */
	JSTR("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");         /* U+D7FF */
	/* invalid: each bad byte 0xXX becomes \udcXX (surrogateescape) */
	JSTR("\xff", "\"\\udcff\"");
	JSTR("a\x80z", "\"a\\udc80z\"");                        /* lone continuation */
	JSTR("\xe2\x82", "\"\\udce2\\udc82\"");                 /* truncated at end */
	JSTR("\xe2\x82" "A", "\"\\udce2\\udc82A\"");            /* truncated */
	JSTR("\xc0\xaf", "\"\\udcc0\\udcaf\"");                 /* overlong '/' */
	JSTR("\xc1\xbf", "\"\\udcc1\\udcbf\"");                 /* overlong */
	JSTR("\xe0\x80\xaf", "\"\\udce0\\udc80\\udcaf\"");      /* overlong, 3 bytes */
	JSTR("\xf0\x80\x80\xaf", "\"\\udcf0\\udc80\\udc80\\udcaf\""); /* overlong, 4 */
	JSTR("\xed\xa0\x80", "\"\\udced\\udca0\\udc80\"");      /* surrogate D800 */
	JSTR("\xf4\x90\x80\x80", "\"\\udcf4\\udc90\\udc80\\udc80\""); /* > U+10FFFF */
	JSTR("\xf5\x80\x80\x80", "\"\\udcf5\\udc80\\udc80\\udc80\"");
	JSTR("\xc3\xa9\xc3", "\"\xc3\xa9\\udcc3\"");            /* good, then cut */
}

static void test_json_escaping_in_event(void **state)
{
	struct fixture fx;
	int fields[] = {FLD_COMM, FLD_CID};

	fixture_init(&fx);
	strcpy(fx.rec.comm, "a\"\n\x01\xff");
	strcpy(fx.rec.cid, "\xe2\x82\xac\xe2\x82");
	assert_render(&fx, GH_OUT_JSON, fields, N(fields), false,
		      "{\"comm\":\"a\\\"\\n\\u0001\\udcff\",\"runtime\":"
		      "{\"containerId\":\"\xe2\x82\xac\\udce2\\udc82\"}}\n");
}

/* An overlay (the Lua enrich() values) supplying a strlist. */
struct strlist_overlay {
	const char *p;
	size_t len;
};

static int strlist_overlay(void *ctx, int idx, struct gh_value *v)
{
	struct strlist_overlay *o = ctx;

	if (idx != FLD_ARGS)
		return 0;
	v->type = GH_V_STRLIST;
	v->s.p = o->p;
	v->s.len = o->len;
	return 1;
}

static void assert_strlist(struct fixture *fx, const char *p, size_t len, const char *expect)
{
	struct strlist_overlay o = {p, len};
	int fields[] = {FLD_ARGS};

	fx->ev.overlay = strlist_overlay;
	fx->ev.overlay_ctx = &o;
	assert_render(fx, GH_OUT_JSON, fields, 1, false, expect);
	fx->ev.overlay = NULL;
}

static void test_json_strlist(void **state)
{
	struct fixture fx;
	int fields[] = {FLD_ARGS};

	fixture_init(&fx);
	assert_strlist(&fx, "a\0\0b", 4, "{\"args\":[\"a\",\"\",\"b\"]}\n");
	assert_strlist(&fx, "a\0\0b\0", 5, "{\"args\":[\"a\",\"\",\"b\"]}\n");
	assert_strlist(&fx, "a\0\0", 3, "{\"args\":[\"a\",\"\"]}\n");
	assert_strlist(&fx, "\0", 1, "{\"args\":[\"\"]}\n");
	assert_strlist(&fx, "", 0, "{\"args\":[]}\n");
	assert_strlist(&fx, "x\0\xff\n", 4, "{\"args\":[\"x\",\"\\udcff\\n\"]}\n");

	/* from the record: trailing NULs are padding, inner ones are args */
	assert_render(&fx, GH_OUT_JSON, fields, 1, false,
		      "{\"args\":[\"ls\",\"-l\",\"\",\"/tmp\"]}\n");
	memset(fx.rec.args, 0, sizeof(fx.rec.args));
	assert_render(&fx, GH_OUT_JSON, fields, 1, false, "{\"args\":[]}\n");
	/* full buffer, no NUL at all */
	memset(fx.rec.args, 'x', sizeof(fx.rec.args));
	assert_render(&fx, GH_OUT_JSON, fields, 1, false,
		      "{\"args\":[\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"]}\n");
}

static void test_json_short_record(void **state)
{
	struct fixture fx;
	int fields[] = {FLD_PID, FLD_CNAME, FLD_CID, FLD_ARGS, FLD_FLAGS_STR};

	fixture_init(&fx);
	/* the record ends three bytes into containerId */
	fx.ev.len = offsetof(struct rec, cid) + 3;
	assert_render(&fx, GH_OUT_JSON, fields, N(fields), false,
		      "{\"pid\":1234,\"runtime\":{\"containerName\":\"web\","
		      "\"containerId\":\"abc\"},\"args\":null,\"flags_str\":\"O_WRONLY|O_CREAT\"}\n");
	/* ends right after containerName */
	fx.ev.len = offsetof(struct rec, flags);
	assert_render(&fx, GH_OUT_JSON, fields, N(fields) - 1, false,
		      "{\"pid\":1234,\"runtime\":{\"containerName\":\"web\","
		      "\"containerId\":null},\"args\":null}\n");
}

static void test_jsonpretty(void **state)
{
	struct fixture fx;
	int fields[] = {FLD_PID, FLD_CNAME, FLD_ARGS, FLD_CID, FLD_ARR, FLD_OK};
	struct gh_event evs[2];
	struct rec rec2;
	struct render r = {.fmt = GH_OUT_JSONPRETTY, .fields = fields, .n_fields = N(fields)};
	char *got;

	fixture_init(&fx);
	rec2 = fx.rec;
	memset(rec2.args, 0, sizeof(rec2.args));
	rec2.pid = 7;
	evs[0] = fx.ev;
	evs[1] = fx.ev;
	evs[1].data = (const uint8_t *)&rec2;
	got = render_events(&fx, &r, evs, 2);
	assert_string_equal(got,
			    "{\n"
			    "  \"pid\": 1234,\n"
			    "  \"runtime\": {\n"
			    "    \"containerName\": \"web\",\n"
			    "    \"containerId\": \"abc123\"\n"
			    "  },\n"
			    "  \"args\": [\n"
			    "    \"ls\",\n"
			    "    \"-l\",\n"
			    "    \"\",\n"
			    "    \"/tmp\"\n"
			    "  ],\n"
			    "  \"arr\": [\n"
			    "    -1,\n"
			    "    2,\n"
			    "    300\n"
			    "  ],\n"
			    "  \"ok\": true\n"
			    "}\n"
			    "{\n"
			    "  \"pid\": 7,\n"
			    "  \"runtime\": {\n"
			    "    \"containerName\": \"web\",\n"
			    "    \"containerId\": \"abc123\"\n"
			    "  },\n"
			    "  \"args\": [],\n"
			    "  \"arr\": [\n"
			    "    -1,\n"
			    "    2,\n"
			    "    300\n"
			    "  ],\n"
			    "  \"ok\": true\n"
			    "}\n");
	free(got);
}

/* ---- YAML ------------------------------------------------------------- */

/* Parse YAML back into "path=value" lines, each value tagged (p) for a
 * plain scalar or (q) for a quoted one; "path[]" for each sequence start
 * and "---" for each explicit document start. */
struct yframe {
	bool is_seq;
	bool want_key;
	char key[64];
};

static void yaml_path(struct gh_buf *b, const struct yframe *st, int depth)
{
	for (int i = 0; i < depth; i++) {
		if (st[i].is_seq) {
			gh_buf_puts(b, "[]");
			continue;
		}
		if (i)
			gh_buf_putc(b, '.');
		gh_buf_puts(b, st[i].key);
	}
}

static char *yaml_flatten(const char *text)
{
	yaml_parser_t parser;
	yaml_event_t e;
	struct gh_buf out = GH_BUF_INIT;
	struct yframe st[16];
	int depth = 0;
	bool done = false;

	assert_true(yaml_parser_initialize(&parser));
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
	gh_buf_puts(&out, "");
	while (!done) {
		if (!yaml_parser_parse(&parser, &e))
			fail_msg("yaml parse error: %s", parser.problem);
		switch (e.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			gh_buf_puts(&out, e.data.document_start.implicit ? "(implicit)\n" : "---\n");
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			assert_true(depth < 16);
			st[depth].is_seq = e.type == YAML_SEQUENCE_START_EVENT;
			st[depth].want_key = true;
			st[depth].key[0] = '\0';
			if (st[depth].is_seq) {
				yaml_path(&out, st, depth);
				gh_buf_puts(&out, "[]\n");
			}
			depth++;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			assert_true(depth > 0);
			depth--;
			if (depth > 0 && !st[depth - 1].is_seq)
				st[depth - 1].want_key = true;
			break;
		case YAML_SCALAR_EVENT: {
			struct yframe *top = &st[depth - 1];
			const char *v = (const char *)e.data.scalar.value;

			assert_true(depth > 0);
			if (!top->is_seq && top->want_key) {
				snprintf(top->key, sizeof(top->key), "%s", v);
				top->want_key = false;
				break;
			}
			yaml_path(&out, st, depth);
			gh_buf_printf(&out, "=%s(%s)\n", v,
				      e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? "p" : "q");
			if (!top->is_seq)
				top->want_key = true;
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&parser);
	return out.p;
}

static void test_yaml_round_trip(void **state)
{
	struct fixture fx;
	struct gh_event evs[2];
	struct rec rec2;
	struct render r = {.fmt = GH_OUT_YAML, .fields = all_fields, .n_fields = N(all_fields)};
	char *got, *flat;

	fixture_init(&fx);
	rec2 = fx.rec;
	strcpy(rec2.comm, "true");
	strcpy(rec2.cname, "123");
	strcpy(rec2.cid, "x: y\n#z\x01\xff");
	memset(rec2.args, 0, sizeof(rec2.args));
	memcpy(rec2.args, "null\0\0-1\0'q'", 12);
	rec2.d = 3.0;
	rec2.ok = 0;
	evs[0] = fx.ev;
	evs[1] = fx.ev;
	evs[1].data = (const uint8_t *)&rec2;
	got = render_events(&fx, &r, evs, 2);

	/* "---" before every document, quoted strings that look like others */
	assert_true(strncmp(got, "---\n", 4) == 0);
	assert_non_null(strstr(got, "\n---\n"));
	assert_null(strstr(strstr(got, "\n---\n") + 1, "\n---\n"));
	assert_non_null(strstr(got, "comm: 'true'\n"));
	assert_non_null(strstr(got, "containerName: '123'\n"));
	assert_non_null(strstr(got, "pid: 1234\n"));
	assert_non_null(strstr(got, "runtime:\n  containerName: web\n  containerId: abc123\n"));

	flat = yaml_flatten(got);
	assert_string_equal(flat,
			    "---\n"
			    "pid=1234(p)\n"
			    "ret=2(p)\n"
			    "comm=bash(p)\n"
			    "big=18446744073709551615(p)\n"
			    "neg=-5(p)\n"
			    "ok=true(p)\n"
			    "d=1.5(p)\n"
			    "arr[]\n"
			    "arr[]=-1(p)\n"
			    "arr[]=2(p)\n"
			    "arr[]=300(p)\n"
			    "runtime.containerName=web(p)\n"
			    "runtime.containerId=abc123(p)\n"
			    "flags=65(p)\n"
			    "args[]\n"
			    "args[]=ls(p)\n"
			    "args[]=-l(p)\n"
			    "args[]=(q)\n"
			    "args[]=/tmp(p)\n"
			    "flags_str=O_WRONLY|O_CREAT(p)\n"
			    "nothing=null(p)\n"
			    "---\n"
			    "pid=1234(p)\n"
			    "ret=2(p)\n"
			    "comm=true(q)\n"
			    "big=18446744073709551615(p)\n"
			    "neg=-5(p)\n"
			    "ok=false(p)\n"
			    "d=3.0(p)\n"
			    "arr[]\n"
			    "arr[]=-1(p)\n"
			    "arr[]=2(p)\n"
			    "arr[]=300(p)\n"
			    "runtime.containerName=123(q)\n"
			    "runtime.containerId=x: y\n#z\x01\xef\xbf\xbd(q)\n"
			    "flags=65(p)\n"
			    "args[]\n"
			    "args[]=null(q)\n"
			    "args[]=(q)\n"
			    "args[]=-1(q)\n"
			    "args[]='q'(q)\n"
			    "flags_str=O_WRONLY|O_CREAT(p)\n"
			    "nothing=null(p)\n");
	free(flat);
	free(got);
}

static void test_yaml_quoting(void **state)
{
	struct fixture fx;
	int fields[] = {FLD_COMM};
	const char *quoted[] = {"", "true", "False", "NULL", "~", "yes", "No", "on", "OFF", "y",
				"123", "-7", "+1", "0x1f", "0o17", "1.5", ".5", "1e5", "1_000",
				"12:30", ".inf", "-.Inf", ".NaN", "10.0.0.1"};
	const char *plain[] = {"bash", "ls", "truely", "0.5s", "x123", "e", "/usr/bin/ls"};

	fixture_init(&fx);
	for (size_t i = 0; i < N(quoted) + N(plain); i++) {
		bool q = i < N(quoted);
		const char *s = q ? quoted[i] : plain[i - N(quoted)];
		char expect[64], *got, *flat;

		memset(fx.rec.comm, 0, sizeof(fx.rec.comm));
		strcpy(fx.rec.comm, s);
		got = render(&fx, GH_OUT_YAML, fields, 1, false);
		flat = yaml_flatten(got);
		snprintf(expect, sizeof(expect), "---\ncomm=%s(%s)\n", s, q ? "q" : "p");
		assert_string_equal(flat, expect);
		free(flat);
		free(got);
	}
}

static void test_yaml_nested_and_empty(void **state)
{
	struct fixture fx;
	int fields[] = {FLD_CID, FLD_PID, FLD_CNAME, FLD_ARGS};

	fixture_init(&fx);
	memset(fx.rec.args, 0, sizeof(fx.rec.args));
	assert_render(&fx, GH_OUT_YAML, fields, N(fields), false,
		      "---\n"
		      "runtime:\n"
		      "  containerId: abc123\n"
		      "  containerName: web\n"
		      "pid: 1234\n"
		      "args: []\n");
	assert_render(&fx, GH_OUT_YAML, NULL, 0, false, "--- {}\n");
}

/* ---- a field source ---------------------------------------------------- */

/* A source of one field, "src.pidx2": pid * 2, present for even pids. */
static int src_value(void *ctx, const struct gh_schema *s, const struct gh_field *f,
		     const struct gh_event *ev, struct gh_value *v)
{
	const struct rec *r = (const struct rec *)ev->data;

	assert_ptr_equal(ctx, &field_tmpl);
	assert_int_equal(f->source_attr, 7);
	v->type = GH_V_NULL;
	if (r->pid % 2 == 0) {
		v->type = GH_V_UINT;
		v->u = (uint64_t)r->pid * 2;
	}
	return 0;
}

static bool src_present(void *ctx, const struct gh_schema *s, const struct gh_event *ev)
{
	return ((const struct rec *)ev->data)->pid % 2 == 0;
}

static const struct gh_field_source_ops test_source = {
	.name = "test", .value = src_value, .present = src_present,
};

static void test_field_source(void **state)
{
	struct fixture fx;
	struct gh_field fields[N_FIELDS + 1];
	struct gh_value v;
	int id, idx = N_FIELDS;
	int sel[] = {FLD_PID, N_FIELDS, FLD_COMM};
	struct gh_event evs[2];
	struct rec odd;
	char *got;

	(void)state;
	fixture_init(&fx);
	memcpy(fields, fx.fields, sizeof(fx.fields));
	fx.schema.fields = fields;
	id = gh_schema_add_source(&fx.schema, &test_source, NULL);
	assert_int_equal(id, 1);
	assert_int_equal(gh_schema_add_source(&fx.schema, &test_source, NULL), 1);
	assert_int_equal(gh_schema_source_id(&fx.schema, &test_source), 1);
	fields[idx] = (struct gh_field){.name = (char *)"src.pidx2", .kind = GH_KIND_VIRTUAL,
					.map_source = -1, .lua_format_ref = -1, .source = id,
					.source_attr = 7};
	fx.schema.n_fields = N_FIELDS + 1;
	gh_schema_set_source_ctx(&fx.schema, &test_source, (void *)&field_tmpl);
	assert_ptr_equal(gh_schema_source_ctx(&fx.schema, &test_source), &field_tmpl);
	assert_true(gh_field_is_sourced(&fx.schema, idx));
	assert_false(gh_field_is_sourced(&fx.schema, FLD_PID));
	/* a source's field is no enriched one; a Lua-only field is */
	assert_false(gh_field_needs_enrich(&fx.schema, idx));
	assert_false(gh_field_needs_enrich(&fx.schema, FLD_FLAGS_STR));
	assert_true(gh_field_needs_enrich(&fx.schema, FLD_NOTHING));
	assert_int_equal(gh_field_value(&fx.schema, idx, &fx.ev, &v), 0);
	assert_int_equal(v.type, GH_V_UINT);
	assert_int_equal(v.u, 2468);

	/* JSON leaves the source's fields out of the events without them */
	odd = fx.rec;
	odd.pid = 7;
	evs[0] = fx.ev;
	evs[1] = (struct gh_event){.data = (const uint8_t *)&odd, .len = sizeof(odd)};
	{
		struct render r = {.fmt = GH_OUT_JSON, .fields = sel, .n_fields = N(sel)};

		got = render_events(&fx, &r, evs, 2);
		assert_string_equal(got, "{\"pid\":1234,\"src\":{\"pidx2\":2468},\"comm\":\"bash\"}\n"
					 "{\"pid\":7,\"comm\":\"bash\"}\n");
		free(got);
		r.fmt = GH_OUT_YAML;
		got = render_events(&fx, &r, evs, 2);
		assert_string_equal(got, "---\npid: 1234\nsrc:\n  pidx2: 2468\ncomm: bash\n"
					 "---\npid: 7\ncomm: bash\n");
		free(got);
	}
}

/* ---- flushing --------------------------------------------------------- */

static void test_flush_pipe(void **state)
{
	struct fixture fx;
	int fields[] = {FLD_PID, FLD_COMM};
	struct gh_out *out;
	int p[2];
	char got[256];
	ssize_t n;
	const char *expect = "{\"pid\":1234,\"comm\":\"bash\"}\n{\"pid\":1234,\"comm\":\"bash\"}\n";

	fixture_init(&fx);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(gh_out_new(&out, GH_OUT_JSON, &fx.schema, fields, N(fields), p[1]), 0);
	assert_int_equal(gh_out_flush(out), 0); /* nothing to write */
	assert_int_equal(gh_out_event(out, &fx.ev), 0);
	assert_int_equal(gh_out_event(out, &fx.ev), 0);
	assert_int_equal(gh_out_pending(out), strlen(expect));
	assert_int_equal(gh_out_flush(out), 0);
	assert_int_equal(gh_out_pending(out), 0);
	n = read(p[0], got, sizeof(got));
	assert_int_equal(n, strlen(expect));
	assert_memory_equal(got, expect, (size_t)n);

	/* the reader left */
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(gh_out_event(out, &fx.ev), 0);
	assert_int_equal(gh_out_flush(out), -EPIPE);
	assert_int_equal(gh_out_pending(out), strlen(expect) / 2);
	gh_out_free(out);
	close(p[1]);
}

struct drain {
	int fd;
	struct gh_buf got;
};

static void *drain_thread(void *arg)
{
	struct drain *d = arg;
	char chunk[1000];
	ssize_t n;

	/* slow and in small pieces: the writer sees full pipes */
	while ((n = read(d->fd, chunk, sizeof(chunk))) > 0) {
		gh_buf_append(&d->got, chunk, (size_t)n);
		if (d->got.len % 7 == 0)
			usleep(100);
	}
	return NULL;
}

static void test_flush_partial_writes(void **state)
{
	struct fixture fx;
	int fields[] = {FLD_PID, FLD_COMM, FLD_ARGS};
	struct gh_out *out;
	struct drain d = {.got = GH_BUF_INIT};
	struct gh_buf expect = GH_BUF_INIT;
	pthread_t th;
	int p[2];
	const char *row = "      1234 bash             ls -l \"\" /tmp\n";

	fixture_init(&fx);
	assert_int_equal(pipe(p), 0);
	/* a non-blocking pipe: write() returns short counts and EAGAIN */
	assert_int_equal(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	d.fd = p[0];
	assert_int_equal(pthread_create(&th, NULL, drain_thread, &d), 0);
	assert_int_equal(gh_out_new(&out, GH_OUT_COLUMNS, &fx.schema, fields, N(fields), p[1]), 0);
	for (int i = 0; i < 20000; i++) {
		assert_int_equal(gh_out_event(out, &fx.ev), 0);
		gh_buf_puts(&expect, row);
	}
	assert_true(gh_out_pending(out) > 512 * 1024);
	assert_int_equal(gh_out_flush(out), 0);
	assert_int_equal(gh_out_pending(out), 0);
	gh_out_free(out);
	close(p[1]);
	pthread_join(th, NULL);
	close(p[0]);
	assert_int_equal(d.got.len, expect.len);
	assert_memory_equal(d.got.p, expect.p, expect.len);
	gh_buf_free(&d.got);
	gh_buf_free(&expect);
}

static void test_flush_file_exact_bytes(void **state)
{
	struct fixture fx;
	int fields[] = {FLD_COMM, FLD_CID};
	struct gh_out *out;
	FILE *tmp = tmpfile();
	char *got;
	size_t len;

	fixture_init(&fx);
	assert_non_null(tmp);
	strcpy(fx.rec.comm, "é\xff");
	assert_int_equal(gh_out_new(&out, GH_OUT_JSON, &fx.schema, fields, N(fields),
				    fileno(tmp)), 0);
	assert_int_equal(gh_out_header(out), 0); /* nothing for JSON */
	assert_int_equal(gh_out_pending(out), 0);
	assert_int_equal(gh_out_event(out, &fx.ev), 0);
	assert_int_equal(gh_out_flush(out), 0);
	assert_int_equal(gh_out_event(out, &fx.ev), 0);
	assert_int_equal(gh_out_flush(out), 0);
	gh_out_free(out);
	got = slurp(fileno(tmp), &len);
	fclose(tmp);
	assert_int_equal(len, 2 * 55);
	assert_memory_equal(got,
			    "{\"comm\":\"\xc3\xa9\\udcff\",\"runtime\":{\"containerId\":\"abc123\"}}\n"
			    "{\"comm\":\"\xc3\xa9\\udcff\",\"runtime\":{\"containerId\":\"abc123\"}}\n",
			    len);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_flags_text),
		cmocka_unit_test(test_new_rejects_bad_fields),
		cmocka_unit_test(test_columns_header_and_rows),
		cmocka_unit_test(test_columns_no_trailing_spaces),
		cmocka_unit_test(test_columns_truncation),
		cmocka_unit_test(test_columns_truncation_right_aligned),
		cmocka_unit_test(test_col_put),
		cmocka_unit_test(test_columns_control_chars_in_event),
		cmocka_unit_test(test_columns_text_hook),
		cmocka_unit_test(test_json_all_types),
		cmocka_unit_test(test_json_numbers),
		cmocka_unit_test(test_json_nesting),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_json_escaping_in_event),
		cmocka_unit_test(test_json_strlist),
		cmocka_unit_test(test_json_short_record),
		cmocka_unit_test(test_jsonpretty),
		cmocka_unit_test(test_yaml_round_trip),
		cmocka_unit_test(test_yaml_quoting),
		cmocka_unit_test(test_yaml_nested_and_empty),
		cmocka_unit_test(test_field_source),
		cmocka_unit_test(test_flush_pipe),
		cmocka_unit_test(test_flush_partial_writes),
		cmocka_unit_test(test_flush_file_exact_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
