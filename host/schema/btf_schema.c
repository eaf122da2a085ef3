/* btf_schema.c - an event struct's layout, read from the object's BTF.
 *
 * Every member of the struct becomes a field: integers, bools, enums
 * (printed by name), char arrays (strings), integer arrays, and nested
 * structs and unions whose members get dotted names ("addr.port").
 * Members whose typedef name is one of the SDK's gadget_* types get that
 * type's special formatting (see sdk/include/gadget/types.h).  A member
 * whose type is a kernel enum gets the running kernel's names for it
 * (kernel_enum()).
 */
#include "schema/btf_schema.h"

#include "base/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "kernel/kernel_btf.h"

#define TRACER_PREFIX "gadget_tracer_"
#define MAX_DEPTH 8

static const struct {
	const char *name;
	enum gh_special special;
} special_typedefs[] = {
	{"gadget_timestamp", GH_SPECIAL_TIMESTAMP},
	{"gadget_mntns_id", GH_SPECIAL_MNTNS_ID},
	{"gadget_netns_id", GH_SPECIAL_NETNS_ID},
	{"gadget_errno", GH_SPECIAL_ERRNO},
	{"gadget_syscall", GH_SPECIAL_SYSCALL},
	{"gadget_signal", GH_SPECIAL_SIGNAL},
	{"gadget_ipv4_addr", GH_SPECIAL_IPV4},
	{"gadget_ipv6_addr", GH_SPECIAL_IPV6},
	{"gadget_port", GH_SPECIAL_PORT},
	{"gadget_uid", GH_SPECIAL_UID},
	{"gadget_gid", GH_SPECIAL_GID},
	{"gadget_ifindex", GH_SPECIAL_IFINDEX},
};

struct walk {
	const struct btf *btf;
	struct gh_schema *s;
	char *err;
	size_t errlen;
};


/* Skip const/volatile/restrict/type tags; stop at typedefs, noting the
 * first special gadget_* name met on the way. */
static const struct btf_type *resolve(const struct btf *btf, __u32 id, enum gh_special *special,
				      bool *strlist)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t) {
		if (btf_is_typedef(t)) {
			const char *name = btf__name_by_offset(btf, t->name_off);

			for (size_t i = 0; special && i < sizeof(special_typedefs) /
					       sizeof(special_typedefs[0]); i++) {
				if (*special == GH_SPECIAL_NONE &&
				    strcmp(name, special_typedefs[i].name) == 0)
					*special = special_typedefs[i].special;
			}
			if (strlist && strcmp(name, "gadget_strlist_t") == 0)
				*strlist = true;
		} else if (!btf_is_mod(t) && !btf_is_type_tag(t)) {
			return t;
		}
		t = btf__type_by_id(btf, t->type);
	}
	return NULL;
}

/* The id of the type resolve() would return. */
static __u32 resolve_id(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t) || btf_is_type_tag(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	return id;
}

static struct gh_field *add_field(struct walk *w, const char *prefix, const char *name)
{
	struct gh_schema *s = w->s;
	struct gh_field *fields, *f;
	size_t len = strlen(prefix) + strlen(name) + 1;

	fields = realloc(s->fields, (s->n_fields + 1) * sizeof(*fields));
	if (!fields)
		return NULL;
	s->fields = fields;
	f = &fields[s->n_fields];
	memset(f, 0, sizeof(*f));
	f->name = malloc(len);
	if (!f->name)
		return NULL;
	snprintf(f->name, len, "%s%s", prefix, name);
	f->map_source = -1;
	f->lua_format_ref = -1;
	s->n_fields++;
	return f;
}

static bool is_char(const struct btf *btf, const struct btf_type *t)
{
	const char *name;

	if (!btf_is_int(t) || t->size != 1)
		return false;
	if (btf_int_encoding(t) & BTF_INT_CHAR)
		return true;
	name = btf__name_by_offset(btf, t->name_off);
	return strcmp(name, "char") == 0;
}

