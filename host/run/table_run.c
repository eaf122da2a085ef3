/* table_run.c - the top and snapshot kinds of run (run_loop.h): a table
 * of rows, sorted and printed as one block.
 *
 * top: every interval the map is read and emptied, its rows go through
 * the pipeline into the table, and the table is printed; the map is read
 * too before the containers change and at the end.  snapshot: each
 * iterator program is opened (a network iterator once per network
 * namespace to look at), its records are the rows of one block; once, or
 * every --interval.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "run/run_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base/log.h"
#include "gadget/table_gadget.h"
#include "output/out_table.h"
#include "run/run_containers.h"

struct table_run {
	struct gh_run *run;
	struct gh_gadget *g;
	struct gh_table_gadget *t;
	struct gh_table *table;
	uint8_t *row;          /* one row being assembled */
	/* top: batch buffers (max_entries keys and values) */
	uint8_t *keys, *values;
	uint32_t batch;
	bool no_batch;         /* the kernel has no batch ops for this map */
	bool discard;          /* top: entries read are dropped (the first look) */
	struct bpf_link **feeders; /* top: its iterators, attached (t->programs) */
	/* snapshot: network namespaces already looked at, by inode */
	uint64_t *netns_seen;
	size_t n_netns_seen;
	struct bpf_link *link; /* the iterator being read */
};

/* The pipeline's sink: the row rendered and kept for the block. */
static int keep_row(void *ctx, struct gh_event *ev)
{
	struct table_run *r = ctx;
	int err;

	if (r->run->documents_only)
		return 1;
	err = gh_table_row(r->table, ev);
	return err == -ENOMEM ? err : err ? 1 : 0;
}

static int add_row(struct table_run *r, const uint8_t *data)
{
	struct gh_event ev = {.data = data, .len = r->t->row_size};

	return gh_pipeline_event(&r->run->pipeline, &ev);
}
/* top: a row from the key and value of one entry */
static int add_entry(struct table_run *r, const void *key, const void *value)
{
	if (r->discard)
		return 0;
	memset(r->row, 0, r->t->row_size);
	memcpy(r->row, key, r->t->key_size);
	memcpy(r->row + r->t->value_off, value, r->t->value_size);
	return add_row(r, r->row);
}

/* Read and delete every entry, one bucket batch at a time. */
static int collect_batch(struct table_run *r, int fd)
{
	__u32 in = 0, out = 0;
	bool first = true;
	int ret;

	for (;;) {
		__u32 count = r->batch;

		int err = 0;

		ret = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in, &out, r->keys,
						      r->values, &count, NULL);
		for (__u32 i = 0; (!ret || ret == -ENOENT) && i < count && !err; i++)
			err = add_entry(r, r->keys + (size_t)i * r->t->key_size,
					r->values + (size_t)i * r->t->value_size);
		if (err)
			return err;
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
		int err;

		if (bpf_map_lookup_elem(fd, key, r->values))
			continue;
		bpf_map_delete_elem(fd, key);
		err = add_entry(r, key, r->values);
		if (err)
			return err;
	}
	return 0;
}

/* The top's drain: every entry of the map, read and deleted. */
static int collect_top(void *k)
{
	struct table_run *r = k;
	int fd = bpf_map__fd(r->t->map);
	int ret;

	if (!r->no_batch) {
		ret = collect_batch(r, fd);
		if (ret != -EINVAL && ret != -ENOTSUP && ret != -EOPNOTSUPP)
			return ret;
		r->no_batch = true;
		gh_log(GH_LOG_INFO, "no batch map operations here (%s): reading the map entry "
		       "by entry", strerror(-ret));
	}
	return collect_each(r, fd);
}

/* The block of the rows so far, into the output. */
static int print_block(struct table_run *r)
{
	char title[128];
	time_t now = time(NULL);
	struct tm tm;

	if (r->run->documents_only)
		return 0;
	localtime_r(&now, &tm);
	snprintf(title, sizeof(title), "%s - %02d:%02d:%02d - %zu rows", r->g->spec.name,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, gh_table_pending(r->table));
	return gh_table_end(r->table, r->run->opts->live ? title : NULL);
}

/* A top fed by iterators: each read to its end (what it writes is not
 * kept: it fills the map), then the map. */
static int feed_top(struct table_run *r)
{
	char sink[4096];

	for (size_t i = 0; i < r->t->n_programs; i++) {
		int fd = bpf_iter_create(bpf_link__fd(r->feeders[i]));
		ssize_t n;

		if (fd < 0) {
			int ret = -errno;

			gh_log(GH_LOG_ERROR, "%s: opening the iterator %s: %s", r->g->spec.name,
			       bpf_program__name(r->t->programs[i]), strerror(-ret));
			return ret;
		}
		while ((n = read(fd, sink, sizeof(sink))) > 0 || (n < 0 && errno == EINTR))
			;
		n = n < 0 ? -errno : 0;
		close(fd);
		if (n)
			return (int)n;
	}
	return r->t->n_programs ? collect_top(r) : 0;
}

static int top_tick(void *k)
{
	struct table_run *r = k;
	int ret = feed_top(r);

	return ret ? ret : print_block(r);
}

/* what was counted since the last block: nothing is lost */
static int top_finish(void *k)
{
	struct table_run *r = k;
	int ret = feed_top(r);

	return !ret && gh_table_pending(r->table) ? print_block(r) : ret;
}

/* A fed top's iterators are attached for the whole run; a first look
 * sets what the next ones compare to, and is not printed. */
