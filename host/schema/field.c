/* field.c - reading one field of one raw event record. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "schema/field.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/ipv4_text.h"
#include "base/names.h"

void gh_schema_free(struct gh_schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_fields; i++) {
		struct gh_field *f = &s->fields[i];

		free(f->name);
		free(f->description);
		free(f->virtual_type);
		for (size_t j = 0; j < f->n_enum_names; j++)
			free(f->enum_names[j].name);
		free(f->enum_names);
		if (f->map) {
			for (size_t j = 0; j < f->map->n_entries; j++)
				free(f->map->entries[j].name);
			free(f->map->entries);
			free(f->map->zero_name);
			free(f->map);
		}
	}
	free(s->fields);
	free(s->struct_name);
	memset(s, 0, sizeof(*s));
}

int gh_schema_find(const struct gh_schema *s, const char *name)
{
	for (size_t i = 0; i < s->n_fields; i++)
		if (strcmp(s->fields[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int gh_schema_add_virtual(struct gh_schema *s, const char *name)
{
	struct gh_field *fields, *f;

	fields = realloc(s->fields, (s->n_fields + 1) * sizeof(*fields));
	if (!fields)
		return -ENOMEM;
	s->fields = fields;
	f = &fields[s->n_fields];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	if (!f->name)
		return -ENOMEM;
	f->kind = GH_KIND_VIRTUAL;
	f->map_source = -1;
	f->lua_format_ref = -1;
	return (int)s->n_fields++;
}

int gh_schema_add_sourced(struct gh_schema *s, int source, int attr, const char *name,
			  const char *type, const char *description, unsigned width, bool hidden)
{
	int idx = gh_schema_add_virtual(s, name);
	struct gh_field *f;

	if (idx < 0)
		return idx;
	f = &s->fields[idx];
	f->source = source;
	f->source_attr = attr;
	f->width = width;
	f->hidden = hidden;
	f->virtual_type = strdup(type);
	f->description = strdup(description);
	return f->virtual_type && f->description ? idx : -ENOMEM;
}

int gh_schema_add_source(struct gh_schema *s, const struct gh_field_source_ops *ops, void *ctx)
{
	int id = gh_schema_source_id(s, ops);

	if (id)
		return id;
	if (s->n_sources == GH_MAX_FIELD_SOURCES)
		return -ENOSPC;
	s->sources[s->n_sources].ops = ops;
	s->sources[s->n_sources].ctx = ctx;
	return (int)++s->n_sources;
}

int gh_schema_source_id(const struct gh_schema *s, const struct gh_field_source_ops *ops)
{
	for (size_t i = 0; i < s->n_sources; i++)
		if (s->sources[i].ops == ops)
			return (int)i + 1;
	return 0;
}

void gh_schema_set_source_ctx(struct gh_schema *s, const struct gh_field_source_ops *ops,
			      void *ctx)
{
	int id = gh_schema_source_id(s, ops);

	if (id)
		s->sources[id - 1].ctx = ctx;
}

void *gh_schema_source_ctx(const struct gh_schema *s, const struct gh_field_source_ops *ops)
{
	int id = gh_schema_source_id(s, ops);

	return id ? s->sources[id - 1].ctx : NULL;
}

bool gh_field_is_sourced(const struct gh_schema *s, int idx)
{
	return idx >= 0 && (size_t)idx < s->n_fields && s->fields[idx].source;
}

bool gh_field_source_present(const struct gh_schema *s, int idx, const struct gh_event *ev)
{
	const struct gh_field_source *src;

	if (!gh_field_is_sourced(s, idx))
		return true;
	src = &s->sources[s->fields[idx].source - 1];
	return !src->ops->present || src->ops->present(src->ctx, s, ev);
}

bool gh_field_needs_enrich(const struct gh_schema *s, int idx)
{
	const struct gh_field *f = &s->fields[idx];

	return f->kind == GH_KIND_VIRTUAL && !f->source && f->map_source < 0;
}

/* Bytes of field f present in this record: a record may end early (the
 * last member of a variable length event), never read past its end. */
static uint32_t present(const struct gh_field *f, const struct gh_event *ev)
{
	if (f->offset >= ev->len)
		return 0;
	if (ev->len - f->offset < f->size)
		return ev->len - f->offset;
	return f->size;
}

