/* traceloop.c - the traceloop flight recorder (see traceloop.h). */
#include "traceloop.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/types.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <gadget/traceloop.h>

#include "btf_schema.h"
#include "container.h"
#include "container_exits.h"
#include "container_watch.h"
#include "gadget.h"
#include "hook.h"
#include "libbpf_log.h"
#include "run_containers.h"
#include "search_path.h"
#include "syscall_args.h"
#include "traceloop_format.h"
#include "tracefs.h"

#define OBJECT_NAME "traceloop/traceloop.bpf.o"

struct ring {
	char *id;
	char *name;
	uint64_t mntns;
	bool running;
	uint64_t exited_seq;   /* order of exits, for --keep */
	uint64_t final_head;   /* records written, once exited */
	int fd;                /* the inner array map */
	const struct traceloop_record *mem; /* mmap'ed, read only */
	size_t mem_size;
};

struct gh_traceloop {
	struct gh_traceloop_opts opts;
	struct bpf_object *obj;
	struct bpf_link *links[2];
	int buffers_fd, heads_fd;
	int template_fd;       /* the inner map the outer one was made with */
	uint32_t entries;
	struct gh_syscall_table *table;

	struct gh_containers *cc;
	struct gh_container_watch *watch;
	struct gh_container_exits *exits;
	struct gh_hook_server *hooks;
	uint64_t host_mntns[2];

	struct ring *rings;
	size_t n_rings;
	uint64_t exits_seen;
};

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

static uint32_t round_pow2(uint32_t v)
{
	uint32_t p = 1;

	while (p < v && p < (1u << 24))
		p <<= 1;
	return p;
}

static void ring_unmap(struct ring *r)
{
	if (r->mem)
		munmap((void *)r->mem, r->mem_size);
	if (r->fd >= 0)
		close(r->fd);
	free(r->id);
	free(r->name);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

static void ring_remove_at(struct gh_traceloop *tl, size_t i)
{
	ring_unmap(&tl->rings[i]);
	tl->rings[i] = tl->rings[--tl->n_rings];
}

static struct ring *ring_by_id(struct gh_traceloop *tl, const char *id, bool running)
{
	for (size_t i = 0; i < tl->n_rings; i++)
		if (!strcmp(tl->rings[i].id, id) && tl->rings[i].running == running)
			return &tl->rings[i];
	return NULL;
}

/* An array of tl->entries records, mmap-able: a container's ring. */
static int ring_create(struct gh_traceloop *tl)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_MMAPABLE);
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "traceloop_ring", sizeof(__u32),
				sizeof(struct traceloop_record), tl->entries, &mo);

	return fd < 0 ? -errno : fd;
}

/* A container appeared: its own ring, in the kernel's maps. */
static int ring_add(struct gh_traceloop *tl, const struct gh_container *c)
{
	struct ring r = {.fd = -1}, *grown;
	long page = sysconf(_SC_PAGESIZE);
	uint64_t zero = 0;
	int ret;

	if (ring_by_id(tl, c->id, true))
		return 0;
	r.mntns = c->mntns;
	r.running = true;
	r.id = strdup(c->id);
	r.name = strdup(c->name ? c->name : c->id);
	r.fd = ring_create(tl);
	if (!r.id || !r.name || r.fd < 0) {
		ret = r.fd < 0 ? r.fd : -ENOMEM;
		goto fail;
	}
	r.mem_size = ((size_t)tl->entries * sizeof(struct traceloop_record) + page - 1) /
		     page * page;
	r.mem = mmap(NULL, r.mem_size, PROT_READ, MAP_SHARED, r.fd, 0);
	if (r.mem == MAP_FAILED) {
		r.mem = NULL;
		ret = -errno;
		goto fail;
	}
	grown = realloc(tl->rings, (tl->n_rings + 1) * sizeof(*grown));
	if (!grown) {
		ret = -ENOMEM;
		goto fail;
	}
	tl->rings = grown;
	/* the head first: the eBPF side looks the ring up, then the head */
	if (bpf_map_update_elem(tl->heads_fd, &r.mntns, &zero, BPF_ANY) ||
	    bpf_map_update_elem(tl->buffers_fd, &r.mntns, &r.fd, BPF_ANY)) {
		ret = -errno;
		bpf_map_delete_elem(tl->heads_fd, &r.mntns);
		goto fail;
	}
	tl->rings[tl->n_rings++] = r;
	return 0;
fail:
	ring_unmap(&r);
	return ret;
}

