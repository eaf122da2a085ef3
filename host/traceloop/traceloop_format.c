/* traceloop_format.c - traceloop records as strace-like lines. */
#include "traceloop/traceloop_format.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "base/names.h"

struct flag_name {
	uint64_t bit;
	const char *name;
};

/* in strace's order, with its names */
static const struct flag_name open_flags[] = {
	{O_CREAT, "O_CREAT"}, {O_EXCL, "O_EXCL"}, {O_NOCTTY, "O_NOCTTY"},
	{O_TRUNC, "O_TRUNC"}, {O_APPEND, "O_APPEND"}, {O_NONBLOCK, "O_NONBLOCK"},
	{O_SYNC, "O_SYNC"}, {O_DSYNC, "O_DSYNC"}, {O_DIRECT, "O_DIRECT"},
	{0100000, "O_LARGEFILE"}, {O_NOFOLLOW, "O_NOFOLLOW"}, {O_NOATIME, "O_NOATIME"},
	{O_CLOEXEC, "O_CLOEXEC"}, {O_PATH, "O_PATH"}, {O_TMPFILE, "O_TMPFILE"},
	{O_DIRECTORY, "O_DIRECTORY"}, {O_ASYNC, "FASYNC"}, {0, NULL},
};

static const struct flag_name at_flags[] = {
	{AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"}, {AT_REMOVEDIR, "AT_REMOVEDIR"},
	{AT_SYMLINK_FOLLOW, "AT_SYMLINK_FOLLOW"}, {AT_NO_AUTOMOUNT, "AT_NO_AUTOMOUNT"},
	{AT_EMPTY_PATH, "AT_EMPTY_PATH"}, {0, NULL},
};

static const struct flag_name prot_flags[] = {
	{PROT_READ, "PROT_READ"}, {PROT_WRITE, "PROT_WRITE"}, {PROT_EXEC, "PROT_EXEC"},
	{0, NULL},
};

static const struct flag_name map_flags[] = {
	{MAP_SHARED, "MAP_SHARED"}, {MAP_PRIVATE, "MAP_PRIVATE"}, {MAP_FIXED, "MAP_FIXED"},
	{MAP_ANONYMOUS, "MAP_ANONYMOUS"}, {MAP_GROWSDOWN, "MAP_GROWSDOWN"},
	{MAP_DENYWRITE, "MAP_DENYWRITE"}, {MAP_NORESERVE, "MAP_NORESERVE"},
	{MAP_POPULATE, "MAP_POPULATE"}, {MAP_STACK, "MAP_STACK"},
	{MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"}, {0, NULL},
};

/* NAME|NAME|0x..., the bits left over in hex; first: what 0 prints as
 * (NULL: "0"), already printed when it is a prefix (O_RDONLY|...). */
static int put_flags(struct gh_buf *out, uint64_t v, const struct flag_name *names,
		     const char *prefix)
{
	bool any = false;
	int ret = 0;

	if (prefix) {
		ret = gh_buf_puts(out, prefix);
		any = true;
	}
	for (size_t i = 0; names[i].name && !ret; i++) {
		/* O_SYNC includes O_DSYNC's bit: whole masks only */
		if ((v & names[i].bit) != names[i].bit)
			continue;
		ret = gh_buf_printf(out, "%s%s", any ? "|" : "", names[i].name);
		v &= ~names[i].bit;
		any = true;
	}
	if (!ret && (v || !any))
		ret = gh_buf_printf(out, "%s%#" PRIx64, any ? "|" : "", v);
	return ret;
}

/* A quoted C-escaped string, "..." after it when cut. */
static int put_quoted(struct gh_buf *out, const char *s, size_t len, bool cut)
{
	int ret = gh_buf_putc(out, '"');

	for (size_t i = 0; i < len && !ret; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"': ret = gh_buf_puts(out, "\\\""); break;
		case '\\': ret = gh_buf_puts(out, "\\\\"); break;
		case '\n': ret = gh_buf_puts(out, "\\n"); break;
		case '\t': ret = gh_buf_puts(out, "\\t"); break;
		case '\r': ret = gh_buf_puts(out, "\\r"); break;
		default:
			if (c < 0x20 || c >= 0x7f)
				ret = gh_buf_printf(out, "\\x%02x", c);
			else
				ret = gh_buf_putc(out, (char)c);
		}
	}
	if (!ret)
		ret = gh_buf_putc(out, '"');
	if (!ret && cut)
		ret = gh_buf_puts(out, "...");
	return ret;
}

