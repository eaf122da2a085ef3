/* gadget.c - opening, configuring, loading and closing one gadget. */
#include "gadget.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf_schema.h"
#include "container_fields.h"
#include "gadget_variants.h"
#include "hook_probe.h"
#include "libbpf_log.h"
#include "lua_script.h"
#include "packet_socket.h"
#include "params.h"
#include "profile.h"
#include "search_path.h"
#include "table_gadget.h"
#include "tracefs.h"
#include "variants.h"

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

int64_t gh_boot_to_wall_ns(void)
{
	struct timespec wall, boot;

	clock_gettime(CLOCK_REALTIME, &wall);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	return ((int64_t)wall.tv_sec - boot.tv_sec) * 1000000000LL + (wall.tv_nsec - boot.tv_nsec);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? strndup(path, slash - path) : strdup(".");
}

static int open_object(struct gh_gadget *g, char *err, size_t errlen)
{
	const char *roots[8];
	size_t n;
	int ret;

	g->object_path = gh_find_object(g->object_name, g->script_dir);
	if (!g->object_path) {
		n = gh_gadget_roots(roots, 8);
		return fail(err, errlen, -ENOENT,
			    "%s: object \"%s\" not found (looked next to the script%s%s)",
			    g->script_path, g->object_name, n ? " and in " : "", n ? roots[0] : "");
	}
	gh_libbpf_log_reset();
	g->obj = bpf_object__open_file(g->object_path, NULL);
	ret = libbpf_get_error(g->obj);
	if (ret) {
		g->obj = NULL;
		return fail(err, errlen, ret, "%s: not a usable eBPF object: %s%s%s", g->object_path,
			    strerror(-ret), gh_libbpf_log_last() ? ": " : "",
			    gh_libbpf_log_last() ? gh_libbpf_log_last() : "");
	}
	if (!bpf_object__btf(g->obj))
		return fail(err, errlen, -EINVAL, "%s: the object has no BTF (build it with clang -g)",
			    g->object_path);
	return 0;
}

/* Which struct goes through which map: GADGET_TRACER, or the script's
 * own map/struct names. */
static int find_tracer(struct gh_gadget *g, __u32 *struct_id, char *err, size_t errlen)
{
	const struct btf *btf = bpf_object__btf(g->obj);
	struct gh_btf_tracer *tracers = NULL;
	size_t n = 0, pick = 0;
	int ret;

	ret = gh_btf_find_tracers(btf, &tracers, &n);
	if (ret)
		return ret;
	if (g->tracer_name) {
		for (pick = 0; pick < n; pick++)
			if (!strcmp(tracers[pick].name, g->tracer_name))
				break;
		if (pick == n) {
			ret = fail(err, errlen, -ENOENT, "%s: no tracer \"%s\" in %s (GADGET_TRACER)",
				   g->script_path, g->tracer_name, g->object_path);
			goto out;
		}
	}
	if (!g->map_name && pick < n)
		g->map_name = strdup(tracers[pick].map_name);
	if (g->struct_name) {
		if (gh_btf_find_struct(btf, g->struct_name, struct_id)) {
			ret = fail(err, errlen, -ENOENT,
				   "%s: struct \"%s\" is not in the BTF of %s", g->script_path,
				   g->struct_name, g->object_path);
			goto out;
		}
	} else if (pick < n) {
		*struct_id = tracers[pick].struct_id;
	} else {
		ret = fail(err, errlen, -ENOENT,
			   "%s: declares no tracer (GADGET_TRACER) and the script names no "
			   "'map' and 'struct'", g->object_path);
		goto out;
	}
	if (!g->map_name) {
		ret = fail(err, errlen, -ENOENT, "%s: the script names no 'map' for struct %s",
			   g->script_path, g->struct_name);
		goto out;
	}
out:
	gh_btf_tracers_free(tracers, n);
	return ret;
}

static int add_index(int **list, size_t *n, int idx)
{
	int *grown = realloc(*list, (*n + 1) * sizeof(**list));

	if (!grown)
		return -ENOMEM;
	grown[(*n)++] = idx;
	*list = grown;
	return 0;
}

