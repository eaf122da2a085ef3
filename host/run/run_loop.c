/* run_loop.c - the one loop of every kind of gadget run (run_loop.h). */
#include "run/run_loop.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "base/log.h"
#include "base/write_file.h"
#include "containers/container.h"
#include "run/event_metrics.h"
#include "run/run_report.h"
#include "script/lua_guard.h"
#include "script/lua_lifecycle.h"
#include "script/lua_script.h"
#include "script/lua_watchdog.h"

int gh_run_write_ready_file(const char *path)
{
	return gh_write_ready_file(path);
}

int gh_run_flush(struct gh_run *run)
{
	if (run->out && !run->out_error && gh_out_pending(run->out))
		run->out_error = gh_out_flush(run->out);
	if (run->out_error)
		gh_run_stop(run);
	return run->out_error;
}

void gh_run_fail(struct gh_run *run, int err)
{
	if (err == -EPIPE && !run->out_error)
		run->out_error = err;
	else if (!run->error)
		run->error = err;
	gh_run_stop(run);
}

int gh_run_drain(struct gh_run *run)
{
	int ret;

	if (!run->kind->drain || run->draining || run->out_error)
		return 0;
	run->draining = true;
	run->pipeline.seq++;
	ret = run->kind->drain(run->k);
	run->draining = false;
	return ret;
}

/* Events the kernel may have lost without counting them: runs of the
 * gadget's programs it skipped (gh_gadget_skipped_runs). */
static void report_skipped(const struct gh_gadget *g)
{
	const char *prog;
	uint64_t n = gh_gadget_skipped_runs(g, &prog);

	if (n)
		gh_log(GH_LOG_WARNING, "the kernel skipped %" PRIu64 " runs of the gadget's programs "
		       "(most: %s): they fired inside another eBPF program on the same CPU, so "
		       "events may be missing", n, prog ? prog : "?");
}

/* --report-fd: the numbers so far (run_report.h) */
static int report(struct gh_run *run, bool force)
{
	struct gh_run_numbers num = {.n = run->pipeline.n, .lua_errors = gh_lua_errors(run->g->lua),
				     .lost = run->g->lost_events ? *run->g->lost_events : 0,
				     .skipped = gh_gadget_skipped_runs(run->g, NULL)};
	struct gh_buf own = GH_BUF_INIT;
	int ret = 0;

	if (run->kind->report && run->k)
		ret = run->kind->report(run->k, &own);
	if (!ret)
		ret = gh_run_report_write(&num, run->metrics, own.p ? own.p : "", own.len,
					  (int)run->opts->report_fd, &run->report_sig, force);
	gh_buf_free(&own);
	return ret;
}

/* A run of its own (no daemon reads its report): the metrics from
 * events so far, as Prometheus text, after the rows (run.h). */
static int print_metrics(struct gh_run *run)
{
	struct gh_buf own = GH_BUF_INIT;
	struct gh_buf *b = run->opts->metrics_fd || !run->out ? &own : gh_out_buffer(run->out);
	int ret;

	if (!run->metrics || run->opts->report_fd_given || run->out_error)
		return 0;
	ret = b != &own ? gh_buf_putc(b, '\n') : 0; /* a blank line after the rows */
	ret = ret ? ret : gh_event_metrics_render(run->metrics, b);
	for (size_t off = 0; !ret && b == &own && off < own.len;) {
		ssize_t w = write(run->opts->metrics_fd ? run->opts->metrics_fd : STDOUT_FILENO,
				  own.p + off, own.len - off);

		if (w < 0 && errno != EINTR)
			ret = -errno;
		else if (w > 0)
			off += (size_t)w;
	}
	gh_buf_free(&own);
	return ret;
}

/* The stop order: no new events, take the ones sent, the kind's last
 * output, the script's on_stop, and write it all. */
static void stop(struct gh_run *run)
{
	int ret;

	if (run->stopping)
		return;
	run->stopping = true;
	if (run->kind->detach)
		run->kind->detach(run->k);
	gh_run_lib_uprobes_stop(&run->lib_uprobes);
	gh_gadget_detach(run->g);
	if (run->started && !run->out_error) {
		ret = gh_run_drain(run);
		if (ret >= 0 && run->kind->finish && !run->out_error)
			ret = run->kind->finish(run->k);
		if (ret == -EPIPE)
			run->out_error = ret;
		else if (ret < 0 && !run->error)
			run->error = ret;
		if (!run->out_error && gh_lua_call_stop(run->g->lua))
			run->hook_errors++;
		ret = print_metrics(run);
		if (ret == -EPIPE)
			run->out_error = ret;
		else if (ret < 0 && !run->error)
			run->error = ret;
		if (run->out && !run->out_error && gh_out_pending(run->out))
			run->out_error = gh_out_flush(run->out);
	}
	if (run->opts->report_fd_given)
		report(run, true);
	uv_timer_stop(&run->report);
	uv_timer_stop(&run->interval);
	uv_timer_stop(&run->timeout);
	uv_signal_stop(&run->sigint);
	uv_signal_stop(&run->sigterm);
	/* only from inside the loop: after it (another handle stopped it,
	 * e.g. --watch to re-attach) a stop flag would skip the handles'
	 * closing run below */
	if (run->in_loop)
		uv_stop(run->loop);
}

