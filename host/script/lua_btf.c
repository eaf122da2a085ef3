/* lua_btf.c - BTF typed bytes to and from Lua values (see lua_btf.h). */
#include "script/lua_btf.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>
#include <lauxlib.h>

#define BTF_MAX_DEPTH 32

static const struct btf_type *resolved(const struct btf *btf, uint32_t *id)
{
	int r = btf__resolve_type(btf, *id);

	if (r < 0)
		return NULL;
	*id = (uint32_t)r;
	return btf__type_by_id(btf, *id);
}

static uint64_t read_uint(const unsigned char *p, size_t size)
{
	uint64_t v = 0;

	for (size_t i = 0; i < size && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void write_uint(unsigned char *p, size_t size, uint64_t v)
{
	for (size_t i = 0; i < size && i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static int64_t sign_extend(uint64_t v, size_t bits)
{
	if (bits >= 64)
		return (int64_t)v;
	if (v & ((uint64_t)1 << (bits - 1)))
		v |= ~(((uint64_t)1 << bits) - 1);
	return (int64_t)v;
}

static bool is_byte(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = resolved(btf, &id);

	return t && btf_is_int(t) && t->size == 1;
}

static void push_at(lua_State *L, const struct btf *btf, uint32_t id, const unsigned char *p,
		    size_t size, int depth);

static void fill_members(lua_State *L, const struct btf *btf, const struct btf_type *t,
			 const unsigned char *p, size_t size, int depth)
{
	const struct btf_member *m = btf_members(t);

	for (unsigned i = 0; i < btf_vlen(t); i++, m++) {
		uint32_t bit = btf_member_bit_offset(t, i);
		uint32_t bits = btf_member_bitfield_size(t, i);
		const char *name = btf__name_by_offset(btf, m->name_off);
		uint32_t mid = m->type;
		const struct btf_type *mt = resolved(btf, &mid);
		size_t off = bit / 8;
		long msize = btf__resolve_size(btf, m->type);

		if (!mt || msize < 0 || off > size)
			continue;
		if (!name || !name[0]) {
			if (btf_is_composite(mt))
				fill_members(L, btf, mt, p + off, size - off, depth + 1);
			continue;
		}
		if (bits) {
			uint64_t v = read_uint(p + off, size - off < 8 ? size - off : 8);

			v = (v >> (bit % 8)) & (bits >= 64 ? ~0ULL : ((1ULL << bits) - 1));
			if (btf_is_int(mt) && (btf_int_encoding(mt) & BTF_INT_SIGNED))
				lua_pushinteger(L, (lua_Integer)sign_extend(v, bits));
			else
				lua_pushinteger(L, (lua_Integer)v);
		} else {
			push_at(L, btf, m->type, p + off,
				(size_t)msize < size - off ? (size_t)msize : size - off, depth + 1);
		}
		lua_setfield(L, -2, name);
	}
}

static void push_at(lua_State *L, const struct btf *btf, uint32_t id, const unsigned char *p,
		    size_t size, int depth)
{
	const struct btf_type *t = id ? resolved(btf, &id) : NULL;

	luaL_checkstack(L, 4, "BTF value");
	if (!t || depth > BTF_MAX_DEPTH) {
		lua_pushlstring(L, (const char *)p, size);
		return;
	}
	if (btf_is_int(t)) {
		uint8_t enc = btf_int_encoding(t);

		if (t->size > 8 || t->size > size)
			lua_pushlstring(L, (const char *)p, size);
		else if (enc & BTF_INT_BOOL)
			lua_pushboolean(L, p[0] != 0);
		else if (enc & BTF_INT_SIGNED)
			lua_pushinteger(L, (lua_Integer)sign_extend(read_uint(p, t->size),
								   t->size * 8));
		else
			lua_pushinteger(L, (lua_Integer)read_uint(p, t->size));
	} else if (btf_is_any_enum(t) && t->size <= size && t->size <= 8) {
		lua_pushinteger(L, (lua_Integer)sign_extend(read_uint(p, t->size), t->size * 8));
	} else if (btf_is_ptr(t) && size >= 8) {
		lua_pushinteger(L, (lua_Integer)read_uint(p, 8));
	} else if (btf_is_float(t) && t->size == 4 && size >= 4) {
		float f;

		memcpy(&f, p, 4);
		lua_pushnumber(L, f);
	} else if (btf_is_float(t) && t->size == 8 && size >= 8) {
		double d;

		memcpy(&d, p, 8);
		lua_pushnumber(L, d);
	} else if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		long esize = btf__resolve_size(btf, a->type);

		if (esize <= 0) {
			lua_pushlstring(L, (const char *)p, size);
		} else if (is_byte(btf, a->type)) {
			lua_pushlstring(L, (const char *)p, a->nelems < size ? a->nelems : size);
		} else {
			lua_createtable(L, (int)a->nelems, 0);
			for (uint32_t i = 0; i < a->nelems && (i + 1) * (size_t)esize <= size; i++) {
				push_at(L, btf, a->type, p + i * (size_t)esize, (size_t)esize,
					depth + 1);
				lua_rawseti(L, -2, (lua_Integer)i + 1);
			}
		}
	} else if (btf_is_composite(t)) {
		lua_createtable(L, 0, (int)btf_vlen(t));
		fill_members(L, btf, t, p, size, depth);
	} else {
		lua_pushlstring(L, (const char *)p, size);
	}
}

void gh_lua_btf_push(lua_State *L, const struct btf *btf, uint32_t id, const void *p,
		     size_t size)
{
	push_at(L, btf, id, p, size, 0);
}

/* ---------------------------------------------------------------- writing */

static lua_Integer want_integer(lua_State *L, int idx, const char *what)
{
	int ok;
	lua_Integer v;

	if (lua_isboolean(L, idx))
		return lua_toboolean(L, idx);
	v = lua_tointegerx(L, idx, &ok);
	if (!ok)
		luaL_error(L, "%s: an integer is needed, not %s", what,
			   lua_isnumber(L, idx) ? "a fraction" : luaL_typename(L, idx));
	return v;
}

static void encode_at(lua_State *L, int idx, const struct btf *btf, uint32_t id,
		      unsigned char *p, size_t size, const char *what, int depth);

/* Whether name is a member of t, anonymous members looked into. */
static bool has_member(const struct btf *btf, const struct btf_type *t, const char *name)
{
	const struct btf_member *m = btf_members(t);

	for (unsigned i = 0; i < btf_vlen(t); i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);
		uint32_t mid = m->type;
		const struct btf_type *mt = resolved(btf, &mid);

		if (n && n[0] && !strcmp(n, name))
			return true;
		if ((!n || !n[0]) && mt && btf_is_composite(mt) && has_member(btf, mt, name))
			return true;
	}
	return false;
}

static void encode_members(lua_State *L, int idx, const struct btf *btf,
			   const struct btf_type *t, unsigned char *p, size_t size,
			   const char *what, int depth)
{
	const struct btf_member *m = btf_members(t);

	for (unsigned i = 0; i < btf_vlen(t); i++, m++) {
		uint32_t bit = btf_member_bit_offset(t, i);
		uint32_t bits = btf_member_bitfield_size(t, i);
		const char *name = btf__name_by_offset(btf, m->name_off);
		uint32_t mid = m->type;
		const struct btf_type *mt = resolved(btf, &mid);
		long msize = btf__resolve_size(btf, m->type);
		size_t off = bit / 8;
		char sub[128];

		if (!mt || msize < 0 || off >= size)
			continue;
		if (!name || !name[0]) {
			if (btf_is_composite(mt))
				encode_members(L, idx, btf, mt, p + off, size - off, what, depth + 1);
			continue;
		}
		if (lua_getfield(L, idx, name) == LUA_TNIL) {
			lua_pop(L, 1);
			continue;
		}
		snprintf(sub, sizeof(sub), "%s.%s", what, name);
		if (bits) {
			size_t n = size - off < 8 ? size - off : 8;
			uint64_t mask = bits >= 64 ? ~0ULL : ((1ULL << bits) - 1);
			uint64_t v = read_uint(p + off, n);
			uint64_t x = (uint64_t)want_integer(L, -1, sub) & mask;

			v = (v & ~(mask << (bit % 8))) | (x << (bit % 8));
			write_uint(p + off, n, v);
		} else {
			encode_at(L, lua_gettop(L), btf, m->type, p + off,
				  (size_t)msize < size - off ? (size_t)msize : size - off, sub,
				  depth + 1);
		}
		lua_pop(L, 1);
	}
}

static void encode_struct(lua_State *L, int idx, const struct btf *btf, const struct btf_type *t,
			  unsigned char *p, size_t size, const char *what, int depth)
{
	if (!lua_istable(L, idx))
		luaL_error(L, "%s: a table is needed for struct %s, not a %s", what,
			   btf__name_by_offset(btf, t->name_off), luaL_typename(L, idx));
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING ||
		    !has_member(btf, t, lua_tostring(L, -1)))
			luaL_error(L, "%s: struct %s has no member \"%s\"", what,
				   btf__name_by_offset(btf, t->name_off),
				   lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
								  : luaL_typename(L, -1));
	}
	encode_members(L, idx, btf, t, p, size, what, depth);
}