/* Output order: struct order, each mapped field right after its source,
 * then the fields the script adds. */
static int order_fields(struct gh_gadget *g, char *err, size_t errlen)
{
	struct gh_schema *s = &g->schema;
	int ret = 0, idx;

	for (size_t i = 0; i < s->n_fields && !ret; i++) {
		if (s->fields[i].kind == GH_KIND_VIRTUAL || s->fields[i].internal)
			continue;
		ret = add_index(&g->all_fields, &g->n_all_fields, (int)i);
		for (size_t j = 0; j < s->n_fields && !ret; j++)
			if (s->fields[j].kind == GH_KIND_VIRTUAL && s->fields[j].map_source == (int)i)
				ret = add_index(&g->all_fields, &g->n_all_fields, (int)j);
	}
	for (size_t j = 0; j < s->n_fields && !ret; j++)
		if (s->fields[j].kind == GH_KIND_VIRTUAL && s->fields[j].map_source < 0)
			ret = add_index(&g->all_fields, &g->n_all_fields, (int)j);
	if (ret)
		return ret;

	/* the container's name leads, as in Inspektor Gadget, unless the
	 * script places it */
	idx = gh_schema_find(s, "runtime.containerName");
	for (size_t i = 0; idx >= 0 && i < g->n_columns; i++)
		if (!strcmp(g->columns[i], "runtime.containerName"))
			idx = -1;
	if (idx >= 0 && gh_is_container_field(s, idx))
		ret = add_index(&g->default_fields, &g->n_default_fields, idx);
	else
		idx = -1;
	if (!g->columns) {
		for (size_t i = 0; i < g->n_all_fields && !ret; i++)
			if (!s->fields[g->all_fields[i]].hidden && g->all_fields[i] != idx)
				ret = add_index(&g->default_fields, &g->n_default_fields,
						g->all_fields[i]);
		return ret;
	}
	for (size_t i = 0; i < g->n_columns && !ret; i++) {
		idx = gh_schema_find(s, g->columns[i]);

		if (idx < 0)
			return fail(err, errlen, -EINVAL, "%s: columns: unknown field \"%s\"",
				    g->script_path, g->columns[i]);
		ret = add_index(&g->default_fields, &g->n_default_fields, idx);
	}
	return ret;
}

int gh_gadget_open(struct gh_gadget **out, const char *name, char *err, size_t errlen)
{
	struct gh_gadget *g = calloc(1, sizeof(*g));
	__u32 struct_id = 0;
	int ret;

	if (!g)
		return -ENOMEM;
	gh_libbpf_log_install();
	g->script_path = gh_find_gadget(name);
	if (!g->script_path) {
		ret = fail(err, errlen, -ENOENT, "gadget \"%s\" not found (try: gadgethost list)",
			   name);
		goto fail;
	}
	g->script_dir = dir_of(g->script_path);
	ret = gh_lua_open(&g->lua, g->script_path, err, errlen);
	if (!ret)
		ret = gh_lua_read_gadget(g->lua, g, err, errlen);
	if (!ret)
		ret = open_object(g, err, errlen);
	if (!ret && (ret = gh_table_gadget_open(g, err, errlen)) > 0)
		ret = 0; /* a top or a snapshot: its schema is built */
	if (!ret && !g->table)
		ret = gh_profile_open(g, &struct_id, err, errlen);
	if (!ret && !g->table && !g->profile)
		ret = find_tracer(g, &struct_id, err, errlen);
	if (!ret && !g->table && struct_id) {
		char why[256];

		ret = gh_btf_schema(bpf_object__btf(g->obj), struct_id, &g->schema, why,
				    sizeof(why));
		if (ret)
			fail(err, errlen, ret, "%s: %s", g->object_path, why);
	}
	if (!ret && (ret = gh_container_fields_add(&g->schema)) > 0)
		ret = 0;
	if (!ret && g->profile)
		ret = gh_profile_add_fields(g, err, errlen);
	if (!ret && !g->table && !g->profile) {
		g->events = bpf_object__find_map_by_name(g->obj, g->map_name);
		if (!g->events)
			ret = fail(err, errlen, -ENOENT, "%s: no map \"%s\"", g->object_path,
				   g->map_name);
		else if (bpf_map__type(g->events) != BPF_MAP_TYPE_RINGBUF)
			ret = fail(err, errlen, -EINVAL, "%s: map \"%s\" is not a ring buffer",
				   g->object_path, g->map_name);
	}
	if (!ret)
		ret = gh_lua_apply_fields(g->lua, &g->schema, err, errlen);
	if (!ret)
		ret = order_fields(g, err, errlen);
	if (ret)
		goto fail;
	if (!g->name)
		g->name = strdup(name);
	g->schema.boot_to_wall_ns = gh_boot_to_wall_ns();
	*out = g;
	return 0;
fail:
	if (ret == -ENOMEM && !err[0])
		fail(err, errlen, ret, "out of memory");
	gh_gadget_close(g);
	return ret;
}

