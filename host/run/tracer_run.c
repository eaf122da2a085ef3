/* tracer_run.c - the tracer kind of run (run_loop.h): a ring buffer.
 *
 * libuv watches the ring buffer's map fd.  Every wakeup drains the ring
 * buffer completely; each record goes through the pipeline (pipeline.h)
 * into the output buffer, which is written once per drain.
 *
 * Wakeups adapt to the event rate (see sdk/include/gadget/buffer.h): when
 * events are rare the kernel wakes us for each one, so a row appears at
 * once; when they pour in, the eBPF side stops waking us and a timer
 * drains the buffer every BUSY_DRAIN_MS, so thousands of events cost one
 * wakeup and one write.  At the lower busy rates the timer waits longer,
 * up to BUSY_DRAIN_MAX_MS, so that a drain still finds DRAIN_BATCH events:
 * each drain is a wakeup, and at 300 execs/s a 10 ms timer's 100 wakeups
 * a second cost more than the events themselves.
 */
#include "run/run_loop.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <uv.h>

#include "base/log.h"

#define BUSY_DRAIN_MS 10     /* busy: drain period at high rates */
#define BUSY_DRAIN_MAX_MS 50 /* busy: drain period at the lowest busy rates */
#define DRAIN_BATCH 32       /* events a busy drain aims to find */
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

struct tracer {
	struct gh_run *run;
	struct gh_gadget *g;
	struct ring_buffer *rb;
	uv_poll_t poll;
	uv_timer_t drain_timer;
	bool handles;         /* poll and drain_timer initialised */
	bool sources;         /* opts->sources_start succeeded */

	bool busy;
	uint64_t period_ms;  /* busy: the drain timer's period */
	bool polling;        /* the ring buffer's fd is watched */
	uint64_t started;    /* loop time at start, for --verbose */
	uint64_t window_start;
	uint64_t window_events;
	uint64_t last_lost;
	uint64_t last_lost_report;
	uint64_t drains;     /* drains that found at least one event */
};

/* The pipeline's sink: a row into the output buffer, written out when
 * it grows large in a long drain. */
static int print_event(void *ctx, struct gh_event *ev)
{
	struct tracer *t = ctx;
	struct gh_run *run = t->run;
	int kept = 1, err;

	if (!run->documents_only && gh_out_event(run->out, ev) == 0)
		kept = 0;
	if (gh_out_pending(run->out) >= FLUSH_BYTES) {
		err = gh_out_flush(run->out);
		if (err) {
			run->out_error = err;
			return err; /* stops the drain */
		}
	}
	return kept;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	struct gh_event ev = {.data = data, .len = (uint32_t)size};

	return gh_pipeline_event(&t->run->pipeline, &ev);
}

/* The kind's drain: everything in the ring buffer. */
static int consume(void *k)
{
	struct tracer *t = k;
	int n = ring_buffer__consume(t->rb);

	return n < 0 ? 0 : n; /* an output error is in run->out_error */
}

static void on_poll(uv_poll_t *h, int status, int events);

/* The ring buffer's fd is level-triggered: while records wait, every
 * turn of the loop reports it readable again.  Busy, a drain that did not
 * quite catch up with a storm would then drain again at once, a few
 * records each time, as if woken per event; so, busy, the poll is off
 * after a drain until the timer's next one (the kernel's forced wakeup
 * past a quarter of the buffer waits at most BUSY_DRAIN_MS then). */
static void poll_on(struct tracer *t, bool on)
{
	if (on == t->polling)
		return;
	t->polling = on;
	if (on)
		uv_poll_start(&t->poll, UV_READABLE, on_poll);
	else
		uv_poll_stop(&t->poll);
}

/* The busy drain period at rate events/s: long enough for DRAIN_BATCH
 * events, within BUSY_DRAIN_MS and BUSY_DRAIN_MAX_MS. */
static uint64_t busy_period(uint64_t rate)
{
	uint64_t ms = rate ? DRAIN_BATCH * 1000 / rate : BUSY_DRAIN_MAX_MS;

	return ms < BUSY_DRAIN_MS ? BUSY_DRAIN_MS : ms > BUSY_DRAIN_MAX_MS ? BUSY_DRAIN_MAX_MS : ms;
}

/* Quiet, or busy with a drain every period_ms. */
static void set_mode(struct tracer *t, bool busy, uint64_t period_ms)
{
	struct gh_run *run = t->run;
	uint64_t ms = busy ? period_ms : QUIET_DRAIN_MS;

	if (busy && t->busy) { /* a new period: from the timer's next run on */
		if (period_ms != t->period_ms)
			uv_timer_set_repeat(&t->drain_timer, period_ms);
		t->period_ms = period_ms;
		return;
	}
	t->busy = busy;
	t->period_ms = period_ms;
	if (!busy)
		poll_on(t, true);
	gh_log(GH_LOG_INFO, "%s mode at %" PRIu64 " ms (%" PRIu64 " events in the window)",
	       busy ? "busy (drain on a timer)" : "quiet (wake per event)",
	       uv_now(run->loop) - t->started, t->window_events);
	if (t->g->wakeup_bytes)
		*t->g->wakeup_bytes = busy ? t->g->ringbuf_size / 4 : 0;
	uv_timer_start(&t->drain_timer, t->drain_timer.timer_cb, ms, ms);
}