static uint64_t ring_head(struct gh_traceloop *tl, const struct ring *r)
{
	uint64_t head = 0;

	if (!r->running)
		return r->final_head;
	bpf_map_lookup_elem(tl->heads_fd, &r->mntns, &head);
	return head;
}

/* Keep the opts.keep most recently exited rings. */
static void ring_expire(struct gh_traceloop *tl)
{
	for (;;) {
		size_t exited = 0, oldest = SIZE_MAX;

		for (size_t i = 0; i < tl->n_rings; i++) {
			if (tl->rings[i].running)
				continue;
			exited++;
			if (oldest == SIZE_MAX ||
			    tl->rings[i].exited_seq < tl->rings[oldest].exited_seq)
				oldest = i;
		}
		if (exited <= tl->opts.keep)
			return;
		ring_remove_at(tl, oldest);
	}
}

/* A container stopped: out of the kernel's maps (its mount namespace id
 * may be the next container's at once), kept for dumps. */
static void ring_exit(struct gh_traceloop *tl, const struct gh_container *c)
{
	struct ring *r = ring_by_id(tl, c->id, true);

	if (!r)
		return;
	bpf_map_delete_elem(tl->buffers_fd, &r->mntns);
	r->final_head = ring_head(tl, r);
	bpf_map_delete_elem(tl->heads_fd, &r->mntns);
	r->running = false;
	r->exited_seq = ++tl->exits_seen;
	ring_expire(tl);
}

static bool is_host_mntns(struct gh_traceloop *tl, uint64_t mntns)
{
	return mntns == tl->host_mntns[0] || mntns == tl->host_mntns[1];
}

static void on_container(void *ctx, const struct gh_container *c, bool added)
{
	struct gh_traceloop *tl = ctx;
	int ret;

	if (!gh_container_selected(&tl->opts.select, c) || !c->mntns ||
	    is_host_mntns(tl, c->mntns))
		return;
	if (tl->opts.verbose)
		fprintf(stderr, "gadgethost: traceloop: container %s %s (mntns %" PRIu64 ")\n",
			c->name, added ? "started: recording" : "stopped: ring kept", c->mntns);
	if (!added) {
		ring_exit(tl, c);
		return;
	}
	ret = ring_add(tl, c);
	if (ret)
		fprintf(stderr, "gadgethost: warning: traceloop: container %s: no ring: %s\n",
			c->name, strerror(-ret));
}