struct gh_param *gh_gadget_param(struct gh_gadget *g, const char *key)
{
	for (size_t i = 0; i < g->n_params; i++)
		if (!strcmp(g->params[i].key, key))
			return &g->params[i];
	return NULL;
}

static struct bpf_map *internal_map(struct bpf_object *obj, const char *suffix)
{
	struct bpf_map *map;
	size_t slen = strlen(suffix);

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		size_t len = strlen(name);

		if (bpf_map__is_internal(map) && len >= slen && !strcmp(name + len - slen, suffix))
			return map;
	}
	return NULL;
}

/* Write text as type into the .rodata global name. */
static int set_global(struct gh_gadget *g, void *rodata, size_t rodata_size, const char *name,
		      const char *type, const char *text, const char *what, char *err,
		      size_t errlen)
{
	uint32_t off, size;

	if (!rodata || gh_btf_find_var(bpf_object__btf(g->obj), ".rodata", name, &off, &size,
				       NULL))
		return -ENOENT;
	if ((size_t)off + size > rodata_size)
		return fail(err, errlen, -EINVAL, "%s: .rodata variable %s out of bounds",
			    g->object_path, name);
	return gh_param_encode(what, type, text, (char *)rodata + off, size, err, errlen);
}

static int set_filter(struct gh_gadget *g, void *rodata, size_t size, const char *name,
		      const char *type, const char *text, const char *option, char *err,
		      size_t errlen)
{
	int ret = set_global(g, rodata, size, name, type, text, option, err, errlen);

	if (ret == -ENOENT)
		return fail(err, errlen, -EINVAL,
			    "%s does not support %s: its eBPF code does not use the SDK's "
			    "gadget_should_discard()", g->name, option);
	return ret;
}

static int copy_ids(uint64_t **dst, size_t *n_dst, const uint64_t *src, size_t n)
{
	free(*dst);
	*dst = NULL;
	*n_dst = 0;
	if (!n)
		return 0;
	*dst = malloc(n * sizeof(**dst));
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, src, n * sizeof(**dst));
	*n_dst = n;
	return 0;
}

