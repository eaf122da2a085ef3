/* profile.c - the profile kinds: finding them in an object, their params,
 * fields and outputs, and what their dumpers share. */
#include "profile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "container_fields.h"
#include "lua_script.h"
#include "profile_private.h"

#define HIST_PREFIX "gadget_histogram_"
#define STACKS_PREFIX "gadget_stacks_"

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

void gh_profile_free(struct gh_profile *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->unit);
	free(p->map_name);
	free(p->stacks_name);
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

int gh_profile_open(struct gh_gadget *g, __u32 *struct_id, char *err, size_t errlen)
{
	const struct btf *btf = bpf_object__btf(g->obj);
	struct gh_profile *p = calloc(1, sizeof(*p));
	const struct btf_type *kt;
	struct bpf_map *map;
	bool found;
	__u32 kid;
	int ret;

	if (!p)
		return -ENOMEM;
	p->user_off = p->kernel_off = p->pid_field = -1;
	ret = find_declaration(btf, p, &found);
	if (ret || !found) {
		gh_profile_free(p);
		return ret == -ENOMEM ? ret : ret ? fail(err, errlen, ret, "%s: a malformed "
				"GADGET_HISTOGRAM or GADGET_STACKS", g->object_path) : 0;
	}
	g->profile = p;
	g->map_name = strdup(p->map_name);
	if (!g->map_name)
		return -ENOMEM;
	map = bpf_object__find_map_by_name(g->obj, p->map_name);
	if (!map)
		return fail(err, errlen, -ENOENT, "%s: no map \"%s\" (named by GADGET_%s)",
			    g->object_path, p->map_name,
			    p->kind == GH_PROFILE_HISTOGRAM ? "HISTOGRAM" : "STACKS");
	p->key_size = bpf_map__key_size(map);
	if (p->kind == GH_PROFILE_HISTOGRAM &&
	    (bpf_map__value_size(map) % 4 || !bpf_map__value_size(map)))
		return fail(err, errlen, -EINVAL, "%s: map \"%s\": values are not struct "
			    "gadget_hist", g->object_path, p->map_name);
	if (p->kind == GH_PROFILE_STACKS) {
		struct bpf_map *sm = bpf_object__find_map_by_name(g->obj, p->stacks_name);

		if (!sm || bpf_map__type(sm) != BPF_MAP_TYPE_STACK_TRACE)
			return fail(err, errlen, -EINVAL, "%s: \"%s\" is not a stack trace map "
				    "(GADGET_STACKS)", g->object_path, p->stacks_name);
		if (bpf_map__value_size(map) != 8)
			return fail(err, errlen, -EINVAL, "%s: map \"%s\": values are not __u64 "
				    "counts", g->object_path, p->map_name);
	}
	kid = bpf_map__btf_key_type_id(map);
	kt = kid ? btf__type_by_id(btf, kid) : NULL;
	while (kt && (btf_is_typedef(kt) || btf_is_mod(kt))) {
		kid = kt->type;
		kt = btf__type_by_id(btf, kid);
	}
	*struct_id = kt && btf_is_struct(kt) ? kid : 0;
	if (p->kind == GH_PROFILE_STACKS) {
		if (!*struct_id)
			return fail(err, errlen, -EINVAL, "%s: the key of \"%s\" is not a struct",
				    g->object_path, p->map_name);
		p->user_off = typedef_member(btf, kt, "gadget_user_stack");
		p->kernel_off = typedef_member(btf, kt, "gadget_kernel_stack");
		if (p->user_off < 0 && p->kernel_off < 0)
			return fail(err, errlen, -EINVAL, "%s: the key of \"%s\" has no "
				    "gadget_user_stack or gadget_kernel_stack member",
				    g->object_path, p->map_name);
	}
	return 0;
}

