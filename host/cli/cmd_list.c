/* cmd_list.c - `gadgethost list` and `gadgethost info GADGET`. */
#include "cli/commands.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "schema/btf_schema.h"
#include "gadget/gadget.h"
#include "gadget/table_gadget.h"
#include "gadget/traceloop_gadget.h"
#include "kernel/tracefs.h"
#include "script/lua_script.h"
#include "output/out.h"
#include "base/log.h"
#include "base/search_path.h"
#include "kernel/variants.h"

#define MAX_ROOTS 32
#define MAX_GADGETS 512

struct entry {
	char *name;        /* relative to its root: trace/exec.lua */
	char *description;
};

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static bool known(struct entry *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i].name, name))
			return true;
	return false;
}

static char *describe(const char *path)
{
	struct gh_gadget_spec spec = {0};
	struct gh_lua *lua;
	char err[512];
	char *desc = NULL;

	if (gh_lua_open(&lua, path, err, sizeof(err)))
		return strdup("(script error)");
	if (!gh_lua_read_spec(lua, &spec, err, sizeof(err)) && spec.description)
		desc = strdup(spec.description);
	gh_lua_close(lua);
	gh_gadget_spec_free(&spec);
	return desc;
}

/* root/<category>/<name>.lua */
static void scan_root(const char *root, struct entry *list, size_t *n)
{
	DIR *d = opendir(root);
	struct dirent *cat;

	if (!d)
		return;
	while ((cat = readdir(d)) && *n < MAX_GADGETS) {
		char dir[PATH_MAX];
		struct dirent *e;
		DIR *sub;

		if (cat->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", root, cat->d_name);
		sub = opendir(dir);
		if (!sub)
			continue;
		while ((e = readdir(sub)) && *n < MAX_GADGETS) {
			char name[PATH_MAX], path[PATH_MAX * 2];

			if (e->d_name[0] == '.' || !has_suffix(e->d_name, ".lua"))
				continue;
			snprintf(name, sizeof(name), "%s/%s", cat->d_name, e->d_name);
			if (known(list, *n, name))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			list[*n].name = strdup(name);
			list[*n].description = describe(path);
			(*n)++;
		}
		closedir(sub);
	}
	closedir(d);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

char **gh_gadget_names(size_t *n)
{
	const char *roots[MAX_ROOTS];
	size_t n_roots = gh_gadget_roots(roots, MAX_ROOTS);
	struct entry *list = calloc(MAX_GADGETS, sizeof(*list));
	char **names;

	*n = 0;
	if (!list)
		return NULL;
	for (size_t i = 0; i < n_roots; i++)
		scan_root(roots[i], list, n);
	qsort(list, *n, sizeof(*list), cmp_entry);
	names = calloc(*n + 1, sizeof(*names));
	for (size_t i = 0; i < *n; i++) {
		if (names)
			names[i] = list[i].name;
		else
			free(list[i].name);
		free(list[i].description);
	}
	free(list);
	if (!names)
		*n = 0;
	return names;
}

/* "yes", or "no" with why: a hook the running kernel lacks; the variants
 * chosen ("cap=on_cap_capable_tp") into chosen. */
static const char *kernel_support(const char *name, char *why, size_t len, char *chosen,
				  size_t chosen_len)
{
	struct gh_gadget *g = NULL;
	char err[512] = "";
	int ret = gh_gadget_open(&g, name, err, sizeof(err));

	if (!ret)
		ret = gh_gadget_check_kernel(g, err, sizeof(err));
	if (!ret && g)
		gh_variants_describe(g->spec.variants, chosen, chosen_len);
	gh_gadget_close(g);
	if (!ret)
		return "yes";
	snprintf(why, len, "%s", err);
	return ret == -ENOENT ? "no" : "?";
}

/* -o json: one object per line */
static void print_json_entry(const struct entry *e, const char *kernel, const char *why,
			     const char *variants)
{
	struct gh_buf b = GH_BUF_INIT;

	gh_buf_puts(&b, "{\"name\":");
	gh_json_put_string(&b, e->name, strlen(e->name));
	gh_buf_puts(&b, ",\"description\":");
	gh_json_put_string(&b, e->description, strlen(e->description));
	gh_buf_printf(&b, ",\"kernel\":\"%s\"", kernel);
	if (why[0]) {
		gh_buf_puts(&b, ",\"why\":");
		gh_json_put_string(&b, why, strlen(why));
	}
	if (variants[0]) {
		gh_buf_puts(&b, ",\"variants\":");
		gh_json_put_string(&b, variants, strlen(variants));
	}
	gh_buf_puts(&b, "}\n");
	if (b.p)
		fputs(b.p, stdout);
	gh_buf_free(&b);
}

int gh_cmd_list(int argc, char **argv)
{
	bool can_check, root;
	const char *roots[MAX_ROOTS];
	size_t n_roots = gh_gadget_roots(roots, MAX_ROOTS);
	struct entry *list = calloc(MAX_GADGETS, sizeof(*list));
	size_t n = 0;

	bool json = argc == 2 && !strcmp(argv[0], "-o") && !strcmp(argv[1], "json");

	if (gh_help_asked(argc, argv)) {
		printf("usage: gadgethost list [-o columns|json]\n\n"
		       "The gadgets in the search path, whether this kernel can run each\n"
		       "(and why not, and the variants chosen), and their descriptions.\n");
		free(list);
		return 0;
	}
	if (!list)
		return 1;
	if (argc && !json && !(argc == 2 && !strcmp(argv[0], "-o") && !strcmp(argv[1], "columns"))) {
		fprintf(stderr, "gadgethost: list: unknown option \"%s\" (options: -o columns|json)\n",
			argv[0]);
		free(list);
		return 1;
	}
	for (size_t i = 0; i < n_roots; i++)
		scan_root(roots[i], list, &n);
	qsort(list, n, sizeof(*list), cmp_entry);
	/* a user's probes of program types fail with EPERM, which would read
	 * as a kernel without them: say what is missing, once */
	root = geteuid() == 0;
	if (!root)
		gh_log(GH_LOG_WARNING, "list: KERNEL is ? when not run as root (probing program "
		       "types and hooks loads eBPF)");
	can_check = root && gh_tracefs_ensure() == 0;
	if (!json)
		printf("%-28s %-7s %s\n", "GADGET", "KERNEL", "DESCRIPTION");
	for (size_t i = 0; i < n; i++) {
		char why[512] = "", chosen[512] = "";
		const char *kernel;

		if (!root && json)
			snprintf(why, sizeof(why), "not run as root");
		kernel = can_check ? kernel_support(list[i].name, why, sizeof(why), chosen,
						    sizeof(chosen))
				   : "?";
		if (json)
			print_json_entry(&list[i], kernel, why, chosen);
		else
			printf("%-28s %-7s %s%s%s%s%s%s%s\n", list[i].name, kernel,
			       list[i].description, why[0] ? " (" : "", why, why[0] ? ")" : "",
			       chosen[0] ? " [variants: " : "", chosen, chosen[0] ? "]" : "");
		free(list[i].name);
		free(list[i].description);
	}
	free(list);
	return 0;
}

static bool in_list(const int *list, size_t n, int idx)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == idx)
			return true;
	return false;
}