static void report_lost(struct tracer *t, bool final)
{
	uint64_t lost = t->g->lost_events ? *t->g->lost_events : 0;
	uint64_t now = uv_now(t->run->loop);

	if (lost == t->last_lost_report)
		return;
	if (!final && now - t->last_lost < 1000)
		return;
	gh_log(GH_LOG_WARNING, "%" PRIu64 " events lost so far (ring buffer full)", lost);
	t->last_lost_report = lost;
	t->last_lost = now;
}

/* Drain everything, write it out, and judge the rate. */
static void drain(struct tracer *t)
{
	struct gh_run *run = t->run;
	int n = gh_run_drain(run);
	uint64_t now;

	if (gh_run_flush(run))
		return;
	if (n > 0) {
		t->window_events += (uint64_t)n;
		t->drains++;
	}
	/* A storm is seen before the window ends: go busy at once, since
	 * every event of a quiet ring buffer costs a wakeup (an IPI). */
	if (!t->busy && t->window_events > BUSY_EVENTS_EARLY && t->g->wakeup_bytes) {
		set_mode(t, true, BUSY_DRAIN_MS); /* the rate is judged at the window's end */
		t->window_start = uv_now(run->loop);
		t->window_events = 0;
		return;
	}
	now = uv_now(run->loop);
	if (now - t->window_start >= RATE_WINDOW_MS) {
		uint64_t rate = t->window_events * 1000 / (now - t->window_start);

		if (!t->busy && rate > BUSY_RATE && t->g->wakeup_bytes) {
			set_mode(t, true, busy_period(rate));
		} else if (t->busy && rate >= QUIET_RATE) {
			set_mode(t, true, busy_period(rate)); /* the period follows the rate */
		} else if (t->busy) {
			set_mode(t, false, 0);
			/* events sent without a wakeup while we switched */
			gh_run_drain(run);
			gh_run_flush(run);
		}
		t->window_start = now;
		t->window_events = 0;
	}
	report_lost(t, false);
}

/* An event from a user-space source: the same path as the ring's. */
static void feed(void *k, const void *data, size_t size)
{
	struct tracer *t = k;
	struct gh_run *run = t->run;

	if (run->stopping || run->out_error)
		return;
	on_record(t, (void *)data, size);
	gh_run_flush(run);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct tracer *t = h->data;

	drain(t);
	if (t->busy && !t->run->stopping)
		poll_on(t, false);
}

static void on_drain_timer(uv_timer_t *h)
{
	struct tracer *t = h->data;

	drain(t);
	if (!t->run->stopping)
		poll_on(t, true);
}

static int tracer_open(struct gh_run *run, void **k)
{
	struct tracer *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->run = run;
	t->g = run->g;
	gh_pipeline_set_sink(&run->pipeline, print_event, t);
	*k = t;
	return 0;
}

static int tracer_start(void *k)
{
	struct tracer *t = k;
	struct gh_run *run = t->run;
	int fd = bpf_map__fd(t->g->events);
	int ret;

	t->rb = ring_buffer__new(fd, on_record, t, NULL);
	if (!t->rb) {
		ret = -errno;
		gh_log(GH_LOG_ERROR, "ring buffer: %s", strerror(-ret));
		return ret;
	}
	/* the ring buffer map's own fd is pollable: watching it directly
	 * saves the nested epoll of ring_buffer__epoll_fd() on every wakeup */
	uv_poll_init(run->loop, &t->poll, fd);
	t->poll.data = t;
	uv_timer_init(run->loop, &t->drain_timer);
	t->drain_timer.data = t;
	t->drain_timer.timer_cb = on_drain_timer;
	t->handles = true;
	poll_on(t, true);
	uv_timer_start(&t->drain_timer, on_drain_timer, QUIET_DRAIN_MS, QUIET_DRAIN_MS);
	t->window_start = t->started = uv_now(run->loop);
	ret = run->documents_only ? 0 : gh_out_header(run->out);
	if (!ret && run->opts->sources_start) {
		ret = run->opts->sources_start(run->opts->sources_ctx, run->loop, feed, t);
		t->sources = !ret;
	}
	if (ret)
		gh_log(GH_LOG_ERROR, "%s", strerror(-ret));
	return ret;
}

static void tracer_detach(void *k)
{
	struct tracer *t = k;

	if (t->sources)
		t->run->opts->sources_stop(t->run->opts->sources_ctx);
	t->sources = false;
	if (t->handles) {
		poll_on(t, false);
		uv_timer_stop(&t->drain_timer);
	}
}

static void tracer_close(void *k)
{
	struct tracer *t = k;
	struct gh_run *run = t->run;

	if (t->handles) {
		uv_close((uv_handle_t *)&t->poll, gh_run_handle_closed);
		uv_close((uv_handle_t *)&t->drain_timer, gh_run_handle_closed);
		/* the ring buffer goes once its poll handle is closed */
		uv_run(run->loop, UV_RUN_NOWAIT);
	}
	ring_buffer__free(t->rb);
	report_lost(t, true);
	gh_log(GH_LOG_INFO, "%" PRIu64 " events received, %" PRIu64 " printed, in %" PRIu64
	       " drains; %" PRIu64 " more from mount namespaces the kernel did not know yet, "
	       "of no selected container, dropped", run->pipeline.n.received,
	       run->pipeline.n.kept, t->drains, run->pipeline.n.refused);
	free(t);
}

const struct gh_run_kind gh_tracer_kind = {
	.name = "tracer",
	.items = "events",
	.open = tracer_open,
	.start = tracer_start,
	.drain = consume,
	.detach = tracer_detach,
	.close = tracer_close,
};
