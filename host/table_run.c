/* table_run.c - the loop of a top gadget, the one look of a snapshot. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "table_run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "container.h"
#include "lua_script.h"
#include "out_table.h"
#include "runner.h"
#include "table_gadget.h"

struct table_run {
	struct gh_gadget *g;
	struct gh_table_gadget *t;
	struct gh_out *out;
	struct gh_filter *filter;
	const struct gh_table_run_opts *opts;
	struct gh_table *table;
	bool filter_early;
	bool use_lua;
	uint8_t *row;          /* one row being assembled */
	/* top: batch buffers (max_entries keys and values) */
	uint8_t *keys, *values;
	uint32_t batch;
	bool no_batch;         /* the kernel has no batch ops for this map */
	uint64_t seq;          /* collections, for opts->accept */
	uint64_t rows, kept;
	/* snapshot: network namespaces already looked at, by inode */
	uint64_t *netns_seen;
	size_t n_netns_seen;
	struct bpf_link *link; /* the iterator being read */
	int err;

	uv_loop_t *loop;
	uv_timer_t tick, timeout;
	uv_signal_t sigint, sigterm;
	bool stopping;
};

static void add_row(struct table_run *r, const uint8_t *data)
{
	struct gh_event ev = {.data = data, .len = r->t->row_size};
	struct gh_lua *lua = r->g->lua;
	int err;

	if (r->opts->accept && !r->opts->accept(r->opts->accept_ctx, &ev, r->seq))
		return;
	r->rows++;
	if (r->filter_early && r->filter && !gh_filter_match(r->filter, &r->g->schema, &ev))
		return;
	if (r->use_lua) {
		if (gh_lua_has_filter(lua) && gh_lua_filter(lua, &ev) <= 0)
			goto done;
		if (gh_lua_has_enrich(lua) && gh_lua_enrich(lua, &ev) < 0)
			goto done;
	}
	if (!r->filter_early && r->filter && !gh_filter_match(r->filter, &r->g->schema, &ev))
		goto done;
	err = gh_table_row(r->table, &ev);
	if (err == -ENOMEM && !r->err)
		r->err = err;
	else if (!err)
		r->kept++;
done:
	if (r->use_lua)
		gh_lua_event_done(lua);
}

/* top: a row from the key and value of one entry */
static void add_entry(struct table_run *r, const void *key, const void *value)
{
	memset(r->row, 0, r->t->row_size);
	memcpy(r->row, key, r->t->key_size);
	memcpy(r->row + r->t->value_off, value, r->t->value_size);
	add_row(r, r->row);
}

/* Read and delete every entry, one bucket batch at a time. */
static int collect_batch(struct table_run *r, int fd)
{
	__u32 in = 0, out = 0;
	bool first = true;
	int ret;

	for (;;) {
		__u32 count = r->batch;

		ret = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in, &out, r->keys,
						      r->values, &count, NULL);
		for (__u32 i = 0; (!ret || ret == -ENOENT) && i < count; i++)
			add_entry(r, r->keys + (size_t)i * r->t->key_size,
				  r->values + (size_t)i * r->t->value_size);
		if (ret == -ENOENT)
			return 0;
		if (ret)
			return ret;
		in = out;
		first = false;
	}
}

/* Without batch ops: take the keys first, then each value and delete it
 * (what is added meanwhile waits for the next interval). */
static int collect_each(struct table_run *r, int fd)
{
	uint32_t n = 0;
	void *prev = NULL;

	while (n < r->batch &&
	       !bpf_map_get_next_key(fd, prev, r->keys + (size_t)n * r->t->key_size)) {
		prev = r->keys + (size_t)n * r->t->key_size;
		n++;
	}
	for (uint32_t i = 0; i < n; i++) {
		void *key = r->keys + (size_t)i * r->t->key_size;

		if (bpf_map_lookup_elem(fd, key, r->values))
			continue;
		bpf_map_delete_elem(fd, key);
		add_entry(r, key, r->values);
	}
	return 0;
}

static int collect_top(struct table_run *r)
{
	int fd = bpf_map__fd(r->t->map);
	int ret;

	r->seq++;
	if (!r->no_batch) {
		ret = collect_batch(r, fd);
		if (!ret)
			return 0;
		if (ret != -EINVAL && ret != -ENOTSUP && ret != -EOPNOTSUPP)
			return ret;
		r->no_batch = true;
		if (r->opts->verbose)
			fprintf(stderr, "gadgethost: no batch map operations here (%s): "
				"reading the map entry by entry\n", strerror(-ret));
	}
	return collect_each(r, fd);
}

/* The container collection is about to change: read the map now, while
 * the rows' containers are as they were; the rows wait for the next
 * table. */
static void collect_for_containers(void *ctx)
{
	struct table_run *r = ctx;
	int ret;

	if (r->stopping || r->err)
		return;
	ret = collect_top(r);
	if (ret)
		r->err = ret;
}

