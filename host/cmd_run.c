/* cmd_run.c - `gadgethost run GADGET [options]`. */
#include "commands.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_source.h"
#include "filter.h"
#include "gadget.h"
#include "lua_host.h"
#include "lua_lifecycle.h"
#include "lua_script.h"
#include "run_lua_opts.h"
#include "out.h"
#include "profile.h"
#include "run_containers.h"
#include "runner.h"
#include "table_gadget.h"
#include "table_run.h"
#include "watch.h"

struct run_args {
	const char *gadget;
	enum gh_out_format fmt;
	const char *output; /* -o as given: profile gadgets have formats of their own */
	const char **filters;
	size_t n_filters;
	const char *fields;
	struct gh_run_opts run;
	struct gh_kfilter kf;
	uint64_t *mntns;    /* --mntnsid, owned here; kf.mntns points at it */
	const char **names; /* -c */
	const char **runc_roots; /* --runc-root, NULL terminated */
	size_t n_runc_roots;
	const char **netns_paths; /* --netns, NULL terminated */
	size_t n_netns_paths;
	struct gh_run_containers_opts copts;
	struct gh_table_run_opts table; /* top and snapshot gadgets */
	const char *sort;
	bool table_option;  /* --sort or --max-rows given */
	bool interval_given; /* --interval: tops, profiles */
	bool help;
	bool profile; /* the gadget is a profile gadget (profile.h) */
	bool watch;       /* --watch: reload the script, rebuild the object */
};

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("gadgethost: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* Options that take a value, and are not the gadget's own. */
static const char *const value_options[] = {
	"-o", "--output", "-F", "--filter", "--fields", "--timeout", "--pid", "--tid",
	"--uid", "--gid", "--comm", "--mntnsid", "--ready-file", "-c", "--containername",
	"--k8s-namespace", "--k8s-podname", "--k8s-containername", "--runc-root",
	"--docker-socket", "--hook-dir", "--netns", "--sort", "--max-rows", "--interval",
	"--lua", "--lua-file", "--lua-memory-limit", "--lua-instruction-limit", NULL,
};

static bool takes_value(const char *opt)
{
	for (size_t i = 0; value_options[i]; i++)
		if (!strcmp(opt, value_options[i]))
			return true;
	return false;
}

/* The gadget is the first argument that is not an option or its value. */
const char *gh_run_gadget_name(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] != '-')
			return argv[i];
		if (!strchr(argv[i], '=') && takes_value(argv[i]))
			i++;
	}
	return NULL;
}

static int parse_u32(const char *opt, const char *text, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || *end || v > UINT32_MAX || text[0] == '-')
		return usage_error("%s: \"%s\" is not a number", opt, text);
	*out = (uint32_t)v;
	return 0;
}

/* --mntnsid ID[,ID...], repeatable: ids added to a->mntns */
static int parse_mntns(struct run_args *a, const char *text)
{
	const char *p = text;

	while (*p) {
		size_t len = strcspn(p, ",");
		char *end;
		unsigned long long v;
		uint64_t *grown;

		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno || end == p || (size_t)(end - p) != len || *p == '-' || !v)
			return usage_error("--mntnsid: \"%.*s\" is not a mount namespace id "
					   "(a number, as in mountnsid or ls -l /proc/PID/ns/mnt)",
					   (int)len, p);
		grown = realloc(a->mntns, (a->kf.n_mntns + 1) * sizeof(*grown));
		if (!grown)
			return usage_error("out of memory");
		a->mntns = grown;
		a->mntns[a->kf.n_mntns++] = v;
		a->kf.mntns = a->mntns;
		p += len;
		if (*p == ',')
			p++;
	}
	return a->kf.n_mntns ? 0 : usage_error("--mntnsid needs a mount namespace id");
}

/* Append val to a NULL terminated list of option values. */
static int push_option(const char ***list, size_t *n, const char *val)
{
	const char **grown = realloc(*list, (*n + 2) * sizeof(*grown));

	if (!grown)
		return usage_error("out of memory");
	grown[(*n)++] = val;
	grown[*n] = NULL;
	*list = grown;
	return 0;
}