static uint64_t read_uint(const uint8_t *p, uint32_t size)
{
	switch (size) {
	case 1: return *p;
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
	case 8: { uint64_t v; memcpy(&v, p, 8); return v; }
	}
	return 0;
}

static int64_t read_int(const uint8_t *p, uint32_t size)
{
	switch (size) {
	case 1: return (int8_t)*p;
	case 2: { int16_t v; memcpy(&v, p, 2); return v; }
	case 4: { int32_t v; memcpy(&v, p, 4); return v; }
	case 8: { int64_t v; memcpy(&v, p, 8); return v; }
	}
	return 0;
}

bool gh_field_enum_number(const struct gh_schema *s, int idx, const struct gh_event *ev,
			  uint64_t *x)
{
	const struct gh_field *f;

	if (idx < 0 || (size_t)idx >= s->n_fields)
		return false;
	f = &s->fields[idx];
	if (f->kind != GH_KIND_ENUM || present(f, ev) < f->size || f->size > 8)
		return false;
	*x = (uint64_t)read_int(ev->data + f->offset, f->size);
	return true;
}

static void set_str(struct gh_value *v, const char *p, size_t len)
{
	v->type = GH_V_STR;
	v->s.p = p;
	v->s.len = len;
}

static void set_tmp(struct gh_value *v, int n)
{
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(v->tmp))
		n = sizeof(v->tmp) - 1;
	set_str(v, v->tmp, (size_t)n);
}

static const char *enum_name(const struct gh_field *f, int64_t val)
{
	for (size_t i = 0; i < f->n_enum_names; i++)
		if (f->enum_names[i].value == val)
			return f->enum_names[i].name;
	return NULL;
}

/* A virtual field mapped in C from another field's integer value. */
/* Appends to a fixed buffer, cutting what does not fit (with "..."). */
struct bounded {
	char *p;
	size_t len, cap;
};

