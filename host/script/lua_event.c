/* lua_event.c - the Lua view of an event: lazy fields, an enrich overlay. */
#include "script/lua_event.h"

#include <lauxlib.h>
#include <string.h>

#include "base/buf.h"
#include "script/lua_doc.h"

#define VIEW_MT "gadgethost.event"

struct gh_event_view {
	const struct gh_schema *s;
	struct gh_event *ev;  /* the event of the running hook, or NULL */
	lua_State *L;
	int self_ref;         /* the userdata itself */
	int overlay_ref;      /* table: index + 1 -> value; LUA_NOREF: not made yet */
	size_t n_set;         /* fields this event's hooks assigned */
	/* the event's own overlay before ours (a stack's samples): what the
	 * script did not set is looked up there */
	gh_overlay_fn under;
	void *under_ctx;
	struct gh_buf scratch; /* strlists built from Lua tables */
	/* set[i]: field i was assigned for this event.  The outputs ask the
	 * overlay for every field; the fields no hook assigned are answered
	 * here, without touching the Lua table.  The table itself is made
	 * once and emptied after each event (no table and no registry
	 * reference per event). */
	unsigned char set[];
};

/* __index and __newindex are C closures with two upvalues: the names table
 * (field name -> index + 1) and the view itself as a light userdata.  So an
 * access is a pointer compare and one raw table lookup: no registry lookup
 * of the metatable by name (luaL_checkudata), which showed in profiles. */
#define UV_NAMES lua_upvalueindex(1)
#define UV_VIEW lua_upvalueindex(2)
#define UV_METHODS lua_upvalueindex(3) /* __index's: name -> method */

static struct gh_event_view *self_view(lua_State *L)
{
	struct gh_event_view *v = lua_touserdata(L, UV_VIEW);

	if (lua_touserdata(L, 1) != v)
		luaL_error(L, "not a gadgethost event");
	return v;
}

/* Field index of the key at stack index 2, or -1. */
static int field_index(lua_State *L)
{
	int idx = -1;

	lua_pushvalue(L, 2);
	if (lua_rawget(L, UV_NAMES) == LUA_TNUMBER)
		idx = (int)lua_tointeger(L, -1) - 1;
	lua_pop(L, 1);
	return idx;
}

static void push_strlist(lua_State *L, const char *p, size_t len)
{
	size_t i = 0;
	int n = 0;

	lua_newtable(L);
	while (i < len) {
		size_t l = strnlen(p + i, len - i);

		lua_pushlstring(L, p + i, l);
		lua_rawseti(L, -2, ++n);
		i += l + 1;
	}
}