static int add_param(struct gh_gadget *g, const char *key, const char *type, const char *def,
		     const char *description)
{
	struct gh_param *grown, *p;

	if (gh_gadget_param(g, key))
		return 0; /* the script's own wins */
	grown = realloc(g->params, (g->n_params + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	g->params = grown;
	p = &grown[g->n_params++];
	memset(p, 0, sizeof(*p));
	p->key = strdup(key);
	p->type = strdup(type);
	p->def = strdup(def);
	p->description = strdup(description);
	return p->key && p->type && p->def && p->description ? 0 : -ENOMEM;
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

int gh_profile_add_fields(struct gh_gadget *g, char *err, size_t errlen)
{
	struct gh_profile *p = g->profile;
	int ret;

	if (!g->schema.struct_name)
		g->schema.mntns_field = -1; /* no key struct: an empty schema */
	ret = 0;
	if (p->kind == GH_PROFILE_STACKS) {
		ret = add_param(g, "frequency", "uint", "49", "samples per second, on each CPU");
		if (!ret)
			ret = add_param(g, "top", "uint", "20",
					"stacks in the report, the most sampled first");
		if (!ret)
			ret = add_virtual(&g->schema, "samples", "uint", &p->f_samples);
		if (!ret && p->user_off >= 0)
			ret = add_virtual(&g->schema, "userStack", "strlist", &p->f_user);
		if (!ret && p->kernel_off >= 0)
			ret = add_virtual(&g->schema, "kernelStack", "strlist", &p->f_kernel);
		p->pid_field = gh_schema_find(&g->schema, "pid");
		if (!ret && p->user_off >= 0 && p->pid_field < 0)
			return fail(err, errlen, -EINVAL, "%s: the key of \"%s\" has a user stack but "
				    "no pid member (to read the process's mappings)",
				    g->object_path, p->map_name);
	}
	return ret == -ENOMEM ? fail(err, errlen, ret, "out of memory") : ret;
}

void gh_profile_set_interval_ms(struct gh_gadget *g, uint64_t ms)
{
	if (!g->profile)
		return;
	g->profile->interval_ms = ms;
	g->profile->interval_set = true;
}

bool gh_profile_host_wide(const struct gh_gadget *g)
{
	return g->profile && g->schema.mntns_field < 0;
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

int gh_profile_check_output(const struct gh_gadget *g, const char *name, char *err,
			    size_t errlen)
{
	enum gh_profile_output o;

	if (!gh_profile_parse_output(g->profile, name, &o))
		return 0;
	return fail(err, errlen, -EINVAL, "-o: %s prints %s, not \"%s\"", g->name,
		    g->profile->kind == GH_PROFILE_STACKS
			    ? "a stack report (default), folded or json"
			    : "a histogram chart (default) or json", name);
}

unsigned gh_profile_param_uint(struct gh_gadget *g, const char *key, unsigned def)
{
	struct gh_param *p = gh_gadget_param(g, key);
	const char *text = p ? (p->value ? p->value : p->def) : NULL;
	char *end;
	unsigned long v;

	if (!text)
		return def;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || *end || v > 1000000 || text[0] == '-')
		return (unsigned)-1;
	return (unsigned)v;
}

int gh_profile_write(struct gh_profile_dump *d)
{
	size_t done = 0;

	while (done < d->buf.len) {
		ssize_t n = write(STDOUT_FILENO, d->buf.p + done, d->buf.len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += (size_t)n;
	}
	gh_buf_reset(&d->buf);
	return 0;
}

int gh_profile_json_field(struct gh_profile_dump *d, int idx, const struct gh_event *ev,
			  struct gh_buf *b)
{
	const struct gh_field *f = &d->g->schema.fields[idx];
	struct gh_value v;
	int ret = gh_json_put_string(b, f->name, strlen(f->name));

	if (!ret)
		ret = gh_buf_putc(b, ':');
	if (!ret)
		ret = gh_field_value(&d->g->schema, idx, ev, &v);
	if (ret)
		return ret;
	switch (v.type) {
	case GH_V_NULL:
		return gh_buf_puts(b, "null");
	case GH_V_INT:
		return gh_buf_printf(b, "%lld", (long long)v.i);
	case GH_V_UINT:
		return gh_buf_printf(b, "%llu", (unsigned long long)v.u);
	case GH_V_BOOL:
		return gh_buf_puts(b, v.b ? "true" : "false");
	case GH_V_DOUBLE:
		return gh_buf_printf(b, "%.17g", v.d);
	case GH_V_STR:
		return gh_json_put_string(b, v.s.p, v.s.len);
	default: {
		struct gh_buf t = GH_BUF_INIT;

		ret = gh_field_text(&d->g->schema, idx, ev, &t);
		if (!ret)
			ret = gh_json_put_string(b, t.p ? t.p : "", t.len);
		gh_buf_free(&t);
		return ret;
	}
	}
}
