/* runner.c - the event loop of one gadget run.
 *
 * libuv watches the ring buffer's epoll fd.  Every wakeup drains the ring
 * buffer completely; each record goes through the pipeline
 *
 *   C filter (-F, raw fields) -> Lua filter -> Lua enrich
 *     -> C filter (-F on enriched fields) -> output buffer
 *
 * and the output buffer is written once per drain.
 *
 * Wakeups adapt to the event rate (see sdk/include/gadget/buffer.h): when
 * events are rare the kernel wakes us for each one, so a row appears at
 * once; when they pour in, the eBPF side stops waking us and a timer
 * drains the buffer every BUSY_DRAIN_MS, so thousands of events cost one
 * wakeup and one write.
 */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <uv.h>

#include "container.h"
#include "lua_lifecycle.h"
#include "lua_script.h"

#define BUSY_DRAIN_MS 10     /* busy: drain period */
#define QUIET_DRAIN_MS 100   /* quiet: safety drain period */
#define RATE_WINDOW_MS 100   /* how often the rate is judged */
/* Going busy costs at most BUSY_DRAIN_MS of latency, and a wakeup costs
 * tens of microseconds on a paravirtualized machine (76 us measured: an
 * IPI, two context switches, epoll and a write), so batching starts at a
 * low rate: an exec storm of 300/s already takes 3 events per wakeup. */
#define BUSY_RATE 200        /* events/s above which we go busy */
#define QUIET_RATE 50        /* events/s below which we go quiet */
/* events within one window that switch to busy before the window ends */
#define BUSY_EVENTS_EARLY (BUSY_RATE * RATE_WINDOW_MS / 1000)
#define FLUSH_BYTES (1 << 20) /* flush mid-drain past this much output */

struct gh_runner {
	struct gh_gadget *g;
	struct gh_out *out;
	struct gh_filter *filter;
	const struct gh_run_opts *opts;
	struct ring_buffer *rb;
	bool filter_early;   /* -F runs before Lua (reads no enriched field) */
	bool use_lua;        /* filter or enrich or format functions exist */

	uv_loop_t *loop;     /* opts->loop, or own_loop */
	uv_loop_t own_loop;
	uv_poll_t poll;
	uv_timer_t drain_timer;
	uv_timer_t timeout_timer;
	uv_timer_t interval_timer; /* the script's on_interval */
	uint64_t ticks;
	uint64_t hook_errors;      /* on_interval, on_container, on_stop raised */
	bool documents_only;       /* the script prints documents, no rows */
	uv_signal_t sigint, sigterm;

	bool busy;
	uint64_t started;    /* loop time at start, for --verbose */
	uint64_t window_start;
	uint64_t window_events;
	uint64_t last_lost;
	uint64_t last_lost_report;

	uint64_t received;
	uint64_t printed;
	uint64_t drains;     /* drains that found at least one event */
	uint64_t drain_seq;  /* every drain, for opts->accept */
	uint64_t refused;    /* passed by the kernel, refused by opts->accept */
	bool draining;       /* in ring_buffer__consume: do not re-enter */
	int out_error;
	bool stopping;
	bool in_loop;        /* in uv_run: stop() ends it */
};

static void stop(struct gh_runner *r);

static int on_event(void *ctx, void *data, size_t size)
{
	struct gh_runner *r = ctx;
	struct gh_event ev = {.data = data, .len = (uint32_t)size};
	struct gh_lua *lua = r->g->lua;

	if (r->opts->accept && !r->opts->accept(r->opts->accept_ctx, &ev, r->drain_seq)) {
		r->refused++;
		return 0;
	}
	r->received++;
	if (r->filter_early && r->filter && !gh_filter_match(r->filter, &r->g->schema, &ev))
		return 0;
	if (r->use_lua) {
		if (gh_lua_has_filter(lua) && gh_lua_filter(lua, &ev) <= 0)
			goto done;
		if (gh_lua_has_enrich(lua) && gh_lua_enrich(lua, &ev) < 0)
			goto done;
	}
	if (!r->filter_early && r->filter && !gh_filter_match(r->filter, &r->g->schema, &ev))
		goto done;
	if (!r->documents_only && gh_out_event(r->out, &ev) == 0)
		r->printed++;
	if (gh_out_pending(r->out) >= FLUSH_BYTES) {
		int err = gh_out_flush(r->out);

		if (err) {
			r->out_error = err;
			if (r->use_lua)
				gh_lua_event_done(lua);
			return err; /* stops the drain */
		}
	}
done:
	if (r->use_lua)
		gh_lua_event_done(lua);
	return 0;
}