/* name and value of enumerator i of t (an ENUM or ENUM64) */
static const char *enumerator(const struct btf *btf, const struct btf_type *t, __u16 i,
			      int64_t *val)
{
	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t) + i;

		*val = e->val;
		return btf__name_by_offset(btf, e->name_off);
	}
	*val = (int64_t)btf_enum64_value(btf_enum64(t) + i);
	return btf__name_by_offset(btf, btf_enum64(t)[i].name_off);
}

static bool has_enumerator(const struct btf *btf, const struct btf_type *t, const char *name)
{
	int64_t val;

	for (__u16 i = 0; i < btf_vlen(t); i++)
		if (!strcmp(enumerator(btf, t, i, &val), name))
			return true;
	return false;
}

/* The running kernel's own copy of the object's enum t, or NULL.  A
 * kernel enum in an object (enum skb_drop_reason, from the SDK's
 * vmlinux.h) holds the values the kernel produces, which the running
 * kernel may number differently than the vmlinux.h the object was built
 * with: its names must come from the running kernel.  The same name and
 * one shared enumerator make it the same type (a gadget's own enum cannot
 * reuse a vmlinux.h enumerator: it would not compile). */
static const struct btf_type *kernel_enum(const struct btf *btf, const struct btf_type *t,
					  const struct btf **kbtf)
{
	const char *name = btf__name_by_offset(btf, t->name_off);
	struct btf *vmlinux;
	int64_t val;
	int id;

	if (!name || !*name || !btf_vlen(t) || !(vmlinux = gh_kernel_btf()))
		return NULL;
	id = btf__find_by_name_kind(vmlinux, name, BTF_KIND_ENUM);
	if (id < 0)
		id = btf__find_by_name_kind(vmlinux, name, BTF_KIND_ENUM64);
	if (id < 0)
		return NULL;
	for (__u16 i = 0; i < btf_vlen(t); i++) {
		const struct btf_type *kt = btf__type_by_id(vmlinux, id);

		if (has_enumerator(vmlinux, kt, enumerator(btf, t, i, &val))) {
			*kbtf = vmlinux;
			return kt;
		}
	}
	return NULL;
}

static int set_enum_names(struct walk *w, struct gh_field *f, const struct btf_type *t)
{
	const struct btf *btf = w->btf;
	const struct btf_type *kt = kernel_enum(w->btf, t, &btf);
	const char *name = btf__name_by_offset(w->btf, t->name_off);
	__u16 n;

	if (kt)
		t = kt;
	else if (name && *name && !gh_kernel_btf())
		f->enum_unchecked = true;
	n = btf_vlen(t);
	f->enum_names = calloc(n ? n : 1, sizeof(*f->enum_names));
	if (!f->enum_names)
		return -ENOMEM;
	for (__u16 i = 0; i < n; i++) {
		int64_t val;
		const char *name = enumerator(btf, t, i, &val);

		f->enum_names[i].name = strdup(name);
		if (!f->enum_names[i].name)
			return -ENOMEM;
		f->enum_names[i].value = val;
		f->n_enum_names = i + 1;
	}
	return 0;
}

static int walk_struct(struct walk *w, const struct btf_type *t, uint32_t base,
		       const char *prefix, int depth);

/* arrays of structs or arrays this long or shorter become a field per
 * element; longer ones are refused */
#define MAX_SPLIT_ELEMS 16
#define GH_STR_(x) #x
#define GH_STR(x) GH_STR_(x)

