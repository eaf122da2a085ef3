/* table_run.h - running a top or a snapshot gadget (table_gadget.h).
 *
 * top: every interval the map is read and emptied, its rows go through
 * the pipeline (-F, Lua) into one sorted block; until timeout or a signal,
 * when the rows counted since the last block are printed too.
 * snapshot: each iterator program is opened (a network iterator once per
 * network namespace to look at), its records are the rows of one block.
 */
#ifndef GH_TABLE_RUN_H
#define GH_TABLE_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "filter.h"
#include "gadget.h"
#include "out.h"
#include "row_sort.h"
#include "run_containers.h"

struct gh_table_run_opts {
	uint64_t interval_ms;     /* top: 0 means 1000 */
	uint64_t timeout_ms;      /* top: 0 until a signal */
	const struct gh_sort_spec *sort;
	size_t max_rows;          /* 0: all */
	bool live;                /* redraw in place (stdout is a terminal) */
	const char *ready_file;   /* created once attached */
	bool verbose;
	uv_loop_t *loop;          /* shared with the container watch */
	/* as gh_run_opts.accept: rows of mount namespaces the kernel did
	 * not know (NULL: keep all) */
	bool (*accept)(void *ctx, const struct gh_event *ev, uint64_t drain);
	void *accept_ctx;
	/* top: the known containers; the map is read before they change, so
	 * a stopped container's last counts keep its name (NULL: none) */
	struct gh_containers *collection;
	/* snapshot: the network namespaces network iterators look at */
	struct gh_run_containers *containers;
};

/* 0, or -errno (said on stderr); a closed pipe is not a failure. */
int gh_table_run(struct gh_gadget *g, struct gh_out *out, struct gh_filter *filter,
		 const struct gh_table_run_opts *opts);

#endif