static void encode_at(lua_State *L, int idx, const struct btf *btf, uint32_t id,
		      unsigned char *p, size_t size, const char *what, int depth)
{
	const struct btf_type *t = id ? resolved(btf, &id) : NULL;

	luaL_checkstack(L, 4, "BTF value");
	if (!t || depth > BTF_MAX_DEPTH || (btf_is_int(t) && t->size > 8)) {
		size_t len;
		const char *s;

		if (lua_type(L, idx) != LUA_TSTRING)
			luaL_error(L, "%s: a string of %d bytes is needed, not a %s", what,
				   (int)size, luaL_typename(L, idx));
		s = lua_tolstring(L, idx, &len);
		if (len > size)
			luaL_error(L, "%s: %d bytes do not fit in %d", what, (int)len, (int)size);
		memcpy(p, s, len);
		return;
	}
	if (btf_is_int(t) || btf_is_any_enum(t)) {
		write_uint(p, t->size < size ? t->size : size, (uint64_t)want_integer(L, idx, what));
	} else if (btf_is_ptr(t)) {
		write_uint(p, size < 8 ? size : 8, (uint64_t)want_integer(L, idx, what));
	} else if (btf_is_float(t)) {
		double d = luaL_checknumber(L, idx);

		if (t->size == 4 && size >= 4) {
			float f = (float)d;

			memcpy(p, &f, 4);
		} else if (t->size == 8 && size >= 8) {
			memcpy(p, &d, 8);
		}
	} else if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		long esize = btf__resolve_size(btf, a->type);
		char sub[128];

		if (esize <= 0)
			luaL_error(L, "%s: an array of unknown element size", what);
		if (lua_type(L, idx) == LUA_TSTRING && is_byte(btf, a->type)) {
			size_t len;
			const char *s = lua_tolstring(L, idx, &len);

			if (len > a->nelems || len > size)
				luaL_error(L, "%s: %d bytes do not fit in %d", what, (int)len,
					   (int)a->nelems);
			memcpy(p, s, len);
			return;
		}
		if (!lua_istable(L, idx))
			luaL_error(L, "%s: a table%s is needed, not a %s", what,
				   is_byte(btf, a->type) ? " or a string" : "",
				   luaL_typename(L, idx));
		if (lua_rawlen(L, idx) > a->nelems)
			luaL_error(L, "%s: %d elements do not fit in %d", what,
				   (int)lua_rawlen(L, idx), (int)a->nelems);
		for (uint32_t i = 0; i < a->nelems && (i + 1) * (size_t)esize <= size; i++) {
			if (lua_rawgeti(L, idx, (lua_Integer)i + 1) != LUA_TNIL) {
				snprintf(sub, sizeof(sub), "%s[%u]", what, i + 1);
				encode_at(L, lua_gettop(L), btf, a->type, p + i * (size_t)esize,
					  (size_t)esize, sub, depth + 1);
			}
			lua_pop(L, 1);
		}
	} else if (btf_is_composite(t)) {
		encode_struct(L, idx, btf, t, p, size, what, depth);
	} else {
		luaL_error(L, "%s: this BTF kind cannot be written from Lua", what);
	}
}

void gh_lua_btf_encode(lua_State *L, int idx, const struct btf *btf, uint32_t id, void *p,
		       size_t size, const char *what)
{
	memset(p, 0, size);
	encode_at(L, lua_absindex(L, idx), btf, id, p, size, what, 0);
}