int gh_gadget_configure(struct gh_gadget *g, const struct gh_kfilter *kf, char *err,
			size_t errlen)
{
	struct bpf_map *map = internal_map(g->obj, ".rodata");
	size_t size = 0;
	void *rodata = map ? (void *)bpf_map__initial_value(map, &size) : NULL;
	char num[32];
	int ret = 0;

	for (size_t i = 0; i < g->n_params && !ret; i++) {
		struct gh_param *p = &g->params[i];
		const char *text = p->value ? p->value : p->def;
		char what[128];

		if (!p->global || !text)
			continue;
		snprintf(what, sizeof(what), "--%s", p->key);
		ret = set_global(g, rodata, size, p->global, p->type, text, what, err, errlen);
		if (ret == -ENOENT)
			ret = fail(err, errlen, -EINVAL,
				   "%s: params.%s: the object has no const volatile \"%s\"",
				   g->script_path, p->key, p->global);
	}
	if (ret || !kf)
		return ret;
	if (kf->pid) {
		snprintf(num, sizeof(num), "%u", kf->pid);
		ret = set_filter(g, rodata, size, "gadget_filter_pid", "uint", num, "--pid", err,
				 errlen);
	}
	if (!ret && kf->tid) {
		snprintf(num, sizeof(num), "%u", kf->tid);
		ret = set_filter(g, rodata, size, "gadget_filter_tid", "uint", num, "--tid", err,
				 errlen);
	}
	if (!ret && kf->uid_on) {
		snprintf(num, sizeof(num), "%u", kf->uid);
		ret = set_filter(g, rodata, size, "gadget_filter_uid", "uint", num, "--uid", err,
				 errlen);
		if (!ret)
			ret = set_filter(g, rodata, size, "gadget_filter_uid_on", "bool", "true",
					 "--uid", err, errlen);
	}
	if (!ret && kf->gid_on) {
		snprintf(num, sizeof(num), "%u", kf->gid);
		ret = set_filter(g, rodata, size, "gadget_filter_gid", "uint", num, "--gid", err,
				 errlen);
		if (!ret)
			ret = set_filter(g, rodata, size, "gadget_filter_gid_on", "bool", "true",
					 "--gid", err, errlen);
	}
	if (!ret && kf->comm_on) {
		ret = set_filter(g, rodata, size, "gadget_filter_comm", "string", kf->comm,
				 "--comm", err, errlen);
		if (!ret)
			ret = set_filter(g, rodata, size, "gadget_filter_comm_on", "bool", "true",
					 "--comm", err, errlen);
	}
	if (!ret && (kf->n_mntns || kf->mntns_on)) {
		ret = set_filter(g, rodata, size, "gadget_filter_by_mntns", "bool", "true",
				 kf->mntns_on ? "container filtering (or --host)" : "--mntnsid",
				 err, errlen);
		/* an object built with an older SDK drops unknown ones */
		if (!ret && kf->mntns_judge_unknown)
			set_global(g, rodata, size, "gadget_filter_mntns_judge_unknown", "bool",
				   "true", "container filtering", err, errlen);
		if (!ret)
			ret = copy_ids(&g->mntns, &g->n_mntns, kf->mntns, kf->n_mntns);
		if (!ret)
			ret = copy_ids(&g->mntns_skip, &g->n_mntns_skip, kf->mntns_skip,
				       kf->n_mntns_skip);
		if (ret)
			return fail(err, errlen, ret, "out of memory");
	}
	return ret;
}

/* A program outside every variant group whose hook is missing: skip it
 * when optional, else fail naming the hook. */
static int check_hook(struct gh_gadget *g, struct bpf_program *prog, char *err, size_t errlen)
{
	char hook[256], why[512];

	if (gh_hook_supported(prog, hook, sizeof(hook), why, sizeof(why)))
		return 0;
	for (size_t i = 0; i < g->n_optional_programs; i++) {
		if (!strcmp(g->optional_programs[i], bpf_program__name(prog))) {
			bpf_program__set_autoload(prog, false);
			return 0;
		}
	}
	return fail(err, errlen, -ENOENT, "this kernel has no %s (needed by %s in %s)", why,
		    bpf_program__name(prog), g->object_path);
}

/* Map the SDK's counters (gadget_lost_events, gadget_wakeup_bytes) from the
 * loaded .bss map.  bpf_map__initial_value() is no use here: after load,
 * libbpf before 1.3 still returns its private copy (only skeletons get
 * the kernel's pages), so the host would neither see lost events nor be
 * seen switching wakeup modes.  The kernel's own pages are mmap()ed from
 * the map's fd instead (global data maps are BPF_F_MMAPABLE). */