static void set_mode(struct gh_runner *r, bool busy)
{
	r->busy = busy;
	if (r->opts->verbose)
		fprintf(stderr, "gadgethost: %s mode at %" PRIu64 " ms (%" PRIu64 " events in the window)\n",
			busy ? "busy (drain on a timer)" : "quiet (wake per event)",
			uv_now(r->loop) - r->started, r->window_events);
	if (r->g->wakeup_bytes)
		*r->g->wakeup_bytes = busy ? r->g->ringbuf_size / 4 : 0;
	uv_timer_start(&r->drain_timer, r->drain_timer.timer_cb,
		       busy ? BUSY_DRAIN_MS : QUIET_DRAIN_MS, busy ? BUSY_DRAIN_MS : QUIET_DRAIN_MS);
}

static void report_lost(struct gh_runner *r, bool final)
{
	uint64_t lost = r->g->lost_events ? *r->g->lost_events : 0;
	uint64_t now = uv_now(r->loop);

	if (lost == r->last_lost_report)
		return;
	if (!final && now - r->last_lost < 1000)
		return;
	fprintf(stderr, "gadgethost: %" PRIu64 " events lost so far (ring buffer full)\n", lost);
	r->last_lost_report = lost;
	r->last_lost = now;
}

/* Drain everything, write it out, and judge the rate. */
static int consume(struct gh_runner *r)
{
	int n;

	r->drain_seq++;
	r->draining = true;
	n = ring_buffer__consume(r->rb);
	r->draining = false;
	return n;
}

static void drain(struct gh_runner *r)
{
	int n = consume(r);
	uint64_t now;

	if (gh_out_pending(r->out) && !r->out_error)
		r->out_error = gh_out_flush(r->out);
	if (r->out_error) {
		stop(r);
		return;
	}
	if (n > 0) {
		r->window_events += (uint64_t)n;
		r->drains++;
	}
	/* A storm is seen before the window ends: go busy at once, since
	 * every event of a quiet ring buffer costs a wakeup (an IPI). */
	if (!r->busy && r->window_events > BUSY_EVENTS_EARLY && r->g->wakeup_bytes) {
		set_mode(r, true);
		r->window_start = uv_now(r->loop);
		r->window_events = 0;
		return;
	}
	now = uv_now(r->loop);
	if (now - r->window_start >= RATE_WINDOW_MS) {
		uint64_t rate = r->window_events * 1000 / (now - r->window_start);

		if (!r->busy && rate > BUSY_RATE && r->g->wakeup_bytes)
			set_mode(r, true);
		else if (r->busy && rate < QUIET_RATE) {
			set_mode(r, false);
			/* events sent without a wakeup while we switched */
			consume(r);
			if (gh_out_pending(r->out))
				r->out_error = gh_out_flush(r->out);
		}
		r->window_start = now;
		r->window_events = 0;
	}
	report_lost(r, false);
}

/* The container collection is about to change: take the events sent
 * before, while their containers are still as they were. */
static void drain_for_containers(void *ctx)
{
	struct gh_runner *r = ctx;

	/* mid-drain (opts->accept found a container): the events before
	 * this one are taken already, the rest come after, as they should */
	if (r->stopping || r->out_error || r->draining)
		return;
	consume(r);
	if (gh_out_pending(r->out))
		r->out_error = gh_out_flush(r->out);
}

