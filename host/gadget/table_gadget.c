/* table_gadget.c - finding a top or snapshot declaration and its row
 * layout in the object's BTF (see table_gadget.h). */
#include "gadget/table_gadget.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "base/err.h"
#include "schema/btf_schema.h"

#define MAPITER_PREFIX "gadget_mapiter_"
#define SNAPSHOTTER_PREFIX "gadget_snapshotter_"

/* Move the fields of add into s, their offsets shifted by off. */
static int append_schema(struct gh_schema *s, struct gh_schema *add, uint32_t off,
			 const char *where, char *err, size_t errlen)
{
	struct gh_field *grown;

	for (size_t i = 0; i < add->n_fields; i++)
		if (gh_schema_find(s, add->fields[i].name) >= 0)
			return gh_err(err, errlen, -EINVAL, "%s: the key and the value both have a "
				      "member \"%s\"", where, add->fields[i].name);
	grown = realloc(s->fields, (s->n_fields + add->n_fields) * sizeof(*grown));
	if (!grown)
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	s->fields = grown;
	for (size_t i = 0; i < add->n_fields; i++) {
		grown[s->n_fields] = add->fields[i];
		grown[s->n_fields].offset += off;
		s->n_fields++;
	}
	free(add->fields);
	free(add->struct_name);
	memset(add, 0, sizeof(*add));
	return 0;
}

/* A top's iterator programs feed its map: the run reads each to its end
 * before it reads the map, in the order the object defines them. */
static int find_feeders(struct bpf_object *obj, struct gh_table_gadget *t, const char *where,
			char *err, size_t errlen)
{
	struct bpf_program *p;
	size_t n = 0;

	bpf_object__for_each_program(p, obj)
		n += gh_table_gadget_is_iterator(p);
	if (!n)
		return 0;
	t->programs = calloc(n, sizeof(*t->programs));
	if (!t->programs)
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	bpf_object__for_each_program(p, obj) {
		if (!gh_table_gadget_is_iterator(p))
			continue;
		if (gh_table_gadget_per_netns(p))
			return gh_err(err, errlen, -EINVAL, "%s: %s (%s): a top's iterators see the "
				      "whole host, not a network namespace", where,
				      bpf_program__name(p), bpf_program__section_name(p));
		t->programs[t->n_programs++] = p;
	}
	return 0;
}

static int open_top(struct bpf_object *obj, const char *path, struct gh_schema *schema,
		    struct gh_table_gadget *t, const char *map_name, char *err, size_t errlen)
{
	const struct btf *btf = bpf_object__btf(obj);
	struct gh_schema value = {0};
	char why[256], where[512];
	__u32 kid, vid;
	int ret;

	snprintf(where, sizeof(where), "%s: GADGET_MAPITER(%s, %s)", path, t->name, map_name);
	t->map = bpf_object__find_map_by_name(obj, map_name);
	if (!t->map)
		return gh_err(err, errlen, -ENOENT, "%s: no map \"%s\"", where, map_name);
	if (bpf_map__type(t->map) != BPF_MAP_TYPE_HASH &&
	    bpf_map__type(t->map) != BPF_MAP_TYPE_LRU_HASH)
		return gh_err(err, errlen, -EINVAL, "%s: the map is not a hash map", where);
	kid = bpf_map__btf_key_type_id(t->map);
	vid = bpf_map__btf_value_type_id(t->map);
	if (!kid || !vid)
		return gh_err(err, errlen, -EINVAL, "%s: the map has no BTF key and value types "
			      "(declare them with __type(key, ...) and __type(value, ...))", where);
	t->key_size = bpf_map__key_size(t->map);
	t->value_size = bpf_map__value_size(t->map);
	t->value_off = (t->key_size + 7) & ~7u;
	t->row_size = t->value_off + t->value_size;
	ret = gh_btf_schema(btf, kid, schema, why, sizeof(why));
	if (ret)
		return gh_err(err, errlen, ret, "%s: key: %s", where, why);
	ret = gh_btf_schema(btf, vid, &value, why, sizeof(why));
	if (ret)
		return gh_err(err, errlen, ret, "%s: value: %s", where, why);
	ret = append_schema(schema, &value, t->value_off, where, err, errlen);
	gh_schema_free(&value);
	schema->struct_size = t->row_size;
	return ret ? ret : find_feeders(obj, t, where, err, errlen);
}