static void bounded_put(struct bounded *b, const char *s, size_t n)
{
	if (b->len + n >= b->cap) {
		n = b->cap > b->len + 4 ? b->cap - b->len - 4 : 0;
		memcpy(b->p + b->len, s, n);
		b->len += n;
		if (b->len + 4 <= b->cap) {
			memcpy(b->p + b->len, "...", 3);
			b->len += 3;
		}
		b->cap = b->len + 1; /* full: nothing more goes in */
		b->p[b->len] = '\0';
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Flags as text: named bits joined by '|', unnamed rest as hex.  Returns
 * the length written into dst (NUL terminated). */
static size_t flags_text(const struct gh_value_map *m, uint64_t x, char *dst, size_t cap)
{
	struct bounded b = {.p = dst, .len = 0, .cap = cap};
	uint64_t rest = x;
	bool first = true;

	dst[0] = '\0';
	if (m->zero_name && (x & m->zero_mask) == 0) {
		bounded_put(&b, m->zero_name, strlen(m->zero_name));
		first = false;
	}
	for (size_t i = 0; i < m->n_entries; i++) {
		uint64_t bits = m->entries[i].value;

		if (!bits || (x & bits) != bits)
			continue;
		if (!first)
			bounded_put(&b, "|", 1);
		bounded_put(&b, m->entries[i].name, strlen(m->entries[i].name));
		first = false;
		rest &= ~bits;
	}
	if (m->zero_name)
		rest &= ~m->zero_mask;
	if (rest || first) {
		char hex[24];
		int n = snprintf(hex, sizeof(hex), "%#" PRIx64, rest);

		if (!first)
			bounded_put(&b, "|", 1);
		bounded_put(&b, hex, (size_t)n);
	}
	return b.len;
}

static int map_value(const struct gh_schema *s, const struct gh_field *f,
		     const struct gh_event *ev, struct gh_value *v, struct gh_buf *text)
{
	struct gh_value src;
	struct gh_value_map *m = f->map;
	uint64_t x;
	int err;

	if (gh_field_enum_number(s, f->map_source, ev, &src.u))
		src.type = GH_V_UINT; /* a C enum member: its number, not its name */
	else if ((err = gh_field_value(s, f->map_source, ev, &src)))
		return err;
	if (src.type != GH_V_INT && src.type != GH_V_UINT && src.type != GH_V_BOOL) {
		if (!text)
			v->type = GH_V_NULL;
		return 0;
	}
	if (src.type == GH_V_BOOL)
		src.u = src.b;
	x = src.type == GH_V_INT ? (uint64_t)src.i : src.u;
	if (m->builtin == GH_FORMAT_FILEMODE) {
		static const char rwx[] = "rwxrwxrwx";
		char mode[11];

		mode[0] = '-';
		for (int i = 0; i < 9; i++)
			mode[i + 1] = (x & (1u << (8 - i))) ? rwx[i] : '-';
		if (x & 04000)
			mode[3] = (x & 0100) ? 's' : 'S';
		if (x & 02000)
			mode[6] = (x & 010) ? 's' : 'S';
		if (x & 01000)
			mode[9] = (x & 01) ? 't' : 'T';
		mode[10] = '\0';
		if (text)
			return gh_buf_puts(text, mode);
		memcpy(v->tmp, mode, sizeof(mode));
		set_tmp(v, 10);
		return 0;
	}
	if (!m->is_flags) {
		for (size_t i = 0; i < m->n_entries; i++) {
			if (m->entries[i].value == x) {
				if (text)
					return gh_buf_puts(text, m->entries[i].name);
				set_str(v, m->entries[i].name, strlen(m->entries[i].name));
				return 0;
			}
		}
		if (text)
			return gh_buf_printf(text, "%" PRIu64, x);
		set_tmp(v, snprintf(v->tmp, sizeof(v->tmp), "%" PRIu64, x));
		return 0;
	}
	if (!m->memo_ok || m->memo_x != x) {
		m->memo_len = flags_text(m, x, m->memo, sizeof(m->memo));
		m->memo_x = x;
		m->memo_ok = true;
	}
	if (text)
		return gh_buf_append(text, m->memo, m->memo_len);
	set_str(v, m->memo, m->memo_len);
	return 0;
}

static int format_ip(struct gh_value *v, int family, const void *addr)
{
	if (family == AF_INET) {
		size_t len = gh_ipv4_text(v->tmp, addr);

		set_str(v, v->tmp, len);
		return 0;
	}
	if (!inet_ntop(family, addr, v->tmp, sizeof(v->tmp)))
		return -errno;
	set_str(v, v->tmp, strlen(v->tmp));
	return 0;
}

int gh_field_value(const struct gh_schema *s, int idx, const struct gh_event *ev,
		   struct gh_value *v)
{
	const struct gh_field *f = &s->fields[idx];
	const uint8_t *p = ev->data + f->offset;
	uint32_t n;

	if (ev->overlay && ev->overlay(ev->overlay_ctx, idx, v)) {
		if (f->special == GH_SPECIAL_ERRNO && v->type == GH_V_INT && v->i < 0)
			v->i = -v->i; /* a script's -2 is ENOENT as well */
		return 0;
	}
	v->type = GH_V_NULL;
	if (f->kind == GH_KIND_VIRTUAL) {
		if (f->source) {
			const struct gh_field_source *src = &s->sources[f->source - 1];

			return src->ops->value(src->ctx, s, f, ev, v);
		}
		if (f->map && f->map_source >= 0)
			return map_value(s, f, ev, v, NULL);
		return 0;
	}
	n = present(f, ev);
	if (n == 0 && f->size)
		return 0;

	switch (f->special) {
	case GH_SPECIAL_IPV4:
		return format_ip(v, AF_INET, p);
	case GH_SPECIAL_IPV6:
		return format_ip(v, AF_INET6, p);
	case GH_SPECIAL_L3: {
		/* struct gadget_l3endpoint_t: 16 address bytes, then version */
		uint8_t version = f->size > 16 ? p[16] : 4;
		return format_ip(v, version == 6 ? AF_INET6 : AF_INET, p);
	}
	case GH_SPECIAL_SYSCALL:
	case GH_SPECIAL_SIGNAL: {
		int64_t nr = f->kind == GH_KIND_INT ? read_int(p, f->size) : (int64_t)read_uint(p, f->size);
		const char *name = f->special == GH_SPECIAL_SYSCALL ? gh_syscall_name(nr)
								  : gh_signal_name(nr);
		if (name)
			set_str(v, name, strlen(name));
		else
			set_tmp(v, snprintf(v->tmp, sizeof(v->tmp), "%" PRId64, nr));
		return 0;
	}
	case GH_SPECIAL_TIMESTAMP:
		v->type = GH_V_INT;
		v->i = (int64_t)read_uint(p, f->size) + s->boot_to_wall_ns;
		return 0;
	case GH_SPECIAL_ERRNO: {
		/* one sign everywhere: the errno as a positive number, whichever
		 * sign the gadget stored (a syscall's -ENOENT is 2) */
		int64_t e = f->kind == GH_KIND_INT ? read_int(p, f->size) : (int64_t)read_uint(p, f->size);

		v->type = GH_V_INT;
		v->i = e < 0 ? -e : e;
		return 0;
	}
	default:
		break;
	}

	switch (f->kind) {
	case GH_KIND_INT:
		v->type = GH_V_INT;
		v->i = read_int(p, f->size);
		return 0;
	case GH_KIND_UINT:
		v->type = GH_V_UINT;
		v->u = read_uint(p, f->size);
		return 0;
	case GH_KIND_BOOL:
		v->type = GH_V_BOOL;
		v->b = *p != 0;
		return 0;
	case GH_KIND_FLOAT:
		v->type = GH_V_DOUBLE;
		if (f->size == 4) {
			float x;
			memcpy(&x, p, 4);
			v->d = x;
		} else {
			memcpy(&v->d, p, sizeof(double));
		}
		return 0;
	case GH_KIND_STRING:
		set_str(v, (const char *)p, strnlen((const char *)p, n));
		return 0;
	case GH_KIND_STRLIST: {
		/* NUL terminated strings, the last terminator optional.  A
		 * record cut at this field ends where its strings end (an empty
		 * last argument stays); a full fixed-size array is padded with
		 * NULs, which are not arguments. */
		size_t len = n;
		if (n == f->size)
			while (len && p[len - 1] == '\0')
				len--;
		v->type = GH_V_STRLIST;
		v->s.p = (const char *)p;
		v->s.len = len;
		return 0;
	}
	case GH_KIND_ENUM: {
		int64_t val = read_int(p, f->size);
		const char *name = enum_name(f, val);
		if (name)
			set_str(v, name, strlen(name));
		else
			set_tmp(v, snprintf(v->tmp, sizeof(v->tmp), "%" PRId64, val));
		return 0;
	}
	case GH_KIND_ARRAY:
		v->type = GH_V_ARRAY;
		v->s.p = (const char *)p;
		v->s.len = n;
		return 0;
	case GH_KIND_VIRTUAL:
		break;
	}
	return 0;
}

static int text_timestamp(const struct gh_schema *s, const struct gh_field *f,
			  const uint8_t *p, struct gh_buf *b)
{
	int64_t wall = (int64_t)read_uint(p, f->size) + s->boot_to_wall_ns;
	time_t sec = (time_t)(wall / 1000000000);
	struct tm tm;
	char tbuf[32];

	localtime_r(&sec, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	return gh_buf_printf(b, "%s.%06" PRId64, tbuf, (wall % 1000000000) / 1000);
}

static int text_array(const struct gh_field *f, const struct gh_value *v, struct gh_buf *b)
{
	size_t n = f->elem_size ? v->s.len / f->elem_size : 0;

	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = (const uint8_t *)v->s.p + i * f->elem_size;

		if (i)
			gh_buf_putc(b, ',');
		if (f->elem_signed)
			gh_buf_printf(b, "%" PRId64, read_int(e, f->elem_size));
		else
			gh_buf_printf(b, "%" PRIu64, read_uint(e, f->elem_size));
	}
	return 0;
}

int gh_field_text(const struct gh_schema *s, int idx, const struct gh_event *ev,
		  struct gh_buf *b)
{
	const struct gh_field *f = &s->fields[idx];
	struct gh_value v;
	int err;

	if (f->kind == GH_KIND_VIRTUAL && f->map && f->map_source >= 0 &&
	    !(ev->overlay && ev->overlay(ev->overlay_ctx, idx, &v)))
		return map_value(s, f, ev, NULL, b);
	if (f->special == GH_SPECIAL_TIMESTAMP && !ev->overlay && present(f, ev) == f->size)
		return text_timestamp(s, f, ev->data + f->offset, b);

	err = gh_field_value(s, idx, ev, &v);
	if (err)
		return err;

	if (f->special == GH_SPECIAL_ERRNO && (v.type == GH_V_INT || v.type == GH_V_UINT)) {
		int64_t e = v.type == GH_V_INT ? v.i : (int64_t)v.u;
		const char *name = e ? gh_errno_name(e) : NULL;

		if (name)
			return gh_buf_puts(b, name);
	}

	switch (v.type) {
	case GH_V_NULL:
		return 0;
	case GH_V_INT:
		return gh_buf_printf(b, "%" PRId64, v.i);
	case GH_V_UINT:
		return gh_buf_printf(b, "%" PRIu64, v.u);
	case GH_V_BOOL:
		return gh_buf_puts(b, v.b ? "true" : "false");
	case GH_V_DOUBLE:
		return gh_buf_printf(b, "%g", v.d);
	case GH_V_STR:
		return gh_buf_append(b, v.s.p, v.s.len);
	case GH_V_STRLIST:
		/* argv joined by spaces, as a shell would show it */
		for (size_t i = 0; i < v.s.len; i++) {
			if (!v.s.p[i] && i + 1 == v.s.len)
				break; /* the last string's terminator */
			if (gh_buf_putc(b, v.s.p[i] ? v.s.p[i] : ' '))
				return -ENOMEM;
		}
		return 0;
	case GH_V_ARRAY:
		return text_array(f, &v, b);
	}
	return 0;
}

const char *gh_field_type_name(const struct gh_field *f)
{
	static const char *const special[] = {
		[GH_SPECIAL_TIMESTAMP] = "timestamp", [GH_SPECIAL_MNTNS_ID] = "mntns_id",
		[GH_SPECIAL_NETNS_ID] = "netns_id",   [GH_SPECIAL_ERRNO] = "errno",
		[GH_SPECIAL_SYSCALL] = "syscall",     [GH_SPECIAL_SIGNAL] = "signal",
		[GH_SPECIAL_IPV4] = "ipv4",           [GH_SPECIAL_IPV6] = "ipv6",
		[GH_SPECIAL_L3] = "ip",               [GH_SPECIAL_PORT] = "port",
		[GH_SPECIAL_UID] = "uid",             [GH_SPECIAL_GID] = "gid",
		[GH_SPECIAL_IFINDEX] = "ifindex",
	};
	static char intname[8];

	if (f->special != GH_SPECIAL_NONE)
		return special[f->special];
	switch (f->kind) {
	case GH_KIND_INT:
	case GH_KIND_UINT:
		snprintf(intname, sizeof(intname), "%s%u", f->kind == GH_KIND_INT ? "s" : "u",
			 f->size * 8);
		return intname;
	case GH_KIND_BOOL: return "bool";
	case GH_KIND_FLOAT: return "float";
	case GH_KIND_STRING: return "string";
	case GH_KIND_STRLIST: return "string[]";
	case GH_KIND_ENUM: return "enum";
	case GH_KIND_ARRAY: return "array";
	case GH_KIND_VIRTUAL:
		if (f->map && f->map->builtin == GH_FORMAT_FILEMODE)
			return "filemode";
		if (f->map)
			return f->map->is_flags ? "flags" : "enum";
		return f->virtual_type ? f->virtual_type : "any";
	}
	return "?";
}

unsigned gh_field_default_width(const struct gh_field *f)
{
	if (f->width)
		return f->width;
	switch (f->special) {
	case GH_SPECIAL_TIMESTAMP: return 15;
	case GH_SPECIAL_MNTNS_ID:
	case GH_SPECIAL_NETNS_ID: return 12;
	case GH_SPECIAL_ERRNO: return 8;
	case GH_SPECIAL_IPV4: return 16;
	case GH_SPECIAL_IPV6:
	case GH_SPECIAL_L3: return 40;
	default: break;
	}
	switch (f->kind) {
	case GH_KIND_INT:
	case GH_KIND_UINT: return f->size >= 8 ? 20 : 10;
	case GH_KIND_BOOL: return 5;
	case GH_KIND_STRING: return f->size < 32 ? f->size : 32;
	default: return 32;
	}
}