static int add_member(struct walk *w, const char *prefix, const char *name, __u32 type_id,
		      uint32_t offset, int depth)
{
	enum gh_special special = GH_SPECIAL_NONE;
	bool strlist = false;
	const struct btf_type *t = resolve(w->btf, type_id, &special, &strlist);
	struct gh_field *f;

	if (!t)
		return gh_err(w->err, w->errlen, -EINVAL, "member \"%s%s\": type %u not in BTF",
			      prefix, name, type_id);

	if (btf_is_composite(t)) {
		const char *tname = btf__name_by_offset(w->btf, t->name_off);
		char sub[256];

		if (strcmp(tname, "gadget_l3endpoint_t") == 0) {
			f = add_field(w, prefix, name);
			if (!f)
				return -ENOMEM;
			f->kind = GH_KIND_ARRAY;
			f->special = GH_SPECIAL_L3;
			f->offset = offset;
			f->size = t->size;
			f->elem_size = 1;
			f->count = t->size;
			return 0;
		}
		/* anonymous struct or union: its members join this level */
		if (!*name)
			snprintf(sub, sizeof(sub), "%s", prefix);
		else
			snprintf(sub, sizeof(sub), "%s%s.", prefix, name);
		return walk_struct(w, t, offset, sub, depth + 1);
	}

	/* a short array of structs or of arrays: a field (or fields) per
	 * element, named NAME.0, NAME.1, ... (char data[2][128]) */
	if (btf_is_array(t) && btf_array(t)->nelems <= MAX_SPLIT_ELEMS) {
		const struct btf_array *a = btf_array(t);
		bool elem_strlist = false;
		const struct btf_type *elem = resolve(w->btf, a->type, NULL, &elem_strlist);
		__s64 elem_size = btf__resolve_size(w->btf, a->type);

		if (elem && !elem_strlist && elem_size > 0 &&
		    (btf_is_composite(elem) || btf_is_array(elem))) {
			char sub[256], idx[16];

			snprintf(sub, sizeof(sub), "%s%s.", prefix, name);
			for (__u32 i = 0; i < a->nelems; i++) {
				int err;

				snprintf(idx, sizeof(idx), "%u", i);
				err = add_member(w, sub, idx, a->type,
						 offset + i * (uint32_t)elem_size, depth + 1);
				if (err)
					return err;
			}
			return 0;
		}
	}

	f = add_field(w, prefix, name);
	if (!f)
		return -ENOMEM;
	f->offset = offset;
	f->special = special;

	if (btf_is_int(t)) {
		__u8 enc = btf_int_encoding(t);

		f->size = t->size;
		if (enc & BTF_INT_BOOL)
			f->kind = GH_KIND_BOOL;
		else if (enc & BTF_INT_SIGNED)
			f->kind = GH_KIND_INT;
		else
			f->kind = GH_KIND_UINT;
		if (t->size > 8)
			return gh_err(w->err, w->errlen, -EINVAL,
				      "member \"%s\": %u-byte integers are "
				      "not supported", f->name, t->size);
		return 0;
	}
	if (btf_is_enum(t) || btf_is_enum64(t)) {
		f->kind = GH_KIND_ENUM;
		f->size = t->size;
		return set_enum_names(w, f, t);
	}
	if (btf_is_float(t)) {
		f->kind = GH_KIND_FLOAT;
		f->size = t->size;
		return 0;
	}
	if (btf_is_ptr(t)) {
		f->kind = GH_KIND_UINT;
		f->size = 8;
		return 0;
	}
	if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		const struct btf_type *elem = resolve(w->btf, a->type, NULL, &strlist);

		if (!elem)
			return gh_err(w->err, w->errlen, -EINVAL,
				      "member \"%s\": bad array element",
				      f->name);
		f->count = a->nelems;
		if (strlist || is_char(w->btf, elem)) {
			f->kind = strlist ? GH_KIND_STRLIST : GH_KIND_STRING;
			f->elem_size = 1;
			f->size = a->nelems;
			return 0;
		}
		if (btf_is_int(elem) && elem->size <= 8) {
			f->kind = GH_KIND_ARRAY;
			f->elem_size = elem->size;
			f->elem_signed = btf_int_encoding(elem) & BTF_INT_SIGNED;
			f->size = a->nelems * elem->size;
			return 0;
		}
		return gh_err(w->err, w->errlen, -EINVAL, "member \"%s\": arrays of %s are not "
			      "supported%s", f->name, btf_is_composite(elem) ? "structs" : "this type",
			      btf_is_composite(elem) || btf_is_array(elem)
				      ? " (only up to " GH_STR(MAX_SPLIT_ELEMS) " elements)" : "");
	}
	return gh_err(w->err, w->errlen, -EINVAL, "member \"%s\": unsupported BTF kind %u",
		      f->name, btf_kind(t));
}

