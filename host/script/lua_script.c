/* lua_script.c - running a gadget's Lua script and calling its hooks. */
#include "script/lua_script.h"
#include "script/lua_packet.h"
#include "script/decode_fields.h"
#include "script/lua_host.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "base/err.h"
#include "base/log.h"
#include "script/gadget_spec.h"
#include "script/lua_event.h"
#include "script/lua_filter_c.h"
#include "script/lua_guard.h"
#include "script/lua_sandbox.h"
#include "script/spec_types.h"
#include "base/rate_limit.h"
#include "base/search_path.h"
#include "kernel/variants.h"

struct gh_lua {
	lua_State *L;
	char *path;
	int table_ref;     /* the table the script returned */
	int filter_ref;    /* LUA_NOREF when absent */
	int enrich_ref;
	/* filter's comparisons judged in C (lua_filter_c.h), or NULL */
	struct gh_filter *filter_c;
	struct gh_buf filter_note; /* how filter(ev) is judged, for -v */
	bool has_format;
	struct gh_event_view *view;
	const struct gh_schema *schema;
	uint64_t errors;   /* hook calls that raised */
	const struct gh_lua_host *host; /* gadget.map & co., kept across reloads */
	struct gh_rate_limit errlimit; /* one report a second, with a count */
	struct gh_lua_guard *guard;    /* memory and instruction limits */
	struct gh_decoders *decoders;  /* decode = {...}: the schema's source */
};

/* require finds the host's library, then modules beside the script (not
 * for a client's script: its folder is the daemon's); no C modules. */
static void set_package_path(lua_State *L, const char *script_path, bool own_dir)
{
	const char *lib = gh_lua_lib_dir();
	char dir[4096];
	const char *slash = strrchr(script_path, '/');
	int dlen = slash ? (int)(slash - script_path) : 1;

	snprintf(dir, sizeof(dir), "%.*s", dlen, slash ? script_path : ".");
	lua_getglobal(L, "package");
	if (own_dir)
		lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s/?.lua", lib, lib, dir);
	else
		lua_pushfstring(L, "%s/?.lua;%s/?/init.lua", lib, lib);
	lua_setfield(L, -2, "path");
	lua_pop(L, 1);
}

int gh_lua_open(struct gh_lua **out, const char *script_path, char *err, size_t errlen)
{
	struct gh_lua *lua = calloc(1, sizeof(*lua));
	bool sandbox = gh_lua_config()->sandbox_script;
	lua_State *L;

	if (!lua)
		return -ENOMEM;
	lua->filter_ref = lua->enrich_ref = lua->table_ref = LUA_NOREF;
	lua->path = strdup(script_path);
	gh_rate_limit_init(&lua->errlimit, 1000000000ULL);
	L = lua->L = lua->path ? gh_lua_guard_newstate(lua->path, &lua->guard) : NULL;
	if (!L) {
		gh_lua_close(lua);
		return -ENOMEM;
	}
	luaL_openlibs(L);
	gh_lua_guard_protect(L);
	gh_lua_packet_preload(L);
	gh_lua_host_preload(L);
	set_package_path(L, script_path, !sandbox);

	if ((sandbox ? gh_lua_sandbox_load(L, script_path, NULL, NULL)
		     : luaL_loadfilex(L, script_path, "t")) != LUA_OK ||
	    gh_lua_guard_call(L, lua->guard, "load", 0, 1) != LUA_OK ||
	    (lua_istable(L, -1) && (gh_spec_check_types(L, -1, script_path) != LUA_OK ||
				    gh_lua_guard_layers(L, lua->guard) != LUA_OK))) {
		const char *msg = lua_tostring(L, -1);

		/* chunk names are "@path": Lua prefixes messages with path:line */
		gh_err(err, errlen, -EINVAL, "%s", msg ? msg : "error loading the script");
		gh_lua_close(lua);
		return -EINVAL;
	}
	if (!lua_istable(L, -1)) {
		gh_err(err, errlen, -EINVAL, "%s: the script must return a table (it returned %s)",
		       script_path, luaL_typename(L, -1));
		gh_lua_close(lua);
		return -EINVAL;
	}
	lua->table_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	*out = lua;
	return 0;
}

