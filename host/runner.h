/* runner.h - running a loaded gadget until timeout, SIGINT or SIGTERM. */
#ifndef GH_RUNNER_H
#define GH_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter.h"
#include "gadget.h"
#include "out.h"

#include <uv.h>

struct gh_containers;
struct gh_lua_host;

/* Hand one event record (the gadget's struct layout) to a run. */
typedef void (*gh_run_feed_fn)(void *runner, const void *data, size_t size);

struct gh_run_opts {
	uint64_t timeout_ms;     /* 0: until a signal */
	const char *ready_file;  /* created once every program is attached */
	bool verbose;
	uv_loop_t *loop;         /* shared with other watchers; NULL: its own */
	struct gh_containers *containers; /* drained for before they change */
	/* NULL, or whether to keep an event the kernel passed (before any
	 * filter or Lua); drain counts the drains, for memos valid in one */
	bool (*accept)(void *ctx, const struct gh_event *ev, uint64_t drain);
	void *accept_ctx;
	/* the script's on_interval every interval_ms (0: never); its
	 * on_container gets containers as host shows them */
	uint64_t interval_ms;
	const struct gh_lua_host *lua_host;
	bool live_lua;           /* the script may be swapped (--watch): always call it */
	/* NULL, or the run's user-space event sources (an audit socket):
	 * started on the loop once the gadget is attached, their events go
	 * through feed(runner, ...) like the ring buffer's; stopped with it */
	int (*sources_start)(void *ctx, uv_loop_t *loop, gh_run_feed_fn feed, void *runner);
	void (*sources_stop)(void *ctx);
	void *sources_ctx;
};

/* Consume events until stopped; flushes everything before returning.
 * 0, or -errno when output failed (a closed pipe is not a failure). */
int gh_run(struct gh_gadget *g, struct gh_out *out, struct gh_filter *filter,
	   const struct gh_run_opts *opts);

/* The --ready-file: created with "ready\n" once the gadget is attached. */
int gh_run_write_ready_file(const char *path);

#endif