static int walk_struct(struct walk *w, const struct btf_type *t, uint32_t base,
		       const char *prefix, int depth)
{
	const struct btf_member *m = btf_members(t);
	__u16 n = btf_vlen(t);

	if (depth > MAX_DEPTH)
		return gh_err(w->err, w->errlen, -ELOOP, "struct nesting deeper than %d at \"%s\"",
			      MAX_DEPTH, prefix);
	for (__u16 i = 0; i < n; i++, m++) {
		const char *name = btf__name_by_offset(w->btf, m->name_off);
		__u32 bit_off = btf_member_bit_offset(t, i);
		int err;

		if (btf_member_bitfield_size(t, i) || bit_off % 8)
			return gh_err(w->err, w->errlen, -EINVAL, "member \"%s%s\": bit fields are "
				      "not supported", prefix, name);
		err = add_member(w, prefix, name, m->type, base + bit_off / 8, depth);
		if (err)
			return err;
	}
	return 0;
}

int gh_btf_schema(const struct btf *btf, __u32 struct_id, struct gh_schema *s, char *err,
		  size_t errlen)
{
	struct walk w = {.btf = btf, .s = s, .err = err, .errlen = errlen};
	const struct btf_type *t = resolve(btf, struct_id, NULL, NULL);
	int ret;

	memset(s, 0, sizeof(*s));
	if (!t || !btf_is_struct(t)) {
		snprintf(err, errlen, "BTF type %u is not a struct", struct_id);
		return -EINVAL;
	}
	s->struct_name = strdup(btf__name_by_offset(btf, t->name_off));
	if (!s->struct_name)
		return -ENOMEM;
	s->struct_size = t->size;
	ret = walk_struct(&w, t, 0, "", 0);
	if (ret)
		gh_schema_free(s);
	return ret;
}

int gh_btf_find_struct(const struct btf *btf, const char *name, __u32 *struct_id)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);

	if (id < 0)
		return -ENOENT;
	*struct_id = id;
	return 0;
}

int gh_btf_find_tracers(const struct btf *btf, struct gh_btf_tracer **out, size_t *n_out)
{
	return gh_btf_find_declared(btf, TRACER_PREFIX, out, n_out);
}

int gh_btf_find_declared(const struct btf *btf, const char *prefix, struct gh_btf_tracer **out,
			 size_t *n_out)
{
	__u32 n = btf__type_cnt(btf);
	struct gh_btf_tracer *list = NULL;
	size_t count = 0;

	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name, *sep;
		const struct btf_type *ptr, *target;
		struct gh_btf_tracer *grown;

		if (!btf_is_var(t))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (strncmp(name, prefix, strlen(prefix)) != 0)
			continue;
		name += strlen(prefix);
		sep = strstr(name, "___");
		ptr = resolve(btf, t->type, NULL, NULL);
		if (!sep || !ptr || !btf_is_ptr(ptr))
			continue;
		target = resolve(btf, ptr->type, NULL, NULL);
		if (!target || !btf_is_struct(target))
			continue;
		grown = realloc(list, (count + 1) * sizeof(*list));
		if (!grown)
			goto nomem;
		list = grown;
		list[count].name = strndup(name, sep - name);
		list[count].map_name = strdup(sep + 3);
		list[count].struct_id = resolve_id(btf, ptr->type);
		count++;
		if (!list[count - 1].name || !list[count - 1].map_name)
			goto nomem;
	}
	*out = list;
	*n_out = count;
	return 0;
nomem:
	gh_btf_tracers_free(list, count);
	return -ENOMEM;
}

void gh_btf_tracers_free(struct gh_btf_tracer *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].name);
		free(list[i].map_name);
	}
	free(list);
}

int gh_btf_find_var(const struct btf *btf, const char *datasec, const char *name,
		    uint32_t *offset, uint32_t *size, __u32 *type_id)
{
	int sec_id = btf__find_by_name_kind(btf, datasec, BTF_KIND_DATASEC);
	const struct btf_type *sec;
	const struct btf_var_secinfo *vs;

	if (sec_id < 0)
		return -ENOENT;
	sec = btf__type_by_id(btf, sec_id);
	vs = btf_var_secinfos(sec);
	for (__u16 i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);

		if (strcmp(btf__name_by_offset(btf, var->name_off), name) == 0) {
			*offset = vs->offset;
			*size = vs->size;
			if (type_id)
				*type_id = var->type;
			return 0;
		}
	}
	return -ENOENT;
}
