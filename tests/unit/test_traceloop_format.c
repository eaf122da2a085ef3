/* test_traceloop.c - traceloop's user side without the kernel: syscall
 * argument kinds from tracepoint format texts, the argument formatter and
 * the strace-like lines made of enter and exit records. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "names.h"
#include "syscall_args.h"
#include "traceloop_client.h"
#include "traceloop_format.h"

#define HEADER \
	"name: sys_enter_%s\nID: 1\nformat:\n" \
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n" \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n" \
	"\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"

static const char openat_format[] = HEADER
	"\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;\n\n"
	"print fmt: \"dfd: 0x%%08lx\"\n";

static const char write_format[] = HEADER
	"\tfield:unsigned int fd;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:const char * buf;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:size_t count;\toffset:32;\tsize:8;\tsigned:0;\n";

static const char mount_format[] = HEADER
	"\tfield:char * dev_name;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:char * dir_name;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:char * type;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned long flags;\toffset:40;\tsize:8;\tsigned:0;\n"
	"\tfield:void * data;\toffset:48;\tsize:8;\tsigned:0;\n";

static const char mmap_format[] = HEADER
	"\tfield:unsigned long addr;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned long len;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned long prot;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned long flags;\toffset:40;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned long fd;\toffset:48;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned long off;\toffset:56;\tsize:8;\tsigned:0;\n";

static const char exit_group_format[] = HEADER
	"\tfield:int error_code;\toffset:16;\tsize:8;\tsigned:0;\n";

static const char no_args_format[] = HEADER;

static void parse(const char *name, const char *format, struct gh_syscall_info *info)
{
	assert_int_equal(gh_syscall_format_parse(name, format, info), 0);
	assert_true(info->known);
}

static void test_format_kinds(void **state)
{
	struct gh_syscall_info info;

	parse("openat", openat_format, &info);
	assert_int_equal(info.nargs, 4);
	assert_string_equal(info.args[0].name, "dfd");
	assert_string_equal(info.args[1].type, "const char *");
	assert_string_equal(info.args[1].name, "filename");
	assert_int_equal(info.args[0].kind, GH_SYSARG_DIRFD);
	assert_int_equal(info.args[1].kind, GH_SYSARG_STRING);
	assert_int_equal(info.args[2].kind, GH_SYSARG_OPEN_FLAGS);
	assert_int_equal(info.args[3].kind, GH_SYSARG_MODE);
	assert_true(gh_sysarg_reads_memory(info.args[1].kind));

	parse("write", write_format, &info);
	assert_int_equal(info.nargs, 3);
	assert_int_equal(info.args[0].kind, GH_SYSARG_FD);
	assert_int_equal(info.args[1].kind, GH_SYSARG_BUFFER);
	assert_int_equal(info.args[2].kind, GH_SYSARG_UINT);

	/* the kernel's input strings without their const */
	parse("mount", mount_format, &info);
	assert_int_equal(info.args[0].kind, GH_SYSARG_STRING);
	assert_int_equal(info.args[2].kind, GH_SYSARG_STRING);
	assert_int_equal(info.args[3].kind, GH_SYSARG_UINT);
	assert_int_equal(info.args[4].kind, GH_SYSARG_HEX);

	parse("mmap", mmap_format, &info);
	assert_int_equal(info.nargs, 6);
	assert_int_equal(info.args[0].kind, GH_SYSARG_HEX);
	assert_int_equal(info.args[2].kind, GH_SYSARG_PROT);
	assert_int_equal(info.args[3].kind, GH_SYSARG_MAP_FLAGS);
	assert_int_equal(info.args[4].kind, GH_SYSARG_FD);

	assert_int_equal(gh_syscall_format_parse("x", "name: x\nformat:\n", &info), -EINVAL);
	assert_false(info.known);
}