/* An argv as strace prints it: ["ls", "-l", "/"]; a string cut short
 * "/very/lo"..., strings left out , ... */
static int put_argv(struct gh_buf *out, const char *data, size_t len, bool cut)
{
	size_t i = 0;
	bool partial = false;
	int ret = gh_buf_putc(out, '[');

	while (i < len && !ret) {
		const char *end = memchr(data + i, '\0', len - i);
		size_t n = end ? (size_t)(end - (data + i)) : len - i;

		partial = !end;
		if (i)
			ret = gh_buf_puts(out, ", ");
		if (!ret)
			ret = put_quoted(out, data + i, n, partial && cut);
		i += n + 1;
	}
	if (!ret && cut && !partial)
		ret = gh_buf_puts(out, len ? ", ..." : "...");
	return ret ? ret : gh_buf_putc(out, ']');
}

int gh_traceloop_format_arg(struct gh_buf *out, enum gh_sysarg_kind kind, uint64_t v,
			    const char *data, size_t data_len, uint8_t data_flags)
{
	switch (kind) {
	case GH_SYSARG_STRING:
	case GH_SYSARG_BUFFER:
	case GH_SYSARG_ARGV:
		if (!v)
			return gh_buf_puts(out, "NULL");
		if (!data || (data_flags & TRACELOOP_DATA_FAULT))
			return gh_buf_printf(out, "%#" PRIx64, v);
		if (kind == GH_SYSARG_ARGV)
			return put_argv(out, data, data_len, data_flags & TRACELOOP_DATA_CUT);
		return put_quoted(out, data, data_len, data_flags & TRACELOOP_DATA_CUT);
	case GH_SYSARG_DIRFD:
		if ((int32_t)v == AT_FDCWD)
			return gh_buf_puts(out, "AT_FDCWD");
		return gh_buf_printf(out, "%" PRId32, (int32_t)v);
	case GH_SYSARG_FD:
		return gh_buf_printf(out, "%" PRId32, (int32_t)v);
	case GH_SYSARG_OPEN_FLAGS: {
		static const char *const acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
		uint32_t f = (uint32_t)v;

		return put_flags(out, f & ~(uint32_t)O_ACCMODE, open_flags, acc[f & O_ACCMODE]);
	}
	case GH_SYSARG_AT_FLAGS:
		if (!(uint32_t)v)
			return gh_buf_putc(out, '0');
		return put_flags(out, (uint32_t)v, at_flags, NULL);
	case GH_SYSARG_PROT:
		if (!(uint32_t)v)
			return gh_buf_puts(out, "PROT_NONE");
		return put_flags(out, (uint32_t)v, prot_flags, NULL);
	case GH_SYSARG_MAP_FLAGS:
		return put_flags(out, (uint32_t)v, map_flags, NULL);
	case GH_SYSARG_MODE:
		return gh_buf_printf(out, "%#" PRIo32, (uint32_t)v);
	case GH_SYSARG_SIGNAL: {
		const char *name = gh_signal_name((int32_t)v);

		return name ? gh_buf_puts(out, name) : gh_buf_printf(out, "%" PRId32, (int32_t)v);
	}
	case GH_SYSARG_HEX:
		return v ? gh_buf_printf(out, "%#" PRIx64, v) : gh_buf_puts(out, "NULL");
	case GH_SYSARG_UINT:
		return gh_buf_printf(out, "%" PRIu32, (uint32_t)v);
	case GH_SYSARG_ULONG:
		return gh_buf_printf(out, "%" PRIu64, v);
	case GH_SYSARG_LONG:
		return gh_buf_printf(out, "%" PRId64, (int64_t)v);
	case GH_SYSARG_INT:
	default:
		return gh_buf_printf(out, "%" PRId32, (int32_t)v);
	}
}

