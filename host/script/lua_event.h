/* lua_event.h - the Lua view of an event.
 *
 * One userdata serves every event: before a hook runs it is pointed at
 * the raw record, and `ev.pid` decodes that one field from its BTF offset
 * on demand.  No table is built per event.  Assignments (`ev.x = v`) go
 * into an overlay the outputs read (see gh_event.overlay): one Lua table
 * per view, emptied after each event, and a flag per field so that the
 * outputs' reads of unassigned fields never reach Lua.
 *
 * The view is only valid during the call: a script that wants to keep an
 * event uses ev:totable().
 */
#ifndef GH_LUA_EVENT_H
#define GH_LUA_EVENT_H

#include <lua.h>

#include "schema/field.h"

struct gh_event_view;

/* Create the view bound to schema s (kept, not copied); it is anchored in
 * the registry.  Returns NULL on allocation failure. */
struct gh_event_view *gh_event_view_new(lua_State *L, const struct gh_schema *s);
/* Point the view at ev and push it on the stack. */
void gh_event_view_push(lua_State *L, struct gh_event_view *v, struct gh_event *ev);
/* After a hook ran: if it assigned fields, make ev read them. */
void gh_event_view_attach_overlay(struct gh_event_view *v, struct gh_event *ev);
/* Forget the overlay and the event. */
void gh_event_view_clear(lua_State *L, struct gh_event_view *v);
/* Push a field's value of the current event (used by format hooks). */
void gh_event_view_push_field(lua_State *L, struct gh_event_view *v, int idx);

#endif
