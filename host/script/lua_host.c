/* lua_host.c - the gadget.host Lua module (see lua_host.h). */
#include "script/lua_host.h"

#include <string.h>

#include <lauxlib.h>

#include "containers/container.h"
#include "containers/container_select.h"
#include "script/lua_doc.h"
#include "script/lua_map.h"
#include "base/log.h"
#include "base/names.h"

#define HOST_KEY "gadgethost.host"

static const struct gh_lua_host *host_of(lua_State *L)
{
	const struct gh_lua_host *h;

	lua_getfield(L, LUA_REGISTRYINDEX, HOST_KEY);
	h = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return h;
}

void gh_lua_host_bind(lua_State *L, const struct gh_lua_host *h)
{
	if (h)
		lua_pushlightuserdata(L, (void *)h);
	else
		lua_pushnil(L);
	lua_setfield(L, LUA_REGISTRYINDEX, HOST_KEY);
}

static void set_str(lua_State *L, const char *key, const char *value)
{
	if (!value)
		return;
	lua_pushstring(L, value);
	lua_setfield(L, -2, key);
}

static void set_int(lua_State *L, const char *key, lua_Integer value)
{
	lua_pushinteger(L, value);
	lua_setfield(L, -2, key);
}

/* "k=v,k=v" -> {k = v, ...} */
static void push_labels(lua_State *L, const char *text)
{
	const char *p = text;

	lua_newtable(L);
	while (p && *p) {
		size_t len = strcspn(p, ",");
		const char *eq = memchr(p, '=', len);

		if (eq && eq > p) {
			lua_pushlstring(L, p, (size_t)(eq - p));
			lua_pushlstring(L, eq + 1, len - (size_t)(eq - p) - 1);
			lua_rawset(L, -3);
		}
		p += len;
		if (*p == ',')
			p++;
	}
}

void gh_lua_host_push_container(lua_State *L, const struct gh_lua_host *h,
				const struct gh_container *c)
{
	lua_createtable(L, 0, 12);
	set_str(L, "id", c->id);
	set_str(L, "name", c->name);
	set_str(L, "runtime", c->runtime);
	set_str(L, "image", c->image);
	set_str(L, "bundle", c->bundle);
	set_int(L, "pid", c->pid);
	set_int(L, "mntns", (lua_Integer)c->mntns);
	set_int(L, "netns", (lua_Integer)c->netns);
	lua_pushboolean(L, !h || !h->select || gh_container_selected(h->select, c));
	lua_setfield(L, -2, "selected");
	if (c->k8s_namespace || c->k8s_pod) {
		lua_createtable(L, 0, 5);
		set_str(L, "namespace", c->k8s_namespace);
		set_str(L, "podName", c->k8s_pod);
		set_str(L, "containerName", c->k8s_container);
		set_str(L, "podUid", c->k8s_pod_uid);
		if (c->k8s_labels_known) { /* else nil: not known */
			push_labels(L, c->k8s_labels);
			lua_setfield(L, -2, "labels");
		}
		lua_setfield(L, -2, "k8s");
	}
}

static int l_map(lua_State *L)
{
	const struct gh_lua_host *h = host_of(L);
	const char *name = luaL_checkstring(L, 1);

	if (!h || !h->obj)
		return luaL_error(L, "gadget.map(\"%s\"): the gadget is not loaded (call it from "
				  "on_interval, on_stop, on_container, filter or enrich)", name);
	gh_lua_map_push(L, h->obj, name);
	return 1;
}

static int l_container(lua_State *L)
{
	const struct gh_lua_host *h = host_of(L);
	lua_Integer mntns = luaL_checkinteger(L, 1);
	const struct gh_container *c;

	c = h && h->containers ? gh_containers_by_mntns(h->containers, (uint64_t)mntns) : NULL;
	if (!c || c->gone) {
		lua_pushnil(L);
		return 1;
	}
	gh_lua_host_push_container(L, h, c);
	return 1;
}

static int l_containers(lua_State *L)
{
	const struct gh_lua_host *h = host_of(L);
	size_t n = h && h->containers ? gh_containers_count(h->containers) : 0;
	lua_Integer k = 0;

	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		const struct gh_container *c = gh_containers_at(h->containers, i);

		if (c->gone)
			continue;
		gh_lua_host_push_container(L, h, c);
		lua_rawseti(L, -2, ++k);
	}
	return 1;
}

static int l_syscall_name(lua_State *L)
{
	const char *name = gh_syscall_name(luaL_checkinteger(L, 1));

	if (name)
		lua_pushstring(L, name);
	else
		lua_pushnil(L);
	return 1;
}

static int l_syscall_number(lua_State *L)
{
	int nr = gh_syscall_from_name(luaL_checkstring(L, 1));

	if (nr >= 0)
		lua_pushinteger(L, nr);
	else
		lua_pushnil(L);
	return 1;
}

/* gadget.warn(msg): "SCRIPT:LINE: msg", a warning to the log (base/log.h: the
 * sink says "warning: ") */
static int l_warn(lua_State *L)
{
	const char *msg = luaL_checkstring(L, 1);

	luaL_where(L, 1);
	gh_log(GH_LOG_WARNING, "%s%s", lua_tostring(L, -1), msg);
	lua_pop(L, 1);
	return 0;
}

static int l_emit(lua_State *L)
{
	const struct gh_lua_host *h = host_of(L);
	char err[512];
	int ret;

	luaL_checkany(L, 1);
	if (!h || !h->out)
		return luaL_error(L, "gadget.emit: no output (the gadget is not running)");
	ret = gh_lua_doc_write(L, 1, h->doc_fmt, gh_out_buffer(h->out), err, sizeof(err));
	if (ret)
		return luaL_error(L, "gadget.emit: %s", err);
	lua_pushboolean(L, 1);
	return 1;
}

static const luaL_Reg functions[] = {
	{"map", l_map},
	{"container", l_container},
	{"containers", l_containers},
	{"syscall_name", l_syscall_name},
	{"syscall_number", l_syscall_number},
	{"emit", l_emit},
	{"warn", l_warn},
	{NULL, NULL},
};

static int open_module(lua_State *L)
{
	luaL_newlib(L, functions);
	gh_lua_doc_register(L);
	return 1;
}

void gh_lua_host_preload(lua_State *L)
{
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
	lua_pushcfunction(L, open_module);
	lua_setfield(L, -2, "gadget.host");
	lua_pop(L, 1);
}
