/* gadget.c - opening, configuring, loading and closing one gadget: its
 * script (the spec), its object (through loader.h), its kind and schema. */
#include "gadget/gadget.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "base/err.h"
#include "base/log.h"
#include "base/names.h"
#include "base/read_file.h"
#include "base/search_path.h"
#include "containers/container_fields.h"
#include "gadget/lib_uprobes.h"
#include "gadget/profile.h"
#include "gadget/table_gadget.h"
#include "gadget/traceloop_gadget.h"
#include "kernel/packet_socket.h"
#include "kernel/tracefs.h"
#include "schema/btf_schema.h"
#include "script/lua_script.h"

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

	g->object_path = gh_find_object(g->spec.object_name, g->script_dir);
	if (!g->object_path) {
		n = gh_gadget_roots(roots, 8);
		return gh_err(err, errlen, -ENOENT,
			      "%s: object \"%s\" not found (looked next to the script%s%s)",
			      g->script_path, g->spec.object_name, n ? " and in " : "",
			      n ? roots[0] : "");
	}
	return gh_loader_open(&g->obj, g->object_path, err, errlen);
}

/* What the loader reads of g. */
static struct gh_load_what load_what(struct gh_gadget *g)
{
	return (struct gh_load_what){.spec = &g->spec, .script_path = g->script_path,
				     .object_path = g->object_path};
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
	if (g->spec.tracer_name) {
		for (pick = 0; pick < n; pick++)
			if (!strcmp(tracers[pick].name, g->spec.tracer_name))
				break;
		if (pick == n) {
			ret = gh_err(err, errlen, -ENOENT, "%s: no tracer \"%s\" in %s "
				     "(GADGET_TRACER)", g->script_path, g->spec.tracer_name,
				     g->object_path);
			goto out;
		}
	}
	if (!g->spec.map_name && pick < n)
		g->spec.map_name = strdup(tracers[pick].map_name);
	if (g->spec.struct_name) {
		if (gh_btf_find_struct(btf, g->spec.struct_name, struct_id)) {
			ret = gh_err(err, errlen, -ENOENT,
				     "%s: struct \"%s\" is not in the BTF of %s", g->script_path,
				     g->spec.struct_name, g->object_path);
			goto out;
		}
	} else if (pick < n) {
		*struct_id = tracers[pick].struct_id;
	} else {
		ret = gh_err(err, errlen, -ENOENT,
			     "%s: declares no tracer (GADGET_TRACER) and the script names no "
			     "'map' and 'struct'", g->object_path);
		goto out;
	}
	if (!g->spec.map_name) {
		ret = gh_err(err, errlen, -ENOENT, "%s: the script names no 'map' for struct %s",
			     g->script_path, g->spec.struct_name);
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
		if (s->fields[j].kind == GH_KIND_VIRTUAL && s->fields[j].map_source < 0 &&
		    !s->fields[j].internal)
			ret = add_index(&g->all_fields, &g->n_all_fields, (int)j);
	if (ret)
		return ret;

	/* the container's name leads, as in Inspektor Gadget, unless the
	 * script places it */
	idx = gh_schema_find(s, "runtime.containerName");
	for (size_t i = 0; idx >= 0 && i < g->spec.n_columns; i++)
		if (!strcmp(g->spec.columns[i], "runtime.containerName"))
			idx = -1;
	if (idx >= 0 && gh_is_container_field(s, idx))
		ret = add_index(&g->default_fields, &g->n_default_fields, idx);
	else
		idx = -1;
	if (!g->spec.columns) {
		for (size_t i = 0; i < g->n_all_fields && !ret; i++)
			if (!s->fields[g->all_fields[i]].hidden && g->all_fields[i] != idx)
				ret = add_index(&g->default_fields, &g->n_default_fields,
						g->all_fields[i]);
		return ret;
	}
	for (size_t i = 0; i < g->spec.n_columns && !ret; i++) {
		idx = gh_schema_find(s, g->spec.columns[i]);

		if (idx < 0)
			return gh_err(err, errlen, -EINVAL, "%s: columns: unknown field \"%s\"",
				      g->script_path, g->spec.columns[i]);
		ret = add_index(&g->default_fields, &g->n_default_fields, idx);
	}
	return ret;
}

/* No gadget by that name.  ig's image names ("trace_exec") are ours with a
 * "/" for the first "_" and ".lua": name it when it exists. */
static int not_found(const char *name, char *err, size_t errlen)
{
	char guess[256];

	if (gh_ig_name_guess(name, guess, sizeof(guess)))
		return gh_err(err, errlen, -ENOENT, "gadget \"%s\" not found (did you mean %s?)",
			      name, guess);
	return gh_err(err, errlen, -ENOENT, "gadget \"%s\" not found (try: gadgethost list)",
		      name);
}

int gh_gadget_open(struct gh_gadget **out, const char *name, char *err, size_t errlen)
{
	struct gh_gadget *g = calloc(1, sizeof(*g));
	__u32 struct_id = 0;
	int ret;

	if (!g)
		return -ENOMEM;
	g->script_path = gh_find_gadget(name);
	if (!g->script_path) {
		ret = not_found(name, err, errlen);
		goto fail;
	}
	g->script_dir = dir_of(g->script_path);
	ret = gh_lua_open(&g->lua, g->script_path, err, errlen);
	if (!ret)
		ret = gh_lua_read_spec(g->lua, &g->spec, err, errlen);
	if (!ret)
		ret = open_object(g, err, errlen);
	/* the kind: a table (its schema built), a profile, a flight
	 * recorder, else a tracer */
	if (!ret && (ret = gh_table_gadget_open(&g->table, g->obj, g->object_path, &g->schema,
						err, errlen)) > 0)
		ret = 0;
	if (!ret && !g->table)
		ret = gh_profile_open(&g->profile, g->obj, g->object_path, &struct_id, err, errlen);
	if (!ret && g->profile && !(g->spec.map_name = strdup(g->profile->map_name)))
		ret = -ENOMEM;
	if (!ret && !g->table && !g->profile)
		ret = gh_traceloop_gadget_open(&g->traceloop, g->obj, g->object_path, &struct_id,
					       err, errlen);
	if (!ret && !g->table && !g->profile && !g->traceloop)
		ret = find_tracer(g, &struct_id, err, errlen);
	if (!ret && !g->table && struct_id) {
		char why[256];

		ret = gh_btf_schema(bpf_object__btf(g->obj), struct_id, &g->schema, why,
				    sizeof(why));
		if (ret)
			gh_err(err, errlen, ret, "%s: %s", g->object_path, why);
	}
	if (!ret && (ret = gh_container_fields_add(&g->schema)) > 0)
		ret = 0;
	if (!ret && (ret = gh_iface_fields_add(&g->schema, &g->iface)) > 0)
		ret = 0;
	if (!ret && g->profile)
		ret = gh_profile_add_fields(g->profile, &g->spec, &g->schema, g->object_path, err,
					    errlen);
	if (!ret && !g->table && !g->profile && !g->traceloop) {
		g->events = bpf_object__find_map_by_name(g->obj, g->spec.map_name);
		if (!g->events)
			ret = gh_err(err, errlen, -ENOENT, "%s: no map \"%s\"", g->object_path,
				     g->spec.map_name);
		else if (bpf_map__type(g->events) != BPF_MAP_TYPE_RINGBUF)
			ret = gh_err(err, errlen, -EINVAL, "%s: map \"%s\" is not a ring buffer",
				     g->object_path, g->spec.map_name);
	}
	if (!ret)
		ret = gh_lua_apply_fields(g->lua, &g->schema, err, errlen);
	if (!ret)
		ret = gh_packet_fields_resolve(&g->schema, &g->spec.packet, g->script_path, err,
					       errlen);
	if (!ret)
		ret = order_fields(g, err, errlen);
	if (!ret && !g->spec.name && !(g->spec.name = strdup(name)))
		ret = -ENOMEM;
	if (ret)
		goto fail;
	g->schema.boot_to_wall_ns = gh_boot_to_wall_ns();
	*out = g;
	return 0;
fail:
	if (ret == -ENOMEM && !err[0])
		gh_err(err, errlen, ret, "out of memory");
	gh_gadget_close(g);
	return ret;
}

struct gh_param *gh_gadget_param(struct gh_gadget *g, const char *key)
{
	return gh_spec_param(&g->spec, key);
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
	struct gh_load_what w = load_what(g);
	int ret = gh_loader_configure(g->obj, &w, kf, err, errlen);