void gh_lua_close(struct gh_lua *lua)
{
	if (!lua)
		return;
	gh_filter_free(lua->filter_c);
	gh_decoders_free(lua->decoders);
	gh_buf_free(&lua->filter_note);
	if (lua->L)
		gh_lua_guard_close(lua->L, lua->guard);
	else
		free(lua->guard);
	free(lua->path);
	free(lua);
}

/* Read t[key] (t at the top of the stack) as an optional string. */
static int opt_string(struct gh_lua *lua, const char *key, char **out, char *err, size_t errlen)
{
	lua_State *L = lua->L;
	int type = lua_getfield(L, -1, key);

	*out = NULL;
	if (type == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	if (type != LUA_TSTRING) {
		lua_pop(L, 1);
		return gh_err(err, errlen, -EINVAL, "%s: '%s' must be a string, not a %s", lua->path,
			      key, lua_typename(L, type));
	}
	*out = strdup(lua_tostring(L, -1));
	lua_pop(L, 1);
	return *out ? 0 : -ENOMEM;
}

/* Read t[key] as an optional boolean (false when absent). */
static int opt_bool(struct gh_lua *lua, const char *key, bool *out, char *err, size_t errlen)
{
	lua_State *L = lua->L;
	int type = lua_getfield(L, -1, key);

	*out = type == LUA_TBOOLEAN && lua_toboolean(L, -1);
	lua_pop(L, 1);
	if (type != LUA_TNIL && type != LUA_TBOOLEAN)
		return gh_err(err, errlen, -EINVAL, "%s: '%s' must be true or false, not a %s",
			      lua->path, key, lua_typename(L, type));
	return 0;
}

/* Read t[key] as an optional array of strings. */
static int opt_strings(struct gh_lua *lua, const char *key, char ***out, size_t *n, char *err,
		       size_t errlen)
{
	lua_State *L = lua->L;
	int type = lua_getfield(L, -1, key);
	lua_Integer len;
	char **list;

	*out = NULL;
	*n = 0;
	if (type == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	if (type != LUA_TTABLE) {
		lua_pop(L, 1);
		return gh_err(err, errlen, -EINVAL, "%s: '%s' must be a list of strings", lua->path,
			      key);
	}
	len = (lua_Integer)lua_rawlen(L, -1);
	list = calloc(len + 1, sizeof(*list));
	if (!list) {
		lua_pop(L, 1);
		return -ENOMEM;
	}
	for (lua_Integer i = 1; i <= len; i++) {
		if (lua_rawgeti(L, -1, i) != LUA_TSTRING) {
			lua_pop(L, 2);
			for (size_t j = 0; j < *n; j++)
				free(list[j]);
			free(list);
			return gh_err(err, errlen, -EINVAL, "%s: '%s'[%lld] must be a string",
				      lua->path, key, (long long)i);
		}
		list[(*n)++] = strdup(lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	*out = list;
	return 0;
}

static int opt_function(struct gh_lua *lua, const char *key, int *ref, char *err, size_t errlen)
{
	lua_State *L = lua->L;
	int type = lua_getfield(L, -1, key);

	if (type == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	if (type != LUA_TFUNCTION) {
		lua_pop(L, 1);
		return gh_err(err, errlen, -EINVAL, "%s: '%s' must be a function", lua->path, key);
	}
	*ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}

/* Keys of the table at the top of the stack, sorted: Lua's own order is
 * not stable, and what the user sees must be. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **sorted_keys(lua_State *L, size_t *n)
{
	char **keys = NULL;
	size_t count = 0;

	lua_pushnil(L);
	while (lua_next(L, -2)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) == LUA_TSTRING) {
			char **grown = realloc(keys, (count + 1) * sizeof(*keys));

			if (!grown)
				break;
			keys = grown;
			keys[count++] = strdup(lua_tostring(L, -1));
		}
	}
	if (keys)
		qsort(keys, count, sizeof(*keys), cmp_str);
	*n = count;
	return keys;
}

static void free_keys(char **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

/* params.KEY.min / .max: an integer, for an int or uint param */
static int param_bound(struct gh_lua *lua, const char *key, const struct gh_param *p,
		       const char *name, bool *has, long long *bound, char *err, size_t errlen)
{
	lua_State *L = lua->L;
	int type = lua_getfield(L, -1, name);

	if (type != LUA_TNIL && (!lua_isinteger(L, -1) ||
				 (strcmp(p->type, "int") && strcmp(p->type, "uint")))) {
		lua_pop(L, 1);
		return gh_err(err, errlen, -EINVAL, "%s: params.%s.%s must be an integer, of an int "
			      "or uint param", lua->path, key, name);
	}
	*has = type != LUA_TNIL;
	if (*has)
		*bound = (long long)lua_tointeger(L, -1);
	lua_pop(L, 1);
	return 0;
}

static int read_params(struct gh_lua *lua, struct gh_gadget_spec *g, char *err, size_t errlen)
{
	lua_State *L = lua->L;
	char **keys;
	size_t n;
	int ret = 0;

	if (lua_getfield(L, -1, "params") == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		return gh_err(err, errlen, -EINVAL, "%s: 'params' must be a table", lua->path);
	}
	keys = sorted_keys(L, &n);
	g->params = calloc(n ? n : 1, sizeof(*g->params));
	if (!g->params) {
		free_keys(keys, n);
		lua_pop(L, 1);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		struct gh_param *p = &g->params[g->n_params++];

		p->key = strdup(keys[i]);
		if (lua_getfield(L, -1, keys[i]) != LUA_TTABLE) {
			ret = gh_err(err, errlen, -EINVAL, "%s: params.%s must be a table", lua->path,
				     keys[i]);
			lua_pop(L, 1);
			break;
		}
		ret = opt_string(lua, "global", &p->global, err, errlen);
		if (!ret)
			ret = opt_string(lua, "type", &p->type, err, errlen);
		if (!ret)
			ret = opt_string(lua, "description", &p->description, err, errlen);
		if (!ret)
			ret = opt_strings(lua, "values", &p->values, &p->n_values, err, errlen);
		if (!ret) {
			lua_getfield(L, -1, "default");
			if (!lua_isnil(L, -1))
				p->def = strdup(luaL_tolstring(L, -1, NULL)), lua_pop(L, 1);
			lua_pop(L, 1);
		}
		if (!ret && !p->type)
			p->type = strdup("string");
		if (!ret)
			ret = param_bound(lua, keys[i], p, "min", &p->has_min, &p->min, err, errlen);
		if (!ret)
			ret = param_bound(lua, keys[i], p, "max", &p->has_max, &p->max, err, errlen);
		lua_pop(L, 1);
	}
	free_keys(keys, n);
	lua_pop(L, 1);
	return ret;
}

/* packet = { data = "...", length = "...", interface = {...}, ... } */
static int read_packet(struct gh_lua *lua, struct gh_packet_spec *p, char *err, size_t errlen)
{
	lua_State *L = lua->L;
	int type = lua_getfield(L, -1, "packet"), ret;

	if (type == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	if (type != LUA_TTABLE) {
		lua_pop(L, 1);
		return gh_err(err, errlen, -EINVAL, "%s: 'packet' must be a table", lua->path);
	}
	ret = opt_string(lua, "data", &p->data, err, errlen);
	if (!ret)
		ret = opt_string(lua, "length", &p->length, err, errlen);
	if (!ret)
		ret = opt_string(lua, "linktype", &p->linktype, err, errlen);
	if (!ret)
		ret = opt_string(lua, "snaplen", &p->snaplen, err, errlen);
	if (!ret)
		ret = opt_string(lua, "ifname", &p->ifname, err, errlen);
	if (!ret)
		ret = opt_string(lua, "direction", &p->direction, err, errlen);
	if (!ret)
		ret = opt_strings(lua, "comment", &p->comment, &p->n_comment, err, errlen);
	if (!ret)
		ret = opt_strings(lua, "interface", &p->interface, &p->n_interface, err, errlen);
	lua_pop(L, 1);
	return ret;
}

/* The lifecycle hooks (lua_lifecycle.h) and the keys that go with them. */
static int check_hooks(lua_State *L, const char *path, char *err, size_t errlen)
{
	static const char *const hooks[] = {"on_interval", "on_stop", "on_container"};
	int type;

	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		type = lua_getfield(L, -1, hooks[i]);
		lua_pop(L, 1);
		if (type != LUA_TNIL && type != LUA_TFUNCTION)
			return gh_err(err, errlen, -EINVAL, "%s: '%s' must be a function, not a %s",
				      path, hooks[i], lua_typename(L, type));
	}
	type = lua_getfield(L, -1, "documents_only");
	lua_pop(L, 1);
	if (type != LUA_TNIL && type != LUA_TBOOLEAN)
		return gh_err(err, errlen, -EINVAL, "%s: 'documents_only' must be true or false",
			      path);
	if (lua_getfield(L, -1, "document_format") != LUA_TNIL) {
		const char *f = lua_tostring(L, -1);

		if (!f || (strcmp(f, "yaml") && strcmp(f, "json") && strcmp(f, "jsonpretty"))) {
			lua_pop(L, 1);
			return gh_err(err, errlen, -EINVAL, "%s: 'document_format' must be "
				      "\"yaml\", \"json\" or \"jsonpretty\"", path);
		}
	}
	lua_pop(L, 1);
	return 0;
}

int gh_lua_read_spec(struct gh_lua *lua, struct gh_gadget_spec *g, char *err, size_t errlen)
{
	lua_State *L = lua->L;
	int ret;

	lua_rawgeti(L, LUA_REGISTRYINDEX, lua->table_ref);
	ret = opt_string(lua, "name", &g->name, err, errlen);
	if (!ret)
		ret = opt_string(lua, "description", &g->description, err, errlen);
	if (!ret)
		ret = opt_string(lua, "object", &g->object_name, err, errlen);
	if (!ret)
		ret = opt_string(lua, "tracer", &g->tracer_name, err, errlen);
	if (!ret)
		ret = opt_string(lua, "map", &g->map_name, err, errlen);
	if (!ret)
		ret = opt_string(lua, "struct", &g->struct_name, err, errlen);
	if (!ret)
		ret = opt_string(lua, "sort", &g->sort, err, errlen);
	if (!ret)
		ret = opt_strings(lua, "columns", &g->columns, &g->n_columns, err, errlen);
	if (!ret)
		ret = opt_strings(lua, "optional_programs", &g->optional_programs,
				  &g->n_optional_programs, err, errlen);
	if (!ret)
		ret = opt_strings(lua, "metrics", &g->metrics, &g->n_metrics, err, errlen);
	if (!ret)
		ret = gh_variants_read(L, lua->path, &g->variants, err, errlen);
	if (!ret)
		ret = opt_strings(lua, "sources", &g->sources, &g->n_sources, err, errlen);
	if (!ret)
		ret = opt_bool(lua, "bpf_stats", &g->bpf_stats, err, errlen);
	if (!ret)
		ret = read_params(lua, g, err, errlen);
	if (!ret)
		ret = read_packet(lua, &g->packet, err, errlen);
	if (!ret)
		ret = opt_function(lua, "filter", &lua->filter_ref, err, errlen);
	if (!ret)
		ret = opt_function(lua, "enrich", &lua->enrich_ref, err, errlen);
	if (!ret)
		ret = check_hooks(L, lua->path, err, errlen);
	if (!ret && !g->object_name)
		ret = gh_err(err, errlen, -EINVAL, "%s: the gadget table has no 'object' (its .bpf.o)",
			     lua->path);
	lua_pop(L, 1);
	return ret;
}

/* fields.<name>.flags / .enum: a value map, sorted by value. */
static int read_value_map(struct gh_lua *lua, struct gh_field *f, bool is_flags, char *err,
			  size_t errlen)
{
	lua_State *L = lua->L;
	struct gh_value_map *m = calloc(1, sizeof(*m));
	size_t cap = 0;

	if (!m)
		return -ENOMEM;
	f->map = m;
	m->is_flags = is_flags;
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		struct gh_map_entry *e;

		if (m->n_entries == cap) {
			cap = cap ? cap * 2 : 16;
			e = realloc(m->entries, cap * sizeof(*e));
			if (!e) {
				lua_pop(L, 2);
				return -ENOMEM;
			}
			m->entries = e;
		}
		e = &m->entries[m->n_entries];
		/* flags: NAME = bit; enum: [value] = "NAME" (either way round) */
		if (lua_type(L, -2) == LUA_TSTRING && lua_isinteger(L, -1)) {
			e->name = strdup(lua_tostring(L, -2));
			e->value = (uint64_t)lua_tointeger(L, -1);
		} else if (lua_isinteger(L, -2) && lua_type(L, -1) == LUA_TSTRING) {
			e->name = strdup(lua_tostring(L, -1));
			e->value = (uint64_t)lua_tointeger(L, -2);
		} else {
			lua_pop(L, 2);
			return gh_err(err, errlen, -EINVAL,
				      "%s: fields.%s: %s entries must be NAME = number", lua->path,
				      f->name, is_flags ? "flags" : "enum");
		}
		m->n_entries++;
		lua_pop(L, 1);
	}
	/* sorted by value, so names print in a stable order */
	for (size_t i = 1; i < m->n_entries; i++)
		for (size_t j = i; j > 0 && m->entries[j - 1].value > m->entries[j].value; j--) {
			struct gh_map_entry t = m->entries[j];
			m->entries[j] = m->entries[j - 1];
			m->entries[j - 1] = t;
		}
	return 0;
}

/* fields.<name> with 'from': its flags, enum or builtin format. */
static int read_mapping(struct gh_lua *lua, struct gh_field *f, const char *name, char *err,
			size_t errlen)
{
	lua_State *L = lua->L;
	int ret = 0;

	if (lua_getfield(L, -1, "flags") == LUA_TTABLE) {
		ret = read_value_map(lua, f, true, err, errlen);
		lua_pop(L, 1);
		return ret;
	}
	lua_pop(L, 1);
	if (lua_getfield(L, -1, "enum") == LUA_TTABLE) {
		ret = read_value_map(lua, f, false, err, errlen);
		lua_pop(L, 1);
		return ret;
	}
	lua_pop(L, 1);
	if (lua_getfield(L, -1, "builtin") == LUA_TSTRING) {
		const char *b = lua_tostring(L, -1);

		if (strcmp(b, "filemode"))
			ret = gh_err(err, errlen, -EINVAL,
				     "%s: fields.%s.builtin: unknown format \"%s\" (filemode)",
				     lua->path, name, b);
		else if (!(f->map = calloc(1, sizeof(*f->map))))
			ret = -ENOMEM;
		else
			f->map->builtin = GH_FORMAT_FILEMODE;
		lua_pop(L, 1);
		return ret;
	}
	lua_pop(L, 1);
	return gh_err(err, errlen, -EINVAL, "%s: fields.%s: 'from' needs 'flags', 'enum' or 'builtin'",
		      lua->path, name);
}

/* fields.<name>.enum_prefix: a C enum's names lose this prefix
 * (SKB_DROP_REASON_NO_SOCKET prints, and is filtered, as NO_SOCKET) */
static int strip_enum_prefix(struct gh_lua *lua, struct gh_field *f, char *err, size_t errlen)
{
	char *prefix = NULL;
	size_t len;
	int ret = opt_string(lua, "enum_prefix", &prefix, err, errlen);

	if (ret || !prefix)
		return ret;
	len = strlen(prefix);
	if (f->kind != GH_KIND_ENUM)
		ret = gh_err(err, errlen, -EINVAL, "%s: fields.%s.enum_prefix: %s is not a C enum",
			     lua->path, f->name, f->name);
	for (size_t i = 0; !ret && i < f->n_enum_names; i++) {
		char *n = f->enum_names[i].name;

		if (!strncmp(n, prefix, len) && n[len])
			memmove(n, n + len, strlen(n + len) + 1);
	}
	free(prefix);
	return ret;
}

static int apply_field(struct gh_lua *lua, struct gh_schema *s, const char *name, char *err,
		       size_t errlen)
{
	lua_State *L = lua->L;
	int idx = gh_schema_find(s, name);
	struct gh_field *f;
	char *from = NULL, *align = NULL;
	int ret = 0;

	if (!lua_istable(L, -1))
		return gh_err(err, errlen, -EINVAL, "%s: fields.%s must be a table", lua->path, name);
	if (idx < 0) {
		idx = gh_schema_add_virtual(s, name);
		if (idx < 0)
			return idx;
	}
	f = &s->fields[idx];

	ret = opt_string(lua, "from", &from, err, errlen);
	if (!ret)
		ret = opt_string(lua, "align", &align, err, errlen);
	if (!ret && !f->description)
		ret = opt_string(lua, "description", &f->description, err, errlen);
	if (!ret && f->kind == GH_KIND_VIRTUAL && !f->virtual_type)
		ret = opt_string(lua, "type", &f->virtual_type, err, errlen);
	if (!ret)
		ret = strip_enum_prefix(lua, f, err, errlen);
	if (ret)
		goto out;
	if (align) {
		if (strcmp(align, "right") && strcmp(align, "left")) {
			ret = gh_err(err, errlen, -EINVAL, "%s: fields.%s.align must be left or right",
				     lua->path, name);
			goto out;
		}
		f->align = strcmp(align, "right") == 0 ? GH_ALIGN_RIGHT : GH_ALIGN_LEFT;
	}
	lua_getfield(L, -1, "width");
	if (lua_isinteger(L, -1) && lua_tointeger(L, -1) > 0)
		f->width = (unsigned)lua_tointeger(L, -1);
	lua_pop(L, 1);
	lua_getfield(L, -1, "hidden");
	f->hidden = lua_toboolean(L, -1);
	lua_pop(L, 1);
	lua_getfield(L, -1, "internal");
	f->internal = lua_toboolean(L, -1);
	f->hidden = f->hidden || f->internal;
	lua_pop(L, 1);
	if (lua_getfield(L, -1, "format") == LUA_TFUNCTION) {
		f->lua_format_ref = luaL_ref(L, LUA_REGISTRYINDEX);
		lua->has_format = true;
	} else {
		lua_pop(L, 1);
	}

	if (from) {
		ret = gh_decoders_field(lua->decoders, s, idx, from, lua->path, err, errlen);
		if (ret < 0)
			goto out;
		ret = 0;
	}
	if (from && f->source) {
		/* a decoder's value (decode_fields.h) */
	} else if (from) {
		int src = gh_schema_find(s, from);

		if (f->kind != GH_KIND_VIRTUAL) {
			ret = gh_err(err, errlen, -EINVAL, "%s: fields.%s: 'from' is for new fields, "
				     "but %s is in the event struct", lua->path, name, name);
			goto out;
		}
		if (src < 0) {
			ret = gh_err(err, errlen, -EINVAL, "%s: fields.%s.from: unknown field \"%s\"",
				     lua->path, name, from);
			goto out;
		}
		s->fields[idx].map_source = src;
		f = &s->fields[idx];
		ret = read_mapping(lua, f, name, err, errlen);
		if (!ret && f->map && f->map->is_flags) {
			char *zero = NULL;

			ret = opt_string(lua, "zero", &zero, err, errlen);
			f->map->zero_name = zero;
			lua_getfield(L, -1, "zero_mask");
			f->map->zero_mask = lua_isinteger(L, -1) ? (uint64_t)lua_tointeger(L, -1)
								 : ~0ULL;
			lua_pop(L, 1);
		}
	} else if (f->kind == GH_KIND_VIRTUAL && !f->virtual_type) {
		ret = gh_err(err, errlen, -EINVAL,
			     "%s: fields.%s is not in the event struct: give it a 'type' (set by "
			     "enrich) or 'from' + 'flags'/'enum'", lua->path, name);
	}
out:
	free(from);
	free(align);
	return ret;
}

/* filter(ev), when it only compares members with constants, as -F
 * conditions (lua_filter_c.h); filter_c_note says how it is judged.
 * 0 or -ENOMEM. */
static int compile_filter(struct gh_lua *lua)
{
	struct gh_buf desc = GH_BUF_INIT;
	int ret;

	if (lua->filter_ref == LUA_NOREF)
		return 0;
	lua_rawgeti(lua->L, LUA_REGISTRYINDEX, lua->filter_ref);
	ret = gh_lua_filter_c(lua->L, lua->schema, &lua->filter_c, &desc);
	lua_pop(lua->L, 1);
	if (ret >= 0)
		ret = gh_buf_printf(&lua->filter_note, ret ? "judged in C, as -F '%s'"
						      : "a Lua call per event (%s)",
				    desc.p ? desc.p : "");
	gh_buf_free(&desc);
	return ret < 0 ? ret : 0;
}

int gh_lua_apply_fields(struct gh_lua *lua, struct gh_schema *s, char *err, size_t errlen)
{
	lua_State *L = lua->L;
	char **keys = NULL;
	size_t n = 0;
	int ret = 0;

	lua_rawgeti(L, LUA_REGISTRYINDEX, lua->table_ref);
	ret = gh_decoders_read(L, -1, s, lua->path, &lua->decoders, err, errlen);
	if (ret) {
		lua_pop(L, 1);
		return ret;
	}
	if (lua_getfield(L, -1, "fields") == LUA_TTABLE) {
		keys = sorted_keys(L, &n);
		for (size_t i = 0; i < n && !ret; i++) {
			lua_getfield(L, -1, keys[i]);
			ret = apply_field(lua, s, keys[i], err, errlen);
			lua_pop(L, 1);
		}
	} else if (!lua_isnil(L, -1)) {
		ret = gh_err(err, errlen, -EINVAL, "%s: 'fields' must be a table", lua->path);
	}
	lua_pop(L, 2);
	free_keys(keys, n);
	if (ret)
		return ret;
	lua->schema = s;
	lua->view = gh_event_view_new(L, s);
	return lua->view ? compile_filter(lua) : -ENOMEM;
}

bool gh_lua_has_filter(const struct gh_lua *lua)
{
	return lua->filter_ref != LUA_NOREF;
}

const struct gh_filter *gh_lua_filter_conditions(const struct gh_lua *lua)
{
	return lua->filter_c;
}

const char *gh_lua_filter_note(const struct gh_lua *lua)
{
	return lua->filter_note.p;
}

bool gh_lua_has_enrich(const struct gh_lua *lua)
{
	return lua->enrich_ref != LUA_NOREF;
}

bool gh_lua_has_format(const struct gh_lua *lua)
{
	return lua->has_format;
}

static void report_error(struct gh_lua *lua, const char *hook)
{
	uint64_t held;

	lua->errors++;
	if (gh_rate_limit_allow(&lua->errlimit, gh_rate_limit_now(), &held)) {
		const char *msg = lua_tostring(lua->L, -1);
		char named[64], in[64] = "";

		/* the limits' messages name the hook already */
		snprintf(named, sizeof(named), ": %s: ", hook);
		if (!msg || !strstr(msg, named))
			snprintf(in, sizeof(in), "in %s; ", hook);
		if (held)
			gh_log(GH_LOG_WARNING, "%s (%sthe event is dropped; %" PRIu64 " more errors "
			       "since the last report)", msg ? msg : "error", in, held);
		else
			gh_log(GH_LOG_WARNING, "%s (%sthe event is dropped; repeats are reported "
			       "once a second)", msg ? msg : "error", in);
	}
	lua_pop(lua->L, 1);
}

int gh_lua_filter(struct gh_lua *lua, struct gh_event *ev)
{
	lua_State *L = lua->L;
	int keep;

	lua_rawgeti(L, LUA_REGISTRYINDEX, lua->filter_ref);
	gh_event_view_push(L, lua->view, ev);
	if (gh_lua_guard_call(L, lua->guard, "filter", 1, 1) != LUA_OK) {
		report_error(lua, "filter");
		gh_event_view_clear(L, lua->view);
		return -EINVAL;
	}
	keep = lua_toboolean(L, -1);
	lua_pop(L, 1);
	gh_event_view_attach_overlay(lua->view, ev);
	return keep;
}

int gh_lua_enrich(struct gh_lua *lua, struct gh_event *ev)
{
	lua_State *L = lua->L;

	lua_rawgeti(L, LUA_REGISTRYINDEX, lua->enrich_ref);
	gh_event_view_push(L, lua->view, ev);
	if (gh_lua_guard_call(L, lua->guard, "enrich", 1, 0) != LUA_OK) {
		report_error(lua, "enrich");
		gh_event_view_clear(L, lua->view);
		return -EINVAL;
	}
	gh_event_view_attach_overlay(lua->view, ev);
	return 0;
}

void gh_lua_event_done(struct gh_lua *lua)
{
	if (lua->view)
		gh_event_view_clear(lua->L, lua->view);
}

int gh_lua_text_hook(void *ctx, int idx, const struct gh_event *ev, struct gh_buf *b)
{
	struct gh_lua *lua = ctx;
	lua_State *L = lua->L;
	const struct gh_field *f = &lua->schema->fields[idx];
	size_t len;
	const char *s;

	if (f->lua_format_ref < 0)
		return 0;
	lua_rawgeti(L, LUA_REGISTRYINDEX, f->lua_format_ref);
	gh_event_view_push(L, lua->view, (struct gh_event *)ev);
	gh_event_view_push_field(L, lua->view, idx);
	lua_insert(L, -2);
	if (gh_lua_guard_call(L, lua->guard, "format", 2, 1) != LUA_OK) {
		report_error(lua, "format");
		return 0;
	}
	s = luaL_tolstring(L, -1, &len);
	gh_buf_append(b, s, len);
	lua_pop(L, 2);
	return 1;
}

void gh_lua_set_host(struct gh_lua *lua, const struct gh_lua_host *h)
{
	lua->host = h;
	gh_lua_host_bind(lua->L, h);
}

lua_State *gh_lua_state(const struct gh_lua *lua)
{
	return lua->L;
}

int gh_lua_call_guarded(struct gh_lua *lua, const char *hook, int nargs, int nresults)
{
	return gh_lua_guard_call(lua->L, lua->guard, hook, nargs, nresults);
}

void gh_lua_push_table(const struct gh_lua *lua)
{
	lua_rawgeti(lua->L, LUA_REGISTRYINDEX, lua->table_ref);
}

uint64_t gh_lua_errors(const struct gh_lua *lua)
{
	return lua->errors;
}

/* fields.<name>.format of the new state, for every field of s: refs[i],
 * -1 without one.  A field the schema does not have is refused: the
 * output's columns are fixed for the run. */
static int rebind_formats(struct gh_lua *lua, struct gh_schema *s, int *refs, char *err,
			  size_t errlen)
{
	lua_State *L = lua->L;
	char **keys = NULL;
	size_t n = 0;
	int ret = 0;

	for (size_t i = 0; i < s->n_fields; i++)
		refs[i] = -1;
	lua_rawgeti(L, LUA_REGISTRYINDEX, lua->table_ref);
	if (lua_getfield(L, -1, "fields") == LUA_TTABLE) {
		keys = sorted_keys(L, &n);
		for (size_t i = 0; i < n && !ret; i++) {
			int idx = gh_schema_find(s, keys[i]);

			if (idx < 0) {
				ret = gh_err(err, errlen, -EINVAL, "%s: fields.%s is new: a new field "
					     "needs a restart (the columns are fixed for a run)",
					     lua->path, keys[i]);
				break;
			}
			lua_getfield(L, -1, keys[i]);
			if (lua_istable(L, -1) && lua_getfield(L, -1, "format") == LUA_TFUNCTION) {
				refs[idx] = luaL_ref(L, LUA_REGISTRYINDEX);
				lua->has_format = true;
			} else if (lua_istable(L, -1)) {
				lua_pop(L, 1);
			}
			lua_pop(L, 1);
		}
	} else if (!lua_isnil(L, -1)) {
		ret = gh_err(err, errlen, -EINVAL, "%s: 'fields' must be a table", lua->path);
	}
	lua_pop(L, 2);
	free_keys(keys, n);
	return ret;
}

int gh_lua_reload(struct gh_lua *lua, struct gh_schema *s, const char *object_name, char *err,
		  size_t errlen)
{
	struct gh_gadget_spec scratch = {0};
	struct gh_lua *n = NULL, tmp;
	int *refs = calloc(s->n_fields ? s->n_fields : 1, sizeof(*refs));
	int ret = refs ? 0 : -ENOMEM;

	if (!ret)
		ret = gh_lua_open(&n, lua->path, err, errlen);
	if (!ret)
		ret = gh_lua_read_spec(n, &scratch, err, errlen);
	if (!ret && strcmp(scratch.object_name, object_name))
		ret = gh_err(err, errlen, -EINVAL, "%s: 'object' changed (%s to %s): a new object "
			     "needs a restart", lua->path, object_name, scratch.object_name);
	if (!ret)
		ret = rebind_formats(n, s, refs, err, errlen);
	if (!ret) {
		n->schema = s;
		n->view = gh_event_view_new(n->L, s);
		ret = n->view ? compile_filter(n) : -ENOMEM;
	}
	if (ret) {
		if (ret == -ENOMEM && !err[0])
			gh_err(err, errlen, ret, "%s: out of memory", lua->path);
		gh_lua_close(n);
		gh_gadget_spec_free(&scratch);
		free(refs);
		return ret;
	}
	for (size_t i = 0; i < s->n_fields; i++)
		s->fields[i].lua_format_ref = refs[i];
	/* the new state takes the old one's place, counters carried over */
	n->errors = lua->errors;
	n->errlimit = lua->errlimit;
	n->host = lua->host;
	/* the schema's fields stay, and so does the source they read */
	n->decoders = lua->decoders;
	lua->decoders = NULL;
	if (n->host)
		gh_lua_host_bind(n->L, n->host);
	tmp = *lua;
	*lua = *n;
	*n = tmp;
	gh_lua_close(n);
	gh_gadget_spec_free(&scratch);
	free(refs);
	return 0;
}