static int put_time(struct gh_buf *out, uint64_t boot_ns, int64_t boot_to_wall_ns)
{
	int64_t ns = (int64_t)boot_ns + boot_to_wall_ns;
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;

	if (!boot_to_wall_ns)
		return gh_buf_printf(out, "%" PRIu64 ".%06" PRIu64 " ", boot_ns / 1000000000,
				     boot_ns % 1000000000 / 1000);
	gmtime_r(&sec, &tm);
	return gh_buf_printf(out, "%02d:%02d:%02d.%06" PRId64 " ", tm.tm_hour, tm.tm_min,
			     tm.tm_sec, ns % 1000000000 / 1000);
}

static int put_args(struct gh_buf *out, const struct gh_syscall_info *info,
		    const struct traceloop_record *r)
{
	int nargs = info && info->known ? info->nargs : TRACELOOP_ARGS;
	int ret = 0;

	for (int i = 0; i < nargs && !ret; i++) {
		enum gh_sysarg_kind kind = info && info->known ? info->args[i].kind : GH_SYSARG_HEX;
		const char *data = NULL;
		size_t len = 0;
		uint8_t flags = 0;

		for (int k = 0; k < TRACELOOP_DATA_ARGS; k++) {
			if (r->data_arg[k] != i)
				continue;
			data = r->data[k];
			len = r->data_len[k] < TRACELOOP_DATA_LEN ? r->data_len[k] : TRACELOOP_DATA_LEN;
			flags = r->data_flags[k];
		}
		/* open's mode means something only with O_CREAT or O_TMPFILE,
		 * all of its bits (O_DIRECTORY's among them) */
		if (kind == GH_SYSARG_MODE && i > 0 &&
		    info->args[i - 1].kind == GH_SYSARG_OPEN_FLAGS &&
		    !(r->args[i - 1] & O_CREAT) && (r->args[i - 1] & O_TMPFILE) != O_TMPFILE)
			break;
		if (i)
			ret = gh_buf_puts(out, ", ");
		if (!ret)
			ret = gh_traceloop_format_arg(out, kind, r->args[i], data, len, flags);
	}
	return ret;
}

/* " = 3", " = -1 ENOENT", " = 0x7f..." (calls that return addresses) */
static int put_result(struct gh_buf *out, const char *name, int64_t ret)
{
	static const char *const address_calls[] = {"mmap", "mremap", "brk", "shmat", NULL};

	/* the kernel's own, seen by a syscall a signal interrupted */
	static const char *const restarts[] = {"ERESTARTSYS", "ERESTARTNOINTR",
					       "ERESTARTNOHAND", "ENOIOCTLCMD",
					       "ERESTART_RESTARTBLOCK"};

	if (ret <= -512 && ret >= -516)
		return gh_buf_printf(out, " = ? %s", restarts[-ret - 512]);
	if (ret < 0 && ret >= -4095) {
		const char *e = gh_errno_name(ret);

		if (e)
			return gh_buf_printf(out, " = -1 %s", e);
		return gh_buf_printf(out, " = -1 E%" PRId64, -ret);
	}
	for (size_t i = 0; name && address_calls[i]; i++)
		if (!strcmp(name, address_calls[i]))
			return gh_buf_printf(out, " = %#" PRIx64, (uint64_t)ret);
	return gh_buf_printf(out, " = %" PRId64, ret);
}

/* "TIME cpuN [PID] COMM ", "[PID:TID]" for a thread other than the main
 * one; the command's spaces and unprintable bytes escaped (\x20), so the
 * line splits on spaces up to the call. */
static int put_prefix(struct gh_buf *out, const struct traceloop_record *r,
		      int64_t boot_to_wall_ns)
{
	int ret = put_time(out, r->ts, boot_to_wall_ns);

	if (!ret)
		ret = gh_buf_printf(out, "cpu%u ", r->cpu);
	if (!ret && r->pid == r->tid)
		ret = gh_buf_printf(out, "[%u] ", r->pid);
	else if (!ret)
		ret = gh_buf_printf(out, "[%u:%u] ", r->pid, r->tid);
	for (size_t i = 0; i < sizeof(r->comm) && r->comm[i] && !ret; i++) {
		unsigned char c = (unsigned char)r->comm[i];

		if (c <= 0x20 || c >= 0x7f || c == '\\')
			ret = gh_buf_printf(out, "\\x%02x", c);
		else
			ret = gh_buf_putc(out, (char)c);
	}
	if (!ret && !r->comm[0])
		ret = gh_buf_putc(out, '?');
	return ret ? ret : gh_buf_putc(out, ' ');
}

