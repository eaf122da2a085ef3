/* lua_filter_c.h - a script's filter(ev) that only compares members of
 * the record with constants, judged in C as -F conditions.
 *
 *   filter = function(ev) return ev.pid ~= 1 and ev.comm ~= "systemd" end
 *
 * asks what -F 'pid!=1,comm!=systemd' asks, without a Lua call per event
 * (a call and two field reads cost ~100 ns an event; the conditions ~10).
 * Recognised: `function (P) return C and C ... end` where each C is
 * `P.NAME OP CONST` or `CONST OP P.NAME`, OP one of == ~= < <= > >=, and
 * CONST an integer or a string literal, on members of the record that Lua
 * and -F see alike: integers that fit a Lua integer (compared with an
 * integer), strings of no special kind (== and ~= with a printable ASCII
 * constant without a backslash: -F compares the escaped text, which is
 * the same text then).  Anything else stays a Lua call, as before.
 *
 * The text is the function's own, from the chunk it was defined in (its
 * lines, linedefined to lastlinedefined); it is compiled again and its
 * bytecode compared with the function's, so a file edited since it was
 * loaded, or a line holding two functions, is never mistaken for it.
 */
#ifndef GH_LUA_FILTER_C_H
#define GH_LUA_FILTER_C_H

#include "base/buf.h"
#include "schema/field.h"
#include "schema/filter.h"

struct lua_State;

/* The function at the top of L's stack (left there), against schema s:
 * 1 and *out the conditions (desc: them as -F text, "pid!=1,comm!=x"),
 * 0 when it is not such a filter (desc: why), or -ENOMEM. */
int gh_lua_filter_c(struct lua_State *L, const struct gh_schema *s, struct gh_filter **out,
		    struct gh_buf *desc);

#endif
