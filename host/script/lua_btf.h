/* lua_btf.h - bytes laid out as a BTF type, to and from Lua values.
 *
 *   integers, enums, pointers   Lua integers (a __u64 above 2^63 wraps
 *                               to a negative integer, as in Lua)
 *   bool (BTF bool)             true / false
 *   float, double               Lua numbers
 *   arrays of 1-byte integers   Lua strings of exactly that many bytes
 *                               (char name[16], __u8 addr[4]); a shorter
 *                               string is zero padded when written
 *   other arrays                tables 1..n of their elements (a bitmap
 *                               __u64 bits[8] is 8 integers)
 *   structs, unions             tables by member name (anonymous members
 *                               join their parent); bit fields as integers
 *   no BTF (type id 0)          Lua strings of the raw bytes
 *
 * Writing a table, a missing member or element is zero; a key that names
 * no member is an error.  Errors are Lua errors (luaL_error) naming the
 * member.
 */
#ifndef GH_LUA_BTF_H
#define GH_LUA_BTF_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

struct btf;

/* Push the value of type id (size bytes at p). */
void gh_lua_btf_push(lua_State *L, const struct btf *btf, uint32_t id, const void *p,
		     size_t size);
/* Write the Lua value at idx as type id into p (size bytes, zeroed
 * first); what names it in errors ("key", "value"). */
void gh_lua_btf_encode(lua_State *L, int idx, const struct btf *btf, uint32_t id, void *p,
		       size_t size, const char *what);

#endif