static int parse_seconds(const char *opt, const char *text, uint64_t *ms)
{
	char *end;
	double sec;

	errno = 0;
	sec = strtod(text, &end);
	if (errno || end == text || *end || sec <= 0 || sec > 1e9)
		return usage_error("%s: \"%s\" is not a positive number of seconds", opt, text);
	*ms = (uint64_t)(sec * 1000 + 0.5);
	if (!*ms)
		*ms = 1;
	return 0;
}

/* --sort, --max-rows, --interval: for top and snapshot gadgets */
static int set_table_option(struct run_args *a, const char *opt, const char *val)
{
	uint32_t n;

	if (!strcmp(opt, "--interval")) {
		a->interval_given = true;
		return parse_seconds(opt, val, &a->table.interval_ms);
	}
	a->table_option = true;
	if (!strcmp(opt, "--sort")) {
		a->sort = val;
		return 0;
	}
	if (parse_u32(opt, val, &n))
		return 1;
	a->table.max_rows = n;
	return 0;
}

static int set_generic(struct run_args *a, const char *opt, const char *val)
{
	if (!strcmp(opt, "-o") || !strcmp(opt, "--output")) {
		a->output = val;
		if (gh_out_format_parse(val, &a->fmt) && !a->profile)
			return usage_error("-o: unknown output format \"%s\" (columns, json, "
					   "jsonpretty, yaml)", val);
		return 0;
	}
	if (!strcmp(opt, "-F") || !strcmp(opt, "--filter")) {
		const char **grown = realloc(a->filters, (a->n_filters + 1) * sizeof(*grown));

		if (!grown)
			return usage_error("out of memory");
		a->filters = grown;
		a->filters[a->n_filters++] = val;
		return 0;
	}
	if (!strcmp(opt, "--fields")) {
		a->fields = val;
		return 0;
	}
	if (!strcmp(opt, "--timeout"))
		return parse_seconds(opt, val, &a->run.timeout_ms);
	if (!strcmp(opt, "--sort") || !strcmp(opt, "--max-rows") || !strcmp(opt, "--interval"))
		return set_table_option(a, opt, val);
	if (!strcmp(opt, "--pid"))
		return parse_u32(opt, val, &a->kf.pid);
	if (!strcmp(opt, "--tid"))
		return parse_u32(opt, val, &a->kf.tid);
	if (!strcmp(opt, "--uid")) {
		a->kf.uid_on = true;
		return parse_u32(opt, val, &a->kf.uid);
	}
	if (!strcmp(opt, "--gid")) {
		a->kf.gid_on = true;
		return parse_u32(opt, val, &a->kf.gid);
	}
	if (!strcmp(opt, "--comm")) {
		if (strlen(val) >= sizeof(a->kf.comm))
			return usage_error("--comm: \"%s\" is longer than 15 bytes (the kernel "
					   "keeps 15)", val);
		snprintf(a->kf.comm, sizeof(a->kf.comm), "%s", val);
		a->kf.comm_on = true;
		return 0;
	}
	if (!strcmp(opt, "--mntnsid"))
		return parse_mntns(a, val);
	if (!strcmp(opt, "-c") || !strcmp(opt, "--containername"))
		return push_option(&a->names, &a->copts.select.n_names, val);
	if (!strcmp(opt, "--k8s-namespace")) {
		a->copts.select.k8s_namespace = val;
		return 0;
	}
	if (!strcmp(opt, "--k8s-podname")) {
		a->copts.select.k8s_pod = val;
		return 0;
	}
	if (!strcmp(opt, "--k8s-containername")) {
		a->copts.select.k8s_container = val;
		return 0;
	}
	if (!strcmp(opt, "--runc-root"))
		return push_option(&a->runc_roots, &a->n_runc_roots, val);
	if (!strcmp(opt, "--netns"))
		return push_option(&a->netns_paths, &a->n_netns_paths, val);
	if (!strcmp(opt, "--docker-socket")) {
		a->copts.docker_socket = val;
		return 0;
	}
	if (!strcmp(opt, "--hook-dir")) {
		a->copts.hook_dir = val;
		return 0;
	}
	if (gh_run_is_lua_option(opt))
		return 0; /* read before the gadget was opened */
	if (!strcmp(opt, "--ready-file")) {
		a->run.ready_file = val;
		return 0;
	}
	return -ENOENT;
}

