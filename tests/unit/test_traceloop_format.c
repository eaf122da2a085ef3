/* test_traceloop.c - traceloop's user side without the kernel: syscall
 * argument kinds from tracepoint format texts, the argument formatter and
 * the strace-like lines made of enter and exit records. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/names.h"
#include "decode/syscall_args.h"
#include "traceloop/traceloop_client.h"
#include "traceloop/traceloop_format.h"

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

static const char execve_format[] = HEADER
	"\tfield:const char * filename;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:const char *const * argv;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:const char *const * envp;\toffset:32;\tsize:8;\tsigned:0;\n";

static const char wait4_format[] = HEADER
	"\tfield:pid_t upid;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:int * stat_addr;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:int options;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:struct rusage * ru;\toffset:40;\tsize:8;\tsigned:0;\n";

static const char sendfile64_format[] = HEADER
	"\tfield:int out_fd;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:int in_fd;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:loff_t * offset;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:size_t count;\toffset:40;\tsize:8;\tsigned:0;\n";

static const char lseek_format[] = HEADER
	"\tfield:unsigned int fd;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:off_t offset;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned int whence;\toffset:32;\tsize:8;\tsigned:0;\n";

static const char fchmodat2_format[] = HEADER
	"\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:umode_t mode;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned int flags;\toffset:40;\tsize:8;\tsigned:0;\n";

static void parse(const char *name, const char *format, struct gh_syscall_info *info)
{
	assert_int_equal(gh_syscall_format_parse(name, format, info), 0);
	assert_true(info->known);
}

/* syscall name, its format, and the kinds its arguments must get */
static void check_kinds(const char *name, const char *format, int nargs, ...)
{
	struct gh_syscall_info info;
	va_list ap;

	parse(name, format, &info);
	assert_int_equal(info.nargs, nargs);
	va_start(ap, nargs);
	for (int i = 0; i < nargs; i++)
		assert_int_equal(info.args[i].kind, va_arg(ap, int));
	va_end(ap);
}

