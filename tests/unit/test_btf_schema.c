/* test_btf_schema.c - event layouts decoded from the built objects' BTF. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "schema/btf_schema.h"
#include "schema/field.h"

static struct btf *load_btf(const char *obj)
{
	char path[512];
	struct btf *btf;

	snprintf(path, sizeof(path), "%s/%s", GH_BUILD_BPF_DIR, obj);
	btf = btf__parse_elf(path, NULL);
	assert_non_null(btf);
	assert_int_equal(libbpf_get_error(btf), 0);
	return btf;
}

static const struct gh_field *field(const struct gh_schema *s, const char *name)
{
	int idx = gh_schema_find(s, name);

	if (idx < 0)
		fail_msg("no field %s", name);
	return &s->fields[idx];
}

static void test_exec_tracer_and_layout(void **state)
{
	struct btf *btf = load_btf("trace/exec.bpf.o");
	struct gh_btf_tracer *tracers;
	struct gh_schema s;
	size_t n;
	char err[256] = "";

	assert_int_equal(gh_btf_find_tracers(btf, &tracers, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(tracers[0].name, "exec");
	assert_string_equal(tracers[0].map_name, "events");
	assert_int_equal(gh_btf_schema(btf, tracers[0].struct_id, &s, err, sizeof(err)), 0);
	assert_string_equal(s.struct_name, "event");

	/* the member order and types of struct event in bpf/trace/exec.bpf.c:
	 * GADGET_PROCESS_FIELDS (gadget/process.h), then its own */
	const char *names[] = {"timestamp", "mountnsid", "pid", "tid", "ppid", "uid", "gid",
			       "comm", "ret", "pcomm", "argsTruncated", "args"};
	assert_int_equal(s.n_fields, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < s.n_fields; i++)
		assert_string_equal(s.fields[i].name, names[i]);

	assert_int_equal(field(&s, "timestamp")->special, GH_SPECIAL_TIMESTAMP);
	assert_int_equal(field(&s, "timestamp")->offset, 0);
	assert_int_equal(field(&s, "mountnsid")->special, GH_SPECIAL_MNTNS_ID);
	assert_int_equal(field(&s, "pid")->kind, GH_KIND_UINT);
	assert_int_equal(field(&s, "pid")->size, 4);
	assert_int_equal(field(&s, "pid")->offset, 16);
	assert_int_equal(field(&s, "uid")->special, GH_SPECIAL_UID);
	assert_int_equal(field(&s, "ret")->kind, GH_KIND_INT);
	assert_int_equal(field(&s, "ret")->special, GH_SPECIAL_ERRNO);
	assert_int_equal(field(&s, "comm")->kind, GH_KIND_STRING);
	assert_int_equal(field(&s, "comm")->size, 16);
	assert_int_equal(field(&s, "argsTruncated")->kind, GH_KIND_BOOL);
	assert_int_equal(field(&s, "args")->kind, GH_KIND_STRLIST);
	assert_int_equal(field(&s, "args")->size, 16384);
	assert_true(field(&s, "args")->offset + 16384 <= s.struct_size);
	assert_true(field(&s, "args")->offset + 16384 + 8 > s.struct_size); /* last, but padding */

	gh_schema_free(&s);
	gh_btf_tracers_free(tracers, n);
	btf__free(btf);
}

static void test_open_layout_and_rodata(void **state)
{
	struct btf *btf = load_btf("trace/open.bpf.o");
	struct gh_schema s;
	uint32_t id, off, size;
	char err[256];

	assert_int_equal(gh_btf_find_struct(btf, "event", &id), 0);
	assert_int_equal(gh_btf_schema(btf, id, &s, err, sizeof(err)), 0);
	assert_int_equal(field(&s, "fd")->kind, GH_KIND_INT);
	assert_int_equal(field(&s, "err")->special, GH_SPECIAL_ERRNO);
	assert_int_equal(field(&s, "flagsRaw")->kind, GH_KIND_UINT);
	assert_int_equal(field(&s, "path")->kind, GH_KIND_STRING);
	assert_int_equal(field(&s, "path")->size, 4096);
	gh_schema_free(&s);

	/* params and the SDK's filters are .rodata globals; counters .bss */
	assert_int_equal(gh_btf_find_var(btf, ".rodata", "failed_only", &off, &size, NULL), 0);
	assert_int_equal(size, 1);
	assert_int_equal(gh_btf_find_var(btf, ".rodata", "gadget_filter_comm", &off, &size, NULL),
			 0);
	assert_int_equal(size, 16);
	assert_int_equal(gh_btf_find_var(btf, ".bss", "gadget_lost_events", &off, &size, NULL), 0);
	assert_int_equal(size, 8);
	assert_int_equal(gh_btf_find_var(btf, ".rodata", "no_such_var", &off, &size, NULL),
			 -ENOENT);
	assert_int_equal(gh_btf_find_struct(btf, "no_such_struct", &id), -ENOENT);
	btf__free(btf);
}