	if (ret || !kf)
		return ret;
	if (copy_ids(&g->mntns, &g->n_mntns, kf->mntns, kf->n_mntns) ||
	    copy_ids(&g->mntns_skip, &g->n_mntns_skip, kf->mntns_skip, kf->n_mntns_skip))
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	g->kf = *kf;
	g->kf.mntns = g->mntns;
	g->kf.mntns_skip = g->mntns_skip;
	g->configured = true;
	return 0;
}

/* Map the SDK's counters (gadget_lost_events, gadget_wakeup_bytes) from the
 * loaded .bss map.  bpf_map__initial_value() is no use here: after load,
 * libbpf before 1.3 still returns its private copy (only skeletons get
 * the kernel's pages), so the host would neither see lost events nor be
 * seen switching wakeup modes.  The kernel's own pages are mmap()ed from
 * the map's fd instead (global data maps are BPF_F_MMAPABLE). */
static int map_counters(struct gh_gadget *g)
{
	struct bpf_map *bss = gh_loader_section(g->obj, ".bss");
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
	struct gh_load_what w = load_what(g);

	return gh_loader_check_kernel(g->obj, &w, err, errlen);
}

/* Uprobes on a library: every copy the processes use now; the run
 * looks at processes that come later. */
static int attach_lib_uprobes(struct gh_gadget *g, char *err, size_t errlen)
{
	int ret = gh_lib_uprobes_new(&g->lib_uprobes, g->obj);

	if (!ret && g->lib_uprobes)
		ret = gh_lib_uprobes_scan_all(g->lib_uprobes);
	if (ret < 0)
		return gh_err(err, errlen, ret, "%s: attaching its uprobes on libraries: %s",
			      g->object_path, strerror(-ret));
	if (g->lib_uprobes)
		gh_log(GH_LOG_INFO, "uprobes on libraries: %zu files, %zu links",
		       gh_lib_uprobes_files(g->lib_uprobes), gh_lib_uprobes_links(g->lib_uprobes));
	return 0;
}

/* A gadget that names system calls (a gadget_syscall field): say so
 * when the running kernel has calls the host's table cannot name. */
static void warn_unnamed_syscalls(const struct gh_gadget *g)
{
	char msg[768];

	for (size_t i = 0; i < g->schema.n_fields; i++) {
		if (g->schema.fields[i].special != GH_SPECIAL_SYSCALL)
			continue;
		if (gh_syscall_names_warning(gh_tracefs_root(), msg, sizeof(msg)))
			gh_log(GH_LOG_WARNING, "%s", msg);
		return;
	}
}

/* Without the kernel's BTF, a kernel enum's names (enum skb_drop_reason)
 * cannot be taken from the running kernel, which may number it unlike the
 * vmlinux.h the object was built with. */
static void warn_unchecked_enums(const struct gh_gadget *g)
{
	for (size_t i = 0; i < g->schema.n_fields; i++)
		if (g->schema.fields[i].enum_unchecked)
			gh_log(GH_LOG_NOTICE, "%s: no kernel BTF (/sys/kernel/btf/vmlinux): the "
			       "names of %s are those the object was built with; a kernel enum "
			       "may be numbered otherwise on this kernel", g->spec.name,
			       g->schema.fields[i].name);
}

int gh_gadget_load(struct gh_gadget *g, bool verbose, char *err, size_t errlen)
{
	struct gh_load_what w = load_what(g);
	int ret;

	warn_unnamed_syscalls(g);
	warn_unchecked_enums(g);
	ret = gh_loader_load(g->obj, &w, verbose, err, errlen);
	if (ret)
		return ret;
	ret = map_counters(g);
	if (ret)
		return gh_err(err, errlen, ret, "%s: mapping .bss: %s", g->object_path,
			      strerror(-ret));
	for (size_t i = 0; i < g->n_mntns_skip; i++) {
		ret = gh_gadget_set_mntns(g, g->mntns_skip[i], GH_MNTNS_SKIP);
		if (ret)
			return gh_err(err, errlen, ret, "filling gadget_mntns_filter_map of %s: %s",
				      g->object_path, strerror(-ret));
	}
	for (size_t i = 0; i < g->n_mntns; i++) {
		ret = gh_gadget_set_mntns(g, g->mntns[i], GH_MNTNS_TRACE);
		if (ret)
			return gh_err(err, errlen, ret, "--mntnsid: filling gadget_mntns_filter_map "
				      "of %s: %s", g->object_path, strerror(-ret));
	}
	if (g->spec.bpf_stats && !g->bpf_stats_fd) {
		/* on until the fd closes (the kernel counts per enabler) */
		ret = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (ret < 0)
			return gh_err(err, errlen, ret, "%s: turning the kernel's BPF "
				      "statistics on (BPF_ENABLE_STATS): %s", g->script_path,
				      strerror(-ret));
		g->bpf_stats_fd = ret + 1;
	}
	ret = gh_loader_attach(g->obj, &g->links, &g->n_links, err, errlen);
	if (ret)
		return ret;
	ret = attach_lib_uprobes(g, err, errlen);
	if (ret)
		return ret;
	ret = gh_packet_sockets_new(&g->packet_sockets, g->obj);
	if (ret)
		return gh_err(err, errlen, ret, "%s: preparing its socket programs: %s",
			      g->object_path, strerror(-ret));
	g->iface.ps = g->packet_sockets;
	if (!g->events)
		return 0; /* a top, a snapshot, a profile gadget, a recorder */
	g->ringbuf_size = bpf_map__max_entries(g->events);
	gh_log(GH_LOG_INFO, "ring buffer %s, %u bytes; lost-event counter %s; adaptive wakeups %s",
	       g->spec.map_name, g->ringbuf_size, g->lost_events ? "mapped" : "absent",
	       g->wakeup_bytes ? "on" : "off");
	return 0;
}

int gh_gadget_attach_file(struct gh_gadget *g, const char *path, char *err, size_t errlen)
{
	if (!g->lib_uprobes)
		return gh_err(err, errlen, -EINVAL, "%s: %s has no uprobes on a library", path,
			      g->spec.name);
	return gh_lib_uprobes_add_file(g->lib_uprobes, path, err, errlen);
}

int gh_gadget_verify(struct gh_gadget *g, const char *path, bool verbose, char *err,
		     size_t errlen)
{
	struct gh_load_what w = load_what(g);
	struct bpf_object *obj;
	int ret;

	w.object_path = path;
	ret = gh_loader_open(&obj, path, err, errlen);
	if (ret)
		return ret;
	ret = gh_loader_configure(obj, &w, g->configured ? &g->kf : NULL, err, errlen);
	if (!ret)
		ret = gh_loader_load(obj, &w, verbose, err, errlen);
	bpf_object__close(obj);
	return ret;
}

void gh_gadget_detach(struct gh_gadget *g)
{
	gh_packet_sockets_free(g->packet_sockets);
	g->packet_sockets = NULL;
	g->iface.ps = NULL;
	gh_lib_uprobes_detach(g->lib_uprobes);
	for (size_t i = 0; i < g->n_links; i++)
		bpf_link__destroy(g->links[i]);
	free(g->links);
	g->links = NULL;
	g->n_links = 0;
}

/* whether the kernel counts each program's runs (kernel.bpf_stats_enabled) */
static bool bpf_stats_enabled(void)
{
	char *text = NULL;
	size_t len;
	bool on = !gh_read_file("/proc/sys/kernel/bpf_stats_enabled", 16, &text, &len) &&
		  text[0] == '1';

	free(text);
	return on;
}

/* the kernel's numbers of a loaded program (false: not loaded) */
static bool prog_info(const struct bpf_program *prog, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);
	int fd = bpf_program__fd(prog);

