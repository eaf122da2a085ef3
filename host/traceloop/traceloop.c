/* traceloop.c - the traceloop flight recorder (see traceloop.h): the
 * gadget traceloop/traceloop.lua (GADGET_TRACELOOP, gadget/
 * traceloop_gadget.h), loaded as any gadget is, and run in the one run
 * loop (run/run_loop.h) as a kind of its own: no events, a ring made for
 * each container that appears and kept when it exits, records read when
 * asked, each through the pipeline (the script's filter and enrich). */
#include "traceloop/traceloop.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <gadget/traceloop.h>

#include "base/err.h"
#include "base/log.h"
#include "base/names.h"
#include "containers/container.h"
#include "decode/syscall_args.h"
#include "gadget/gadget.h"
#include "gadget/traceloop_gadget.h"
#include "kernel/tracefs.h"
#include "run/pipeline.h"
#include "run/run_containers.h"
#include "run/run_loop.h"
#include "traceloop/traceloop_format.h"

#define GADGET_NAME "traceloop/traceloop.lua"

struct ring {
	char *id;
	char *name;
	char *runtime;         /* "" when not known */
	char *k8s_namespace;   /* "" when not a pod's */
	char *k8s_pod;
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
	struct gh_gadget *g;
	int buffers_fd, heads_fd;
	int template_fd;       /* the inner map the outer one was made with */
	uint32_t entries;
	struct gh_syscall_table *table;
	bool *recorded;        /* --syscall-filters: by number; NULL: every call */
	struct gh_run *run;    /* while it runs */
	struct gh_run_containers *rc;
	struct gh_containers *cc;
	bool subscribed;
	uint64_t host_mntns[2];
	/* a dump's records, through the script's filter and enrich */
	struct gh_pipeline pipeline;
	struct traceloop_record *kept;
	size_t n_kept;

	struct ring *rings;
	size_t n_rings;
	uint64_t exits_seen;
};

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
	free(r->runtime);
	free(r->k8s_namespace);
	free(r->k8s_pod);
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
	r.runtime = strdup(c->runtime ? c->runtime : "");
	r.k8s_namespace = strdup(c->k8s_namespace ? c->k8s_namespace : "");
	r.k8s_pod = strdup(c->k8s_pod ? c->k8s_pod : "");
	r.fd = ring_create(tl);
	if (!r.id || !r.name || !r.runtime || !r.k8s_namespace || !r.k8s_pod || r.fd < 0) {
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
	gh_log(GH_LOG_INFO, "traceloop: container %s %s (mntns %" PRIu64 ")", c->name,
	       added ? "started: recording" : "stopped: ring kept", c->mntns);
	if (!added) {
		ring_exit(tl, c);
		return;
	}
	ret = ring_add(tl, c);
	if (ret)
		gh_log(GH_LOG_WARNING, "traceloop: container %s: no ring: %s", c->name,
		       strerror(-ret));
}

/* --syscall-filters "openat,execve": the calls recorded, by number, and
 * the gadget's param that has the eBPF side look. */
static int parse_filters(struct gh_traceloop *tl, const char *list, char *err, size_t errlen)
{
	struct gh_param *p = gh_gadget_param(tl->g, "syscall_filter");
	char *copy, *save = NULL;
	size_t n = 0;
	int ret = 0;

	if (!p || !p->global)
		return gh_err(err, errlen, -EINVAL, "%s: no param \"syscall_filter\" (for "
			      "--syscall-filters)", tl->g->script_path);
	tl->recorded = calloc(TRACELOOP_MAX_SYSCALLS, sizeof(*tl->recorded));
	copy = strdup(list);
	free(p->value);
	p->value = strdup("true");
	if (!tl->recorded || !copy || !p->value) {
		free(copy);
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	}
	for (char *name = strtok_r(copy, ",", &save); name && !ret;
	     name = strtok_r(NULL, ",", &save)) {
		int nr = gh_syscall_from_tracepoint(name);

		if (nr < 0 || nr >= TRACELOOP_MAX_SYSCALLS)
			ret = gh_err(err, errlen, -EINVAL, "--syscall-filters: \"%s\" is not a "
				     "system call", name);
		else
			tl->recorded[nr] = true;
		n++;
	}
	if (!ret && !n)
		ret = gh_err(err, errlen, -EINVAL, "--syscall-filters: no system call named");
	free(copy);
	return ret;
}