static void check_arg(enum gh_sysarg_kind kind, uint64_t v, const char *data, uint8_t flags,
		      const char *want)
{
	struct gh_buf b = GH_BUF_INIT;

	assert_int_equal(gh_traceloop_format_arg(&b, kind, v, data, data ? strlen(data) : 0,
						 flags), 0);
	assert_string_equal(b.p, want);
	gh_buf_free(&b);
}

static void test_format_args(void **state)
{
	check_arg(GH_SYSARG_DIRFD, (uint64_t)(int64_t)AT_FDCWD, NULL, 0, "AT_FDCWD");
	check_arg(GH_SYSARG_DIRFD, 3, NULL, 0, "3");
	check_arg(GH_SYSARG_OPEN_FLAGS, O_RDONLY, NULL, 0, "O_RDONLY");
	check_arg(GH_SYSARG_OPEN_FLAGS, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, NULL, 0,
		  "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC");
	check_arg(GH_SYSARG_OPEN_FLAGS, O_RDWR | 0x80000000u, NULL, 0, "O_RDWR|0x80000000");
	check_arg(GH_SYSARG_OPEN_FLAGS, O_SYNC, NULL, 0, "O_RDONLY|O_SYNC");
	check_arg(GH_SYSARG_AT_FLAGS, 0, NULL, 0, "0");
	check_arg(GH_SYSARG_AT_FLAGS, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, NULL, 0,
		  "AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH");
	check_arg(GH_SYSARG_PROT, 0, NULL, 0, "PROT_NONE");
	check_arg(GH_SYSARG_PROT, PROT_READ | PROT_EXEC, NULL, 0, "PROT_READ|PROT_EXEC");
	check_arg(GH_SYSARG_MAP_FLAGS, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0,
		  "MAP_PRIVATE|MAP_ANONYMOUS");
	check_arg(GH_SYSARG_MODE, 0644, NULL, 0, "0644");
	check_arg(GH_SYSARG_SIGNAL, 15, NULL, 0, "SIGTERM");
	check_arg(GH_SYSARG_HEX, 0, NULL, 0, "NULL");
	check_arg(GH_SYSARG_HEX, 0x7fff1000, NULL, 0, "0x7fff1000");
	check_arg(GH_SYSARG_INT, (uint64_t)-5, NULL, 0, "-5");
	check_arg(GH_SYSARG_STRING, 0x1000, "/etc/passwd", 0, "\"/etc/passwd\"");
	check_arg(GH_SYSARG_STRING, 0x1000, "a\"b\\c\n\x01", 0, "\"a\\\"b\\\\c\\n\\x01\"");
	check_arg(GH_SYSARG_STRING, 0x1000, "long", TRACELOOP_DATA_CUT, "\"long\"...");
	/* unreadable user memory: the address */
	check_arg(GH_SYSARG_STRING, 0x5c2c98, "", TRACELOOP_DATA_FAULT, "0x5c2c98");
	check_arg(GH_SYSARG_STRING, 0, NULL, 0, "NULL");
}

static struct gh_syscall_table *table(void)
{
	struct gh_syscall_table *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	parse("openat", openat_format, &t->sc[gh_syscall_from_name("openat")]);
	parse("write", write_format, &t->sc[gh_syscall_from_name("write")]);
	parse("exit_group", exit_group_format, &t->sc[gh_syscall_from_name("exit_group")]);
	parse("rt_sigreturn", no_args_format, &t->sc[gh_syscall_from_name("rt_sigreturn")]);
	return t;
}

static struct traceloop_record rec(uint8_t kind, const char *sc, uint32_t tid, uint64_t ts)
{
	struct traceloop_record r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.nr = (uint32_t)gh_syscall_from_name(sc);
	r.pid = 100;
	r.tid = tid;
	r.ts = ts;
	r.data_arg[0] = r.data_arg[1] = TRACELOOP_NO_ARG;
	return r;
}

static void set_data(struct traceloop_record *r, int k, int arg, const char *s)
{
	r->data_arg[k] = (uint8_t)arg;
	r->data_len[k] = (uint16_t)strlen(s);
	memcpy(r->data[k], s, strlen(s));
}

