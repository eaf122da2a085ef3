/* test_audit_record.c - kernel audit records: the parser, numbers and
 * strings as the kernel writes them, and filling a gadget's event struct
 * from one (audit_source.c) by field name. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode/audit_record.h"
#include "run/audit_source.h"

static const char seccomp_log[] =
	"audit(1796188615.412:6): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=18681 "
	"comm=\"sc\" exe=\"/tmp/tl-exp/sc\" sig=0 arch=c000003e syscall=110 compat=0 "
	"ip=0x7f0f4a2134f7 code=0x7ffc0000";

static void test_parse(void **state)
{
	struct gh_audit_record *r = malloc(sizeof(*r));
	/* exactly the bytes, no NUL after them: ASan sees a read past */
	char *copy = malloc(sizeof(seccomp_log) - 1);
	uint64_t v;
	char s[32];

	assert_non_null(r);
	memcpy(copy, seccomp_log, sizeof(seccomp_log) - 1);
	assert_int_equal(gh_audit_parse(copy, sizeof(seccomp_log) - 1, r), 0);
	free(copy);
	assert_int_equal(r->time_ns, 1796188615412000000ULL);
	assert_int_equal(r->serial, 6);
	assert_int_equal(r->n_pairs, 13);
	assert_string_equal(gh_audit_get(r, "comm")->value, "sc");
	assert_true(gh_audit_get(r, "comm")->quoted);
	assert_string_equal(gh_audit_get(r, "exe")->value, "/tmp/tl-exp/sc");
	assert_null(gh_audit_get(r, "missing"));
	assert_int_equal(gh_audit_number(gh_audit_get(r, "syscall")->value, &v), 0);
	assert_int_equal(v, 110);
	assert_int_equal(gh_audit_number(gh_audit_get(r, "arch")->value, &v), 0);
	assert_int_equal(v, 0xc000003e);
	assert_int_equal(gh_audit_number(gh_audit_get(r, "code")->value, &v), 0);
	assert_int_equal(v, 0x7ffc0000);
	assert_int_equal(gh_audit_number(gh_audit_get(r, "auid")->value, &v), 0);
	assert_int_equal(v, 4294967295ULL);
	assert_int_equal(gh_audit_number("-1", &v), -EINVAL);
	assert_int_equal(gh_audit_number("zz", &v), -EINVAL);
	assert_int_equal(gh_audit_number("", &v), -EINVAL);
	assert_int_equal(gh_audit_string(gh_audit_get(r, "comm"), s, sizeof(s)), 2);
	assert_string_equal(s, "sc");

	/* an untrusted string, hex-encoded; a cut; a word without value;
	 * trailing NUL and newline */
	static const char odd[] = "audit(1.5:7): comm=6D7920617070 exe=\"/a b\" lone pid=9\n\0";
	assert_int_equal(gh_audit_parse(odd, sizeof(odd) - 1, r), 0);
	assert_int_equal(r->time_ns, 1005000000ULL);
	assert_int_equal(r->n_pairs, 3);
	assert_int_equal(gh_audit_string(gh_audit_get(r, "comm"), s, sizeof(s)), 6);
	assert_string_equal(s, "my app");
	assert_int_equal(gh_audit_string(gh_audit_get(r, "comm"), s, 4), 3);
	assert_string_equal(s, "my ");
	assert_string_equal(gh_audit_get(r, "exe")->value, "/a b");
	assert_string_equal(gh_audit_get(r, "pid")->value, "9");

	assert_int_equal(gh_audit_parse("type=SECCOMP msg=x", 18, r), -EINVAL);
	assert_int_equal(gh_audit_parse("", 0, r), -EINVAL);
	/* unterminated quote: to the end */
	assert_int_equal(gh_audit_parse("audit(1.0:1): comm=\"abc", 23, r), 0);
	assert_string_equal(gh_audit_get(r, "comm")->value, "abc");
	free(r);
}

struct ev {
	uint64_t timestamp;
	uint64_t mountnsid;
	uint32_t pid;
	char comm[16];
	uint32_t syscall;
	uint32_t code;
	uint16_t audit_type;
};

static void test_fill(void **state)
{
	struct gh_field fields[] = {
		{.name = "timestamp", .kind = GH_KIND_UINT, .special = GH_SPECIAL_TIMESTAMP,
		 .offset = offsetof(struct ev, timestamp), .size = 8},
		{.name = "mountnsid", .kind = GH_KIND_UINT, .special = GH_SPECIAL_MNTNS_ID,
		 .offset = offsetof(struct ev, mountnsid), .size = 8},
		{.name = "pid", .kind = GH_KIND_UINT, .offset = offsetof(struct ev, pid), .size = 4},
		{.name = "comm", .kind = GH_KIND_STRING, .offset = offsetof(struct ev, comm),
		 .size = 16},
		{.name = "syscall", .kind = GH_KIND_UINT, .special = GH_SPECIAL_SYSCALL,
		 .offset = offsetof(struct ev, syscall), .size = 4},
		{.name = "code", .kind = GH_KIND_UINT, .offset = offsetof(struct ev, code), .size = 4},
		{.name = "audit_type", .kind = GH_KIND_UINT, .offset = offsetof(struct ev, audit_type),
		 .size = 2},
		{.name = "action", .kind = GH_KIND_VIRTUAL},
	};
	struct gh_schema schema = {.struct_size = sizeof(struct ev), .fields = fields,
				   .n_fields = sizeof(fields) / sizeof(fields[0]),
				   .boot_to_wall_ns = 1796188000000000000LL};
	struct gh_audit_record *r = malloc(sizeof(*r));
	struct ev e;

	assert_non_null(r);
	assert_int_equal(gh_audit_parse(seccomp_log, sizeof(seccomp_log) - 1, r), 0);
	memset(&e, 0xff, sizeof(e));
	gh_audit_fill(&schema, r, 1326, (uint8_t *)&e);
	assert_int_equal(e.timestamp, 615412000000ULL);
	assert_int_equal(e.mountnsid, 0); /* pid 18681 is long gone */
	assert_int_equal(e.pid, 18681);
	assert_string_equal(e.comm, "sc");
	assert_int_equal(e.syscall, 110);
	assert_int_equal(e.code, 0x7ffc0000);
	assert_int_equal(e.audit_type, 1326);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_fill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