/* An event from a user-space source: the same path as the ring's. */
static void feed(void *runner, const void *data, size_t size)
{
	struct gh_runner *r = runner;

	if (r->stopping || r->out_error)
		return;
	on_event(r, (void *)data, size);
	if (gh_out_pending(r->out) && !r->out_error)
		r->out_error = gh_out_flush(r->out);
	if (r->out_error)
		stop(r);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	drain(h->data);
}

static void on_drain_timer(uv_timer_t *h)
{
	drain(h->data);
}

static void stop(struct gh_runner *r)
{
	if (r->stopping)
		return;
	r->stopping = true;
	/* no new events from here on; then take the ones already sent */
	gh_gadget_detach(r->g);
	if (!r->out_error) {
		consume(r);
		if (gh_lua_call_stop(r->g->lua))
			r->hook_errors++;
		if (gh_out_pending(r->out))
			r->out_error = gh_out_flush(r->out);
	}
	if (r->opts->sources_stop)
		r->opts->sources_stop(r->opts->sources_ctx);
	uv_poll_stop(&r->poll);
	uv_timer_stop(&r->interval_timer);
	uv_timer_stop(&r->drain_timer);
	uv_timer_stop(&r->timeout_timer);
	uv_signal_stop(&r->sigint);
	uv_signal_stop(&r->sigterm);
	/* only from inside the loop: after it (another handle stopped it,
	 * e.g. --watch to re-attach) a stop flag would skip the handles'
	 * closing run below */
	if (r->in_loop)
		uv_stop(r->loop);
}

/* --interval: take what the kernel sent, then the script's on_interval */
static void on_interval(uv_timer_t *h)
{
	struct gh_runner *r = h->data;

	drain(r);
	if (r->stopping)
		return;
	if (gh_lua_call_interval(r->g->lua, ++r->ticks))
		r->hook_errors++;
	if (gh_out_pending(r->out) && !r->out_error)
		r->out_error = gh_out_flush(r->out);
	if (r->out_error)
		stop(r);
}

static void on_container(void *ctx, const struct gh_container *c, bool added)
{
	struct gh_runner *r = ctx;

	if (r->stopping)
		return;
	if (gh_lua_call_container(r->g->lua, r->opts->lua_host, c, added))
		r->hook_errors++;
}

static void on_timeout(uv_timer_t *h)
{
	stop(h->data);
}

static void on_signal(uv_signal_t *h, int signum)
{
	stop(h->data);
}

static void on_close(uv_handle_t *h)
{
}


int gh_run_write_ready_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	if (write(fd, "ready\n", 6) != 6) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