/* Which syscall arguments the eBPF side reads from user memory. */
static int fill_args_map(struct gh_traceloop *tl)
{
	int fd = bpf_object__find_map_fd_by_name(tl->obj, "traceloop_args");

	if (fd < 0)
		return fd;
	for (__u32 nr = 0; nr < GH_SYSCALL_MAX && nr < TRACELOOP_MAX_SYSCALLS; nr++) {
		const struct gh_syscall_info *info = &tl->table->sc[nr];
		struct traceloop_syscall_args a = {0};
		bool any = false;

		for (int i = 0; info->known && i < info->nargs; i++) {
			if (info->args[i].kind == GH_SYSARG_STRING)
				a.kind[i] = TRACELOOP_ARG_STRING;
			else if (info->args[i].kind == GH_SYSARG_BUFFER)
				a.kind[i] = TRACELOOP_ARG_BUFFER;
			any = any || a.kind[i];
		}
		if (any && bpf_map_update_elem(fd, &nr, &a, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int set_mask(struct gh_traceloop *tl, char *err, size_t errlen)
{
	struct bpf_map *map;
	uint32_t off, size;
	size_t rsize;
	void *rodata;

	bpf_object__for_each_map(map, tl->obj) {
		const char *name = bpf_map__name(map);
		size_t len = strlen(name);

		if (bpf_map__is_internal(map) && len >= 7 && !strcmp(name + len - 7, ".rodata"))
			break;
	}
	rodata = map ? (void *)bpf_map__initial_value(map, &rsize) : NULL;
	if (!rodata || gh_btf_find_var(bpf_object__btf(tl->obj), ".rodata", "traceloop_mask",
				       &off, &size, NULL) || size != 4 || off + 4 > rsize)
		return fail(err, errlen, -EINVAL, "%s: no traceloop_mask in .rodata", OBJECT_NAME);
	*(uint32_t *)((char *)rodata + off) = tl->entries - 1;
	/* the outer map is made with a ring of the real size as its inner
	 * map (libbpf 1.1 cannot resize the inner map it would make) */
	map = bpf_object__find_map_by_name(tl->obj, "traceloop_buffers");
	tl->template_fd = ring_create(tl);
	if (!map || tl->template_fd < 0 || bpf_map__set_inner_map_fd(map, tl->template_fd))
		return fail(err, errlen, -EINVAL, "%s: no traceloop_buffers map of rings (%s)",
			    OBJECT_NAME, tl->template_fd < 0 ? strerror(-tl->template_fd) : "");
	return 0;
}

static int load(struct gh_traceloop *tl, char *err, size_t errlen)
{
	const char *progs[2] = {"traceloop_enter", "traceloop_exit"};
	char *path = gh_find_object(OBJECT_NAME, NULL);
	int ret;

	if (!path)
		return fail(err, errlen, -ENOENT, "%s not found (build it, or set "
			    "$GADGETHOST_PATH)", OBJECT_NAME);
	tl->obj = bpf_object__open_file(path, NULL);
	if (!tl->obj) {
		ret = -errno;
		fail(err, errlen, ret, "%s: %s", path, strerror(-ret));
		free(path);
		return ret;
	}
	ret = set_mask(tl, err, errlen);
	if (!ret && bpf_object__load(tl->obj)) {
		ret = -errno;
		fail(err, errlen, ret, "%s: loading failed: %s", path,
		     gh_libbpf_log_verifier() ? gh_libbpf_log_verifier() :
		     gh_libbpf_log_last() ? gh_libbpf_log_last() : strerror(-ret));
	}
	for (int i = 0; !ret && i < 2; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(tl->obj, progs[i]);

		tl->links[i] = p ? bpf_program__attach(p) : NULL;
		if (!tl->links[i]) {
			ret = -errno;
			fail(err, errlen, ret, "%s: attaching %s: %s", path, progs[i],
			     strerror(-ret));
		}
	}
	if (!ret) {
		tl->buffers_fd = bpf_object__find_map_fd_by_name(tl->obj, "traceloop_buffers");
		tl->heads_fd = bpf_object__find_map_fd_by_name(tl->obj, "traceloop_heads");
		if (tl->buffers_fd < 0 || tl->heads_fd < 0)
			ret = fail(err, errlen, -EINVAL, "%s: no traceloop_buffers or "
				   "traceloop_heads map", path);
	}
	if (!ret && fill_args_map(tl))
		ret = fail(err, errlen, -EIO, "%s: filling traceloop_args failed", path);
	free(path);
	return ret;
}

int gh_traceloop_open(struct gh_traceloop **out, const struct gh_traceloop_opts *opts,
		      char *err, size_t errlen)
{
	struct gh_traceloop *tl = calloc(1, sizeof(*tl));
	struct gh_watch_opts wo = {.runc_roots = opts->runc_roots,
				   .docker_socket = opts->docker_socket};
	int ret;

	*out = NULL;
	if (!tl)
		return fail(err, errlen, -ENOMEM, "out of memory");
	tl->opts = *opts;
	tl->template_fd = -1;
	tl->entries = round_pow2(opts->entries ? opts->entries : GH_TRACELOOP_ENTRIES_DEFAULT);
	tl->table = calloc(1, sizeof(*tl->table));
	if (!tl->table) {
		free(tl);
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	gh_libbpf_log_install();
	gh_libbpf_log_set_verbose(opts->verbose);
	ret = gh_tracefs_ensure();
	if (ret)
		fail(err, errlen, ret, "tracefs: %s", strerror(-ret));
	if (!ret) {
		ret = gh_syscall_table_load(tl->table, gh_tracefs_root());
		if (ret)
			fail(err, errlen, ret, "%s/events/syscalls: %s (the kernel needs "
			     "CONFIG_FTRACE_SYSCALLS)", gh_tracefs_root(), strerror(-ret));
	}
	if (!ret)
		ret = load(tl, err, errlen);
	if (!ret)
		ret = gh_containers_new(&tl->cc);
	if (!ret)
		ret = gh_container_watch_new(&tl->watch, tl->cc, &wo);
	if (ret) {
		if (ret == -ENOMEM)
			fail(err, errlen, ret, "out of memory");
		gh_traceloop_free(tl);
		return ret;
	}
	tl->host_mntns[0] = gh_process_mntns("1");
	tl->host_mntns[1] = gh_process_mntns("self");
	*out = tl;
	return 0;
}

int gh_traceloop_start(struct gh_traceloop *tl, uv_loop_t *loop)
{
	int ret = gh_containers_subscribe(tl->cc, on_container, tl);

	/* the containers already running are added, as found, by the scan */
	if (!ret)
		gh_container_watch_scan(tl->watch);
	if (!ret)
		ret = gh_container_exits_start(&tl->exits, tl->cc, loop);
	if (!ret)
		ret = gh_container_watch_start(tl->watch, loop);
	if (ret)
		return ret;
	ret = gh_hook_server_start(&tl->hooks, loop, tl->cc, tl->opts.hook_dir,
				   tl->opts.docker_socket);
	if (ret)
		fprintf(stderr, "gadgethost: warning: no OCI hook socket in %s: %s (containers are "
			"still found from the runtimes' state)\n",
			tl->opts.hook_dir ? tl->opts.hook_dir : GH_HOOK_DIR, uv_strerror(ret));
	return 0;
}

int gh_traceloop_list(struct gh_traceloop *tl, struct gh_buf *out)
{
	for (size_t i = 0; i < tl->n_rings; i++) {
		const struct ring *r = &tl->rings[i];
		uint64_t head = ring_head(tl, r);
		int ret = gh_buf_printf(out, "%s\t%s\t%s\t%" PRIu64 "\t%" PRIu64 "\n", r->name,
					r->id, r->running ? "running" : "exited",
					head < tl->entries ? head : tl->entries, r->mntns);

		if (ret)
			return ret;
	}
	return 0;
}

/* The running ring of that name, id or id prefix; else the most recently
 * exited one. */
static struct ring *ring_find(struct gh_traceloop *tl, const char *name)
{
	struct ring *best = NULL;
	size_t len = strlen(name);

	for (size_t i = 0; i < tl->n_rings && len; i++) {
		struct ring *r = &tl->rings[i];

		if (strcmp(r->name, name) && strncmp(r->id, name, len))
			continue;
		if (r->running)
			return r;
		if (!best || r->exited_seq > best->exited_seq)
			best = r;
	}
	return best;
}

int gh_traceloop_dump(struct gh_traceloop *tl, const char *name, struct gh_buf *out)
{
	struct ring *r = ring_find(tl, name);
	struct traceloop_record *recs;
	uint64_t head, first;
	size_t n = 0;
	int ret;

	if (!r)
		return -ENOENT;
	head = ring_head(tl, r);
	first = head > tl->entries ? head - tl->entries : 0;
	recs = malloc((size_t)(head - first + 1) * sizeof(*recs));
	if (!recs)
		return -ENOMEM;
	for (uint64_t s = first; s < head; s++) {
		const volatile struct traceloop_record *src = &r->mem[s & (tl->entries - 1)];

		/* a slot being written, or already written over: skipped */
		if (src->seq != s + 1)
			continue;
		memcpy(&recs[n], (const void *)src, sizeof(recs[n]));
		__sync_synchronize();
		if (src->seq == s + 1 && recs[n].seq == s + 1)
			n++;
	}
	ret = gh_traceloop_format_records(out, tl->table, recs, n, gh_boot_to_wall_ns());
	free(recs);
	return ret;
}

int gh_traceloop_delete(struct gh_traceloop *tl, const char *name)
{
	struct ring *r = ring_find(tl, name);

	if (!r)
		return -ENOENT;
	if (r->running)
		return -EBUSY;
	ring_remove_at(tl, (size_t)(r - tl->rings));
	return 0;
}

void gh_traceloop_free(struct gh_traceloop *tl)
{
	if (!tl)
		return;
	for (int i = 0; i < 2; i++)
		bpf_link__destroy(tl->links[i]);
	if (tl->cc)
		gh_containers_unsubscribe(tl->cc, on_container, tl);
	gh_hook_server_free(tl->hooks);
	gh_container_exits_free(tl->exits);
	gh_container_watch_free(tl->watch);
	gh_containers_free(tl->cc);
	while (tl->n_rings)
		ring_remove_at(tl, tl->n_rings - 1);
	free(tl->rings);
	bpf_object__close(tl->obj);
	if (tl->template_fd >= 0)
		close(tl->template_fd);
	free(tl->table);
	free(tl);
}
