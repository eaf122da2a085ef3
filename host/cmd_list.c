/* cmd_list.c - `gadgethost list` and `gadgethost info GADGET`. */
#include "commands.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf_schema.h"
#include "gadget.h"
#include "table_gadget.h"
#include "tracefs.h"
#include "lua_script.h"
#include "out.h"
#include "search_path.h"
#include "variants.h"

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
	struct gh_gadget g = {0};
	struct gh_lua *lua;
	char err[512];
	char *desc = NULL;

	if (gh_lua_open(&lua, path, err, sizeof(err)))
		return strdup("(script error)");
	if (!gh_lua_read_gadget(lua, &g, err, sizeof(err)) && g.description)
		desc = strdup(g.description);
	gh_lua_close(lua);
	/* only the strings were read: free them by hand */
	free(g.name);
	free(g.description);
	free(g.object_name);
	free(g.tracer_name);
	free(g.map_name);
	free(g.struct_name);
	free(g.sort);
	for (size_t i = 0; i < g.n_columns; i++)
		free(g.columns[i]);
	free(g.columns);
	for (size_t i = 0; i < g.n_optional_programs; i++)
		free(g.optional_programs[i]);
	free(g.optional_programs);
	gh_variants_free(g.variants);
	for (size_t i = 0; i < g.n_sources; i++)
		free(g.sources[i]);
	free(g.sources);
	for (size_t i = 0; i < g.n_params; i++) {
		free(g.params[i].key);
		free(g.params[i].global);
		free(g.params[i].type);
		free(g.params[i].def);
		free(g.params[i].description);
		for (size_t j = 0; j < g.params[i].n_values; j++)
			free(g.params[i].values[j]);
		free(g.params[i].values);
	}
	free(g.params);
	return desc ? desc : strdup("");
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
		gh_variants_describe(g->variants, chosen, chosen_len);
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
	bool can_check;
	const char *roots[MAX_ROOTS];
	size_t n_roots = gh_gadget_roots(roots, MAX_ROOTS);
	struct entry *list = calloc(MAX_GADGETS, sizeof(*list));
	size_t n = 0;

	bool json = argc == 2 && !strcmp(argv[0], "-o") && !strcmp(argv[1], "json");

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
	can_check = gh_tracefs_ensure() == 0;
	if (!json)
		printf("%-28s %-7s %s\n", "GADGET", "KERNEL", "DESCRIPTION");
	for (size_t i = 0; i < n; i++) {
		char why[512] = "", chosen[512] = "";
		const char *kernel = can_check ? kernel_support(list[i].name, why, sizeof(why),
								chosen, sizeof(chosen))
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

	if (argc < 1) {
		fprintf(stderr, "gadgethost: info: which gadget? (e.g. gadgethost info trace/open.lua)\n");
		return 1;
	}
	if (gh_gadget_open(&g, argv[0], err, sizeof(err))) {
		fprintf(stderr, "gadgethost: %s\n", err);
		return 1;
	}
	printf("gadget:      %s\n", g->name);
	printf("description: %s\n", g->description ? g->description : "");
	printf("script:      %s\n", g->script_path);
	if (g->table)
		gh_table_gadget_describe(g, stdout);
	else
		printf("object:      %s (struct %s %s %s)\n\n", g->object_path,
		       g->schema.struct_name,
		       g->profile ? "aggregated in map" : "through ring buffer", g->map_name);
	printf("%-20s %-10s %-8s %s\n", "FIELD", "TYPE", "COLUMN", "DESCRIPTION");
	for (size_t i = 0; i < g->n_all_fields; i++) {
		const struct gh_field *f = &g->schema.fields[g->all_fields[i]];

		printf("%-20s %-10s %-8s %s\n", f->name, gh_field_type_name(f),
		       in_list(g->default_fields, g->n_default_fields, g->all_fields[i]) ? "yes"
											  : "no",
		       f->description ? f->description : "");
	}
	if (g->n_params)
		printf("\n%-24s %-8s %-10s %s\n", "PARAM", "TYPE", "DEFAULT", "DESCRIPTION");
	for (size_t i = 0; i < g->n_params; i++) {
		const struct gh_param *p = &g->params[i];
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
