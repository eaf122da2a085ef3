/* cmd_run.c - `gadgethost run GADGET [options]`. */
#include "commands.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter.h"
#include "gadget.h"
#include "lua_script.h"
#include "out.h"
#include "runner.h"

struct run_args {
	const char *gadget;
	enum gh_out_format fmt;
	const char **filters;
	size_t n_filters;
	const char *fields;
	struct gh_run_opts run;
	struct gh_kfilter kf;
	uint64_t *mntns;    /* --mntnsid, owned here; kf.mntns points at it */
	bool help;
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
	"--uid", "--gid", "--comm", "--mntnsid", "--ready-file", NULL,
};

static bool takes_value(const char *opt)
{
	for (size_t i = 0; value_options[i]; i++)
		if (!strcmp(opt, value_options[i]))
			return true;
	return false;
}

/* The gadget is the first argument that is not an option or its value. */
static const char *find_gadget_name(int argc, char **argv)
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

static int parse_timeout(const char *text, uint64_t *ms)
{
	char *end;
	double sec;

	errno = 0;
	sec = strtod(text, &end);
	if (errno || end == text || *end || sec <= 0 || sec > 1e9)
		return usage_error("--timeout: \"%s\" is not a positive number of seconds", text);
	*ms = (uint64_t)(sec * 1000 + 0.5);
	if (!*ms)
		*ms = 1;
	return 0;
}

static int set_generic(struct run_args *a, const char *opt, const char *val)
{
	if (!strcmp(opt, "-o") || !strcmp(opt, "--output")) {
		if (gh_out_format_parse(val, &a->fmt))
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
		return parse_timeout(val, &a->run.timeout_ms);
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
	if (!strcmp(opt, "--ready-file")) {
		a->run.ready_file = val;
		return 0;
	}
	return -ENOENT;
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
	       "  --pid --tid --uid --gid --comm   filter in the kernel\n"
	       "  --mntnsid ID[,ID]     only these mount namespaces, in the kernel\n"
	       "  --ready-file PATH     created once the gadget is attached\n"
	       "  -v, --verbose         say what is loaded and attached\n");
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

int gh_cmd_run(int argc, char **argv)
{
	struct run_args a = {.fmt = GH_OUT_COLUMNS};
	struct gh_gadget *g = NULL;
	struct gh_filter *filter = NULL;
	struct gh_out *out = NULL;
	const char *name = find_gadget_name(argc, argv);
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
	ret = parse_args(&a, g, argc, argv);
	if (!ret && a.help) {
		print_gadget_help(g);
		goto out;
	}
	if (!ret)
		ret = build_filter(&a, g, &filter);
	if (!ret) {
		/* JSON and YAML carry every field unless --fields says otherwise */
		bool columns = a.fmt == GH_OUT_COLUMNS;
		const int *defaults = columns ? g->default_fields : g->all_fields;
		size_t n_defaults = columns ? g->n_default_fields : g->n_all_fields;

		if (gh_fields_select(&g->schema, defaults, n_defaults, a.fields, &fields, &n_fields,
				     err, sizeof(err)))
			ret = usage_error("%s", err);
	}
	if (!ret)
		ret = check_machine();
	if (!ret && gh_gadget_configure(g, &a.kf, err, sizeof(err)))
		ret = usage_error("%s", err);
	if (!ret && gh_gadget_load(g, a.run.verbose, err, sizeof(err)))
		ret = usage_error("%s", err);
	if (!ret && gh_out_new(&out, a.fmt, &g->schema, fields, n_fields, STDOUT_FILENO))
		ret = usage_error("out of memory");
	if (!ret) {
		if (gh_lua_has_format(g->lua))
			gh_out_set_text_hook(out, gh_lua_text_hook, g->lua);
		ret = gh_run(g, out, filter, &a.run) ? 1 : 0;
	}
out:
	gh_out_free(out);
	free(fields);
	gh_filter_free(filter);
	free(a.filters);
	free(a.mntns);
	gh_gadget_close(g);
	return ret;
}