static int start_feeders(struct table_run *r)
{
	int ret;

	r->feeders = calloc(r->t->n_programs, sizeof(*r->feeders));
	if (!r->feeders)
		return -ENOMEM;
	for (size_t i = 0; i < r->t->n_programs; i++) {
		struct bpf_program *prog = r->t->programs[i];

		r->feeders[i] = bpf_program__attach_iter(prog, NULL);
		ret = libbpf_get_error(r->feeders[i]);
		if (ret) {
			r->feeders[i] = NULL;
			gh_log(GH_LOG_ERROR, "attaching %s (%s) failed: %s", bpf_program__name(prog),
			       bpf_program__section_name(prog), strerror(-ret));
			return ret;
		}
	}
	r->discard = true;
	ret = feed_top(r);
	r->discard = false;
	return ret;
}

static int top_start(void *k)
{
	struct table_run *r = k;

	r->batch = bpf_map__max_entries(r->t->map);
	r->keys = calloc(r->batch, r->t->key_size);
	r->values = calloc(r->batch, r->t->value_size);
	if (!r->keys || !r->values)
		return -ENOMEM;
	return r->t->n_programs ? start_feeders(r) : 0;
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
		gh_log(GH_LOG_ERROR, "%s: the iterator wrote %zu bytes, not a whole number of "
		       "%zu-byte records (struct %s)", r->g->object_path, b.len, size,
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
		ret = add_row(r, rec);
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
		gh_log(GH_LOG_ERROR, "%s: opening the iterator in %s: %s", r->g->spec.name, path,
		       strerror(-o.iter_fd));
		return o.iter_fd;
	}
	gh_log(GH_LOG_INFO, "iterator opened in netns %" PRIu64 " (%s)", (uint64_t)st.st_ino,
	       path);
	ret = read_iterator(r, o.iter_fd, mntns);
	close(o.iter_fd);
	return ret;
}

/* One look: every iterator read to its end, the rows into one block. */
static int snapshot_look(void *k)
{
	struct table_run *r = k;
	struct gh_run_containers *netns = r->run->opts->netns;
	int ret = 0;

	r->run->pipeline.seq++;
	for (size_t i = 0; i < r->t->n_programs && !ret; i++) {
		struct bpf_program *prog = r->t->programs[i];

		if (!bpf_program__autoload(prog))
			continue;
		r->link = bpf_program__attach_iter(prog, NULL);
		ret = libbpf_get_error(r->link);
		if (ret) {
			r->link = NULL;
			gh_log(GH_LOG_ERROR, "attaching %s (%s) failed: %s", bpf_program__name(prog),
			       bpf_program__section_name(prog), strerror(-ret));
			break;
		}
		if (gh_table_gadget_per_netns(prog) && netns) {
			r->n_netns_seen = 0;
			ret = gh_run_containers_each_netns(netns, visit_netns, r);
		} else {
			int fd = bpf_iter_create(bpf_link__fd(r->link));

			ret = fd < 0 ? -errno : read_iterator(r, fd, 0);
			if (fd >= 0)
				close(fd);
		}
		bpf_link__destroy(r->link);
		r->link = NULL;
	}
	return ret ? ret : print_block(r);
}

/* Without --interval a snapshot is one look, and the run is done. */
static int snapshot_start(void *k)
{
	struct table_run *r = k;
	int ret = snapshot_look(r);

	if (!ret && !r->run->interval_ms)
		gh_run_stop(r->run);
	return ret;
}

static int table_open(struct gh_run *run, void **k)
{
	struct table_run *r = calloc(1, sizeof(*r));
	struct gh_table_opts to = {.sort = run->opts->sort, .max_rows = run->opts->max_rows,
				   .live = run->opts->live};
	int ret;

	if (!r)
		return -ENOMEM;
	r->run = run;
	r->g = run->g;
	r->t = run->g->table;
	r->row = calloc(1, r->t->row_size);
	ret = r->row ? gh_table_new(&r->table, run->out, &to) : -ENOMEM;
	if (ret) {
		free(r->row);
		free(r);
		return ret;
	}
	gh_pipeline_set_sink(&run->pipeline, keep_row, r);
	*k = r;
	return 0;
}

static void table_close(void *k)
{
	struct table_run *r = k;
	struct gh_run *run = r->run;

	if (run->error && run->error != -EPIPE)
		gh_log(GH_LOG_ERROR, "%s: %s", r->g->spec.name, strerror(-run->error));
	gh_log(GH_LOG_INFO, "%" PRIu64 " rows read, %" PRIu64 " kept", run->pipeline.n.received,
	       run->pipeline.n.kept);
	for (size_t i = 0; r->feeders && i < r->t->n_programs; i++)
		bpf_link__destroy(r->feeders[i]);
	free(r->feeders);
	gh_table_free(r->table);
	free(r->row);
	free(r->keys);
	free(r->values);
	free(r->netns_seen);
	free(r);
}

const struct gh_run_kind gh_top_kind = {
	.name = "top",
	.items = "rows",
	.default_interval_ms = 1000,
	.open = table_open,
	.start = top_start,
	.drain = collect_top,
	.tick = top_tick,
	.finish = top_finish,
	.close = table_close,
};

const struct gh_run_kind gh_snapshot_kind = {
	.name = "snapshot",
	.items = "rows",
	.open = table_open,
	.start = snapshot_start,
	.tick = snapshot_look,
	.close = table_close,
};