static void push_value(lua_State *L, const struct gh_field *f, const struct gh_value *val)
{
	switch (val->type) {
	case GH_V_NULL:
		lua_pushnil(L);
		break;
	case GH_V_INT:
		lua_pushinteger(L, (lua_Integer)val->i);
		break;
	case GH_V_UINT:
		lua_pushinteger(L, (lua_Integer)val->u);
		break;
	case GH_V_BOOL:
		lua_pushboolean(L, val->b);
		break;
	case GH_V_DOUBLE:
		lua_pushnumber(L, val->d);
		break;
	case GH_V_STR:
		lua_pushlstring(L, val->s.p, val->s.len);
		break;
	case GH_V_STRLIST:
		push_strlist(L, val->s.p, val->s.len);
		break;
	case GH_V_ARRAY: {
		size_t n = f->elem_size ? val->s.len / f->elem_size : 0;

		lua_createtable(L, (int)n, 0);
		for (size_t i = 0; i < n; i++) {
			const unsigned char *e = (const unsigned char *)val->s.p + i * f->elem_size;
			uint64_t u = 0;

			memcpy(&u, e, f->elem_size);
			if (f->elem_signed && f->elem_size < 8 && (u >> (f->elem_size * 8 - 1)))
				u |= ~0ULL << (f->elem_size * 8);
			lua_pushinteger(L, (lua_Integer)u);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		break;
	}
	}
}

void gh_event_view_push_field(lua_State *L, struct gh_event_view *v, int idx)
{
	struct gh_value val;

	if (!v->ev || gh_field_value(v->s, idx, v->ev, &val)) {
		lua_pushnil(L);
		return;
	}
	push_value(L, &v->s->fields[idx], &val);
}

/* ev:totable(): every field in a plain table (for debugging scripts) */
static int view_totable(lua_State *L)
{
	struct gh_event_view *v = lua_touserdata(L, UV_VIEW);

	lua_createtable(L, 0, (int)v->s->n_fields);
	for (size_t i = 0; i < v->s->n_fields; i++) {
		gh_event_view_push_field(L, v, (int)i);
		lua_setfield(L, -2, v->s->fields[i].name);
	}
	return 1;
}

/* ev:bytes("name"): the raw bytes of a member as a Lua string (a packet
 * payload for gadget.packet); as many as the record holds. */
static int view_bytes(lua_State *L)
{
	struct gh_event_view *v = lua_touserdata(L, UV_VIEW);
	const char *name = luaL_checkstring(L, 2);
	int idx = field_index(L); /* the names table: no strcmp over the fields */
	const struct gh_field *f;

	if (lua_touserdata(L, 1) != v)
		return luaL_error(L, "not a gadgethost event");
	if (!v->ev)
		return luaL_error(L, "event used outside the hook it was passed to");
	if (idx < 0 || v->s->fields[idx].kind == GH_KIND_VIRTUAL)
		return luaL_error(L, "event has no member '%s'", name);
	f = &v->s->fields[idx];
	if (f->offset >= v->ev->len)
		lua_pushliteral(L, "");
	else
		lua_pushlstring(L, (const char *)v->ev->data + f->offset,
				v->ev->len - f->offset < f->size ? v->ev->len - f->offset
								 : f->size);
	return 1;
}

static int view_index(lua_State *L)
{
	struct gh_event_view *v = self_view(L);
	int idx = field_index(L);

	if (idx < 0) {
		const char *key = lua_tostring(L, 2);

		/* the methods, made once with the view (ev:bytes() is called per
		 * event by the packet gadgets) */
		lua_pushvalue(L, 2);
		if (lua_rawget(L, UV_METHODS) == LUA_TFUNCTION)
			return 1;
		return luaL_error(L, "event has no field '%s'", key ? key : "?");
	}
	if (!v->ev)
		return luaL_error(L, "event used outside the hook it was passed to");
	gh_event_view_push_field(L, v, idx);
	return 1;
}

static int view_newindex(lua_State *L)
{
	struct gh_event_view *v = self_view(L);
	int idx = field_index(L);

	if (idx < 0)
		return luaL_error(L, "event has no field '%s' (declare it in the gadget's fields)",
				  lua_tostring(L, 2) ? lua_tostring(L, 2) : "?");
	if (!v->ev)
		return luaL_error(L, "event used outside the hook it was passed to");
	if (v->overlay_ref == LUA_NOREF) {
		lua_createtable(L, (int)v->s->n_fields, 0);
		v->overlay_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, v->overlay_ref);
	lua_pushvalue(L, 3);
	lua_rawseti(L, -2, idx + 1);
	lua_pop(L, 1);
	if (!v->set[idx]) {
		v->set[idx] = 1;
		v->n_set++;
	}
	/* the rest of this call reads what it wrote (a layer that wraps
	 * enrich reads what the gadget's enrich set) */
	gh_event_view_attach_overlay(v, v->ev);
	return 0;
}

static int view_tostring(lua_State *L)
{
	lua_pushliteral(L, "gadgethost.event");
	return 1;
}

static int view_gc(lua_State *L)
{
	struct gh_event_view *v = lua_touserdata(L, 1);

	gh_buf_free(&v->scratch);
	return 0;
}

/* gh_overlay_fn: a value the script assigned, converted for C. */
static int overlay_value(void *ctx, int idx, struct gh_value *val)
{
	struct gh_event_view *v = ctx;
	lua_State *L = v->L;
	int top = lua_gettop(L);
	int found = 1;

	if (!v->set[idx])
		return v->under ? v->under(v->under_ctx, idx, val) : 0;
	lua_rawgeti(L, LUA_REGISTRYINDEX, v->overlay_ref);
	switch (lua_rawgeti(L, -1, idx + 1)) {
	case LUA_TNIL:
		found = v->under ? v->under(v->under_ctx, idx, val) : 0;
		break;
	case LUA_TBOOLEAN:
		val->type = GH_V_BOOL;
		val->b = lua_toboolean(L, -1);
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, -1)) {
			val->type = GH_V_INT;
			val->i = lua_tointeger(L, -1);
		} else {
			val->type = GH_V_DOUBLE;
			val->d = lua_tonumber(L, -1);
		}
		break;
	case LUA_TTABLE: {
		/* an array of strings: a strlist in the scratch buffer */
		lua_Integer n = (lua_Integer)lua_rawlen(L, -1);

		gh_buf_reset(&v->scratch);
		for (lua_Integer i = 1; i <= n; i++) {
			size_t len;
			const char *s;

			lua_rawgeti(L, -1, i);
			s = luaL_tolstring(L, -1, &len);
			gh_buf_append(&v->scratch, s, len);
			gh_buf_putc(&v->scratch, '\0');
			lua_pop(L, 2);
		}
		val->type = GH_V_STRLIST;
		val->s.p = v->scratch.p ? v->scratch.p : "";
		val->s.len = v->scratch.len ? v->scratch.len - 1 : 0;
		break;
	}
	case LUA_TLIGHTUSERDATA:
		if (gh_lua_doc_is_null(L, -1)) {
			val->type = GH_V_NULL; /* gadget.null: the field prints as null */
			break;
		}
		/* fall through - any other light userdata: its tostring() */
	case LUA_TSTRING:
		/* the overlay table keeps it alive until the event is done */
		val->type = GH_V_STR;
		val->s.p = lua_tolstring(L, -1, &val->s.len);
		break;
	default: {
		/* anything else as its tostring(), kept in the overlay table */
		size_t len;
		const char *s;

		luaL_tolstring(L, -1, NULL);
		lua_rawseti(L, -3, idx + 1);
		lua_rawgeti(L, -2, idx + 1);
		s = lua_tolstring(L, -1, &len);
		val->type = GH_V_STR;
		val->s.p = s;
		val->s.len = len;
		break;
	}
	}
	lua_settop(L, top);
	return found;
}

