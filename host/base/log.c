/* log.c - one sink for the messages of a run (see log.h). */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static gh_log_fn sink;
static void *sink_ctx;
static int sink_verbose;

void gh_log_set_sink(gh_log_fn fn, void *ctx, int verbose)
{
	sink = fn;
	sink_ctx = ctx;
	sink_verbose = verbose;
}

int gh_log_verbose(void)
{
	return sink && sink_verbose;
}

void gh_log(enum gh_log_level level, const char *fmt, ...)
{
	char msg[1024], *big = NULL;
	va_list ap;
	int n;

	if (!sink || (level == GH_LOG_INFO && !sink_verbose))
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* a long one (a verifier log's tail) whole, if memory allows */
	if (n >= (int)sizeof(msg) && (big = malloc((size_t)n + 1))) {
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	sink(sink_ctx, level, big ? big : msg);
	free(big);
}
