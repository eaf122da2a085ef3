/* profile.c - the profile kinds: finding them in an object, their params,
 * fields and outputs. */
#include "gadget/profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base/err.h"

#define HIST_PREFIX "gadget_histogram_"
#define STACKS_PREFIX "gadget_stacks_"

void gh_profile_free(struct gh_profile *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->unit);
	free(p->map_name);
	free(p->stacks_name);
	free(p->value_name);
	free(p);
}

/* "NAME___A___B" -> three strings */
static int split3(const char *s, char **a, char **b, char **c)
{
	const char *s1 = strstr(s, "___"), *s2 = s1 ? strstr(s1 + 3, "___") : NULL;

	if (!s1 || !s2 || s1 == s || s2 == s1 + 3 || !s2[3])
		return -EINVAL;
	*a = strndup(s, s1 - s);
	*b = strndup(s1 + 3, s2 - s1 - 3);
	*c = strdup(s2 + 3);
	return *a && *b && *c ? 0 : -ENOMEM;
}

/* GADGET_STACKS_SUM: "STACKS___VALUE" -> the stack map and the value's
 * name; GADGET_STACKS: the values are samples. */
static int split_value(struct gh_profile *p)
{
	char *sep = strstr(p->stacks_name, "___");

	p->value_name = strdup(sep && sep[3] ? sep + 3 : "samples");
	if (sep)
		*sep = 0;
	return p->value_name ? 0 : -ENOMEM;
}

/* The profile declaration in btf, if any: kind and names. */
static int find_declaration(const struct btf *btf, struct gh_profile *p, bool *found)
{
	__u32 n = btf__type_cnt(btf);

	*found = false;
	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;
		char *third = NULL;
		int ret;

		if (!btf_is_var(t))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (!strncmp(name, HIST_PREFIX, strlen(HIST_PREFIX))) {
			p->kind = GH_PROFILE_HISTOGRAM;
			ret = split3(name + strlen(HIST_PREFIX), &p->name, &p->map_name, &p->unit);
		} else if (!strncmp(name, STACKS_PREFIX, strlen(STACKS_PREFIX))) {
			p->kind = GH_PROFILE_STACKS;
			ret = split3(name + strlen(STACKS_PREFIX), &p->name, &p->map_name, &third);
			p->stacks_name = third;
			if (!ret)
				ret = split_value(p);
		} else {
			continue;
		}
		*found = true;
		return ret;
	}
	return 0;
}

/* The offset of the key member whose type is the typedef tname, or -1. */
static int typedef_member(const struct btf *btf, const struct btf_type *st, const char *tname)
{
	const struct btf_member *m = btf_members(st);

	for (__u16 i = 0; i < btf_vlen(st); i++, m++) {
		const struct btf_type *mt = btf__type_by_id(btf, m->type);

		while (mt && btf_is_mod(mt))
			mt = btf__type_by_id(btf, mt->type);
		if (mt && btf_is_typedef(mt) &&
		    !strcmp(btf__name_by_offset(btf, mt->name_off), tname))
			return (int)(btf_member_bit_offset(st, i) / 8);
	}
	return -1;
}

