/* lua_lifecycle.h - a script's hooks beside the per-event ones:
 *
 *   on_interval(ctx)           every --interval, after a drain
 *   on_container(ctx, c, added) a container started (added true) or
 *                              stopped; c as gadget.container() gives it
 *   on_stop(ctx)               once, after the last drain
 *
 * ctx = {emit = gadget.emit, tick = N (on_interval calls so far),
 *        final = true in on_stop}.  Script keys that go with them:
 *   documents_only = true      the gadget prints only what it emits: no
 *                              rows, no column header (events still go
 *                              through filter and enrich)
 *   document_format = "yaml"   what -o columns (the default) emits as:
 *                              "yaml" (the default), "json", "jsonpretty"
 * An error in a hook is reported with file:line; the run loop counts them
 * (the run then exits non-zero).
 */
#ifndef GH_LUA_LIFECYCLE_H
#define GH_LUA_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "output/out.h"

struct gh_lua;
struct gh_lua_host;
struct gh_container;

bool gh_lua_has_hook(const struct gh_lua *lua, const char *name);
bool gh_lua_documents_only(const struct gh_lua *lua);
/* The documents' format for output format fmt. */
enum gh_out_format gh_lua_document_format(const struct gh_lua *lua, enum gh_out_format fmt);

/* 0, or -EINVAL when the hook raised (printed). */
int gh_lua_call_interval(struct gh_lua *lua, uint64_t tick);
int gh_lua_call_stop(struct gh_lua *lua);
int gh_lua_call_container(struct gh_lua *lua, const struct gh_lua_host *h,
			  const struct gh_container *c, bool added);

#endif