	memset(info, 0, sizeof(*info));
	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, info, &len);
}

uint64_t gh_gadget_skipped_runs(const struct gh_gadget *g, const char **worst)
{
	uint64_t sum = 0, most = 0;
	struct bpf_program *prog;

	if (worst)
		*worst = NULL;
	if (!g->obj)
		return 0;
	bpf_object__for_each_program(prog, g->obj) {
		struct bpf_prog_info info;

		if (!prog_info(prog, &info))
			continue;
		sum += info.recursion_misses;
		if (info.recursion_misses > most) {
			most = info.recursion_misses;
			if (worst)
				*worst = bpf_program__name(prog);
		}
	}
	return sum;
}

void gh_gadget_log_program_runs(const struct gh_gadget *g)
{
	bool counted = bpf_stats_enabled();
	struct bpf_program *prog;

	if (!g->obj || !gh_log_verbose())
		return;
	bpf_object__for_each_program(prog, g->obj) {
		struct bpf_prog_info info;

		if (!prog_info(prog, &info))
			continue;
		if (counted || info.run_cnt)
			gh_log(GH_LOG_INFO, "program %s: %llu runs, %llu skipped",
			       bpf_program__name(prog), (unsigned long long)info.run_cnt,
			       (unsigned long long)info.recursion_misses);
		else
			gh_log(GH_LOG_INFO, "program %s: %llu runs skipped (its runs are counted "
			       "only with sysctl kernel.bpf_stats_enabled=1)", bpf_program__name(prog),
			       (unsigned long long)info.recursion_misses);
	}
}

void gh_gadget_close(struct gh_gadget *g)
{
	if (!g)
		return;
	gh_gadget_detach(g);
	gh_lib_uprobes_free(g->lib_uprobes);
	if (g->bpf_stats_fd)
		close(g->bpf_stats_fd - 1);
	if (g->bss)
		munmap(g->bss, g->bss_size);
	free(g->mntns);
	free(g->mntns_skip);
	bpf_object__close(g->obj);
	gh_profile_free(g->profile);
	gh_lua_close(g->lua);
	gh_schema_free(&g->schema);
	gh_table_gadget_free(g->table);
	gh_traceloop_gadget_free(g->traceloop);
	gh_gadget_spec_free(&g->spec);
	free(g->default_fields);
	free(g->all_fields);
	free(g->script_path);
	free(g->script_dir);
	free(g->object_path);
	free(g);
}
