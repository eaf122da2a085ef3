/* cmd_run.c - `gadgethost run GADGET [options]`. */
#include "cli/commands.h"
#include "cli/cli_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/search_path.h"
#include "decode/pcap_filter.h"
#include "run/audit_source.h"
#include "run/run.h"
#include "schema/filter.h"
#include "schema/packet_fields.h"
#include "gadget/gadget.h"
#include "image/image_run.h"
#include "image/reference.h"
#include "script/lua_host.h"
#include "script/lua_lifecycle.h"
#include "script/lua_script.h"
#include "output/out.h"
#include "gadget/profile.h"
#include "run/run_containers.h"
#include "run/run_options.h"
#include "run/run_params.h"
#include "gadget/table_gadget.h"
#include "run/watch.h"

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

static void print_gadget_help(struct gh_gadget *g)
{
	struct gh_buf b = GH_BUF_INIT;

	if (gh_run_help(&b, g))
		usage_error("out of memory");
	else
		fputs(b.p, stdout);
	gh_buf_free(&b);
}

static int check_machine(void)
{
	if (geteuid() != 0)
		return usage_error("run needs root: loading eBPF needs CAP_BPF, CAP_PERFMON and "
				   "CAP_SYS_ADMIN");
	/* a kernel without BTF runs the gadgets it has minimal BTFs for; the
	 * loader names what is missing for the others */
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

static int build_filter(struct gh_run_config *a, struct gh_gadget *g, struct gh_filter **out)
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
static int parse_sort(struct gh_run_config *a, struct gh_gadget *g, struct gh_sort_spec *spec)
{
	char err[512];

	if (gh_sort_parse(&g->schema, a->sort ? a->sort : g->spec.sort, spec, err, sizeof(err)))
		return usage_error("%s%s", a->sort ? "" : "the script's default: ", err);
	a->run.sort = spec;
	a->run.live = a->fmt == GH_OUT_COLUMNS && isatty(STDOUT_FILENO);
	return 0;
}

/* image: the gadget's script unpacked from an image, or NULL */
static int run_once(int argc, char **argv, const char *image, bool *restart)
{
	struct gh_run_config a;
	struct gh_gadget *g = NULL;
	struct gh_filter *filter = NULL;
	struct gh_pcap_filter *pcap = NULL;
	struct gh_out *out = NULL;
	struct gh_run_containers *rc = NULL;
	struct gh_lua_host lua_host = {0};
	struct gh_watch *watch = NULL;
	struct gh_audit_source *audit = NULL;
	struct gh_sort_spec sort;
	uv_loop_t loop;
	bool loop_used = false;
	const char *name;
	int *fields = NULL;
	size_t n_fields = 0;
	char err[1024] = "";
	int ret;

	gh_run_config_init(&a);
	ret = gh_run_config_parse(&a, argc, argv, err, sizeof(err));
	if (!ret && image)
		a.gadget = image;
	name = a.gadget;
	if (ret || !name) {
		gh_run_config_free(&a);
		return ret ? usage_error("%s", err)
			   : usage_error("run: which gadget? (e.g. gadgethost run "
					 "trace/exec.lua; gadgethost list shows them)");
	}
	ret = gh_gadget_open(&g, name, err, sizeof(err));
	if (ret) {
		usage_error("%s", err);
		gh_run_config_free(&a);
		return 1;
	}
	if (g->traceloop)
		ret = usage_error("%s is a flight recorder: run it with gadgethost traceloop start",
				  g->script_path);
	if (!ret && gh_run_config_bind(&a, g, err, sizeof(err)))
		ret = usage_error("%s", err);
	gh_cli_log_install(a.run.verbose);
	/* a profile whose key has no mount namespace sees the whole host */
	if (!ret && gh_profile_host_wide(g->profile, &g->schema) && !a.copts.select.n_names &&
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
				  "not one", g->spec.name);
	/* --interval: a top's table, a profile's charts, a snapshot's look;
	 * a tracer has only the script's on_interval to call, or its metrics
	 * to print */
	if (!ret && a.interval_given && !g->table && !g->profile &&
	    !gh_lua_has_hook(g->lua, "on_interval") && !a.run.n_metrics && !g->spec.n_metrics)
		ret = usage_error("--interval: %s has no on_interval function to call (nor "
				  "--metric to print)", g->script_path);
	if (!ret)
		ret = build_filter(&a, g, &filter);
	if (!ret && a.pf && gh_pcap_filter_new(&pcap, a.pf, err, sizeof(err)))
		ret = usage_error("--pf \"%s\": %s", a.pf, err);
	if (!ret && a.fmt == GH_OUT_PCAPNG && isatty(STDOUT_FILENO))
		ret = usage_error("-o pcapng: the output is a terminal; send it to a file or a "
				  "pipe (> capture.pcapng, | tcpdump -r -)");
	if (!ret)
		ret = check_machine();
	if (!ret) {
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
					  "containers (run it with --host)", g->spec.name);
		else if (cret)
			ret = usage_error("out of memory");
	}
	if (!a.trace_self)
		a.kf.self_pid = (uint32_t)getpid();
	if (!ret && gh_gadget_configure(g, &a.kf, err, sizeof(err)))
		ret = usage_error("%s", err);
	if (!ret && gh_audit_source_open(&audit, &g->schema, g->spec.sources, g->spec.n_sources,
					 g->script_path, err, sizeof(err)))
		ret = usage_error("%s", err[0] ? err : "out of memory");
	if (!ret && gh_gadget_load(g, a.run.verbose, err, sizeof(err)))
		ret = usage_error("%s", err);
	for (size_t i = 0; !ret && i < a.n_attach_files; i++)
		if (gh_gadget_attach_file(g, a.attach_files[i], err, sizeof(err)))
			ret = usage_error("--attach-file %s", err);
	if (!ret && audit) {
		a.run.sources_start = gh_audit_source_start;
		a.run.sources_stop = gh_audit_source_stop;
		a.run.sources_ctx = audit;
	}
	/* every kind has one: rows, a profile's text, the script's documents */
	if (!ret && gh_out_new(&out, a.fmt, &g->schema, fields, n_fields, STDOUT_FILENO))
		ret = usage_error("out of memory");
	if (!ret && g->table && parse_sort(&a, g, &sort))
		ret = 1;
	if (!ret) {
		uv_loop_init(&loop);
		loop_used = true;
		a.run.loop = &loop;
		a.run.containers = gh_run_containers_collection(rc);
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
		lua_host.containers = gh_run_containers_collection(rc);
		lua_host.select = a.copts.host ? NULL : &a.copts.select;
		lua_host.out = out;
		lua_host.doc_fmt = gh_lua_document_format(g->lua, a.fmt);
		gh_lua_set_host(g->lua, &lua_host);
		a.run.lua_host = &lua_host;
	}
	if (!ret) {
		a.run.live_lua = a.watch;
		a.run.netns = rc;
		a.run.output = a.output;
		/* --metric's text after the rows; beside a JSON or YAML stream */
		a.run.metrics_fd = a.fmt == GH_OUT_COLUMNS ? 0 : STDERR_FILENO;
		a.run.fields = fields;
		a.run.n_fields = n_fields;
		a.run.pcap_filter = pcap;
		/* pcap-ng reads the packet fields only */
		a.run.skip_enrich = a.fmt == GH_OUT_PCAPNG && !a.watch &&
				    !gh_packet_fields_need_enrich(&g->schema) &&
				    !gh_filter_has_stage(filter, GH_FILTER_AFTER_ENRICH) &&
				    !a.run.n_metrics && !g->spec.n_metrics;
		ret = gh_run_gadget(g, out, filter, &a.run) ? 1 : 0;
		*restart = !ret && gh_watch_restart(watch);
	}
	gh_watch_free(watch);
	if (a.run.sort)
		gh_sort_free(&sort);
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
	gh_pcap_filter_free(pcap);
	gh_run_config_free(&a);
	gh_gadget_close(g);
	return ret;
}