void gh_run_stop(struct gh_run *run)
{
	if (run->in_loop)
		stop(run);
	else
		run->stop_asked = true;
}

/* every interval: what the kernel sent, the kind's tick, on_interval */
static void on_interval(uv_timer_t *h)
{
	struct gh_run *run = h->data;
	int ret = gh_run_drain(run);

	if (ret >= 0 && run->kind->tick && !run->stopping && !run->out_error)
		ret = run->kind->tick(run->k);
	if (ret < 0) {
		gh_run_fail(run, ret);
		return;
	}
	if (run->stopping)
		return;
	if (gh_lua_call_interval(run->g->lua, ++run->ticks))
		run->hook_errors++;
	/* a top's default interval is not one asked for */
	if (run->opts->interval_ms) {
		ret = print_metrics(run);
		if (ret < 0) {
			gh_run_fail(run, ret);
			return;
		}
	}
	gh_run_flush(run);
}

/* The container collection is about to change: take the events sent
 * before, while their containers are still as they were. */
static void drain_for_containers(void *ctx)
{
	struct gh_run *run = ctx;
	int ret;

	if (run->stopping || run->out_error)
		return;
	ret = gh_run_drain(run);
	if (ret < 0)
		gh_run_fail(run, ret);
	else
		gh_run_flush(run);
}

static void on_container(void *ctx, const struct gh_container *c, bool added)
{
	struct gh_run *run = ctx;

	if (run->stopping)
		return;
	if (gh_lua_call_container(run->g->lua, run->opts->lua_host, c, added))
		run->hook_errors++;
}

/* every second: the numbers for the daemon, when they changed */
static void on_report(uv_timer_t *h)
{
	struct gh_run *run = h->data;

	if (report(run, false) == -EPIPE)
		uv_timer_stop(h); /* the daemon is gone */
}

static void on_timeout(uv_timer_t *h)
{
	stop(h->data);
}

static void on_signal(uv_signal_t *h, int signum)
{
	stop(h->data);
}

void gh_run_handle_closed(uv_handle_t *h)
{
}

static void start_handles(struct gh_run *run)
{
	uv_timer_init(run->loop, &run->timeout);
	uv_timer_init(run->loop, &run->interval);
	uv_timer_init(run->loop, &run->report);
	run->report.data = run;
	uv_signal_init(run->loop, &run->sigint);
	uv_signal_init(run->loop, &run->sigterm);
	run->timeout.data = run->interval.data = run;
	run->sigint.data = run->sigterm.data = run;
	uv_signal_start(&run->sigint, on_signal, SIGINT);
	uv_signal_start(&run->sigterm, on_signal, SIGTERM);
	/* a script stuck in a hook cannot stop the loop from seeing these */
	gh_lua_watchdog_catch_signals();
	gh_run_lib_uprobes_start(&run->lib_uprobes, run->loop, run->g->lib_uprobes,
				 run->opts->containers);
	if (run->opts->timeout_ms) {
		gh_lua_watchdog_stop_at(gh_lua_watchdog_now_ms() + run->opts->timeout_ms);
		uv_timer_start(&run->timeout, on_timeout, run->opts->timeout_ms, 0);
	}
}

static void close_handles(struct gh_run *run)
{
	/* our own only: a shared loop has others (the container watch, the
	 * hook server), closed by their owners */
	uv_close((uv_handle_t *)&run->timeout, gh_run_handle_closed);
	uv_close((uv_handle_t *)&run->interval, gh_run_handle_closed);
	uv_close((uv_handle_t *)&run->report, gh_run_handle_closed);
	uv_close((uv_handle_t *)&run->sigint, gh_run_handle_closed);
	uv_close((uv_handle_t *)&run->sigterm, gh_run_handle_closed);
	gh_run_lib_uprobes_close(&run->lib_uprobes);
}

static int loop(struct gh_run *run)
{
	struct gh_containers *cc = run->opts->containers;
	int ret;

	start_handles(run);
	if (cc)
		gh_containers_set_sync(cc, drain_for_containers, run);
	if (cc && gh_lua_has_hook(run->g->lua, "on_container") &&
	    gh_containers_subscribe(cc, on_container, run))
		gh_log(GH_LOG_ERROR, "out of memory: on_container will not be called");
	ret = run->kind->start(run->k);
	run->started = !ret;
	if (!ret && run->out && gh_out_pending(run->out))
		ret = gh_out_flush(run->out);
	if (!ret && run->opts->ready_file) {
		ret = gh_run_write_ready_file(run->opts->ready_file);
		if (ret)
			gh_log(GH_LOG_ERROR, "%s: %s", run->opts->ready_file, strerror(-ret));
	}
	if (!ret && !run->stop_asked) {
		if (run->interval_ms)
			uv_timer_start(&run->interval, on_interval, run->interval_ms,
				       run->interval_ms);
		if (run->opts->report_fd_given)
			uv_timer_start(&run->report, on_report, 0, 1000);
		run->in_loop = true;
		uv_run(run->loop, UV_RUN_DEFAULT);
		run->in_loop = false;
	}
	if (ret == -EPIPE)
		run->out_error = ret;
	else if (ret && !run->error)
		run->error = ret;
	if (!run->stopping)
		stop(run);
	if (cc) {
		gh_containers_set_sync(cc, NULL, NULL);
		gh_containers_unsubscribe(cc, on_container, run);
	}
	close_handles(run);
	return run->error ? run->error : run->out_error == -EPIPE ? 0 : run->out_error;
}

