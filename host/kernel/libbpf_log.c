/* libbpf_log.c - libbpf's print callback.
 *
 * libbpf reports why an open or a load failed through its print callback,
 * often over many lines (a verifier log can have thousands).  We keep the
 * last warning line, which names the cause, and the last few lines of a
 * verifier log, and pass all of it on (base/log.h) only with --verbose.
 */
#include "kernel/libbpf_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "base/log.h"

static bool verbose;
static bool installed;
static char last[512];
static char verifier[512]; /* the verifier's reason, from a load log */
static char tail[8192];    /* the log's last GH_VERIFIER_TAIL_LINES lines */

/* The last lines of the log proper (between libbpf's BEGIN and END
 * markers), each indented, for the error of a rejected load. */
static void keep_verifier_tail(const char *log)
{
	const char *begin = strstr(log, "BEGIN PROG LOAD LOG");
	const char *end = strstr(log, "-- END PROG LOAD LOG");
	const char *p;
	size_t len = 0;
	int lines = 0;

	begin = begin ? strchr(begin, '\n') : NULL;
	if (!begin)
		return;
	begin++;
	if (!end || end < begin)
		end = begin + strlen(begin);
	while (end > begin && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	for (p = end; p > begin; p--)
		if (p[-1] == '\n' && ++lines == GH_VERIFIER_TAIL_LINES)
			break;
	tail[0] = '\0';
	while (p < end && len + 8 < sizeof(tail)) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int w = snprintf(tail + len, sizeof(tail) - len, "    %.*s\n", (int)n, p);

		if (w < 0 || (size_t)w >= sizeof(tail) - len)
			break;
		len += w;
		p += n + 1;
	}
}

/* A verifier log ends with "processed N insns ..."; the line before it
 * (skipping the register dumps) says why the program was rejected. */
static void keep_verifier_reason(const char *log)
{
	const char *end = strstr(log, "\nprocessed ");
	const char *p, *start;

	if (!end)
		return;
	for (p = end; p > log;) {
		start = p - 1;
		while (start > log && start[-1] != '\n')
			start--;
		if (p - start > 1 && start[0] != ';' && !(start[0] >= '0' && start[0] <= '9')) {
			snprintf(verifier, sizeof(verifier), "%.*s", (int)(p - start), start);
			return;
		}
		p = start - 1 > log ? start - 1 : log;
		if (start == log)
			break;
	}
}

static int print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	size_t len;

	if (verbose) {
		va_list copy;
		char *msg = NULL;
		int n;

		va_copy(copy, ap);
		n = vasprintf(&msg, fmt, copy);
		va_end(copy);
		while (n > 0 && msg[n - 1] == '\n')
			msg[--n] = '\0';
		if (n > 0)
			gh_log(GH_LOG_INFO, "%s", msg);
		free(msg);
	}
	if (level == LIBBPF_DEBUG)
		return 0;
	if (strstr(fmt, "BEGIN PROG LOAD LOG")) {
		va_list copy;
		char *log = NULL;

		va_copy(copy, ap);
		if (vasprintf(&log, fmt, copy) >= 0) {
			keep_verifier_reason(log);
			keep_verifier_tail(log);
			free(log);
		}
		va_end(copy);
	}
	vsnprintf(line, sizeof(line), fmt, ap);
	len = strlen(line);
	while (len && (line[len - 1] == '\n' || line[len - 1] == ' '))
		line[--len] = '\0';
	/* keep the first line of a multi-line message: the reason */
	if (len) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (!strncmp(line, "libbpf: ", 8))
			memmove(line, line + 8, strlen(line + 8) + 1);
		snprintf(last, sizeof(last), "%s", line);
	}
	return 0;
}

void gh_libbpf_log_install(void)
{
	if (!installed) {
		libbpf_set_print(print);
		libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
		installed = true;
	}
}

void gh_libbpf_log_set_verbose(bool v)
{
	verbose = v;
}

void gh_libbpf_log_reset(void)
{
	last[0] = '\0';
	verifier[0] = '\0';
	tail[0] = '\0';
}

const char *gh_libbpf_log_last(void)
{
	return last[0] ? last : NULL;
}

const char *gh_libbpf_log_verifier(void)
{
	return verifier[0] ? verifier : NULL;
}

const char *gh_libbpf_log_verifier_tail(void)
{
	return tail[0] ? tail : NULL;
}