/* Which syscall arguments the eBPF side reads from user memory, and which
 * calls it records (--syscall-filters). */
static int fill_args_map(struct gh_traceloop *tl)
{
	int fd = bpf_map__fd(tl->g->traceloop->args);

	if (fd < 0)
		return fd;
	for (__u32 nr = 0; nr < GH_SYSCALL_MAX && nr < TRACELOOP_MAX_SYSCALLS; nr++) {
		const struct gh_syscall_info *info = &tl->table->sc[nr];
		struct traceloop_syscall_args a = {.recorded = tl->recorded && tl->recorded[nr]};
		bool any = a.recorded;

		for (int i = 0; info->known && i < info->nargs; i++) {
			if (info->args[i].kind == GH_SYSARG_STRING)
				a.kind[i] = TRACELOOP_ARG_STRING;
			else if (info->args[i].kind == GH_SYSARG_BUFFER)
				a.kind[i] = TRACELOOP_ARG_BUFFER;
			else if (info->args[i].kind == GH_SYSARG_ARGV)
				a.kind[i] = TRACELOOP_ARG_ARGV;
			any = any || a.kind[i];
		}
		if (any && bpf_map_update_elem(fd, &nr, &a, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* The record count as the gadget's param "entries", and the rings' map
 * made with a ring of that size as its inner map (libbpf 1.1 cannot
 * resize the inner map it would make). */
static int set_entries(struct gh_traceloop *tl, char *err, size_t errlen)
{
	struct gh_param *p = gh_gadget_param(tl->g, "entries");
	char num[16];

	if (!p || !p->global)
		return gh_err(err, errlen, -EINVAL, "%s: no param \"entries\" (the records of a "
			      "ring)", tl->g->script_path);
	if (tl->opts.entries || !p->def) {
		snprintf(num, sizeof(num), "%u", tl->entries);
		free(p->value);
		p->value = strdup(num);
		if (!p->value)
			return gh_err(err, errlen, -ENOMEM, "out of memory");
	} else {
		tl->entries = round_pow2((uint32_t)strtoul(p->def, NULL, 10));
	}
	tl->template_fd = ring_create(tl);
	if (tl->template_fd < 0 ||
	    bpf_map__set_inner_map_fd(tl->g->traceloop->rings, tl->template_fd))
		return gh_err(err, errlen, -EINVAL, "%s: a ring of %u records: %s",
			      tl->g->object_path, tl->entries,
			      tl->template_fd < 0 ? strerror(-tl->template_fd) : "not taken");
	return 0;
}

/* A record of a dump the script kept (the pipeline's sink). */
static int keep_record(void *ctx, struct gh_event *ev)
{
	struct gh_traceloop *tl = ctx;

	memcpy(&tl->kept[tl->n_kept++], ev->data, sizeof(*tl->kept));
	return 0;
}

int gh_traceloop_open(struct gh_traceloop **out, const struct gh_traceloop_opts *opts,
		      char *err, size_t errlen)
{
	struct gh_traceloop *tl = calloc(1, sizeof(*tl));
	struct gh_run_containers_opts co = {.select = opts->select, .host = true,
					    .runc_roots = opts->runc_roots,
					    .docker_socket = opts->docker_socket,
					    .hook_dir = opts->hook_dir};
	char msg[768];
	int ret;

	*out = NULL;
	if (!tl || !(tl->table = calloc(1, sizeof(*tl->table)))) {
		free(tl);
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	}
	tl->opts = *opts;
	tl->template_fd = -1;
	tl->entries = round_pow2(opts->entries ? opts->entries : GH_TRACELOOP_ENTRIES_DEFAULT);
	ret = gh_tracefs_ensure();
	if (ret)
		gh_err(err, errlen, ret, "tracefs: %s", strerror(-ret));
	if (!ret) {
		ret = gh_syscall_table_load(tl->table, gh_tracefs_root());
		if (ret)
			gh_err(err, errlen, ret, "%s/events/syscalls: %s (the kernel needs "
			       "CONFIG_FTRACE_SYSCALLS)", gh_tracefs_root(), strerror(-ret));
	}
	if (!ret && gh_syscall_names_warning(gh_tracefs_root(), msg, sizeof(msg)))
		gh_log(GH_LOG_WARNING, "traceloop: %s", msg);
	/* the one loader: params, variants, hooks checked, verifier, attach */
	if (!ret)
		ret = gh_gadget_open(&tl->g, GADGET_NAME, err, errlen);
	if (!ret && !tl->g->traceloop)
		ret = gh_err(err, errlen, -EINVAL, "%s: its object declares no GADGET_TRACELOOP",
			     tl->g->script_path);
	/* the records are read and formatted as gadget/traceloop.h lays them out */
	if (!ret && tl->g->schema.struct_size != sizeof(struct traceloop_record))
		ret = gh_err(err, errlen, -EINVAL, "%s: its record (struct %s, %u bytes) is not "
			     "gadget/traceloop.h's (%zu bytes)", tl->g->object_path,
			     tl->g->schema.struct_name, tl->g->schema.struct_size,
			     sizeof(struct traceloop_record));
	if (!ret)
		ret = set_entries(tl, err, errlen);
	if (!ret && opts->syscall_filters)
		ret = parse_filters(tl, opts->syscall_filters, err, errlen);
	if (!ret)
		ret = gh_gadget_configure(tl->g, NULL, err, errlen);
	if (!ret)
		ret = gh_gadget_load(tl->g, opts->verbose, err, errlen);
	if (!ret) {
		tl->buffers_fd = bpf_map__fd(tl->g->traceloop->rings);
		tl->heads_fd = bpf_map__fd(tl->g->traceloop->heads);
		if (fill_args_map(tl))
			ret = gh_err(err, errlen, -EIO, "%s: filling %s failed", tl->g->object_path,
				     bpf_map__name(tl->g->traceloop->args));
	}
	if (!ret && gh_run_containers_open(&tl->rc, tl->g, &co))
		ret = gh_err(err, errlen, -ENOMEM, "out of memory");
	if (!ret && !(tl->kept = calloc(tl->entries, sizeof(*tl->kept))))
		ret = gh_err(err, errlen, -ENOMEM, "out of memory");
	if (ret) {
		gh_traceloop_free(tl);
		return ret;
	}
	tl->cc = gh_run_containers_collection(tl->rc);
	gh_pipeline_init(&tl->pipeline, &tl->g->schema, NULL, tl->g->lua, false);
	gh_pipeline_set_sink(&tl->pipeline, keep_record, tl);
	tl->host_mntns[0] = gh_process_mntns("1");
	tl->host_mntns[1] = gh_process_mntns("self");
	*out = tl;
	return 0;
}

/* The recorder as a kind of run: its start is the containers' watch; it
 * has no events to drain, nothing to print at the end. */
static int recorder_open(struct gh_run *run, void **k)
{
	struct gh_traceloop *tl = run->arg;

	tl->run = run;
	*k = tl;
	return 0;
}

static int recorder_start(void *k)
{
	struct gh_traceloop *tl = k;
	int ret = gh_containers_subscribe(tl->cc, on_container, tl);

	if (ret)
		return ret;
	tl->subscribed = true;
	/* the containers running already: found by the first scan */
	for (size_t i = 0; i < gh_containers_count(tl->cc); i++) {
		const struct gh_container *c = gh_containers_at(tl->cc, i);

		if (!c->gone)
			on_container(tl, c, true);
	}
	return gh_run_containers_start(tl->rc, tl->run->loop);
}

static void recorder_close(void *k)
{
	struct gh_traceloop *tl = k;

	tl->run = NULL;
}

static const struct gh_run_kind recorder_kind = {
	.name = "traceloop",
	.items = "records",
	.open = recorder_open,
	.start = recorder_start,
	.close = recorder_close,
};

int gh_traceloop_run(struct gh_traceloop *tl, struct gh_run_opts *ro)
{
	return gh_run_with_kind(tl->g, NULL, NULL, ro, &recorder_kind, tl);
}

int gh_traceloop_list(struct gh_traceloop *tl, struct gh_buf *out)
{
	for (size_t i = 0; i < tl->n_rings; i++) {
		const struct ring *r = &tl->rings[i];
		uint64_t head = ring_head(tl, r);
		int ret = gh_buf_printf(out, "%s\t%s\t%s\t%" PRIu64 "\t%" PRIu64 "\t%s\t%s\n",
					r->name, r->id, r->running ? "running" : "exited",
					head < tl->entries ? head : tl->entries, r->mntns,
					r->k8s_namespace, r->k8s_pod);

		if (ret)
			return ret;
	}
	return 0;
}

/* What a dump or a delete names: NAME (a container name, an id or an id
 * prefix) or NAMESPACE/POD/NAME, an empty part matching any. */
struct selector {
	const char *ns, *pod, *name;
	size_t ns_len, pod_len;
};

static int selector_parse(struct selector *sel, const char *text)
{
	const char *a = strchr(text, '/'), *b = a ? strchr(a + 1, '/') : NULL;

	memset(sel, 0, sizeof(*sel));
	sel->name = text;
	if (!a)
		return *text ? 0 : -EINVAL;
	if (!b || strchr(b + 1, '/') || !b[1])
		return -EINVAL;
	sel->ns = text;
	sel->ns_len = (size_t)(a - text);
	sel->pod = a + 1;
	sel->pod_len = (size_t)(b - (a + 1));
	sel->name = b + 1;
	return 0;
}

static bool part_matches(const char *want, size_t len, const char *have)
{
	return !len || (strlen(have) == len && !strncmp(have, want, len));
}

static bool selected(const struct selector *sel, const struct ring *r)
{
	size_t len = strlen(sel->name);

	return (!strcmp(r->name, sel->name) || !strncmp(r->id, sel->name, len)) &&
	       part_matches(sel->ns, sel->ns_len, r->k8s_namespace) &&
	       part_matches(sel->pod, sel->pod_len, r->k8s_pod);
}

/* Whether a and b are one container over time: a pod's container
 * restarted, a name given to a new container once the old one exited. */
static bool same_container(const struct ring *a, const struct ring *b)
{
	return !strcmp(a->name, b->name) && !strcmp(a->runtime, b->runtime) &&
	       !strcmp(a->k8s_namespace, b->k8s_namespace) && !strcmp(a->k8s_pod, b->k8s_pod);
}

/* "ns/pod/main (id 0123456789ab, running)" */
static void describe(char *out, size_t len, const struct ring *r)
{
	if (*r->k8s_pod)
		snprintf(out, len, "%s/%s/%s (id %.12s, %s)", r->k8s_namespace, r->k8s_pod,
			 r->name, r->id, r->running ? "running" : "exited");
	else
		snprintf(out, len, "%s (%s%sid %.12s, %s)", r->name, r->runtime,
			 *r->runtime ? ", " : "", r->id, r->running ? "running" : "exited");
}

/* The one container text names: its running ring, else its most recently
 * exited one.  -ENOENT: none; -ENOTUNIQ, with err listing them: rings of
 * more than one container (pods' containers are often all "main"), or of
 * one that runs twice. */
static int ring_find(struct gh_traceloop *tl, const char *text, struct ring **out, char *err,
		     size_t errlen)
{
	struct ring *best = NULL;
	struct selector sel;
	bool ambiguous = false;
	size_t used;

	*out = NULL;
	if (selector_parse(&sel, text))
		return gh_err(err, errlen, -EINVAL, "\"%s\" names no container (NAME, an id, or "
			      "NAMESPACE/POD/NAME)", text);
	for (size_t i = 0; i < tl->n_rings; i++) {
		struct ring *r = &tl->rings[i];

		if (!selected(&sel, r))
			continue;
		if (best && (!same_container(best, r) || (best->running && r->running)))
			ambiguous = true;
		if (!best || (r->running && !best->running) ||
		    (!r->running && !best->running && r->exited_seq > best->exited_seq))
			best = r;
	}
	if (!best)
		return -ENOENT;
	if (!ambiguous) {
		*out = best;
		return 0;
	}
	used = (size_t)snprintf(err, errlen, "\"%s\" is more than one container:", text);
	for (size_t i = 0, n = 0; i < tl->n_rings && used < errlen; i++) {
		char one[512];

		if (!selected(&sel, &tl->rings[i]))
			continue;
		describe(one, sizeof(one), &tl->rings[i]);
		used += (size_t)snprintf(err + used, errlen - used, "%s %s", n++ ? "," : "", one);
	}
	if (used < errlen)
		snprintf(err + used, errlen - used, "; name one as NAMESPACE/POD/NAME or by its id");
	return -ENOTUNIQ;
}

int gh_traceloop_dump(struct gh_traceloop *tl, const char *name, struct gh_buf *out,
		      char *err, size_t errlen)
{
	struct ring *r;
	struct traceloop_record rec;
	uint64_t head, first;
	int ret = ring_find(tl, name, &r, err, errlen);

	if (ret)
		return ret;
	head = ring_head(tl, r);
	first = head > tl->entries ? head - tl->entries : 0;
	tl->n_kept = 0;
	for (uint64_t s = first; s < head; s++) {
		const volatile struct traceloop_record *src = &r->mem[s & (tl->entries - 1)];
		struct gh_event ev = {.data = (const uint8_t *)&rec, .len = sizeof(rec)};

		/* a slot being written, or already written over: skipped */
		if (src->seq != s + 1)
			continue;
		memcpy(&rec, (const void *)src, sizeof(rec));
		__sync_synchronize();
		if (src->seq != s + 1 || rec.seq != s + 1)
			continue;
		/* the script's filter and enrich, as for any event */
		gh_pipeline_event(&tl->pipeline, &ev);
	}
	return gh_traceloop_format_records(out, tl->table, tl->kept, tl->n_kept,
					   gh_boot_to_wall_ns());
}

int gh_traceloop_delete(struct gh_traceloop *tl, const char *name, char *err, size_t errlen)
{
	struct ring *r;
	int ret = ring_find(tl, name, &r, err, errlen);

	if (ret)
		return ret;
	if (r->running)
		return -EBUSY;
	ring_remove_at(tl, (size_t)(r - tl->rings));
	return 0;
}

void gh_traceloop_free(struct gh_traceloop *tl)
{
	if (!tl)
		return;
	if (tl->subscribed)
		gh_containers_unsubscribe(tl->cc, on_container, tl);
	gh_run_containers_free(tl->rc);
	while (tl->n_rings)
		ring_remove_at(tl, tl->n_rings - 1);
	free(tl->rings);
	gh_gadget_close(tl->g);
	if (tl->template_fd >= 0)
		close(tl->template_fd);
	free(tl->kept);
	free(tl->recorded);
	free(tl->table);
	free(tl);
}