int gh_cmd_info(int argc, char **argv)
{
	struct gh_gadget *g;
	char err[1024];
	uint32_t off, size;
	size_t name_w = 20, type_w = 10;

	if (gh_help_asked(argc, argv)) {
		printf("usage: gadgethost info GADGET\n\n"
		       "The gadget's script and object, its fields (type, default column,\n"
		       "description), its params and the kernel filters it takes.\n");
		return 0;
	}
	if (argc < 1) {
		fprintf(stderr, "gadgethost: info: which gadget? (e.g. gadgethost info trace/open.lua)\n");
		return 1;
	}
	if (gh_gadget_open(&g, argv[0], err, sizeof(err))) {
		fprintf(stderr, "gadgethost: %s\n", err);
		return 1;
	}
	printf("gadget:      %s\n", g->spec.name);
	printf("description: %s\n", g->spec.description ? g->spec.description : "");
	printf("script:      %s\n", g->script_path);
	if (g->table)
		gh_table_gadget_describe(g->table, g->object_path, &g->schema, stdout);
	else if (g->traceloop)
		printf("object:      %s (flight recorder %s: struct %s in a ring per container, "
		       "map %s; gadgethost traceloop)\n\n", g->object_path, g->traceloop->name,
		       g->schema.struct_name, bpf_map__name(g->traceloop->rings));
	else
		printf("object:      %s (struct %s %s %s)\n\n", g->object_path,
		       g->schema.struct_name,
		       g->profile ? "aggregated in map" : "through ring buffer", g->spec.map_name);
	/* the columns as wide as their longest entry (runtime.containerImageName) */
	for (size_t i = 0; i < g->n_all_fields; i++) {
		const struct gh_field *f = &g->schema.fields[g->all_fields[i]];

		name_w = strlen(f->name) > name_w ? strlen(f->name) : name_w;
		type_w = strlen(gh_field_type_name(f)) > type_w ? strlen(gh_field_type_name(f))
								 : type_w;
	}
	printf("%-*s %-*s %-8s %s\n", (int)name_w, "FIELD", (int)type_w, "TYPE", "COLUMN",
	       "DESCRIPTION");
	for (size_t i = 0; i < g->n_all_fields; i++) {
		const struct gh_field *f = &g->schema.fields[g->all_fields[i]];

		printf("%-*s %-*s %-8s %s\n", (int)name_w, f->name, (int)type_w,
		       gh_field_type_name(f),
		       in_list(g->default_fields, g->n_default_fields, g->all_fields[i]) ? "yes"
											  : "no",
		       f->description ? f->description : "");
	}
	if (g->spec.n_params)
		printf("\n%-24s %-8s %-10s %s\n", "PARAM", "TYPE", "DEFAULT", "DESCRIPTION");
	for (size_t i = 0; i < g->spec.n_params; i++) {
		const struct gh_param *p = &g->spec.params[i];
		char key[64];

		snprintf(key, sizeof(key), "--%s", p->key);
		printf("%-24s %-8s %-10s %s\n", key, p->type, p->def ? p->def : "",
		       p->description ? p->description : "");
	}
	if (!gh_btf_find_var(bpf_object__btf(g->obj), ".rodata", "gadget_filter_pid", &off,
			     &size, NULL))
		printf("\nkernel filters: --pid --tid --uid --gid --comm --mntnsid\n");
	gh_gadget_close(g);
	return 0;
}