static int map_counters(struct gh_gadget *g)
{
	struct bpf_map *bss = internal_map(g->obj, ".bss");
	const struct btf *btf = bpf_object__btf(g->obj);
	long page = sysconf(_SC_PAGESIZE);
	uint32_t off, size;
	size_t value_size;
	void *base;

	if (!bss || !(bpf_map__map_flags(bss) & BPF_F_MMAPABLE))
		return 0;
	value_size = bpf_map__value_size(bss);
	g->bss_size = (value_size + (size_t)page - 1) & ~((size_t)page - 1);
	base = mmap(NULL, g->bss_size, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(bss), 0);
	if (base == MAP_FAILED) {
		g->bss_size = 0;
		return -errno;
	}
	g->bss = base;
	if (!gh_btf_find_var(btf, ".bss", "gadget_lost_events", &off, &size, NULL) &&
	    off + 8 <= value_size)
		g->lost_events = (volatile uint64_t *)((char *)base + off);
	if (!gh_btf_find_var(btf, ".bss", "gadget_wakeup_bytes", &off, &size, NULL) &&
	    off + 8 <= value_size)
		g->wakeup_bytes = (volatile uint64_t *)((char *)base + off);
	return 0;
}

int gh_gadget_set_mntns(struct gh_gadget *g, uint64_t mntns, enum gh_mntns_verdict v)
{
	struct bpf_map *map = bpf_object__find_map_by_name(g->obj, "gadget_mntns_filter_map");
	uint32_t value = v == GH_MNTNS_TRACE;
	int ret;

	if (!map || bpf_map__fd(map) < 0)
		return -ENOENT;
	if (v == GH_MNTNS_FORGET) {
		ret = bpf_map__delete_elem(map, &mntns, sizeof(mntns), 0);
		return ret == -ENOENT ? 0 : ret;
	}
	return bpf_map__update_elem(map, &mntns, sizeof(mntns), &value, sizeof(value), BPF_ANY);
}

