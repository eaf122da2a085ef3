/* lua_doc.c - a Lua value as a JSON or YAML document (see lua_doc.h). */
#include "script/lua_doc.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <yaml.h>

#include "output/out_private.h"

#define DOC_MAX_DEPTH 64
#define ARRAY_MARK "gadgethost.doc.array"
#define ORDER_KEY "__gadget_order"

/* gadget.null: a unique light userdata */
static const char null_sentinel;

struct doc {
	lua_State *L;
	enum gh_out_format fmt;
	struct gh_buf *b;
	struct gh_buf scratch;  /* sanitized strings, key texts */
	yaml_emitter_t em;
	char path[512];         /* where we are, for errors: spec.ingress[1] */
	size_t path_len;
	char *err;
	size_t errlen;
};

struct doc_key {
	const char *s;          /* the key's text (a Lua string, or text) */
	size_t len;
	bool is_int;
	lua_Integer i;
	char num[24];           /* the text of an integer key */
	int rank;               /* position in the order list; INT_MAX: sorted */
};

static int doc_fail(struct doc *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(d->err, d->errlen, "document%s%.*s: ", d->path_len ? " at " : "",
		     (int)d->path_len, d->path);
	if (n < 0 || (size_t)n >= d->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(d->err + n, d->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void path_push_key(struct doc *d, const char *s, size_t len, size_t *saved)
{
	*saved = d->path_len;
	d->path_len += (size_t)snprintf(d->path + d->path_len, sizeof(d->path) - d->path_len,
					"%s%.*s", d->path_len ? "." : "", (int)len, s);
	if (d->path_len >= sizeof(d->path))
		d->path_len = sizeof(d->path) - 1;
}

static void path_push_index(struct doc *d, size_t i, size_t *saved)
{
	*saved = d->path_len;
	d->path_len += (size_t)snprintf(d->path + d->path_len, sizeof(d->path) - d->path_len,
					"[%zu]", i);
	if (d->path_len >= sizeof(d->path))
		d->path_len = sizeof(d->path) - 1;
}

/* ---------------------------------------------------------------- JSON */

static int json_indent(struct doc *d, unsigned depth)
{
	if (d->fmt != GH_OUT_JSONPRETTY)
		return 0;
	if (gh_buf_putc(d->b, '\n'))
		return -ENOMEM;
	for (unsigned i = 0; i < depth; i++)
		if (gh_buf_append(d->b, "  ", 2))
			return -ENOMEM;
	return 0;
}

/* ---------------------------------------------------------------- YAML */

static int yaml_write(void *data, unsigned char *buffer, size_t size)
{
	struct doc *d = data;

	return gh_buf_append(d->b, buffer, size) == 0;
}

static int yaml_emit(struct doc *d, yaml_event_t *e)
{
	return yaml_emitter_emit(&d->em, e) ? 0 : -ENOMEM;
}

static int yaml_plain(struct doc *d, const char *s, size_t len)
{
	yaml_event_t e;
	int err = gh_yaml_plain_event(&e, s, len);

	return err ? err : yaml_emit(d, &e);
}

static int yaml_string(struct doc *d, const char *s, size_t len)
{
	yaml_event_t e;
	int err = gh_yaml_string_event(&e, &d->scratch, s, len);

	return err ? err : yaml_emit(d, &e);
}

static bool is_yaml(const struct doc *d)
{
	return d->fmt != GH_OUT_JSON && d->fmt != GH_OUT_JSONPRETTY;
}

/* ---------------------------------------------------------------- values */

static int put_string(struct doc *d, const char *s, size_t len)
{
	if (is_yaml(d))
		return yaml_string(d, s, len);
	return gh_json_put_string(d->b, s, len);
}

static int put_literal(struct doc *d, const char *s)
{
	return is_yaml(d) ? yaml_plain(d, s, strlen(s)) : gh_buf_puts(d->b, s);
}

static int put_number(struct doc *d, int idx)
{
	lua_State *L = d->L;
	char t[48];
	size_t n;

	if (lua_isinteger(L, idx)) {
		n = gh_fmt_i64(t, (int64_t)lua_tointeger(L, idx));
	} else {
		double v = lua_tonumber(L, idx);

		if (!isfinite(v))
			return put_literal(d, is_yaml(d) ? (isnan(v) ? ".nan" : v > 0 ? ".inf" : "-.inf")
						       : "null");
		n = (size_t)gh_fmt_double(t, sizeof(t) - 2, v);
		if (is_yaml(d) && !strpbrk(t, ".eE")) {
			memcpy(t + n, ".0", 3); /* stays a float when read back */
			n += 2;
		}
	}
	return is_yaml(d) ? yaml_plain(d, t, n) : gh_buf_append(d->b, t, n);
}

/* Is the table at idx an array: marked, or keys exactly 1..n, n > 0? */
static bool is_array(lua_State *L, int idx, size_t *len)
{
	size_t n = 0;
	bool marked = false;

	*len = lua_rawlen(L, idx);
	if (lua_getmetatable(L, idx)) {
		luaL_getmetatable(L, ARRAY_MARK);
		marked = lua_rawequal(L, -1, -2);
		lua_pop(L, 2);
	}
	if (marked)
		return true;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
		    (size_t)lua_tointeger(L, -1) > *len) {
			lua_pop(L, 1);
			return false;
		}
		n++;
	}
	return n && n == *len;
}

static int put_value(struct doc *d, int idx, unsigned depth);

static int put_array(struct doc *d, int idx, size_t len, unsigned depth)
{
	lua_State *L = d->L;
	yaml_event_t e;
	int err = 0;

	if (is_yaml(d)) {
		if (!yaml_sequence_start_event_initialize(&e, NULL, NULL, 1, YAML_ANY_SEQUENCE_STYLE))
			return -ENOMEM;
		err = yaml_emit(d, &e);
	} else {
		err = gh_buf_putc(d->b, '[');
	}
	for (size_t i = 1; !err && i <= len; i++) {
		size_t saved;

		if (!is_yaml(d) && i > 1 && gh_buf_putc(d->b, ','))
			return -ENOMEM;
		if (!is_yaml(d) && (err = json_indent(d, depth + 1)))
			break;
		path_push_index(d, i, &saved);
		lua_rawgeti(L, idx, (lua_Integer)i);
		err = put_value(d, lua_gettop(L), depth + 1);
		lua_pop(L, 1);
		d->path_len = saved;
		d->path[saved] = '\0';
	}
	if (err)
		return err;
	if (is_yaml(d)) {
		if (!yaml_sequence_end_event_initialize(&e))
			return -ENOMEM;
		return yaml_emit(d, &e);
	}
	if (len && (err = json_indent(d, depth)))
		return err;
	return gh_buf_putc(d->b, ']');
}

static int cmp_keys(const void *a, const void *b)
{
	const struct doc_key *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	c = memcmp(x->s, y->s, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The rank of key s in the order list of the table at idx (its
 * metatable's __gadget_order), or INT_MAX. */
static int key_rank(lua_State *L, int order_idx, const char *s, size_t len)
{
	size_t n;

	if (!order_idx)
		return INT32_MAX;
	n = lua_rawlen(L, order_idx);
	for (size_t i = 1; i <= n; i++) {
		size_t klen;
		const char *k;

		lua_rawgeti(L, order_idx, (lua_Integer)i);
		k = lua_tolstring(L, -1, &klen);
		lua_pop(L, 1);
		if (k && klen == len && !memcmp(k, s, len))
			return (int)i;
	}
	return INT32_MAX;
}

/* The keys of the object at idx, sorted; *keys is freed by the caller. */
static int object_keys(struct doc *d, int idx, struct doc_key **keys, size_t *n)
{
	lua_State *L = d->L;
	struct doc_key *list = NULL;
	size_t count = 0, cap = 0;
	int order_idx = 0;

	if (lua_getmetatable(L, idx)) {
		if (lua_getfield(L, -1, ORDER_KEY) == LUA_TTABLE)
			order_idx = lua_gettop(L);
		else
			lua_pop(L, 1);
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		struct doc_key *k;

		lua_pop(L, 1);
		if (count == cap) {
			struct doc_key *grown;

			cap = cap ? cap * 2 : 8;
			grown = realloc(list, cap * sizeof(*grown));
			if (!grown) {
				free(list);
				lua_pop(L, 1);
				return -ENOMEM;
			}
			list = grown;
		}
		k = &list[count++];
		memset(k, 0, sizeof(*k));
		if (lua_type(L, -1) == LUA_TSTRING) {
			k->s = lua_tolstring(L, -1, &k->len);
		} else if (lua_isinteger(L, -1)) {
			k->is_int = true;
			k->i = lua_tointeger(L, -1);
			k->len = gh_fmt_i64(k->num, (int64_t)k->i);
		} else {
			const char *type = luaL_typename(L, -1);

			free(list);
			lua_pop(L, 1);
			return doc_fail(d, "an object key must be a string or an integer, not a %s",
					type);
		}
	}
	/* integer keys point at their own text only now: list moved */
	for (size_t i = 0; i < count; i++) {
		if (list[i].is_int)
			list[i].s = list[i].num;
		list[i].rank = key_rank(L, order_idx, list[i].s, list[i].len);
	}
	if (count) /* an empty table: no list (qsort takes no NULL) */
		qsort(list, count, sizeof(*list), cmp_keys);
	*keys = list;
	*n = count;
	return 0;
}

static int put_object(struct doc *d, int idx, unsigned depth)
{
	lua_State *L = d->L;
	struct doc_key *keys = NULL;
	size_t n = 0;
	yaml_event_t e;
	int top = lua_gettop(L);
	int err;

	err = object_keys(d, idx, &keys, &n);
	lua_settop(L, top); /* the metatable object_keys looked at */
	if (err)
		return err;
	if (is_yaml(d)) {
		if (!yaml_mapping_start_event_initialize(&e, NULL, NULL, 1, YAML_ANY_MAPPING_STYLE))
			err = -ENOMEM;
		else
			err = yaml_emit(d, &e);
	} else {
		err = gh_buf_putc(d->b, '{');
	}
	for (size_t i = 0; !err && i < n; i++) {
		struct doc_key *k = &keys[i];
		size_t saved;

		if (!is_yaml(d)) {
			if (i && gh_buf_putc(d->b, ','))
				err = -ENOMEM;
			if (!err)
				err = json_indent(d, depth + 1);
		}
		if (!err)
			err = put_string(d, k->s, k->len);
		if (!err && !is_yaml(d))
			err = d->fmt == GH_OUT_JSONPRETTY ? gh_buf_append(d->b, ": ", 2)
							  : gh_buf_putc(d->b, ':');
		if (err)
			break;
		path_push_key(d, k->s, k->len, &saved);
		if (k->is_int)
			lua_pushinteger(L, k->i);
		else
			lua_pushlstring(L, k->s, k->len);
		lua_rawget(L, idx);
		err = put_value(d, lua_gettop(L), depth + 1);
		lua_pop(L, 1);
		d->path_len = saved;
		d->path[saved] = '\0';
	}
	free(keys);
	if (err)
		return err;
	if (is_yaml(d)) {
		if (!yaml_mapping_end_event_initialize(&e))
			return -ENOMEM;
		return yaml_emit(d, &e);
	}
	if (n && (err = json_indent(d, depth)))
		return err;
	return gh_buf_putc(d->b, '}');
}

static int put_value(struct doc *d, int idx, unsigned depth)
{
	lua_State *L = d->L;
	size_t len;

	if (depth > DOC_MAX_DEPTH)
		return doc_fail(d, "nested deeper than %d levels (a table that contains itself?)",
				DOC_MAX_DEPTH);
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		return put_literal(d, "null");
	case LUA_TBOOLEAN:
		return put_literal(d, lua_toboolean(L, idx) ? "true" : "false");
	case LUA_TNUMBER:
		return put_number(d, idx);
	case LUA_TSTRING: {
		const char *s = lua_tolstring(L, idx, &len);

		return put_string(d, s, len);
	}
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, idx) == &null_sentinel)
			return put_literal(d, "null");
		break;
	case LUA_TTABLE:
		if (!lua_checkstack(L, 8))
			return -ENOMEM;
		if (is_array(L, idx, &len))
			return put_array(d, idx, len, depth);
		return put_object(d, idx, depth);
	default:
		break;
	}
	return doc_fail(d, "a %s cannot be written (strings, numbers, booleans, tables, "
			"gadget.null)", luaL_typename(L, idx));
}

static int yaml_document(struct doc *d, int idx)
{
	yaml_event_t e;
	int err;

	if (!yaml_emitter_initialize(&d->em))
		return -ENOMEM;
	yaml_emitter_set_output(&d->em, yaml_write, d);
	/* ASCII only, as the rows (out_yaml.c) */
	yaml_emitter_set_unicode(&d->em, 0);
	yaml_emitter_set_width(&d->em, -1);
	yaml_emitter_set_indent(&d->em, 2);
	err = yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING) ? yaml_emit(d, &e)
									 : -ENOMEM;
	/* implicit 0: "---" before the document, as -o yaml's rows */
	if (!err)
		err = yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 0)
			      ? yaml_emit(d, &e) : -ENOMEM;
	if (!err)
		err = put_value(d, idx, 0);
	if (!err)
		err = yaml_document_end_event_initialize(&e, 1) ? yaml_emit(d, &e) : -ENOMEM;
	if (!err)
		err = yaml_stream_end_event_initialize(&e) ? yaml_emit(d, &e) : -ENOMEM;
	if (!err && !yaml_emitter_flush(&d->em))
		err = -ENOMEM;
	yaml_emitter_delete(&d->em);
	return err;
}

