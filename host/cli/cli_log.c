/* cli_log.c - where the library's messages (base/log.h) go on the
 * command line: "gadgethost: MESSAGE" on stderr, "gadgethost: warning:
 * MESSAGE" for a warning, escaped (messages carry names from traced
 * processes and scripts: base/text.h).  An error has no prefix: every
 * error line of the command line is "gadgethost: WHAT". */
#include "cli/cli_log.h"

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/text.h"

static void to_stderr(void *ctx, enum gh_log_level level, const char *msg)
{
	struct gh_buf b = GH_BUF_INIT;
	const char *line = msg;
	int ret = gh_buf_puts(&b, level == GH_LOG_WARNING ? "gadgethost: warning: " :
			      "gadgethost: ");

	(void)ctx;
	/* line by line: a verifier log's tail keeps its lines */
	for (;;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (!ret)
			ret = gh_text_escape(&b, line, len);
		if (!ret)
			ret = gh_buf_putc(&b, '\n');
		if (!nl)
			break;
		line = nl + 1;
	}
	if (!ret)
		fwrite(b.p, 1, b.len, stderr);
	gh_buf_free(&b);
}

void gh_cli_log_install(bool verbose)
{
	gh_log_set_sink(to_stderr, NULL, verbose);
}
