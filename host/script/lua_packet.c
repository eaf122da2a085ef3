/* lua_packet.c - the gadget.packet Lua module (see lua_packet.h). */
#include "script/lua_packet.h"

#include <errno.h>
#include <lauxlib.h>

#include "decode/dns_parse.h"
#include "decode/tls_parse.h"

/* The keys of a decoded message, made once per Lua state and kept in
 * l_dns's second upvalue (an array): setting a field is then a raw set
 * with a ready string, not lua_setfield()'s lookup of a C string in the
 * string cache (a strcmp per key, per message, in profiles). */
#define DNS_KEYS(X) X(aa) X(addresses) X(ancount) X(answers) X(arcount) X(data) \
	X(dnssecOk) X(edns) X(error) X(id) X(incomplete) X(name) X(nscount) X(opcode) \
	X(qclass) X(qdcount) X(qr) X(qtype) X(qtypeName) X(ra) X(rcode) X(rcodeName) X(rd) \
	X(tc) X(tcpLength) X(ttl) X(type) X(typeName) X(udpSize) X(version)
#define KEY_ENUM(k) K_##k,
#define KEY_NAME(k) #k,
enum { DNS_KEYS(KEY_ENUM) K_COUNT };
static const char *const key_names[K_COUNT] = {DNS_KEYS(KEY_NAME)};
#define UV_KEYS lua_upvalueindex(2)

/* t[key] = the value on top, t just below it; pops the value */
static void set_top(lua_State *L, int key)
{
	lua_rawgeti(L, UV_KEYS, key + 1);
	lua_insert(L, -2);
	lua_rawset(L, -3);
}

static void set_str(lua_State *L, int key, const char *value)
{
	lua_pushstring(L, value);
	set_top(L, key);
}

static void set_int(lua_State *L, int key, lua_Integer value)
{
	lua_pushinteger(L, value);
	set_top(L, key);
}

static void set_bool(lua_State *L, int key, int value)
{
	lua_pushboolean(L, value);
	set_top(L, key);
}

static void set_name_or_number(lua_State *L, int key, const char *name, unsigned n)
{
	if (name)
		lua_pushstring(L, name);
	else
		lua_pushfstring(L, "%d", (int)n);
	set_top(L, key);
}

static bool is_address(const struct gh_dns_rr *rr)
{
	return (rr->type == 1 || rr->type == 28) && rr->data[0];
}