int gh_run(struct gh_gadget *g, struct gh_out *out, struct gh_filter *filter,
	   const struct gh_run_opts *opts)
{
	struct gh_runner r = {.g = g, .out = out, .filter = filter, .opts = opts};
	int ret;

	r.use_lua = opts->live_lua || gh_lua_has_filter(g->lua) || gh_lua_has_enrich(g->lua) ||
		    gh_lua_has_format(g->lua);
	r.filter_early = !filter || !gh_filter_needs_enrich(filter, &g->schema);
	if (filter && gh_filter_empty(filter))
		r.filter = NULL;

	r.rb = ring_buffer__new(bpf_map__fd(g->events), on_event, &r, NULL);
	if (!r.rb) {
		ret = -errno;
		fprintf(stderr, "gadgethost: ring buffer: %s\n", strerror(errno));
		return ret;
	}
	signal(SIGPIPE, SIG_IGN);
	r.loop = opts->loop ? opts->loop : &r.own_loop;
	if (!opts->loop)
		uv_loop_init(r.loop);
	/* the ring buffer map's own fd is pollable: watching it directly
	 * saves the nested epoll of ring_buffer__epoll_fd() on every wakeup */
	uv_poll_init(r.loop, &r.poll, bpf_map__fd(g->events));
	r.poll.data = &r;
	uv_timer_init(r.loop, &r.drain_timer);
	r.drain_timer.data = &r;
	r.drain_timer.timer_cb = on_drain_timer;
	uv_timer_init(r.loop, &r.timeout_timer);
	r.timeout_timer.data = &r;
	uv_timer_init(r.loop, &r.interval_timer);
	r.interval_timer.data = &r;
	r.documents_only = gh_lua_documents_only(g->lua);
	uv_signal_init(r.loop, &r.sigint);
	r.sigint.data = &r;
	uv_signal_init(r.loop, &r.sigterm);
	r.sigterm.data = &r;

	uv_poll_start(&r.poll, UV_READABLE, on_poll);
	uv_timer_start(&r.drain_timer, on_drain_timer, QUIET_DRAIN_MS, QUIET_DRAIN_MS);
	uv_signal_start(&r.sigint, on_signal, SIGINT);
	uv_signal_start(&r.sigterm, on_signal, SIGTERM);
	if (opts->timeout_ms)
		uv_timer_start(&r.timeout_timer, on_timeout, opts->timeout_ms, 0);
	r.window_start = r.started = uv_now(r.loop);
	if (opts->interval_ms)
		uv_timer_start(&r.interval_timer, on_interval, opts->interval_ms, opts->interval_ms);
	if (opts->containers)
		gh_containers_set_sync(opts->containers, drain_for_containers, &r);
	if (opts->containers && gh_lua_has_hook(g->lua, "on_container") &&
	    gh_containers_subscribe(opts->containers, on_container, &r))
		fprintf(stderr, "gadgethost: out of memory: on_container will not be called\n");

	ret = r.documents_only ? 0 : gh_out_header(out);
	if (!ret)
		ret = gh_out_flush(out);
	if (!ret && opts->sources_start)
		ret = opts->sources_start(opts->sources_ctx, r.loop, feed, &r);
	if (!ret && opts->ready_file)
		ret = gh_run_write_ready_file(opts->ready_file);
	if (ret) {
		fprintf(stderr, "gadgethost: %s\n", strerror(-ret));
	} else {
		r.in_loop = true;
		uv_run(r.loop, UV_RUN_DEFAULT);
		r.in_loop = false;
		ret = r.out_error == -EPIPE ? 0 : r.out_error;
	}
	if (!r.stopping)
		stop(&r);
	if (opts->containers) {
		gh_containers_set_sync(opts->containers, NULL, NULL);
		gh_containers_unsubscribe(opts->containers, on_container, &r);
	}
	/* close our own handles only: a shared loop has others (the container
	 * watch, the hook server), closed by their owners */
	uv_close((uv_handle_t *)&r.poll, on_close);
	uv_close((uv_handle_t *)&r.drain_timer, on_close);
	uv_close((uv_handle_t *)&r.timeout_timer, on_close);
	uv_close((uv_handle_t *)&r.interval_timer, on_close);
	uv_close((uv_handle_t *)&r.sigint, on_close);
	uv_close((uv_handle_t *)&r.sigterm, on_close);
	uv_run(r.loop, UV_RUN_NOWAIT);
	if (!opts->loop)
		uv_loop_close(r.loop);
	ring_buffer__free(r.rb);

	report_lost(&r, true);
	if (gh_lua_errors(g->lua))
		fprintf(stderr, "gadgethost: %" PRIu64 " events dropped by errors in %s\n",
			gh_lua_errors(g->lua), g->script_path);
	if (opts->verbose)
		fprintf(stderr, "gadgethost: %" PRIu64 " events received, %" PRIu64 " printed, "
			"in %" PRIu64 " drains; %" PRIu64 " more from mount namespaces the kernel "
			"did not know yet, of no selected container, dropped\n",
			r.received, r.printed, r.drains, r.refused);
	if (ret && ret != -EPIPE)
		fprintf(stderr, "gadgethost: writing output: %s\n", strerror(-ret));
	if (!ret && r.hook_errors) {
		fprintf(stderr, "gadgethost: %" PRIu64 " errors in the hooks of %s\n",
			r.hook_errors, g->script_path);
		ret = -EINVAL;
	}
	return ret;
}
