/* log.h - what a long-running library function has to tell, without
 * printing it.
 *
 * Errors that end a call are returned (err.h).  What happens while a run
 * goes on (events lost, a script's error counted, a container that could
 * not be watched) is reported here, one line per message, to the sink the
 * command installed: the CLI writes "gadgethost: LINE" to stderr, the
 * daemon a time-stamped log line.  Without a sink messages are dropped.
 *
 * The level is said by the sink, never by the message: a message does not
 * start with "warning: " or "error: ".  The CLI writes "gadgethost:
 * warning: LINE" for a warning (an error line is "gadgethost: LINE", as all
 * its error lines), the daemon "error: " and "warning: " after the time.
 */
#ifndef GH_LOG_H
#define GH_LOG_H

enum gh_log_level {
	GH_LOG_ERROR,   /* something failed; the run may go on without it */
	GH_LOG_WARNING, /* the user should know (lost events, hook errors) */
	GH_LOG_NOTICE,  /* what a run says as it goes (--watch's reloads) */
	GH_LOG_INFO,    /* --verbose: what was loaded, attached, chosen */
};

/* msg: one line, without newline; the sink escapes what it must.  A few
 * messages carry more lines after the first (a verifier log's tail,
 * indented): the sink prefixes the first line only. */
typedef void (*gh_log_fn)(void *ctx, enum gh_log_level level, const char *msg);

/* Install the process's sink (NULL: drop everything); verbose says
 * whether GH_LOG_INFO messages are made at all. */
void gh_log_set_sink(gh_log_fn fn, void *ctx, int verbose);
/* Whether INFO messages reach a sink (to skip costly formatting). */
int gh_log_verbose(void);
void gh_log(enum gh_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