int gh_profile_open(struct gh_profile **out, struct bpf_object *obj, const char *path,
		    __u32 *struct_id, char *err, size_t errlen)
{
	const struct btf *btf = bpf_object__btf(obj);
	struct gh_profile *p = calloc(1, sizeof(*p));
	const struct btf_type *kt;
	struct bpf_program *prog;
	struct bpf_map *map;
	bool found;
	__u32 kid;
	int ret;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->user_off = p->kernel_off = p->pid_field = -1;
	ret = find_declaration(btf, p, &found);
	if (ret || !found) {
		gh_profile_free(p);
		return ret == -ENOMEM ? ret : ret ? gh_err(err, errlen, ret, "%s: a malformed "
				"GADGET_HISTOGRAM or GADGET_STACKS", path) : 0;
	}
	*out = p;
	map = bpf_object__find_map_by_name(obj, p->map_name);
	if (!map)
		return gh_err(err, errlen, -ENOENT, "%s: no map \"%s\" (named by GADGET_%s)",
			      path, p->map_name,
			      p->kind == GH_PROFILE_HISTOGRAM ? "HISTOGRAM" : "STACKS");
	p->key_size = bpf_map__key_size(map);
	if (p->kind == GH_PROFILE_HISTOGRAM &&
	    (bpf_map__value_size(map) % 4 || !bpf_map__value_size(map)))
		return gh_err(err, errlen, -EINVAL, "%s: map \"%s\": values are not struct "
			      "gadget_hist", path, p->map_name);
	if (p->kind == GH_PROFILE_STACKS) {
		struct bpf_map *sm = bpf_object__find_map_by_name(obj, p->stacks_name);

		if (!sm || bpf_map__type(sm) != BPF_MAP_TYPE_STACK_TRACE)
			return gh_err(err, errlen, -EINVAL, "%s: \"%s\" is not a stack trace map "
				      "(GADGET_STACKS)", path, p->stacks_name);
		if (bpf_map__value_size(map) != 8)
			return gh_err(err, errlen, -EINVAL, "%s: map \"%s\": values are not __u64 "
				      "counts", path, p->map_name);
	}
	bpf_object__for_each_program(prog, obj)
		if (bpf_program__type(prog) == BPF_PROG_TYPE_PERF_EVENT)
			p->sampled = true;
	kid = bpf_map__btf_key_type_id(map);
	kt = kid ? btf__type_by_id(btf, kid) : NULL;
	while (kt && (btf_is_typedef(kt) || btf_is_mod(kt))) {
		kid = kt->type;
		kt = btf__type_by_id(btf, kid);
	}
	*struct_id = kt && btf_is_struct(kt) ? kid : 0;
	if (p->kind == GH_PROFILE_STACKS) {
		if (!*struct_id)
			return gh_err(err, errlen, -EINVAL, "%s: the key of \"%s\" is not a struct",
				      path, p->map_name);
		p->user_off = typedef_member(btf, kt, "gadget_user_stack");
		p->kernel_off = typedef_member(btf, kt, "gadget_kernel_stack");
		if (p->user_off < 0 && p->kernel_off < 0)
			return gh_err(err, errlen, -EINVAL, "%s: the key of \"%s\" has no "
				      "gadget_user_stack or gadget_kernel_stack member",
				      path, p->map_name);
	}
	return 0;
}

static int add_virtual(struct gh_schema *s, const char *name, const char *type, int *idx)
{
	int i = gh_schema_add_virtual(s, name);

	if (i < 0)
		return i;
	s->fields[i].virtual_type = strdup(type);
	*idx = i;
	return s->fields[i].virtual_type ? 0 : -ENOMEM;
}

int gh_profile_add_fields(struct gh_profile *p, struct gh_gadget_spec *spec,
			  struct gh_schema *schema, const char *path, char *err, size_t errlen)
{
	int ret;

	if (!schema->struct_name)
		schema->mntns_field = -1; /* no key struct: an empty schema */
	ret = 0;
	if (p->kind == GH_PROFILE_STACKS) {
		if (p->sampled)
			ret = gh_spec_add_param(spec, "frequency", "uint", "49",
						"samples per second, on each CPU");
		if (!ret)
			ret = gh_spec_add_param(spec, "top", "uint", "20",
						p->sampled ? "stacks in the report, the most sampled first"
							   : "stacks in the report, the largest first");
		if (!ret)
			ret = add_virtual(schema, p->value_name, "uint", &p->f_samples);
		if (!ret && p->user_off >= 0)
			ret = add_virtual(schema, "userStack", "strlist", &p->f_user);
		if (!ret && p->kernel_off >= 0)
			ret = add_virtual(schema, "kernelStack", "strlist", &p->f_kernel);
		p->pid_field = gh_schema_find(schema, "pid");
		if (!ret && p->user_off >= 0 && p->pid_field < 0)
			return gh_err(err, errlen, -EINVAL,
				      "%s: the key of \"%s\" has a user stack but "
				      "no pid member (to read the process's mappings)",
				      path, p->map_name);
	}
	return ret == -ENOMEM ? gh_err(err, errlen, ret, "out of memory") : ret;
}

bool gh_profile_host_wide(const struct gh_profile *p, const struct gh_schema *schema)
{
	return p && schema->mntns_field < 0;
}

int gh_profile_parse_output(const struct gh_profile *p, const char *name,
			    enum gh_profile_output *o)
{
	if (!name || !strcmp(name, "columns"))
		*o = GH_POUT_TEXT;
	else if (!strcmp(name, "json"))
		*o = GH_POUT_JSON;
	else if (!strcmp(name, "jsonpretty"))
		*o = GH_POUT_JSONPRETTY;
	else if (!strcmp(name, "folded") && p->kind == GH_PROFILE_STACKS)
		*o = GH_POUT_FOLDED;
	else
		return -EINVAL;
	return 0;
}

int gh_profile_check_output(const struct gh_profile *p, const char *gadget, const char *name,
			    char *err, size_t errlen)
{
	enum gh_profile_output o;

	if (!gh_profile_parse_output(p, name, &o))
		return 0;
	return gh_err(err, errlen, -EINVAL, "-o: %s prints %s, not \"%s\"", gadget,
		      p->kind == GH_PROFILE_STACKS
			    ? "a stack report (default), folded or json"
			    : "a histogram chart (default) or json", name);
}