static void test_format_records(void **state)
{
	struct gh_syscall_table *t = table();
	struct traceloop_record r[7];
	struct gh_buf b = GH_BUF_INIT;

	/* an exit whose enter the ring lost */
	r[0] = rec(TRACELOOP_EXIT, "read", 100, 1000000000);
	r[0].args[0] = 29;
	/* openat of a missing file; between its enter and exit another
	 * thread's write, whole */
	r[1] = rec(TRACELOOP_ENTER, "openat", 100, 2000001000);
	r[1].args[0] = (uint64_t)(int64_t)AT_FDCWD;
	r[1].args[2] = O_RDONLY;
	r[1].args[3] = 0777; /* no O_CREAT: mode not shown */
	r[1].args[1] = 0x1000;
	set_data(&r[1], 0, 1, "/missing");
	r[2] = rec(TRACELOOP_ENTER, "write", 101, 2000002000);
	r[2].args[0] = 2;
	r[2].args[2] = 3;
	r[2].args[1] = 0x2000;
	set_data(&r[2], 0, 1, "hi\n");
	r[3] = rec(TRACELOOP_EXIT, "write", 101, 2000003000);
	r[3].args[0] = 3;
	r[4] = rec(TRACELOOP_EXIT, "openat", 100, 2000004000);
	r[4].args[0] = (uint64_t)-ENOENT;
	/* rt_sigreturn's exit has the number -1 */
	r[5] = rec(TRACELOOP_ENTER, "rt_sigreturn", 100, 2000005000);
	r[6] = rec(TRACELOOP_EXIT, "rt_sigreturn", 100, 2000006000);
	r[6].nr = UINT32_MAX;
	r[6].args[0] = 7;
	assert_int_equal(gh_traceloop_format_records(&b, t, r, 7, 0), 0);
	assert_string_equal(b.p,
		"1.000000 [100] <... read resumed> = 29\n"
		"2.000001 [100] openat(AT_FDCWD, \"/missing\", O_RDONLY) = -1 ENOENT\n"
		"2.000002 [100:101] write(2, \"hi\\n\", 3) = 3\n"
		"2.000005 [100] rt_sigreturn() = 7\n");
	gh_buf_reset(&b);

	/* a call that never returned, and wall clock time */
	r[0] = rec(TRACELOOP_ENTER, "exit_group", 100, 1000000);
	r[0].args[0] = 1;
	assert_int_equal(gh_traceloop_format_records(&b, t, r, 1, 3600LL * 1000000000LL), 0);
	assert_string_equal(b.p, "01:00:00.001000 [100] exit_group(1) = ?\n");
	gh_buf_free(&b);
	free(t);
}

static void test_parse_list(void **state)
{
	struct gh_traceloop_entry *e;
	size_t n;

	assert_int_equal(gh_traceloop_parse_list("web\tabc123\trunning\t42\t4026532177\n"
						 "db\tdef456\texited\t7\t4026532178\n", &e, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(e[0].name, "web");
	assert_string_equal(e[0].id, "abc123");
	assert_true(e[0].running);
	assert_int_equal(e[0].records, 42);
	assert_int_equal(e[0].mntns, 4026532177ULL);
	assert_false(e[1].running);
	gh_traceloop_entries_free(e, n);
	assert_int_equal(gh_traceloop_parse_list("", &e, &n), 0);
	assert_int_equal(n, 0);
	gh_traceloop_entries_free(e, n);
	assert_int_equal(gh_traceloop_parse_list("web\tabc\tpaused\t1\t2\n", &e, &n), -EPROTO);
	assert_int_equal(gh_traceloop_parse_list("web\tabc\n", &e, &n), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_kinds),
		cmocka_unit_test(test_format_args),
		cmocka_unit_test(test_format_records),
		cmocka_unit_test(test_parse_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
