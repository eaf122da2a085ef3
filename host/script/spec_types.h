/* spec_types.h - the types of what a gadget table declares.
 *
 * A script and each --lua layer may set the table's keys; a value of the
 * wrong type (fields.comm.width = "wide") would be ignored where it is
 * read, so it is refused as soon as the script or the layer that set it
 * has run, naming that one. */
#ifndef GH_SPEC_TYPES_H
#define GH_SPEC_TYPES_H

#include <lua.h>

/* Check the gadget table at index table.  LUA_OK, or LUA_ERRRUN with
 * "WHO: fields.comm.width must be a positive integer (it is a string)"
 * pushed. */
int gh_spec_check_types(lua_State *L, int table, const char *who);

#endif