static bool allowed_value(const struct gh_param *p, const char *val)
{
	for (size_t i = 0; i < p->n_values; i++)
		if (!strcmp(p->values[i], val))
			return true;
	return false;
}

/* "tcp, udp, all" (cut past 200 bytes) */
static const char *values_text(const struct gh_param *p)
{
	static char text[256];
	size_t at = 0;

	text[0] = '\0';
	for (size_t i = 0; i < p->n_values && at < 200; i++)
		at += (size_t)snprintf(text + at, sizeof(text) - at, "%s%s", i ? ", " : "",
				       p->values[i]);
	return text;
}

static int set_param(struct gh_gadget *g, const char *key, const char *val, int *consumed,
		     const char *next)
{
	struct gh_param *p = gh_gadget_param(g, key);

	if (!p)
		return usage_error("unknown option --%s for %s (see: gadgethost info %s)", key,
				   g->name, g->script_path);
	if (!val) {
		if (!strcmp(p->type, "bool")) {
			val = "true";
		} else if (next) {
			val = next;
			*consumed = 1;
		} else {
			return usage_error("--%s needs a value", key);
		}
	}
	if (p->n_values && !allowed_value(p, val))
		return usage_error("--%s: \"%s\" is not one of: %s", key, val,
				   values_text(p));
	free(p->value);
	p->value = strdup(val);
	return p->value ? 0 : usage_error("out of memory");
}

static int parse_args(struct run_args *a, struct gh_gadget *g, int argc, char **argv)
{
	bool seen_gadget = false;

	for (int i = 0; i < argc; i++) {
		char opt[128];
		const char *arg = argv[i], *eq, *val = NULL;
		int consumed = 0, ret;

		if (arg[0] != '-') {
			if (seen_gadget)
				return usage_error("unexpected argument \"%s\"", arg);
			seen_gadget = true;
			continue;
		}
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			a->help = true;
			continue;
		}
		if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose")) {
			a->run.verbose = true;
			continue;
		}
		if (!strcmp(arg, "--host")) {
			a->copts.host = true;
			continue;
		}
		if (!strcmp(arg, "--watch")) {
			a->watch = true;
			continue;
		}
		eq = strchr(arg, '=');
		snprintf(opt, sizeof(opt), "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
		if (eq)
			val = eq + 1;
		if (takes_value(opt)) {
			if (!val) {
				if (i + 1 >= argc)
					return usage_error("%s needs a value", opt);
				val = argv[++i];
			}
			ret = set_generic(a, opt, val);
			if (ret)
				return ret;
			continue;
		}
		if (strncmp(opt, "--", 2) || !opt[2])
			return usage_error("unknown option %s", opt);
		ret = set_param(g, opt + 2, val, &consumed, i + 1 < argc ? argv[i + 1] : NULL);
		if (ret)
			return ret;
		i += consumed;
	}
	return 0;
}

