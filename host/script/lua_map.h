/* lua_map.h - a gadget's BPF maps as Lua objects.
 *
 *   local m = gadget.map("syscalls")     -- by the map's name in the .bpf.c
 *   m:lookup(key)          --> value, or nil when absent
 *   m:update(key, value [, "any" | "noexist" | "exist"])   --> true
 *   m:delete(key)          --> true, or false when absent
 *   for k, v in m:pairs() do ... end
 *   m.name, m.type ("hash", "array", "lru_hash", ...), m.max_entries
 *
 * Keys and values are converted by their BTF types (lua_btf.h).  Hash,
 * LRU hash and array maps; per-CPU maps, ring buffers and maps of maps are
 * refused by gadget.map with an error saying so.  The maps are those of
 * the loaded object: from on_interval, on_stop, on_container, filter and
 * enrich (before load, gadget.map fails).
 */
#ifndef GH_LUA_MAP_H
#define GH_LUA_MAP_H

#include <lua.h>

struct bpf_object;

/* Push the map called name of obj, or raise a Lua error naming it. */
void gh_lua_map_push(lua_State *L, struct bpf_object *obj, const char *name);

#endif