/* The gadget's metrics, then --metric's. */
static int open_metrics(struct gh_run *run)
{
	const struct gh_gadget_spec *spec = &run->g->spec;
	size_t n = spec->n_metrics + run->opts->n_metrics;
	const char **specs;
	char err[512];
	int ret;

	if (!n)
		return 0;
	specs = calloc(n, sizeof(*specs));
	if (!specs)
		return -ENOMEM;
	for (size_t i = 0; i < spec->n_metrics; i++)
		specs[i] = spec->metrics[i];
	for (size_t i = 0; i < run->opts->n_metrics; i++)
		specs[spec->n_metrics + i] = run->opts->metrics[i];
	ret = gh_event_metrics_new(&run->metrics, &run->g->schema, specs, n, run->g->script_path,
				   spec->n_metrics, run->opts->metrics_max_series, err, sizeof(err));
	free(specs);
	if (ret && ret != -ENOMEM)
		gh_log(GH_LOG_ERROR, "%s", err);
	run->pipeline.metrics = run->metrics;
	return ret;
}

/* A daemon's child (it reports to it) ends with the daemon: SIGTERM, a
 * clean stop, when its parent dies, even by kill -9.  A parent that died
 * before the prctl: the parent changed meanwhile, or nobody reads the
 * report pipe any more (its write end then polls POLLERR).  Not "the
 * parent is pid 1": a daemon in a container may be pid 1. */
static void end_with_parent(const struct gh_run_opts *opts)
{
	struct pollfd p = {.fd = (int)opts->report_fd};
	pid_t parent = getppid();

	if (!opts->report_fd_given || prctl(PR_SET_PDEATHSIG, SIGTERM))
		return;
	if (getppid() != parent || (poll(&p, 1, 0) == 1 && (p.revents & POLLERR)))
		raise(SIGTERM);
}

int gh_run_with_kind(struct gh_gadget *g, struct gh_out *out, struct gh_filter *filter,
		     const struct gh_run_opts *opts, const struct gh_run_kind *kind, void *arg)
{
	struct gh_run run = {.g = g, .out = out, .opts = opts, .loop = opts->loop,
			     .kind = kind, .arg = arg};
	int ret;

	signal(SIGPIPE, SIG_IGN);
	gh_pipeline_init(&run.pipeline, &g->schema, filter, g->lua, opts->live_lua);
	if (g->lua && gh_lua_filter_note(g->lua))
		gh_log(GH_LOG_INFO, "%s: filter(ev): %s", g->script_path, gh_lua_filter_note(g->lua));
	run.pipeline.pcap = opts->pcap_filter;
	run.pipeline.skip_enrich = opts->skip_enrich;
	gh_pipeline_set_accept(&run.pipeline, opts->accept, opts->accept_ctx);
	run.interval_ms = opts->interval_ms ? opts->interval_ms : run.kind->default_interval_ms;
	run.documents_only = gh_lua_documents_only(g->lua);
	ret = open_metrics(&run);
	if (ret) {
		if (ret == -ENOMEM)
			gh_log(GH_LOG_ERROR, "out of memory");
		return ret;
	}
	end_with_parent(opts);
	if (out && (gh_lua_has_format(g->lua) || opts->live_lua))
		gh_out_set_text_hook(out, gh_lua_text_hook, g->lua);
	/* the kinds report their failures where they happen */
	ret = run.kind->open(&run, &run.k);
	if (ret) {
		if (ret == -ENOMEM)
			gh_log(GH_LOG_ERROR, "out of memory");
		if (run.k)
			run.kind->close(run.k);
		gh_event_metrics_free(run.metrics);
		return ret;
	}
	ret = loop(&run);
	run.kind->close(run.k);
	gh_event_metrics_free(run.metrics);
	uv_run(run.loop, UV_RUN_NOWAIT); /* the handles' closing */
	if (!run.error && run.out_error && run.out_error != -EPIPE)
		gh_log(GH_LOG_ERROR, "writing output: %s", strerror(-run.out_error));
	report_skipped(g);
	gh_gadget_log_program_runs(g);
	if (gh_lua_errors(g->lua))
		gh_log(GH_LOG_WARNING, "%" PRIu64 " %s dropped by errors in %s%s",
		       gh_lua_errors(g->lua), run.kind->items, g->script_path,
		       gh_lua_config()->n_layers ? " or its --lua layers (reported above)" : "");
	if (!ret && run.hook_errors) {
		gh_log(GH_LOG_WARNING, "%" PRIu64 " errors in the hooks of %s", run.hook_errors,
		       g->script_path);
		ret = -EINVAL;
	}
	return ret;
}