int gh_gadget_check_kernel(struct gh_gadget *g, char *err, size_t errlen)
{
	struct bpf_program *prog;
	bool load;
	int ret;

	ret = gh_gadget_choose_variants(g, err, errlen);
	if (ret)
		return ret;
	bpf_object__for_each_program(prog, g->obj) {
		if (gh_variants_has(g->variants, bpf_program__name(prog), &load)) {
			bpf_program__set_autoload(prog, load);
			continue;
		}
		ret = check_hook(g, prog, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

int gh_gadget_load(struct gh_gadget *g, bool verbose, char *err, size_t errlen)
{
	struct bpf_program *prog;
	int ret;

	gh_libbpf_log_set_verbose(verbose);
	ret = gh_tracefs_ensure();
	if (ret)
		return fail(err, errlen, ret, "tracefs is not mounted and mounting it at "
			    "/sys/kernel/tracing failed: %s", strerror(-ret));
	ret = gh_gadget_check_kernel(g, err, errlen);
	if (ret)
		return ret;
	if (verbose)
		gh_gadget_print_variants(g, stderr);
	gh_libbpf_log_reset();
	ret = bpf_object__load(g->obj);
	if (ret) {
		const char *why = gh_libbpf_log_last();

		gh_libbpf_log_print_verifier_tail();
		if (gh_libbpf_log_verifier())
			return fail(err, errlen, ret, "%s: the verifier rejected a program: %s "
				    "(--verbose shows its log)", g->object_path,
				    gh_libbpf_log_verifier());
		if (ret == -EPERM)
			return fail(err, errlen, ret, "loading %s: permission denied (run as root: "
				    "eBPF needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)",
				    g->object_path);
		return fail(err, errlen, ret, "loading %s failed: %s%s%s", g->object_path,
			    strerror(-ret), why ? ": " : "", why ? why : "");
	}
	ret = map_counters(g);
	if (ret)
		return fail(err, errlen, ret, "%s: mapping .bss: %s", g->object_path, strerror(-ret));
	for (size_t i = 0; i < g->n_mntns_skip; i++) {
		ret = gh_gadget_set_mntns(g, g->mntns_skip[i], GH_MNTNS_SKIP);
		if (ret)
			return fail(err, errlen, ret, "filling gadget_mntns_filter_map of %s: %s",
				    g->object_path, strerror(-ret));
	}
	for (size_t i = 0; i < g->n_mntns; i++) {
		ret = gh_gadget_set_mntns(g, g->mntns[i], GH_MNTNS_TRACE);
		if (ret)
			return fail(err, errlen, ret, "--mntnsid: filling gadget_mntns_filter_map "
				    "of %s: %s", g->object_path, strerror(-ret));
	}
	bpf_object__for_each_program(prog, g->obj) {
		struct bpf_link *link, **links;

		if (!bpf_program__autoload(prog))
			continue;
		if (bpf_program__type(prog) == BPF_PROG_TYPE_SOCKET_FILTER)
			continue; /* attached to sockets, per network namespace */
		if (gh_table_gadget_is_iterator(prog))
			continue; /* opened by each snapshot */
		if (bpf_program__type(prog) == BPF_PROG_TYPE_PERF_EVENT)
			continue; /* attached to perf events by the profile run */
		link = bpf_program__attach(prog);
		ret = libbpf_get_error(link);
		if (ret)
			return fail(err, errlen, ret, "attaching %s (%s) failed: %s",
				    bpf_program__name(prog), bpf_program__section_name(prog),
				    strerror(-ret));
		links = realloc(g->links, (g->n_links + 1) * sizeof(*links));
		if (!links) {
			bpf_link__destroy(link);
			return -ENOMEM;
		}
		links[g->n_links++] = link;
		g->links = links;
		if (verbose)
			fprintf(stderr, "gadgethost: attached %s (%s)\n", bpf_program__name(prog),
				bpf_program__section_name(prog));
	}
	ret = gh_packet_sockets_new(&g->packet_sockets, g->obj);
	if (ret)
		return fail(err, errlen, ret, "%s: preparing its socket programs: %s",
			    g->object_path, strerror(-ret));
	if (!g->events)
		return 0; /* a top, a snapshot or a profile gadget */
	g->ringbuf_size = bpf_map__max_entries(g->events);
	if (verbose)
		fprintf(stderr, "gadgethost: ring buffer %s, %u bytes; lost-event counter %s; "
			"adaptive wakeups %s\n", g->map_name, g->ringbuf_size,
			g->lost_events ? "mapped" : "absent", g->wakeup_bytes ? "on" : "off");
	return 0;
}

static void free_strings(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void gh_gadget_detach(struct gh_gadget *g)
{
	gh_packet_sockets_free(g->packet_sockets);
	g->packet_sockets = NULL;
	for (size_t i = 0; i < g->n_links; i++)
		bpf_link__destroy(g->links[i]);
	free(g->links);
	g->links = NULL;
	g->n_links = 0;
}

void gh_gadget_close(struct gh_gadget *g)
{
	if (!g)
		return;
	gh_gadget_detach(g);
	if (g->bss)
		munmap(g->bss, g->bss_size);
	free(g->mntns);
	free(g->mntns_skip);
	bpf_object__close(g->obj);
	gh_profile_free(g->profile);
	gh_lua_close(g->lua);
	gh_schema_free(&g->schema);
	gh_table_gadget_free(g->table);
	free(g->sort);
	for (size_t i = 0; i < g->n_params; i++) {
		struct gh_param *p = &g->params[i];

		free(p->key);
		free(p->global);
		free(p->type);
		free(p->def);
		free(p->description);
		free(p->value);
		free_strings(p->values, p->n_values);
	}
	free(g->params);
	free_strings(g->columns, g->n_columns);
	free_strings(g->optional_programs, g->n_optional_programs);
	gh_variants_free(g->variants);
	free_strings(g->sources, g->n_sources);
	free(g->default_fields);
	free(g->all_fields);
	free(g->script_path);
	free(g->script_dir);
	free(g->name);
	free(g->description);
	free(g->object_name);
	free(g->tracer_name);
	free(g->map_name);
	free(g->struct_name);
	free(g->object_path);
	free(g);
}
