/* lua_doc.h - a Lua value written as one document: compact JSON (one
 * line), pretty JSON, or YAML (libyaml, "---" before it).  The advisors
 * build a seccomp profile or a NetworkPolicy as Lua tables and emit it.
 *
 *   tables: a sequence 1..n (n > 0), or one marked gadget.array(t), is an
 *           array; any other table is an object (string keys, or integer
 *           keys written as strings), its keys sorted, or in the order
 *           gadget.ordered(t, {"k1", "k2"}) gives (the others after,
 *           sorted).  An empty table is {} unless marked an array.
 *   scalars: strings, integers, floats (NaN and infinities: null in JSON),
 *           booleans, gadget.null.  Anything else (a function, a cycle
 *           deeper than 64 levels) is an error naming where it is.
 */
#ifndef GH_LUA_DOC_H
#define GH_LUA_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include "base/buf.h"
#include "output/out.h"

/* Append the value at idx to b as a document in fmt (GH_OUT_COLUMNS is
 * taken as YAML).  0, or -EINVAL with err saying what and where (b is
 * left as it was), or -ENOMEM. */
int gh_lua_doc_write(lua_State *L, int idx, enum gh_out_format fmt, struct gh_buf *b, char *err,
		     size_t errlen);

/* Set array, ordered and null on the table at the top of the stack. */
void gh_lua_doc_register(lua_State *L);

/* Whether the value at idx is gadget.null. */
bool gh_lua_doc_is_null(lua_State *L, int idx);

#endif