/* A --lua-file that cannot be read is said before the gadget's script runs. */
static int check_layer_files(const struct gh_lua_config *c)
{
	for (size_t i = 0; i < c->n_layers; i++)
		if (c->layers[i].file && access(c->layers[i].file, R_OK))
			return usage_error("--lua-file %s: %s", c->layers[i].file, strerror(errno));
	return 0;
}

int gh_cmd_run(int argc, char **argv)
{
	struct gh_run_config c; /* the Lua options: read before the gadget opens */
	struct gh_image_run image = {0};
	char err[1024], guess[256];
	bool restart;
	int ret;

	gh_run_config_init(&c);
	if (gh_run_config_parse(&c, argc, argv, err, sizeof(err))) {
		gh_run_config_free(&c);
		return usage_error("%s", err);
	}
	if (c.instance.detach || c.instance.name || c.instance.remote || c.instance.keep_given ||
	    c.instance.rotate) {
		/* an instance on a daemon: the daemon checks and runs it */
		gh_run_config_free(&c);
		return gh_cli_detach(NULL, NULL, argc, argv);
	}
	ret = check_layer_files(&c.lua);
	if (!ret)
		gh_lua_set_config(&c.lua);
	/* a gadget image: verified and unpacked for the loader (image_run.h) */
	if (!ret && c.gadget && gh_image_ref_names_image(c.gadget)) {
		if (c.watch)
			ret = usage_error("--watch: %s is an image; watch the files it was packed "
					  "from", c.gadget);
		else if (gh_image_run_prepare(&c.image, c.gadget, &image, err, sizeof(err)))
			ret = gh_ig_name_guess(c.gadget, guess, sizeof(guess))
				      ? usage_error("%s (did you mean %s?)", err, guess)
				      : usage_error("%s", err);
	}
	while (!ret) {
		restart = false;
		ret = run_once(argc, argv, image.script[0] ? image.script : NULL, &restart);
		if (!restart)
			break;
	}
	gh_image_run_done(&image);
	gh_run_config_free(&c);
	return ret;
}