/* A task's end as strace prints it: "+++ exited with 3 +++", "+++ killed
 * by SIGKILL +++", "(core dumped)" when it was. */
static int put_process_exit(struct gh_buf *out, uint32_t status)
{
	int sig = (int)(status & 0x7f);
	const char *name;

	if (!sig)
		return gh_buf_printf(out, "+++ exited with %u +++\n", (status >> 8) & 0xff);
	name = gh_signal_name(sig);
	if (name)
		return gh_buf_printf(out, "+++ killed by %s%s +++\n", name,
				     status & 0x80 ? " (core dumped)" : "");
	return gh_buf_printf(out, "+++ killed by signal %d%s +++\n", sig,
			     status & 0x80 ? " (core dumped)" : "");
}

int gh_traceloop_format_call(struct gh_buf *out, const struct gh_syscall_table *t,
			     const struct traceloop_record *enter,
			     const struct traceloop_record *exit, int64_t boot_to_wall_ns)
{
	const struct traceloop_record *r = enter ? enter : exit;
	const struct gh_syscall_info *info = r->nr < GH_SYSCALL_MAX ? &t->sc[r->nr] : NULL;
	const char *name = gh_syscall_name(r->nr);
	char unknown[32];
	int ret;

	if (!name) {
		snprintf(unknown, sizeof(unknown), "syscall_%u", r->nr);
		name = unknown;
	}
	ret = put_prefix(out, r, boot_to_wall_ns);
	if (ret)
		return ret;
	if (r->kind == TRACELOOP_PROCESS_EXIT)
		return put_process_exit(out, (uint32_t)r->args[0]);
	if (enter) {
		ret = gh_buf_printf(out, "%s(", name);
		if (!ret)
			ret = put_args(out, info, enter);
		if (!ret)
			ret = gh_buf_putc(out, ')');
	} else {
		ret = gh_buf_printf(out, "<... %s resumed>", name);
	}
	if (!ret && exit)
		ret = put_result(out, name, (int64_t)exit->args[0]);
	else if (!ret)
		ret = gh_buf_puts(out, " = ?");
	return ret ? ret : gh_buf_putc(out, '\n');
}

/* Whether exit ends enter: the same syscall, or one whose number the
 * kernel cleared on the way out (rt_sigreturn sets it to -1). */
static bool same_call(const struct traceloop_record *enter, const struct traceloop_record *exit)
{
	return exit->nr == enter->nr || exit->nr == UINT32_MAX;
}

int gh_traceloop_format_records(struct gh_buf *out, const struct gh_syscall_table *t,
				const struct traceloop_record *recs, size_t n,
				int64_t boot_to_wall_ns)
{
	for (size_t i = 0; i < n; i++) {
		const struct traceloop_record *r = &recs[i], *exit = NULL;
		int ret;

		if (r->kind == TRACELOOP_EXIT) {
			/* an exit whose enter is not in the ring (printed with
			 * its enter otherwise) */
			bool paired = false;

			for (size_t j = i; j-- > 0;) {
				if (recs[j].tid != r->tid)
					continue;
				paired = recs[j].kind == TRACELOOP_ENTER && same_call(&recs[j], r);
				break;
			}
			if (paired)
				continue;
			ret = gh_traceloop_format_call(out, t, NULL, r, boot_to_wall_ns);
		} else if (r->kind == TRACELOOP_ENTER) {
			for (size_t j = i + 1; j < n; j++) {
				if (recs[j].tid != r->tid)
					continue;
				if (recs[j].kind == TRACELOOP_EXIT && same_call(r, &recs[j]))
					exit = &recs[j];
				break;
			}
			ret = gh_traceloop_format_call(out, t, r, exit, boot_to_wall_ns);
		} else if (r->kind == TRACELOOP_PROCESS_EXIT) {
			ret = gh_traceloop_format_call(out, t, r, NULL, boot_to_wall_ns);
		} else {
			continue;
		}
		if (ret)
			return ret;
	}
	return 0;
}
