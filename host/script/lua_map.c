/* lua_map.c - BPF maps from Lua (see lua_map.h). */
#include "script/lua_map.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <lauxlib.h>

#include "script/lua_btf.h"

#define MAP_META "gadgethost.map"

struct lua_map {
	struct bpf_map *map;
	const struct btf *btf;
	uint32_t key_id, value_id;     /* 0: no BTF, raw bytes */
	uint32_t key_size, value_size;
};

static struct lua_map *check_map(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, MAP_META);
}

static int map_fd(lua_State *L, struct lua_map *m)
{
	int fd = bpf_map__fd(m->map);

	if (fd < 0)
		luaL_error(L, "map %s: not loaded yet", bpf_map__name(m->map));
	return fd;
}

/* A scratch buffer owned by Lua (freed by the GC, even after an error). */
static void *scratch(lua_State *L, size_t size)
{
	return lua_newuserdatauv(L, size ? size : 1, 0);
}

static void *encode_key(lua_State *L, struct lua_map *m, int idx)
{
	void *k = scratch(L, m->key_size);

	gh_lua_btf_encode(L, idx, m->btf, m->key_id, k, m->key_size, "key");
	return k;
}

static int l_lookup(lua_State *L)
{
	struct lua_map *m = check_map(L, 1);
	int fd = map_fd(L, m);
	void *k = encode_key(L, m, 2);
	void *v = scratch(L, m->value_size);

	if (bpf_map_lookup_elem(fd, k, v)) {
		if (errno == ENOENT) {
			lua_pushnil(L);
			return 1;
		}
		return luaL_error(L, "map %s: lookup: %s", bpf_map__name(m->map), strerror(errno));
	}
	gh_lua_btf_push(L, m->btf, m->value_id, v, m->value_size);
	return 1;
}

static int l_update(lua_State *L)
{
	static const char *const names[] = {"any", "noexist", "exist", NULL};
	static const __u64 flags[] = {BPF_ANY, BPF_NOEXIST, BPF_EXIST};
	struct lua_map *m = check_map(L, 1);
	int fd = map_fd(L, m);
	int which = luaL_checkoption(L, 4, "any", names);
	void *k = encode_key(L, m, 2);
	void *v = scratch(L, m->value_size);

	luaL_checkany(L, 3);
	gh_lua_btf_encode(L, 3, m->btf, m->value_id, v, m->value_size, "value");
	if (bpf_map_update_elem(fd, k, v, flags[which]))
		return luaL_error(L, "map %s: update: %s", bpf_map__name(m->map), strerror(errno));
	lua_pushboolean(L, 1);
	return 1;
}