static void print_gadget_help(struct gh_gadget *g)
{
	printf("usage: gadgethost run %s [options]\n\n%s\n\n", g->name,
	       g->description ? g->description : "");
	printf("options:\n"
	       "  -o, --output FORMAT   columns (default), json, jsonpretty, yaml\n"
	       "  -F, --filter EXPR     field==value, != >= > <= < ~regex; commas AND\n"
	       "  --fields LIST         a,b,c picks columns; +f,-g edits the defaults\n"
	       "  --timeout SECONDS     stop after this long\n"
	       "  --sort [-]F,[-]G      top, snapshot: sort rows (-: descending)\n"
	       "  --max-rows N          top, snapshot: print the first N rows\n"
	       "  --interval SECONDS    top: one table this often (default 1); profile: print\n"
	       "                        and start anew; others: call the script's on_interval\n"
	       "  --pid --tid --uid --gid --comm   filter in the kernel\n"
	       "  --mntnsid ID[,ID]     only these mount namespaces, in the kernel\n"
	       "  -c, --containername NAME   only these containers (globs, repeatable);\n"
	       "                        default: every container, no host process\n"
	       "  --host                host processes too (no container filter)\n"
	       "  --k8s-namespace --k8s-podname --k8s-containername GLOB   pods\n"
	       "  --runc-root DIR       where runtimes keep runc state (repeatable; default:\n"
	       "                        /run/runc /run/containerd/runc /run/docker/runtime-runc)\n"
	       "  --docker-socket PATH  Docker Engine API, for names (/run/docker.sock)\n"
	       "  --netns PATH          socket programs: also this network namespace\n"
	       "                        (/run/netns/NAME, /proc/PID/ns/net; repeatable)\n"
	       "  --ready-file PATH     created once the gadget is attached\n"
	       "  -v, --verbose         say what is loaded and attached\n"
	       "  --watch               reload the .lua when it changes, rebuild the .bpf.c\n"
	       "  --lua CODE            Lua run on the gadget table (docs/lua-api.md)\n"
	       "  --lua-file FILE       the same, from a file (repeatable, in order)\n"
	       "  --lua-memory-limit SIZE        per script (default 64M; 0: none)\n"
	       "  --lua-instruction-limit N      per hook call (default 10M; 0: none)\n");
	if (g->n_params)
		printf("\ngadget params:\n");
	for (size_t i = 0; i < g->n_params; i++)
		printf("  --%-20s %s (%s%s%s)\n", g->params[i].key,
		       g->params[i].description ? g->params[i].description : "",
		       g->params[i].type, g->params[i].def ? ", default " : "",
		       g->params[i].def ? g->params[i].def : "");
}

static int check_machine(void)
{
	if (geteuid() != 0)
		return usage_error("run needs root: loading eBPF needs CAP_BPF, CAP_PERFMON and "
				   "CAP_SYS_ADMIN");
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return usage_error("this kernel exposes no BTF (/sys/kernel/btf/vmlinux is "
				   "missing): gadgets need CONFIG_DEBUG_INFO_BTF=y");
	return 0;
}