static int open_snapshot(struct bpf_object *obj, const char *path, struct gh_schema *schema,
			 struct gh_table_gadget *t, const struct gh_btf_tracer *decl, size_t n,
			 char *err, size_t errlen)
{
	const struct btf *btf = bpf_object__btf(obj);
	char why[256];
	int ret;

	t->programs = calloc(n, sizeof(*t->programs));
	if (!t->programs)
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, decl[i].map_name);

		if (strcmp(decl[i].name, t->name) || decl[i].struct_id != decl[0].struct_id)
			return gh_err(err, errlen, -EINVAL, "%s: GADGET_SNAPSHOTTER(%s, ..., %s): "
				      "one snapshot per object, all its programs writing one struct",
				      path, decl[i].name, decl[i].map_name);
		if (!p || !gh_table_gadget_is_iterator(p))
			return gh_err(err, errlen, -EINVAL,
				      "%s: GADGET_SNAPSHOTTER(%s, ..., %s): no "
				      "iterator program (SEC(\"iter/...\")) \"%s\"", path,
				      decl[i].name, decl[i].map_name, decl[i].map_name);
		t->programs[t->n_programs++] = p;
	}
	ret = gh_btf_schema(btf, decl[0].struct_id, schema, why, sizeof(why));
	if (ret)
		return gh_err(err, errlen, ret, "%s: %s", path, why);
	t->row_size = schema->struct_size;
	return 0;
}

int gh_table_gadget_open(struct gh_table_gadget **out, struct bpf_object *obj, const char *path,
			 struct gh_schema *schema, char *err, size_t errlen)
{
	const struct btf *btf = bpf_object__btf(obj);
	struct gh_btf_tracer *tops = NULL, *snaps = NULL;
	size_t n_tops = 0, n_snaps = 0;
	struct gh_table_gadget *t;
	int ret;

	*out = NULL;
	ret = gh_btf_find_declared(btf, MAPITER_PREFIX, &tops, &n_tops);
	if (!ret)
		ret = gh_btf_find_declared(btf, SNAPSHOTTER_PREFIX, &snaps, &n_snaps);
	if (ret || (!n_tops && !n_snaps))
		goto out;
	if (n_tops > 1 || (n_tops && n_snaps)) {
		ret = gh_err(err, errlen, -EINVAL, "%s: declares %zu tops and %zu snapshots: one "
			     "table per gadget", path, n_tops, n_snaps);
		goto out;
	}
	t = calloc(1, sizeof(*t));
	if (!t || !(t->name = strdup(n_tops ? tops[0].name : snaps[0].name))) {
		free(t);
		ret = gh_err(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	*out = t;
	t->kind = n_tops ? GH_TABLE_TOP : GH_TABLE_SNAPSHOT;
	if (n_tops)
		ret = open_top(obj, path, schema, t, tops[0].map_name, err, errlen);
	else
		ret = open_snapshot(obj, path, schema, t, snaps, n_snaps, err, errlen);
	if (!ret)
		ret = 1;
out:
	gh_btf_tracers_free(tops, n_tops);
	gh_btf_tracers_free(snaps, n_snaps);
	return ret;
}

bool gh_table_gadget_is_iterator(struct bpf_program *prog)
{
	return !strncmp(bpf_program__section_name(prog), "iter/", 5) ||
	       !strncmp(bpf_program__section_name(prog), "iter.s/", 7);
}

bool gh_table_gadget_per_netns(struct bpf_program *prog)
{
	static const char *const net[] = {"tcp", "udp", "unix", "netlink", "ipv6_route"};
	const char *sec = bpf_program__section_name(prog);
	const char *slash = strchr(sec, '/');

	for (size_t i = 0; slash && i < sizeof(net) / sizeof(net[0]); i++)
		if (!strcmp(slash + 1, net[i]))
			return true;
	return false;
}

void gh_table_gadget_describe(const struct gh_table_gadget *t, const char *path,
			      const struct gh_schema *schema, FILE *f)
{
	if (t->kind == GH_TABLE_TOP) {
		fprintf(f, "object:      %s (top %s: hash map %s, %u entries; a row is struct %s "
			"and its value", path, t->name, bpf_map__name(t->map),
			bpf_map__max_entries(t->map), schema->struct_name);
		for (size_t i = 0; i < t->n_programs; i++)
			fprintf(f, "%s %s (%s)", i ? "," : "; fed by", bpf_program__name(t->programs[i]),
				bpf_program__section_name(t->programs[i]));
		fprintf(f, ")\n\n");
		return;
	}
	fprintf(f, "object:      %s (snapshot %s: struct %s from", path, t->name,
		schema->struct_name);
	for (size_t i = 0; i < t->n_programs; i++)
		fprintf(f, "%s %s (%s)", i ? "," : "", bpf_program__name(t->programs[i]),
			bpf_program__section_name(t->programs[i]));
	fprintf(f, ")\n\n");
}

void gh_table_gadget_free(struct gh_table_gadget *t)
{
	if (!t)
		return;
	free(t->programs);
	free(t->name);
	free(t);
}