/* A hand-made BTF with nested structs, enums, arrays and special types. */
/* trace/tcpdrop's reason is enum skb_drop_reason: its names are the
 * running kernel's (the SDK's vmlinux.h numbers it otherwise), so a value
 * the kernel produces prints as the kernel names it */
static void test_kernel_enum_names(void **state)
{
	struct btf *btf = load_btf("trace/tcpdrop.bpf.o"), *vmlinux = btf__load_vmlinux_btf();
	struct gh_btf_tracer *tracers;
	struct gh_schema s;
	size_t n;
	char err[256] = "";
	int id;

	if (libbpf_get_error(vmlinux)) {
		btf__free(btf);
		skip(); /* no kernel BTF here */
	}
	assert_int_equal(gh_btf_find_tracers(btf, &tracers, &n), 0);
	assert_int_equal(gh_btf_schema(btf, tracers[0].struct_id, &s, err, sizeof(err)), 0);
	const struct gh_field *f = field(&s, "reason");
	id = btf__find_by_name_kind(vmlinux, "skb_drop_reason", BTF_KIND_ENUM);
	assert_true(id > 0);
	const struct btf_type *kt = btf__type_by_id(vmlinux, id);
	assert_int_equal(f->kind, GH_KIND_ENUM);
	assert_int_equal(f->n_enum_names, btf_vlen(kt));
	for (__u16 i = 0; i < btf_vlen(kt); i++) {
		assert_string_equal(f->enum_names[i].name,
				    btf__name_by_offset(vmlinux, btf_enum(kt)[i].name_off));
		assert_int_equal(f->enum_names[i].value, btf_enum(kt)[i].val);
	}
	gh_schema_free(&s);
	gh_btf_tracers_free(tracers, n);
	btf__free(vmlinux);
	btf__free(btf);
}

static void test_synthetic_nested(void **state)
{
	struct btf *btf = btf__new_empty();
	struct gh_schema s;
	char err[256] = "";
	int u32, u16, s32, u8, chr, port, l3, inner, outer, en, arr, carr, ip4, boolt;

	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	u16 = btf__add_int(btf, "unsigned short", 2, 0);
	s32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	u8 = btf__add_int(btf, "unsigned char", 1, 0);
	chr = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	boolt = btf__add_int(btf, "_Bool", 1, BTF_INT_BOOL);
	port = btf__add_typedef(btf, "gadget_port", u16);
	ip4 = btf__add_typedef(btf, "gadget_ipv4_addr", u32);
	arr = btf__add_array(btf, u32, u8, 16);
	l3 = btf__add_struct(btf, "gadget_l3endpoint_t", 20);
	btf__add_field(btf, "addr_raw", arr, 0, 0);
	btf__add_field(btf, "version", u8, 128, 0);
	inner = btf__add_struct(btf, "endpoint", 24);
	btf__add_field(btf, "addr", l3, 0, 0);
	btf__add_field(btf, "port", port, 160, 0);
	en = btf__add_enum(btf, "proto", 4);
	btf__add_enum_value(btf, "TCP", 6);
	btf__add_enum_value(btf, "UDP", 17);
	carr = btf__add_array(btf, u32, chr, 8);
	int sarr = btf__add_array(btf, u32, s32, 3);
	outer = btf__add_struct(btf, "ev", 76);
	btf__add_field(btf, "src", inner, 0, 0);
	btf__add_field(btf, "proto", en, 192, 0);
	btf__add_field(btf, "name", carr, 224, 0);
	btf__add_field(btf, "vals", sarr, 288, 0);
	btf__add_field(btf, "ip", ip4, 384, 0);
	btf__add_field(btf, "ok", boolt, 416, 0);

	assert_int_equal(gh_btf_schema(btf, outer, &s, err, sizeof(err)), 0);
	assert_string_equal(s.fields[0].name, "src.addr");
	assert_int_equal(s.fields[0].special, GH_SPECIAL_L3);
	assert_string_equal(s.fields[1].name, "src.port");
	assert_int_equal(s.fields[1].special, GH_SPECIAL_PORT);
	assert_int_equal(s.fields[1].offset, 20);
	assert_int_equal(field(&s, "proto")->kind, GH_KIND_ENUM);
	assert_int_equal(field(&s, "proto")->n_enum_names, 2);
	assert_int_equal(field(&s, "name")->kind, GH_KIND_STRING);
	assert_int_equal(field(&s, "vals")->kind, GH_KIND_ARRAY);
	assert_int_equal(field(&s, "vals")->count, 3);
	assert_true(field(&s, "vals")->elem_signed);
	assert_int_equal(field(&s, "ip")->special, GH_SPECIAL_IPV4);
	assert_int_equal(field(&s, "ok")->kind, GH_KIND_BOOL);

	/* values through field.c */
	uint8_t rec[76] = {0};
	rec[0] = 10; rec[3] = 1;            /* 10.0.0.1 */
	rec[16] = 4;                         /* version */
	rec[20] = 0x50;                      /* port 80 */
	rec[24] = 17;                        /* UDP */
	memcpy(rec + 28, "abc", 3);
	int32_t vals[3] = {-1, 2, 3};
	memcpy(rec + 36, vals, sizeof(vals));
	rec[48] = 127; rec[51] = 1;          /* 127.0.0.1 in network order */
	rec[52] = 1;
	struct gh_event ev = {.data = rec, .len = sizeof(rec)};
	struct gh_value v;
	struct gh_buf b = GH_BUF_INIT;

	assert_int_equal(gh_field_value(&s, 0, &ev, &v), 0);
	assert_int_equal(v.type, GH_V_STR);
	assert_memory_equal(v.s.p, "10.0.0.1", 8);
	assert_int_equal(gh_field_value(&s, gh_schema_find(&s, "proto"), &ev, &v), 0);
	assert_int_equal(v.s.len, 3);
	assert_memory_equal(v.s.p, "UDP", 3);
	assert_int_equal(gh_field_text(&s, gh_schema_find(&s, "vals"), &ev, &b), 0);
	assert_string_equal(b.p, "-1,2,3");
	gh_buf_reset(&b);
	assert_int_equal(gh_field_text(&s, gh_schema_find(&s, "ip"), &ev, &b), 0);
	assert_string_equal(b.p, "127.0.0.1");
	gh_buf_free(&b);

	gh_schema_free(&s);
	btf__free(btf);
}

