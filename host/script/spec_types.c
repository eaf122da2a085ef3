/* spec_types.c - the types of a gadget table's keys (spec_types.h). */
#include "script/spec_types.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

struct key_type {
	const char *key;
	int type;          /* LUA_T*; LUA_TNUMBER: an integer */
	const char *what;  /* as the message says it */
};

/* the keys of fields.<name> (lua-api.md) */
static const struct key_type field_keys[] = {
	{"width", LUA_TNUMBER, "a positive integer"},
	{"align", LUA_TSTRING, "\"left\" or \"right\""},
	{"hidden", LUA_TBOOLEAN, "true or false"},
	{"internal", LUA_TBOOLEAN, "true or false"},
	{"description", LUA_TSTRING, "a string"},
	{"from", LUA_TSTRING, "a field's name"},
	{"type", LUA_TSTRING, "a type's name"},
	{"enum_prefix", LUA_TSTRING, "a string"},
	{"zero", LUA_TSTRING, "a string"},
	{"zero_mask", LUA_TNUMBER, "an integer"},
	{"builtin", LUA_TSTRING, "a builtin format's name"},
	{"format", LUA_TFUNCTION, "a function"},
	{"flags", LUA_TTABLE, "a table"},
	{"enum", LUA_TTABLE, "a table"},
};

/* the gadget table's own keys that have one type */
static const struct key_type table_keys[] = {
	{"fields", LUA_TTABLE, "a table"},
	{"decode", LUA_TTABLE, "a table"},
	{"columns", LUA_TTABLE, "a list of field names"},
	{"filter", LUA_TFUNCTION, "a function"},
	{"enrich", LUA_TFUNCTION, "a function"},
};

static int wrong(lua_State *L, const char *who, const char *where, const struct key_type *k,
		 int value)
{
	if (lua_isinteger(L, value))
		lua_pushfstring(L, "%s: %s%s must be %s (it is %I)", who, where, k->key, k->what,
				(LUAI_UACINT)lua_tointeger(L, value));
	else
		lua_pushfstring(L, "%s: %s%s must be %s (it is a %s)", who, where, k->key, k->what,
				luaL_typename(L, value));
	return LUA_ERRRUN;
}

/* t[k] for each key of keys (t at index t): nil or of its type */
static int check_keys(lua_State *L, int t, const struct key_type *keys, size_t n,
		      const char *who, const char *where)
{
	for (size_t i = 0; i < n; i++) {
		int type = lua_getfield(L, t, keys[i].key);
		bool ok = type == LUA_TNIL || type == keys[i].type;

		if (ok && type == LUA_TNUMBER)
			ok = lua_isinteger(L, -1) &&
			     (strcmp(keys[i].key, "width") || lua_tointeger(L, -1) > 0);
		if (!ok)
			return wrong(L, who, where, &keys[i], lua_gettop(L));
		lua_pop(L, 1);
	}
	return LUA_OK;
}

int gh_spec_check_types(lua_State *L, int table, const char *who)
{
	int top = lua_gettop(L), status;
	char where[128];

	table = lua_absindex(L, table);
	status = check_keys(L, table, table_keys, sizeof(table_keys) / sizeof(table_keys[0]), who,
			    "");
	if (status != LUA_OK || lua_getfield(L, table, "fields") != LUA_TTABLE)
		goto out;
	lua_pushnil(L);
	while (status == LUA_OK && lua_next(L, -2)) {
		/* key at -2, value at -1 */
		if (lua_type(L, -2) == LUA_TSTRING) {
			snprintf(where, sizeof(where), "fields.%s.", lua_tostring(L, -2));
			if (lua_istable(L, -1)) {
				status = check_keys(L, lua_gettop(L), field_keys,
						    sizeof(field_keys) / sizeof(field_keys[0]), who,
						    where);
			} else {
				lua_pushfstring(L, "%s: fields.%s must be a table (it is a %s)", who,
						lua_tostring(L, -2), luaL_typename(L, -1));
				status = LUA_ERRRUN;
			}
		}
		if (status == LUA_OK)
			lua_pop(L, 1);
	}
out:
	if (status != LUA_OK) {
		/* keep only the message */
		lua_replace(L, top + 1);
		lua_settop(L, top + 1);
		return status;
	}
	lua_settop(L, top);
	return LUA_OK;
}