static void test_format_kinds(void **state)
{
	struct gh_syscall_info info;

	parse("openat", openat_format, &info);
	assert_string_equal(info.args[0].name, "dfd");
	assert_string_equal(info.args[1].type, "const char *");
	assert_string_equal(info.args[1].name, "filename");
	assert_true(gh_sysarg_reads_memory(info.args[1].kind));
	check_kinds("openat", openat_format, 4, GH_SYSARG_DIRFD, GH_SYSARG_STRING,
		    GH_SYSARG_OPEN_FLAGS, GH_SYSARG_MODE);
	check_kinds("write", write_format, 3, GH_SYSARG_FD, GH_SYSARG_BUFFER, GH_SYSARG_ULONG);
	/* the kernel's input strings without their const */
	check_kinds("mount", mount_format, 5, GH_SYSARG_STRING, GH_SYSARG_STRING,
		    GH_SYSARG_STRING, GH_SYSARG_ULONG, GH_SYSARG_HEX);
	check_kinds("mmap", mmap_format, 6, GH_SYSARG_HEX, GH_SYSARG_ULONG, GH_SYSARG_PROT,
		    GH_SYSARG_MAP_FLAGS, GH_SYSARG_FD, GH_SYSARG_ULONG);
	/* integers by their width: pid_t and int are 32 bits, off_t 64 */
	check_kinds("wait4", wait4_format, 4, GH_SYSARG_INT, GH_SYSARG_HEX, GH_SYSARG_INT,
		    GH_SYSARG_HEX);
	check_kinds("sendfile64", sendfile64_format, 4, GH_SYSARG_FD, GH_SYSARG_FD,
		    GH_SYSARG_HEX, GH_SYSARG_ULONG);
	check_kinds("lseek", lseek_format, 3, GH_SYSARG_FD, GH_SYSARG_LONG, GH_SYSARG_UINT);
	check_kinds("fchmodat2", fchmodat2_format, 4, GH_SYSARG_DIRFD, GH_SYSARG_STRING,
		    GH_SYSARG_MODE, GH_SYSARG_AT_FLAGS);

	/* execve's argv read as an array of strings, its envp not */
	check_kinds("execve", execve_format, 3, GH_SYSARG_STRING, GH_SYSARG_ARGV, GH_SYSARG_HEX);
	assert_true(gh_sysarg_reads_memory(GH_SYSARG_ARGV));

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

/* an argv as the eBPF side packs it: strings each with its NUL */
static void check_argv(const char *data, size_t len, uint8_t flags, const char *want)
{
	struct gh_buf b = GH_BUF_INIT;

	assert_int_equal(gh_traceloop_format_arg(&b, GH_SYSARG_ARGV, 0x1000, data, len, flags), 0);
	assert_string_equal(b.p, want);
	gh_buf_free(&b);
}

static void test_format_args(void **state)
{
	check_argv("ls\0-l\0/\0", 8, 0, "[\"ls\", \"-l\", \"/\"]");
	check_argv("", 0, 0, "[]");
	/* more strings than read; a string cut in the middle */
	check_argv("ls\0-l\0", 6, TRACELOOP_DATA_CUT, "[\"ls\", \"-l\", ...]");
	check_argv("ls\0/very/lo", 11, TRACELOOP_DATA_CUT, "[\"ls\", \"/very/lo\"...]");
	check_argv("", 0, TRACELOOP_DATA_FAULT, "0x1000");
	check_arg(GH_SYSARG_ARGV, 0, NULL, 0, "NULL");
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
	/* an int's upper half is not the caller's: wait4(-1, ...) */
	check_arg(GH_SYSARG_INT, 0xffffffffu, NULL, 0, "-1");
	check_arg(GH_SYSARG_UINT, 0xdead00000007ull, NULL, 0, "7");
	check_arg(GH_SYSARG_LONG, (uint64_t)-4096, NULL, 0, "-4096");
	check_arg(GH_SYSARG_ULONG, 0x100000000ull, NULL, 0, "4294967296");
	/* O_TMPFILE is its own bit and O_DIRECTORY's: O_DIRECTORY alone is no O_TMPFILE */
	check_arg(GH_SYSARG_OPEN_FLAGS, O_RDONLY | O_DIRECTORY, NULL, 0, "O_RDONLY|O_DIRECTORY");
	check_arg(GH_SYSARG_OPEN_FLAGS, O_RDWR | O_TMPFILE, NULL, 0, "O_RDWR|O_TMPFILE");
	/* strace's order and names */
	check_arg(GH_SYSARG_OPEN_FLAGS, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_DIRECTORY, NULL, 0,
		  "O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY");
	check_arg(GH_SYSARG_OPEN_FLAGS, O_PATH | O_DIRECTORY | O_CLOEXEC, NULL, 0,
		  "O_RDONLY|O_CLOEXEC|O_PATH|O_DIRECTORY");
	check_arg(GH_SYSARG_OPEN_FLAGS, O_ASYNC | O_DIRECTORY, NULL, 0, "O_RDONLY|O_DIRECTORY|FASYNC");
	check_arg(GH_SYSARG_OPEN_FLAGS, 3, NULL, 0, "O_ACCMODE");
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
	parse("wait4", wait4_format, &t->sc[gh_syscall_from_name("wait4")]);
	parse("sendfile64", sendfile64_format, &t->sc[gh_syscall_from_tracepoint("sendfile64")]);
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
	r.cpu = 1;
	memcpy(r.comm, "sh", 3);
	r.data_arg[0] = r.data_arg[1] = TRACELOOP_NO_ARG;
	return r;
}

/* r's first argument registers (an exit's result is args[0]) */
#define set_args(r, ...) \
	memcpy((r)->args, (uint64_t[]){__VA_ARGS__}, sizeof((uint64_t[]){__VA_ARGS__}))

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
		"1.000000 cpu1 [100] sh <... read resumed> = 29\n"
		"2.000001 cpu1 [100] sh openat(AT_FDCWD, \"/missing\", O_RDONLY) = -1 ENOENT\n"
		"2.000002 cpu1 [100:101] sh write(2, \"hi\\n\", 3) = 3\n"
		"2.000005 cpu1 [100] sh rt_sigreturn() = 7\n");
	gh_buf_reset(&b);

	/* a call that never returned, and wall clock time */
	r[0] = rec(TRACELOOP_ENTER, "exit_group", 100, 1000000);
	r[0].args[0] = 1;
	assert_int_equal(gh_traceloop_format_records(&b, t, r, 1, 3600LL * 1000000000LL), 0);
	assert_string_equal(b.p, "01:00:00.001000 cpu1 [100] sh exit_group(1) = ?\n");
	gh_buf_reset(&b);

	/* a task's end as strace prints it: its exit code, a fatal signal
	 * (with a core dump); the call it died in never returned; a command
	 * with a space and a byte that prints as nothing, escaped */
	r[0] = rec(TRACELOOP_ENTER, "exit_group", 100, 1000);
	r[0].args[0] = 3;
	r[1] = rec(TRACELOOP_PROCESS_EXIT, "read", 100, 2000);
	r[1].nr = 0;
	r[1].args[0] = 3 << 8;
	r[2] = rec(TRACELOOP_PROCESS_EXIT, "read", 101, 3000);
	r[2].args[0] = 9;
	memcpy(r[2].comm, "my t\x01", 6);
	r[3] = rec(TRACELOOP_PROCESS_EXIT, "read", 102, 4000);
	r[3].pid = 102;
	r[3].args[0] = 11 | 0x80;
	r[3].cpu = 0;
	assert_int_equal(gh_traceloop_format_records(&b, t, r, 4, 0), 0);
	assert_string_equal(b.p,
		"0.000001 cpu1 [100] sh exit_group(3) = ?\n"
		"0.000002 cpu1 [100] sh +++ exited with 3 +++\n"
		"0.000003 cpu1 [100:101] my\\x20t\\x01 +++ killed by SIGKILL +++\n"
		"0.000004 cpu0 [102] sh +++ killed by SIGSEGV (core dumped) +++\n");
	gh_buf_reset(&b);

	/* open's mode only with O_CREAT or the whole O_TMPFILE, as strace;
	 * wait4(-1) signed; sendfile (its tracepoint is sendfile64) decoded */
	r[0] = rec(TRACELOOP_ENTER, "openat", 100, 1000);
	set_args(&r[0], (uint64_t)(int64_t)AT_FDCWD, 0x1000,
		 (uint64_t)(O_RDONLY | O_DIRECTORY | O_CLOEXEC), 0);
	set_data(&r[0], 0, 1, "/etc");
	r[1] = rec(TRACELOOP_EXIT, "openat", 100, 2000);
	set_args(&r[1], 3);
	r[2] = r[0];
	set_args(&r[2], (uint64_t)(int64_t)AT_FDCWD, 0x1000, (uint64_t)(O_RDWR | O_TMPFILE),
		 0600);
	r[3] = r[1];
	r[4] = rec(TRACELOOP_ENTER, "wait4", 100, 3000);
	set_args(&r[4], 0xffffffffu, 0x7ffc0000, 0, 0);
	r[5] = rec(TRACELOOP_ENTER, "sendfile", 100, 4000);
	set_args(&r[5], 1, 3, 0, 5);
	r[6] = rec(TRACELOOP_EXIT, "sendfile", 100, 5000);
	set_args(&r[6], 5);
	assert_int_equal(gh_traceloop_format_records(&b, t, r, 7, 0), 0);
	assert_string_equal(b.p,
		"0.000001 cpu1 [100] sh openat(AT_FDCWD, \"/etc\", O_RDONLY|O_CLOEXEC|O_DIRECTORY) = 3\n"
		"0.000001 cpu1 [100] sh openat(AT_FDCWD, \"/etc\", O_RDWR|O_TMPFILE, 0600) = 3\n"
		"0.000003 cpu1 [100] sh wait4(-1, 0x7ffc0000, 0, NULL) = ?\n"
		"0.000004 cpu1 [100] sh sendfile(1, 3, NULL, 5) = 5\n");
	gh_buf_free(&b);
	free(t);
}

