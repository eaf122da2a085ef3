/* lua_packet.h - the gadget.packet Lua module: packet payload decoders
 * written in C (host/dns_parse.c, host/tls_parse.c) for gadgets whose
 * eBPF side sends raw bytes (read them with ev:bytes("member")).
 *
 *   local packet = require("gadget.packet")
 *   local m, err = packet.dns(bytes [, tcp])   -- a table, or nil and why
 *   local name, why, status = packet.tls_sni(bytes)
 *   packet.dns_rcode_name(3) --> "NXDomain";  packet.dns_type_name(28) --> "AAAA"
 */
#ifndef GH_LUA_PACKET_H
#define GH_LUA_PACKET_H

#include <lua.h>

/* Make require("gadget.packet") find the module (package.preload). */
void gh_lua_packet_preload(lua_State *L);

#endif