static void test_bitfields_rejected(void **state)
{
	struct btf *btf = btf__new_empty();
	struct gh_schema s;
	char err[256] = "";
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int st = btf__add_struct(btf, "bits", 4);

	btf__add_field(btf, "a", u32, 0, 3);
	btf__add_field(btf, "b", u32, 3, 5);
	assert_int_equal(gh_btf_schema(btf, st, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "\"a\": bit fields are not supported"));
	assert_int_equal(gh_btf_schema(btf, u32, &s, err, sizeof(err)), -EINVAL);
	btf__free(btf);
}

/* A short array of arrays or structs: a field per element (NAME.0, ...);
 * a long one is refused. */
static void test_arrays_split(void **state)
{
	struct btf *btf = btf__new_empty();
	struct gh_schema s;
	char err[256] = "";
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int chr = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	int str = btf__add_array(btf, u32, chr, 8);
	int strs = btf__add_array(btf, u32, str, 2);
	int pt = btf__add_struct(btf, "pt", 8);
	int pts, many, st, bad;

	btf__add_field(btf, "x", u32, 0, 0);
	btf__add_field(btf, "y", u32, 32, 0);
	pts = btf__add_array(btf, u32, pt, 2);
	many = btf__add_array(btf, u32, str, 17);
	st = btf__add_struct(btf, "rec", 32);
	btf__add_field(btf, "data", strs, 0, 0);
	btf__add_field(btf, "at", pts, 128, 0);
	bad = btf__add_struct(btf, "big", 136);
	btf__add_field(btf, "data", many, 0, 0);

	assert_int_equal(gh_btf_schema(btf, st, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n_fields, 6);
	assert_int_equal(field(&s, "data.0")->kind, GH_KIND_STRING);
	assert_int_equal(field(&s, "data.1")->offset, 8);
	assert_int_equal(field(&s, "data.1")->size, 8);
	assert_int_equal(field(&s, "at.0.x")->offset, 16);
	assert_int_equal(field(&s, "at.1.y")->offset, 28);
	gh_schema_free(&s);
	assert_int_equal(gh_btf_schema(btf, bad, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "\"data\": arrays of this type are not supported (only up "
				    "to 16 elements)"));
	btf__free(btf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_tracer_and_layout),
		cmocka_unit_test(test_open_layout_and_rodata),
		cmocka_unit_test(test_synthetic_nested),
		cmocka_unit_test(test_kernel_enum_names),
		cmocka_unit_test(test_bitfields_rejected),
		cmocka_unit_test(test_arrays_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
