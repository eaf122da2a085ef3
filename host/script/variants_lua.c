/* variants_lua.c - reading a script's `variants` table (variants.h). */
#include "kernel/variants.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "base/err.h"

static int cmp_group(const void *a, const void *b)
{
	return strcmp(((const struct gh_variant_group *)a)->name,
		      ((const struct gh_variant_group *)b)->name);
}

static int add_prog(struct gh_variant_alt *alt, const char *name)
{
	char **progs = realloc(alt->progs, (alt->n_progs + 1) * sizeof(*progs));

	if (!progs)
		return -ENOMEM;
	alt->progs = progs;
	progs[alt->n_progs] = strdup(name);
	if (!progs[alt->n_progs])
		return -ENOMEM;
	alt->n_progs++;
	return 0;
}

/* The alternative at the top of the stack: a program name or a list of them. */
static int read_alt(lua_State *L, const char *path, const char *group, lua_Integer idx,
		    struct gh_variant_alt *alt, char *err, size_t errlen)
{
	lua_Integer n;
	int ret = 0;

	if (lua_type(L, -1) == LUA_TSTRING)
		return add_prog(alt, lua_tostring(L, -1));
	if (lua_type(L, -1) != LUA_TTABLE || !(n = (lua_Integer)lua_rawlen(L, -1)))
		return gh_err(err, errlen, -EINVAL, "%s: variants.%s[%lld] must be a program name "
			      "or a list of program names", path, group, (long long)idx);
	for (lua_Integer i = 1; i <= n && !ret; i++) {
		if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
			ret = gh_err(err, errlen, -EINVAL, "%s: variants.%s[%lld][%lld] must be a "
				     "program name", path, group, (long long)idx, (long long)i);
		else
			ret = add_prog(alt, lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	return ret;
}

/* The group at the top of the stack (its name below it). */
static int read_group(lua_State *L, const char *path, struct gh_variant_group *grp, char *err,
		      size_t errlen)
{
	lua_Integer n;
	int ret = 0;

	if (lua_type(L, -1) != LUA_TTABLE || !(n = (lua_Integer)lua_rawlen(L, -1)))
		return gh_err(err, errlen, -EINVAL, "%s: variants.%s must be a list of alternatives, "
			      "best first", path, grp->name);
	grp->alts = calloc((size_t)n, sizeof(*grp->alts));
	if (!grp->alts)
		return -ENOMEM;
	for (lua_Integer i = 1; i <= n && !ret; i++) {
		lua_rawgeti(L, -1, i);
		ret = read_alt(L, path, grp->name, i, &grp->alts[grp->n_alts++], err, errlen);
		lua_pop(L, 1);
	}
	return ret;
}

int gh_variants_read(lua_State *L, const char *path, struct gh_variants **out, char *err,
		     size_t errlen)
{
	struct gh_variants *v;
	int type = lua_getfield(L, -1, "variants");
	int ret = 0;

	*out = NULL;
	if (type == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	if (type != LUA_TTABLE) {
		lua_pop(L, 1);
		return gh_err(err, errlen, -EINVAL, "%s: 'variants' must be a table (name = { "
			      "program, ... })", path);
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		lua_pop(L, 1);
		return -ENOMEM;
	}
	lua_pushnil(L);
	while (!ret && lua_next(L, -2)) {
		struct gh_variant_group *groups, *grp;

		if (lua_type(L, -2) != LUA_TSTRING) {
			lua_pop(L, 2);
			ret = gh_err(err, errlen, -EINVAL, "%s: the keys of 'variants' must be names",
				     path);
			break;
		}
		groups = realloc(v->groups, (v->n_groups + 1) * sizeof(*groups));
		if (!groups) {
			lua_pop(L, 2);
			ret = -ENOMEM;
			break;
		}
		v->groups = groups;
		grp = &groups[v->n_groups++];
		memset(grp, 0, sizeof(*grp));
		grp->chosen = -1;
		grp->name = strdup(lua_tostring(L, -2));
		ret = grp->name ? read_group(L, path, grp, err, errlen) : -ENOMEM;
		lua_pop(L, 1);
		if (ret)
			lua_pop(L, 1); /* the key: lua_next is not called again */
	}
	lua_pop(L, 1);
	if (ret) {
		gh_variants_free(v);
		return ret;
	}
	qsort(v->groups, v->n_groups, sizeof(*v->groups), cmp_group);
	*out = v;
	return 0;
}
