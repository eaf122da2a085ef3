/* lua_script.h - a gadget's Lua script: its description, its hooks.
 *
 * The script returns a table (see docs/writing-gadgets.md).  This module
 * runs it, copies the descriptive parts into a gadget spec
 * (gadget_spec.h), applies the fields table to the schema, and calls
 * filter/enrich/format per event through the event view of lua_event.c.
 */
#ifndef GH_LUA_SCRIPT_H
#define GH_LUA_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "schema/field.h"
#include "schema/filter.h"

struct gh_gadget_spec;
struct gh_lua;

/* Run the script; its returned table is kept.  On error err holds
 * "file:line: message". */
int gh_lua_open(struct gh_lua **out, const char *script_path, char *err, size_t errlen);
void gh_lua_close(struct gh_lua *lua);

/* Copy name, description, object, params, columns... into spec (zeroed
 * by the caller; gh_gadget_spec_free() frees it on success or failure).
 * Checks the lifecycle hooks' keys (lua_lifecycle.h) too. */
int gh_lua_read_spec(struct gh_lua *lua, struct gh_gadget_spec *spec, char *err, size_t errlen);
/* Apply the fields table (widths, hidden, virtual fields) to the schema
 * and bind the schema to the event view. */
int gh_lua_apply_fields(struct gh_lua *lua, struct gh_schema *s, char *err, size_t errlen);

bool gh_lua_has_filter(const struct gh_lua *lua);
/* The filter as -F conditions when it only compares members of the
 * record with constants (lua_filter_c.h): the pipeline judges those in C
 * instead of calling filter(ev).  NULL otherwise. */
const struct gh_filter *gh_lua_filter_conditions(const struct gh_lua *lua);
/* How filter(ev) is judged, in words ("judged in C, as -F 'pid!=1'" or
 * why it stays a Lua call); NULL without a filter. */
const char *gh_lua_filter_note(const struct gh_lua *lua);
bool gh_lua_has_enrich(const struct gh_lua *lua);
bool gh_lua_has_format(const struct gh_lua *lua);

/* Per event.  filter: 1 keep, 0 drop.  enrich: 0.  Both: a negative value
 * when the script raised (the event is dropped and counted). */
int gh_lua_filter(struct gh_lua *lua, struct gh_event *ev);
int gh_lua_enrich(struct gh_lua *lua, struct gh_event *ev);
/* After an event is printed: forget its enrich overlay. */
void gh_lua_event_done(struct gh_lua *lua);
/* The column text hook (gh_text_hook_fn) for fields with format(). */
int gh_lua_text_hook(void *lua, int field_index, const struct gh_event *ev, struct gh_buf *b);

/* What gadget.map, gadget.container and gadget.emit reach (lua_host.h);
 * h is kept by the caller, NULL unbinds. */
struct gh_lua_host;
void gh_lua_set_host(struct gh_lua *lua, const struct gh_lua_host *h);

/* The script's Lua state, and its table pushed (for lua_lifecycle.c). */
struct lua_State;
struct lua_State *gh_lua_state(const struct gh_lua *lua);
/* lua_pcall of a hook (its function and arguments pushed) under the
 * script's instruction and memory limits (lua_guard.h); the status, the
 * message pushed on an error. */
int gh_lua_call_guarded(struct gh_lua *lua, const char *hook, int nargs, int nresults);
void gh_lua_push_table(const struct gh_lua *lua);
/* Live reload (run --watch): run the script again, with its layers, in a
 * new state; if it loads, reads and binds, its filter, enrich and format
 * functions replace the old ones at once (the old state is closed).  The
 * schema s, the columns and the object stay: a new field or an object
 * other than object_name is refused.  On error err says why (file:line)
 * and the old script stays. */
int gh_lua_reload(struct gh_lua *lua, struct gh_schema *s, const char *object_name, char *err,
		  size_t errlen);

/* Errors raised by the hooks: counted; the first of each is printed. */
uint64_t gh_lua_errors(const struct gh_lua *lua);

#endif