/* Kubernetes columns after RUNTIME.CONTAINERNAME, when pods are about. */
static int add_k8s_columns(struct gh_gadget *g)
{
	static const char *const k8s[] = {"k8s.namespace", "k8s.podName", "k8s.containerName"};
	int at = gh_schema_find(&g->schema, "runtime.containerName");
	size_t pos = 0;
	int *grown;

	for (size_t i = 0; i < g->n_default_fields; i++)
		if (g->default_fields[i] == at)
			pos = i + 1;
	grown = realloc(g->default_fields, (g->n_default_fields + 3) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	g->default_fields = grown;
	for (size_t k = 0; k < 3; k++) {
		int idx = gh_schema_find(&g->schema, k8s[k]);
		bool present = false;

		for (size_t i = 0; i < g->n_default_fields; i++)
			present = present || g->default_fields[i] == idx;
		if (idx < 0 || present)
			continue;
		memmove(grown + pos + 1, grown + pos, (g->n_default_fields - pos) * sizeof(*grown));
		grown[pos++] = idx;
		g->n_default_fields++;
	}
	return 0;
}

static int build_filter(struct run_args *a, struct gh_gadget *g, struct gh_filter **out)
{
	struct gh_filter *f;
	char err[512];

	*out = NULL;
	if (!a->n_filters)
		return 0;
	f = gh_filter_new();
	if (!f)
		return usage_error("out of memory");
	for (size_t i = 0; i < a->n_filters; i++) {
		if (gh_filter_add(f, &g->schema, a->filters[i], err, sizeof(err))) {
			gh_filter_free(f);
			return usage_error("%s", err);
		}
	}
	*out = f;
	return 0;
}

/* A top or a snapshot: rows sorted by --sort, or the script's sort. */
static int run_table(struct run_args *a, struct gh_gadget *g, struct gh_out *out,
		     struct gh_filter *filter, struct gh_run_containers *rc)
{
	struct gh_sort_spec spec;
	char err[512];
	int ret;

	if (gh_sort_parse(&g->schema, a->sort ? a->sort : g->sort, &spec, err, sizeof(err)))
		return usage_error("%s%s", a->sort ? "" : "the script's default: ", err);
	a->table.sort = &spec;
	a->table.timeout_ms = a->run.timeout_ms;
	a->table.ready_file = a->run.ready_file;
	a->table.verbose = a->run.verbose;
	a->table.loop = a->run.loop;
	a->table.accept = a->run.accept;
	a->table.accept_ctx = a->run.accept_ctx;
	a->table.containers = rc;
	a->table.collection = a->run.containers;
	a->table.live = a->fmt == GH_OUT_COLUMNS && isatty(STDOUT_FILENO);
	if (gh_lua_has_format(g->lua))
		gh_out_set_text_hook(out, gh_lua_text_hook, g->lua);
	ret = gh_table_run(g, out, filter, &a->table) ? 1 : 0;
	gh_sort_free(&spec);
	return ret;
}

static int run_once(int argc, char **argv, bool *restart)
{
	struct run_args a = {.fmt = GH_OUT_COLUMNS};
	struct gh_gadget *g = NULL;
	struct gh_filter *filter = NULL;
	struct gh_out *out = NULL;
	struct gh_run_containers *rc = NULL;
	struct gh_lua_host lua_host = {0};
	struct gh_watch *watch = NULL;
	struct gh_audit_source *audit = NULL;
	uv_loop_t loop;
	bool loop_used = false;
	const char *name = gh_run_gadget_name(argc, argv);
	int *fields = NULL;
	size_t n_fields = 0;
	char err[1024] = "";
	int ret;

	if (!name)
		return usage_error("run: which gadget? (e.g. gadgethost run trace/exec.lua; "
				   "gadgethost list shows them)");
	ret = gh_gadget_open(&g, name, err, sizeof(err));
	if (ret) {
		usage_error("%s", err);
		return 1;
	}
	a.profile = g->profile != NULL;
	ret = parse_args(&a, g, argc, argv);
	if (!ret && g->profile && gh_profile_check_output(g, a.output, err, sizeof(err)))
		ret = usage_error("%s", err);
	/* a profile whose key has no mount namespace sees the whole host */
	if (!ret && gh_profile_host_wide(g) && !a.copts.select.n_names &&
	    !a.copts.select.k8s_namespace && !a.copts.select.k8s_pod &&
	    !a.copts.select.k8s_container)
		a.copts.host = true;
	if (!ret && a.help) {
		print_gadget_help(g);
		goto out;
	}
	if (!ret && a.copts.host &&
	    (a.copts.select.n_names || a.copts.select.k8s_namespace || a.copts.select.k8s_pod ||
	     a.copts.select.k8s_container))
		ret = usage_error("--host traces every process, in containers or not: it cannot be "
				  "combined with -c or --k8s-* (use -F runtime.containerName==NAME "
				  "to filter those in userspace)");
	if (!ret && a.table_option && !g->table)
		ret = usage_error("--sort and --max-rows are for top and snapshot gadgets; %s is "
				  "not one", g->name);
	if (!ret && a.interval_given && g->profile)
		gh_profile_set_interval_ms(g, a.table.interval_ms);
	else if (!ret && a.interval_given && !g->table) {
		if (!gh_lua_has_hook(g->lua, "on_interval"))
			ret = usage_error("--interval: %s has no on_interval function to call",
					  g->script_path);
		a.run.interval_ms = a.table.interval_ms;
	}
	if (!ret)
		ret = build_filter(&a, g, &filter);
	if (!ret)
		ret = check_machine();
	if (!ret) {
		a.copts.select.names = a.names;
		a.copts.runc_roots = a.runc_roots;
		a.copts.netns_paths = a.netns_paths;
		a.copts.verbose = a.run.verbose;
		if (gh_run_containers_open(&rc, g, &a.copts))
			ret = usage_error("out of memory");
		else if (gh_run_containers_any_k8s(rc) && add_k8s_columns(g))
			ret = usage_error("out of memory");
	}
	if (!ret) {
		/* JSON and YAML carry every field unless --fields says otherwise */
		bool columns = a.fmt == GH_OUT_COLUMNS;
		const int *defaults = columns ? g->default_fields : g->all_fields;
		size_t n_defaults = columns ? g->n_default_fields : g->n_all_fields;

		if (gh_fields_select(&g->schema, defaults, n_defaults, a.fields, &fields, &n_fields,
				     err, sizeof(err)))
			ret = usage_error("%s", err);
	}
	if (!ret) {
		int cret = gh_run_containers_configure(rc, &a.kf);

		if (cret == -ENOTSUP)
			ret = usage_error("%s has no mount namespace field: it cannot be aimed at "
					  "containers (run it with --host)", g->name);
		else if (cret)
			ret = usage_error("out of memory");
	}
	if (!ret && gh_gadget_configure(g, &a.kf, err, sizeof(err)))
		ret = usage_error("%s", err);
	if (!ret && gh_audit_source_open(&audit, &g->schema, g->sources, g->n_sources,
					 g->script_path, err, sizeof(err)))
		ret = usage_error("%s", err[0] ? err : "out of memory");
	if (!ret && gh_gadget_load(g, a.run.verbose, err, sizeof(err)))
		ret = usage_error("%s", err);
	if (!ret && audit) {
		a.run.sources_start = gh_audit_source_start;
		a.run.sources_stop = gh_audit_source_stop;
		a.run.sources_ctx = audit;
	}
	if (!ret && !g->profile &&
	    gh_out_new(&out, a.fmt, &g->schema, fields, n_fields, STDOUT_FILENO))
		ret = usage_error("out of memory");
	if (!ret) {
		uv_loop_init(&loop);
		loop_used = true;
		a.run.loop = &loop;
		a.run.containers = g->schema.containers;
		if (!a.copts.host) {
			a.run.accept = gh_run_containers_accept;
			a.run.accept_ctx = rc;
		}
		int sret = gh_run_containers_start(rc, &loop);

		if (sret == -EINVAL)
			ret = 1; /* said why */
		else if (sret)
			ret = usage_error("watching containers failed");
	}
	if (!ret && a.watch && gh_watch_start(&watch, &loop, g, a.run.verbose))
		ret = 1; /* said why */
	if (!ret) {
		/* gadget.map, gadget.emit, gadget.containers: every kind */
		lua_host.obj = g->obj;
		lua_host.containers = g->schema.containers;
		lua_host.select = a.copts.host ? NULL : &a.copts.select;
		lua_host.out = out;
		lua_host.doc_fmt = gh_lua_document_format(g->lua, a.fmt);
		gh_lua_set_host(g->lua, &lua_host);
		a.run.lua_host = &lua_host;
	}
	if (!ret && g->table) {
		ret = run_table(&a, g, out, filter, rc);
	} else if (!ret && g->profile) {
		ret = gh_profile_run(g, filter, &a.run, a.output, fields, n_fields) ? 1 : 0;
	} else if (!ret) {
		a.run.live_lua = a.watch;
		if (gh_lua_has_format(g->lua) || a.watch)
			gh_out_set_text_hook(out, gh_lua_text_hook, g->lua);
		ret = gh_run(g, out, filter, &a.run) ? 1 : 0;
		*restart = !ret && gh_watch_restart(watch);
	}
	gh_watch_free(watch);
out:
	if (g)
		gh_lua_set_host(g->lua, NULL);
	gh_audit_source_free(audit);
	gh_run_containers_free(rc);
	if (loop_used) {
		uv_run(&loop, UV_RUN_DEFAULT); /* the handles' closing */
		uv_loop_close(&loop);
	}
	gh_out_free(out);
	free(fields);
	gh_filter_free(filter);
	free(a.filters);
	free(a.mntns);
	free(a.names);
	free(a.runc_roots);
	free(a.netns_paths);
	gh_gadget_close(g);
	return ret;
}

int gh_cmd_run(int argc, char **argv)
{
	struct gh_lua_config c = *gh_lua_config();
	struct gh_lua_layer *layers = NULL;
	bool restart;
	int ret;

	if (gh_run_lua_options(argc, argv, &c, &layers))
		return 1;
	gh_lua_set_config(&c);
	do {
		restart = false;
		ret = run_once(argc, argv, &restart);
	} while (restart);
	free(layers);
	return ret;
}