/* names above 450 (the table is current to the newest kernel), the
 * tracepoints named after kernel functions, and the check of a kernel's
 * calls against the table: a fake tracefs with one call unknown */
static void test_syscall_names(void **state)
{
	char dir[] = "/tmp/gh-test-tracefs-XXXXXX", path[256], missing[128], msg[256];

	assert_string_equal(gh_syscall_name(452), "fchmodat2");
	assert_string_equal(gh_syscall_name(451), "cachestat");
	assert_string_equal(gh_syscall_name(462), "mseal");
	assert_string_equal(gh_syscall_name(464), "getxattrat");
	assert_string_equal(gh_syscall_name(470), "listns");
	assert_null(gh_syscall_name(400)); /* 387..423 are never used */
	assert_int_equal(gh_syscall_from_name("futex_wake"), 454);
	assert_int_equal(gh_syscall_from_tracepoint("sendfile64"), gh_syscall_from_name("sendfile"));
	assert_int_equal(gh_syscall_from_tracepoint("newfstat"), gh_syscall_from_name("fstat"));
	assert_int_equal(gh_syscall_from_tracepoint("umount"), gh_syscall_from_name("umount2"));
	assert_int_equal(gh_syscall_from_tracepoint("newfstatat"), 262);
	assert_int_equal(gh_syscall_from_tracepoint("frobnicate"), -1);

	assert_non_null(mkdtemp(dir));
	assert_int_equal(gh_syscall_names_check(dir, missing, sizeof(missing)), -ENOENT);
	assert_int_equal(gh_syscall_names_warning(dir, msg, sizeof(msg)), 0);
	const char *const events[] = {"", "/events", "/events/syscalls",
				      "/events/syscalls/sys_enter_read",
				      "/events/syscalls/sys_exit_frobnicate",
				      "/events/syscalls/sys_enter_sendfile64",
				      "/events/syscalls/sys_enter_frobnicate", NULL};
	for (int i = 1; events[i]; i++) {
		snprintf(path, sizeof(path), "%s%s", dir, events[i]);
		assert_int_equal(mkdir(path, 0700), 0);
	}
	assert_int_equal(gh_syscall_names_check(dir, missing, sizeof(missing)), 1);
	assert_string_equal(missing, "frobnicate");
	assert_int_equal(gh_syscall_names_warning(dir, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "1 system call that gadgethost has no name for (frobnicate)"));
	for (int i = 6; i > 0; i--) {
		snprintf(path, sizeof(path), "%s%s", dir, events[i]);
		assert_int_equal(rmdir(path), 0);
	}
	assert_int_equal(rmdir(dir), 0);
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
	assert_string_equal(e[0].k8s_namespace, "");
	gh_traceloop_entries_free(e, n);
	/* a pod's container: its namespace and pod; a container of none:
	 * empty fields */
	assert_int_equal(gh_traceloop_parse_list("main\tabc\trunning\t1\t2\tprod\tweb-7d4\n"
						 "main\tdef\texited\t3\t4\t\t\n", &e, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(e[0].k8s_namespace, "prod");
	assert_string_equal(e[0].k8s_pod, "web-7d4");
	assert_string_equal(e[1].k8s_pod, "");
	assert_int_equal(e[1].records, 3);
	gh_traceloop_entries_free(e, n);
	assert_int_equal(gh_traceloop_parse_list("main\tabc\trunning\t1\t2\tns\n", &e, &n),
			 -EPROTO);
	assert_int_equal(gh_traceloop_parse_list("a\tb\trunning\t1\t2\tns\tpod\tx\n", &e, &n),
			 -EPROTO);
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
		cmocka_unit_test(test_syscall_names),
		cmocka_unit_test(test_parse_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