static int print_block(struct table_run *r)
{
	char title[128];
	time_t now = time(NULL);
	struct tm tm;
	int ret;

	localtime_r(&now, &tm);
	snprintf(title, sizeof(title), "%s - %02d:%02d:%02d - %zu rows", r->g->name, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, gh_table_pending(r->table));
	ret = gh_table_end(r->table, r->opts->live ? title : NULL);
	if (!ret)
		ret = gh_out_flush(r->out);
	return ret;
}

static void stop(struct table_run *r)
{
	if (r->stopping)
		return;
	r->stopping = true;
	uv_timer_stop(&r->tick);
	uv_timer_stop(&r->timeout);
	uv_signal_stop(&r->sigint);
	uv_signal_stop(&r->sigterm);
	uv_stop(r->loop);
}

static void on_tick(uv_timer_t *h)
{
	struct table_run *r = h->data;
	int ret = collect_top(r);

	if (!ret)
		ret = print_block(r);
	if (ret) {
		r->err = ret;
		stop(r);
	}
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

static int run_top(struct table_run *r)
{
	uint64_t interval = r->opts->interval_ms ? r->opts->interval_ms : 1000;
	int ret = 0;

	r->batch = bpf_map__max_entries(r->t->map);
	r->keys = calloc(r->batch, r->t->key_size);
	r->values = calloc(r->batch, r->t->value_size);
	if (!r->keys || !r->values)
		return -ENOMEM;
	signal(SIGPIPE, SIG_IGN);
	uv_timer_init(r->loop, &r->tick);
	uv_timer_init(r->loop, &r->timeout);
	uv_signal_init(r->loop, &r->sigint);
	uv_signal_init(r->loop, &r->sigterm);
	r->tick.data = r->timeout.data = r->sigint.data = r->sigterm.data = r;
	uv_timer_start(&r->tick, on_tick, interval, interval);
	if (r->opts->timeout_ms)
		uv_timer_start(&r->timeout, on_timeout, r->opts->timeout_ms, 0);
	uv_signal_start(&r->sigint, on_signal, SIGINT);
	uv_signal_start(&r->sigterm, on_signal, SIGTERM);
	if (r->opts->collection)
		gh_containers_set_sync(r->opts->collection, collect_for_containers, r);
	if (r->opts->ready_file)
		ret = gh_run_write_ready_file(r->opts->ready_file);
	if (!ret)
		uv_run(r->loop, UV_RUN_DEFAULT);
	stop(r);
	/* what was counted since the last block: nothing is lost */
	gh_gadget_detach(r->g);
	if (!ret && !r->err) {
		ret = collect_top(r);
		if (!ret && gh_table_pending(r->table))
			ret = print_block(r);
	}
	if (r->opts->collection)
		gh_containers_set_sync(r->opts->collection, NULL, NULL);
	uv_close((uv_handle_t *)&r->tick, on_close);
	uv_close((uv_handle_t *)&r->timeout, on_close);
	uv_close((uv_handle_t *)&r->sigint, on_close);
	uv_close((uv_handle_t *)&r->sigterm, on_close);
	uv_run(r->loop, UV_RUN_NOWAIT);
	return ret ? ret : r->err;
}

/* Read an iterator to its end; each record is a row.  mntns: written into
 * rows whose mount namespace field the iterator left 0 (a network
 * iterator does not know a process: the container of the namespace). */
static int read_iterator(struct table_run *r, int iter_fd, uint64_t mntns)
{
	const struct gh_schema *s = &r->g->schema;
	struct gh_buf b = GH_BUF_INIT;
	size_t size = r->t->row_size;
	int ret = 0;

	for (;;) {
		ssize_t n;

		if (gh_buf_reserve(&b, 65536)) {
			ret = -ENOMEM;
			break;
		}
		n = read(iter_fd, b.p + b.len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (!n)
			break;
		b.len += (size_t)n;
	}
	if (!ret && b.len % size) {
		fprintf(stderr, "gadgethost: %s: the iterator wrote %zu bytes, not a whole number "
			"of %zu-byte records (struct %s)\n", r->g->object_path, b.len, size,
			s->struct_name);
		ret = -EPROTO;
	}
	for (size_t off = 0; !ret && off < b.len; off += size) {
		uint8_t *rec = (uint8_t *)b.p + off;

		if (mntns && s->mntns_field >= 0 && s->fields[s->mntns_field].size == 8) {
			uint64_t cur;

			memcpy(&cur, rec + s->fields[s->mntns_field].offset, 8);
			if (!cur)
				memcpy(rec + s->fields[s->mntns_field].offset, &mntns, 8);
		}
		add_row(r, rec);
	}
	gh_buf_free(&b);
	return ret;
}

struct netns_open {
	int netns_fd;
	int link_fd;
	int iter_fd; /* out, or -errno */
};

/* A thread of its own enters the namespace (the process keeps its own);
 * the iterator is bound to it when created. */
static void *open_in_netns(void *arg)
{
	struct netns_open *o = arg;

	if (setns(o->netns_fd, CLONE_NEWNET)) {
		o->iter_fd = -errno;
		return NULL;
	}
	o->iter_fd = bpf_iter_create(o->link_fd);
	if (o->iter_fd < 0)
		o->iter_fd = -errno;
	return NULL;
}

static int visit_netns(void *ctx, const char *path, uint64_t mntns)
{
	struct table_run *r = ctx;
	struct netns_open o = {.link_fd = bpf_link__fd(r->link), .iter_fd = -EINVAL};
	struct stat st;
	uint64_t *grown;
	pthread_t th;
	int ret;

	o.netns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (o.netns_fd < 0 || fstat(o.netns_fd, &st)) {
		/* a container that just stopped: nothing to look at */
		if (o.netns_fd >= 0)
			close(o.netns_fd);
		return 0;
	}
	for (size_t i = 0; i < r->n_netns_seen; i++) {
		if (r->netns_seen[i] == st.st_ino) {
			close(o.netns_fd);
			return 0;
		}
	}
	grown = realloc(r->netns_seen, (r->n_netns_seen + 1) * sizeof(*grown));
	if (!grown) {
		close(o.netns_fd);
		return -ENOMEM;
	}
	r->netns_seen = grown;
	r->netns_seen[r->n_netns_seen++] = st.st_ino;
	ret = pthread_create(&th, NULL, open_in_netns, &o);
	if (!ret)
		pthread_join(th, NULL);
	close(o.netns_fd);
	if (ret)
		return -ret;
	if (o.iter_fd < 0) {
		fprintf(stderr, "gadgethost: %s: opening the iterator in %s: %s\n", r->g->name,
			path, strerror(-o.iter_fd));
		return o.iter_fd;
	}
	if (r->opts->verbose)
		fprintf(stderr, "gadgethost: iterator opened in netns %" PRIu64 " (%s)\n",
			(uint64_t)st.st_ino, path);
	ret = read_iterator(r, o.iter_fd, mntns);
	close(o.iter_fd);
	return ret;
}

static int run_snapshot(struct table_run *r)
{
	int ret = 0;

	r->seq++;
	for (size_t i = 0; i < r->t->n_programs && !ret; i++) {
		struct bpf_program *prog = r->t->programs[i];

		if (!bpf_program__autoload(prog))
			continue;
		r->link = bpf_program__attach_iter(prog, NULL);
		ret = libbpf_get_error(r->link);
		if (ret) {
			r->link = NULL;
			fprintf(stderr, "gadgethost: attaching %s (%s) failed: %s\n",
				bpf_program__name(prog), bpf_program__section_name(prog),
				strerror(-ret));
			break;
		}
		if (gh_table_gadget_per_netns(prog) && r->opts->containers) {
			r->n_netns_seen = 0;
			ret = gh_run_containers_each_netns(r->opts->containers, visit_netns, r);
		} else {
			int fd = bpf_iter_create(bpf_link__fd(r->link));

			ret = fd < 0 ? -errno : read_iterator(r, fd, 0);
			if (fd >= 0)
				close(fd);
		}
		bpf_link__destroy(r->link);
		r->link = NULL;
	}
	if (!ret && r->opts->ready_file)
		ret = gh_run_write_ready_file(r->opts->ready_file);
	if (!ret)
		ret = gh_table_end(r->table, NULL);
	if (!ret)
		ret = gh_out_flush(r->out);
	return ret ? ret : r->err;
}

int gh_table_run(struct gh_gadget *g, struct gh_out *out, struct gh_filter *filter,
		 const struct gh_table_run_opts *opts)
{
	struct table_run r = {.g = g, .t = g->table, .out = out, .filter = filter,
			      .opts = opts, .loop = opts->loop};
	struct gh_table_opts to = {.sort = opts->sort, .max_rows = opts->max_rows,
				   .live = opts->live};
	int ret;

	r.use_lua = gh_lua_has_filter(g->lua) || gh_lua_has_enrich(g->lua) ||
		    gh_lua_has_format(g->lua);
	r.filter_early = !filter || !gh_filter_needs_enrich(filter, &g->schema);
	if (filter && gh_filter_empty(filter))
		r.filter = NULL;
	r.row = calloc(1, g->table->row_size);
	ret = r.row ? gh_table_new(&r.table, out, &to) : -ENOMEM;
	if (!ret)
		ret = g->table->kind == GH_TABLE_TOP ? run_top(&r) : run_snapshot(&r);
	if (ret == -EPIPE)
		ret = 0;
	else if (ret)
		fprintf(stderr, "gadgethost: %s: %s\n", g->name, strerror(-ret));
	if (gh_lua_errors(g->lua))
		fprintf(stderr, "gadgethost: %" PRIu64 " rows dropped by errors in %s\n",
			gh_lua_errors(g->lua), g->script_path);
	if (opts->verbose)
		fprintf(stderr, "gadgethost: %" PRIu64 " rows read, %" PRIu64 " kept\n", r.rows,
			r.kept);
	gh_table_free(r.table);
	free(r.row);
	free(r.keys);
	free(r.values);
	free(r.netns_seen);
	return ret;
}