/* answers = {{name, type, typeName, ttl, data}}, addresses = {A/AAAA data} */
static void push_answers(lua_State *L, const struct gh_dns_msg *m)
{
	int n_addr = 0;

	lua_createtable(L, (int)m->n_answers, 0);
	for (size_t i = 0; i < m->n_answers; i++) {
		const struct gh_dns_rr *rr = &m->answers[i];

		lua_createtable(L, 0, 5);
		set_str(L, K_name, rr->name);
		set_int(L, K_type, rr->type);
		set_name_or_number(L, K_typeName, gh_dns_type_name(rr->type), rr->type);
		set_int(L, K_ttl, rr->ttl);
		set_str(L, K_data, rr->data);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	set_top(L, K_answers);
	lua_newtable(L);
	for (size_t i = 0; i < m->n_answers; i++) {
		if (!is_address(&m->answers[i]))
			continue;
		lua_pushstring(L, m->answers[i].data);
		lua_rawseti(L, -2, ++n_addr);
	}
	set_top(L, K_addresses);
}

static void push_edns(lua_State *L, const struct gh_dns_msg *m)
{
	if (!m->edns)
		return;
	lua_createtable(L, 0, 3);
	set_int(L, K_udpSize, m->edns_udp_size);
	set_int(L, K_version, m->edns_version);
	set_bool(L, K_dnssecOk, m->edns_do);
	set_top(L, K_edns);
}

static void push_header(lua_State *L, const struct gh_dns_msg *m)
{
	set_int(L, K_id, m->id);
	set_bool(L, K_qr, m->qr);
	set_int(L, K_opcode, m->opcode);
	set_int(L, K_rcode, m->rcode);
	set_name_or_number(L, K_rcodeName, gh_dns_rcode_name(m->rcode), m->rcode);
	set_bool(L, K_aa, m->aa);
	set_bool(L, K_tc, m->tc);
	set_bool(L, K_rd, m->rd);
	set_bool(L, K_ra, m->ra);
	set_int(L, K_qdcount, m->qdcount);
	set_int(L, K_ancount, m->ancount);
	set_int(L, K_nscount, m->nscount);
	set_int(L, K_arcount, m->arcount);
}

/* packet.dns(bytes [, tcp]) -> table | nil, why.  The decoded message
 * lives in this closure's userdata upvalue: one per Lua state, no
 * allocation per call; the keys are the second upvalue. */
static int l_dns(lua_State *L)
{
	struct gh_dns_msg *m = lua_touserdata(L, lua_upvalueindex(1));
	size_t len;
	const char *bytes = luaL_checklstring(L, 1, &len);
	int tcp = lua_toboolean(L, 2);

	if (gh_dns_parse((const uint8_t *)bytes, len, tcp, m)) {
		lua_pushnil(L);
		lua_pushstring(L, m->error ? m->error : "not a DNS message");
		return 2;
	}
	lua_createtable(L, 0, 24);
	push_header(L, m);
	if (m->has_question) {
		set_str(L, K_name, m->name);
		set_int(L, K_qtype, m->qtype);
		set_name_or_number(L, K_qtypeName, gh_dns_type_name(m->qtype), m->qtype);
		set_int(L, K_qclass, m->qclass);
	}
	push_answers(L, m);
	push_edns(L, m);
	if (tcp)
		set_int(L, K_tcpLength, m->tcp_length);
	set_bool(L, K_incomplete, m->incomplete);
	if (m->error)
		set_str(L, K_error, m->error);
	return 1;
}

static int l_dns_rcode_name(lua_State *L)
{
	const char *name = gh_dns_rcode_name((unsigned)luaL_checkinteger(L, 1));

	if (name)
		lua_pushstring(L, name);
	else
		lua_pushnil(L);
	return 1;
}

static int l_dns_type_name(lua_State *L)
{
	const char *name = gh_dns_type_name((unsigned)luaL_checkinteger(L, 1));

	if (name)
		lua_pushstring(L, name);
	else
		lua_pushnil(L);
	return 1;
}

/* packet.tls_sni(bytes) -> name | nil, why, status ("none", "cut", "invalid") */
static int l_tls_sni(lua_State *L)
{
	char name[GH_TLS_SNI_MAX];
	const char *why = NULL;
	size_t len;
	const char *bytes = luaL_checklstring(L, 1, &len);
	int ret = gh_tls_sni((const uint8_t *)bytes, len, name, sizeof(name), &why);

	if (ret == 1) {
		lua_pushstring(L, name);
		return 1;
	}
	lua_pushnil(L);
	lua_pushstring(L, why ? why : "no server_name");
	lua_pushstring(L, ret == 0 ? "none" : ret == -EAGAIN ? "cut" : "invalid");
	return 3;
}

static int open_module(lua_State *L)
{
	static const luaL_Reg plain[] = {
		{"dns_rcode_name", l_dns_rcode_name},
		{"dns_type_name", l_dns_type_name},
		{"tls_sni", l_tls_sni},
		{NULL, NULL},
	};

	luaL_newlib(L, plain);
	lua_newuserdatauv(L, sizeof(struct gh_dns_msg), 0);
	lua_createtable(L, K_COUNT, 0);
	for (int i = 0; i < K_COUNT; i++) {
		lua_pushstring(L, key_names[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_pushcclosure(L, l_dns, 2);
	lua_setfield(L, -2, "dns");
	return 1;
}

void gh_lua_packet_preload(lua_State *L)
{
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
	lua_pushcfunction(L, open_module);
	lua_setfield(L, -2, "gadget.packet");
	lua_pop(L, 1);
}