int gh_lua_doc_write(lua_State *L, int idx, enum gh_out_format fmt, struct gh_buf *b, char *err,
		     size_t errlen)
{
	struct doc d = {.L = L, .fmt = fmt, .b = b, .err = err, .errlen = errlen};
	size_t start = b->len;
	int top = lua_gettop(L);
	int ret;

	idx = lua_absindex(L, idx);
	if (err && errlen)
		err[0] = '\0';
	if (is_yaml(&d)) {
		ret = yaml_document(&d, idx);
	} else {
		ret = put_value(&d, idx, 0);
		if (!ret)
			ret = gh_buf_putc(b, '\n');
	}
	lua_settop(L, top);
	gh_buf_free(&d.scratch);
	if (ret) {
		b->len = start;
		if (b->p)
			b->p[start] = '\0';
		if (ret == -ENOMEM && err && errlen && !err[0])
			snprintf(err, errlen, "out of memory");
	}
	return ret;
}

/* gadget.array(t): t, written as an array even when empty */
static int l_array(lua_State *L)
{
	if (lua_isnoneornil(L, 1))
		lua_newtable(L);
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	luaL_setmetatable(L, ARRAY_MARK);
	return 1;
}

/* gadget.ordered(t, {"k1", "k2"}): t, its keys written in that order */
static int l_ordered(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checktype(L, 2, LUA_TTABLE);
	lua_settop(L, 2);
	lua_createtable(L, 0, 1);
	lua_pushvalue(L, 2);
	lua_setfield(L, -2, ORDER_KEY);
	lua_setmetatable(L, 1);
	lua_settop(L, 1);
	return 1;
}

bool gh_lua_doc_is_null(lua_State *L, int idx)
{
	return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == &null_sentinel;
}

void gh_lua_doc_register(lua_State *L)
{
	luaL_newmetatable(L, ARRAY_MARK);
	lua_pop(L, 1);
	lua_pushcfunction(L, l_array);
	lua_setfield(L, -2, "array");
	lua_pushcfunction(L, l_ordered);
	lua_setfield(L, -2, "ordered");
	lua_pushlightuserdata(L, (void *)&null_sentinel);
	lua_setfield(L, -2, "null");
}