struct gh_event_view *gh_event_view_new(lua_State *L, const struct gh_schema *s)
{
	size_t size = sizeof(struct gh_event_view) + s->n_fields;
	struct gh_event_view *v = lua_newuserdatauv(L, size, 0);
	int names;

	memset(v, 0, size);
	v->s = s;
	v->L = L;
	v->overlay_ref = LUA_NOREF;

	lua_createtable(L, 0, (int)s->n_fields);
	for (size_t i = 0; i < s->n_fields; i++) {
		lua_pushinteger(L, (lua_Integer)i + 1);
		lua_setfield(L, -2, s->fields[i].name);
	}
	names = lua_gettop(L);

	lua_createtable(L, 0, 2); /* the methods, with the same two upvalues */
	lua_pushvalue(L, names);
	lua_pushlightuserdata(L, v);
	lua_pushcclosure(L, view_totable, 2);
	lua_setfield(L, -2, "totable");
	lua_pushvalue(L, names);
	lua_pushlightuserdata(L, v);
	lua_pushcclosure(L, view_bytes, 2);
	lua_setfield(L, -2, "bytes");
	lua_createtable(L, 0, 5); /* the metatable: view at -4, names at -3 */
	lua_pushvalue(L, names);
	lua_pushlightuserdata(L, v);
	lua_pushvalue(L, -4);
	lua_pushcclosure(L, view_index, 3);
	lua_setfield(L, -2, "__index");
	lua_remove(L, -2); /* the methods: __index holds them */
	lua_pushvalue(L, names);
	lua_pushlightuserdata(L, v);
	lua_pushcclosure(L, view_newindex, 2);
	lua_setfield(L, -2, "__newindex");
	lua_pushcfunction(L, view_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pushcfunction(L, view_gc);
	lua_setfield(L, -2, "__gc");
	lua_pushliteral(L, VIEW_MT); /* getmetatable(ev) gives this, not the table */
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -3);
	lua_pop(L, 1); /* names: the closures hold it */
	v->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return v;
}

void gh_event_view_push(lua_State *L, struct gh_event_view *v, struct gh_event *ev)
{
	v->ev = ev;
	lua_rawgeti(L, LUA_REGISTRYINDEX, v->self_ref);
}

void gh_event_view_clear(lua_State *L, struct gh_event_view *v)
{
	if (v->n_set) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, v->overlay_ref);
		for (size_t i = 0; i < v->s->n_fields && v->n_set; i++) {
			if (!v->set[i])
				continue;
			lua_pushnil(L);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
			v->set[i] = 0;
			v->n_set--;
		}
		lua_pop(L, 1);
	}
	v->ev = NULL;
	v->under = NULL;
	v->under_ctx = NULL;
}

void gh_event_view_attach_overlay(struct gh_event_view *v, struct gh_event *ev)
{
	if (v->n_set && ev->overlay != overlay_value) {
		v->under = ev->overlay;
		v->under_ctx = ev->overlay_ctx;
		ev->overlay = overlay_value;
		ev->overlay_ctx = v;
	}
}