static int l_delete(lua_State *L)
{
	struct lua_map *m = check_map(L, 1);
	int fd = map_fd(L, m);
	void *k = encode_key(L, m, 2);

	if (bpf_map_delete_elem(fd, k)) {
		if (errno == ENOENT) {
			lua_pushboolean(L, 0);
			return 1;
		}
		return luaL_error(L, "map %s: delete: %s", bpf_map__name(m->map), strerror(errno));
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* The iterator of m:pairs(): upvalue 1 the map, 2 the state (a byte
 * "started" then the previous key). */
static int pairs_next(lua_State *L)
{
	struct lua_map *m = check_map(L, lua_upvalueindex(1));
	unsigned char *st = lua_touserdata(L, lua_upvalueindex(2));
	int fd = map_fd(L, m);
	void *next = scratch(L, m->key_size);
	void *v = scratch(L, m->value_size);

	for (;;) {
		if (bpf_map_get_next_key(fd, st[0] ? st + 1 : NULL, next)) {
			if (errno == ENOENT) {
				lua_pushnil(L);
				return 1;
			}
			return luaL_error(L, "map %s: next key: %s", bpf_map__name(m->map),
					  strerror(errno));
		}
		memcpy(st + 1, next, m->key_size);
		st[0] = 1;
		if (!bpf_map_lookup_elem(fd, next, v))
			break;
		if (errno != ENOENT) /* else: deleted meanwhile, take the next one */
			return luaL_error(L, "map %s: lookup: %s", bpf_map__name(m->map),
					  strerror(errno));
	}
	gh_lua_btf_push(L, m->btf, m->key_id, next, m->key_size);
	gh_lua_btf_push(L, m->btf, m->value_id, v, m->value_size);
	return 2;
}

static int l_pairs(lua_State *L)
{
	struct lua_map *m = check_map(L, 1);
	unsigned char *st;

	map_fd(L, m);
	lua_settop(L, 1);
	st = scratch(L, (size_t)m->key_size + 1);
	st[0] = 0;
	lua_pushcclosure(L, pairs_next, 2);
	return 1;
}

static const char *type_name(enum bpf_map_type t)
{
	const char *s = libbpf_bpf_map_type_str(t);

	return s ? s : "unknown";
}

static int l_index(lua_State *L)
{
	struct lua_map *m = check_map(L, 1);
	const char *key = luaL_checkstring(L, 2);

	if (!strcmp(key, "name"))
		lua_pushstring(L, bpf_map__name(m->map));
	else if (!strcmp(key, "type"))
		lua_pushstring(L, type_name(bpf_map__type(m->map)));
	else if (!strcmp(key, "max_entries"))
		lua_pushinteger(L, bpf_map__max_entries(m->map));
	else if (luaL_getmetafield(L, 1, key) == LUA_TNIL || lua_type(L, -1) != LUA_TFUNCTION ||
		 key[0] == '_')
		lua_pushnil(L);
	return 1;
}

static int l_tostring(lua_State *L)
{
	struct lua_map *m = check_map(L, 1);

	lua_pushfstring(L, "map %s (%s)", bpf_map__name(m->map),
			type_name(bpf_map__type(m->map)));
	return 1;
}

static const luaL_Reg methods[] = {
	{"lookup", l_lookup},
	{"update", l_update},
	{"delete", l_delete},
	{"pairs", l_pairs},
	{"__index", l_index},
	{"__tostring", l_tostring},
	{NULL, NULL},
};

static bool supported(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_LRU_HASH || t == BPF_MAP_TYPE_ARRAY;
}

void gh_lua_map_push(lua_State *L, struct bpf_object *obj, const char *name)
{
	struct bpf_map *map = obj ? bpf_object__find_map_by_name(obj, name) : NULL;
	struct lua_map *m;

	if (!map || bpf_map__is_internal(map)) {
		luaL_Buffer b;
		struct bpf_map *it;
		bool first = true;

		luaL_buffinit(L, &b);
		luaL_addstring(&b, "gadget.map: no map \"");
		luaL_addstring(&b, name);
		luaL_addstring(&b, "\" in the gadget's object (its maps: ");
		if (obj) {
			bpf_object__for_each_map(it, obj) {
				if (bpf_map__is_internal(it))
					continue;
				if (!first)
					luaL_addstring(&b, ", ");
				luaL_addstring(&b, bpf_map__name(it));
				first = false;
			}
		}
		luaL_addstring(&b, first ? "none)" : ")");
		luaL_pushresult(&b);
		lua_error(L);
	}
	if (!supported(bpf_map__type(map)))
		luaL_error(L, "gadget.map: map %s is a %s map: only hash, lru_hash and array maps "
			   "are readable from Lua", name, type_name(bpf_map__type(map)));
	m = lua_newuserdatauv(L, sizeof(*m), 0);
	m->map = map;
	m->btf = bpf_object__btf(obj);
	m->key_id = m->btf ? bpf_map__btf_key_type_id(map) : 0;
	m->value_id = m->btf ? bpf_map__btf_value_type_id(map) : 0;
	m->key_size = bpf_map__key_size(map);
	m->value_size = bpf_map__value_size(map);
	if (luaL_newmetatable(L, MAP_META))
		luaL_setfuncs(L, methods, 0);
	lua_setmetatable(L, -2);
}
