/* test_lua_map.c - BTF typed bytes to and from Lua (the objects' own BTF,
 * no kernel needed), and gadget.map on real BPF maps (root: the object's
 * maps are created, no program is loaded). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <lauxlib.h>
#include <lualib.h>

#include "script/lua_btf.h"
#include "script/lua_host.h"

static struct bpf_object *open_obj(const char *name)
{
	char path[512];
	struct bpf_object *obj;

	snprintf(path, sizeof(path), "%s/%s", GH_BUILD_BPF_DIR, name);
	obj = bpf_object__open_file(path, NULL);
	assert_false(libbpf_get_error(obj));
	return obj;
}

static lua_State *new_lua(void)
{
	lua_State *L = luaL_newstate();

	luaL_openlibs(L);
	return L;
}

/* the value type of map name of obj */
static uint32_t value_type(struct bpf_object *obj, const char *name, size_t *size)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	assert_non_null(m);
	*size = bpf_map__value_size(m);
	return bpf_map__btf_value_type_id(m);
}

/* Lua code run with the value pushed from bytes as the global v */
static void run(lua_State *L, const char *code)
{
	if (luaL_dostring(L, code) != LUA_OK)
		fail_msg("%s: %s", code, lua_tostring(L, -1));
}

static void test_codec(void **state)
{
	struct bpf_object *obj = open_obj("advise/network-policy.bpf.o");
	const struct btf *btf = bpf_object__btf(obj);
	lua_State *L = new_lua();
	unsigned char bytes[256], back[256];
	size_t size;
	uint32_t id = value_type(obj, "gadget_tcp_owners", &size);

	(void)state;
	assert_true(size <= sizeof(bytes));
	/* struct gadget_tcp_owner: u64 mountnsid; u32 pid...; char comm[16]; u32 pad;
	 * u64 netns, start_ns */
	run(L, "v = {mountnsid = 4026531840, pid = 42, uid = 0xffffffff, comm = 'sh'}");
	lua_getglobal(L, "v");
	gh_lua_btf_encode(L, -1, btf, id, bytes, size, "value");
	lua_pop(L, 1);
	gh_lua_btf_push(L, btf, id, bytes, size);
	lua_setglobal(L, "w");
	run(L, "assert(w.mountnsid == 4026531840 and w.pid == 42 and w.netns == 0)");
	run(L, "assert(w.uid == 0xffffffff, 'a u32 reads back unsigned')");
	run(L, "assert(w.comm == 'sh' .. string.rep('\\0', 14), 'a char array is its bytes')");
	lua_getglobal(L, "w");
	gh_lua_btf_encode(L, -1, btf, id, back, size, "value");
	lua_pop(L, 1);
	assert_memory_equal(bytes, back, size);

	bpf_object__close(obj);
	lua_close(L);
}

/* encode errors are Lua errors: run them in protected mode */
static int encode_in_lua(lua_State *L)
{
	const struct btf *btf = lua_touserdata(L, lua_upvalueindex(1));
	uint32_t id = (uint32_t)lua_tointeger(L, lua_upvalueindex(2));
	unsigned char buf[256];

	gh_lua_btf_encode(L, 1, btf, id, buf, (size_t)lua_tointeger(L, lua_upvalueindex(3)),
			  "value");
	return 0;
}

static void expect_encode_error(lua_State *L, const char *value, const char *want)
{
	char code[256];

	snprintf(code, sizeof(code), "local ok, err = pcall(encode, %s) "
		 "assert(not ok, 'no error') "
		 "assert(err:find(%s, 1, true), err)", value, want);
	run(L, code);
}

static void test_codec_errors(void **state)
{
	struct bpf_object *obj = open_obj("advise/network-policy.bpf.o");
	lua_State *L = new_lua();
	size_t size;
	uint32_t id = value_type(obj, "gadget_tcp_owners", &size);

	(void)state;
	lua_pushlightuserdata(L, (void *)bpf_object__btf(obj));
	lua_pushinteger(L, id);
	lua_pushinteger(L, (lua_Integer)size);
	lua_pushcclosure(L, encode_in_lua, 3);
	lua_setglobal(L, "encode");
	expect_encode_error(L, "{pid = 'x'}", "'value.pid: an integer is needed, not string'");
	expect_encode_error(L, "{pid = 1.5}", "'value.pid: an integer is needed, not a fraction'");
	expect_encode_error(L, "{pdi = 1}", "'value: struct gadget_tcp_owner has no member \"pdi\"'");
	expect_encode_error(L, "{comm = string.rep('x', 17)}", "'value.comm: 17 bytes do not fit in 16'");
	expect_encode_error(L, "7", "'value: a table is needed for struct gadget_tcp_owner, not a number'");
	bpf_object__close(obj);
	lua_close(L);
}

static void test_maps(void **state)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct gh_lua_host h = {0};
	lua_State *L;
	int err;

	(void)state;
	if (geteuid() != 0) {
		skip();
		return;
	}
	obj = open_obj("advise/seccomp.bpf.o");
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, false);
	err = bpf_object__load(obj);
	if (err == -EPERM) {
		bpf_object__close(obj);
		skip();
		return;
	}
	assert_int_equal(err, 0);
	L = new_lua();
	gh_lua_host_preload(L);
	h.obj = obj;
	gh_lua_host_bind(L, &h);
	run(L, "gadget = require('gadget.host')");
	run(L, "m = gadget.map('syscalls') assert(m.name == 'syscalls' and m.type == 'hash')");
	run(L, "assert(m:lookup(7) == nil)");
	run(L, "assert(m:update(7, {bits = {1, 1 << 63}}))");
	run(L, "local v = m:lookup(7) assert(#v.bits == 8 and v.bits[1] == 1 and "
	       "v.bits[2] == math.mininteger and v.bits[3] == 0)");
	run(L, "assert(not pcall(m.update, m, 7, {bits = {}}, 'noexist'))");
	run(L, "m:update(9, {bits = {2}}) local n, sum = 0, 0 "
	       "for k, v in m:pairs() do n = n + 1 sum = sum + k + v.bits[1] end "
	       "assert(n == 2 and sum == 7 + 1 + 9 + 2, n .. ' ' .. sum)");
	/* deleting while iterating: each key still seen once */
	run(L, "local seen = {} for k in m:pairs() do seen[#seen + 1] = k m:delete(k) end "
	       "assert(#seen == 2)");
	run(L, "assert(m:delete(7) == false and m:lookup(9) == nil)");
	/* the SDK's filter map: u64 -> u32 */
	run(L, "local f = gadget.map('gadget_mntns_filter_map') f:update(5, 1) "
	       "assert(f:lookup(5) == 1)");
	run(L, "local ok, err = pcall(gadget.map, 'nope') assert(not ok and err:find("
	       "'no map \"nope\" in the gadget\\'s object (its maps: ', 1, true), err)");
	run(L, "local ok, err = pcall(gadget.map, 'events') assert(not ok and err:find("
	       "'events is a ringbuf map', 1, true), err)");
	run(L, "assert(gadget.syscall_name(257) == 'openat' and gadget.syscall_number('openat') == 257)");
	run(L, "assert(gadget.container(1) == nil and #gadget.containers() == 0)");
	run(L, "local ok, err = pcall(gadget.emit, {}) assert(not ok and err:find('no output'))");
	gh_lua_host_bind(L, NULL);
	run(L, "local ok, err = pcall(gadget.map, 'syscalls') assert(not ok and "
	       "err:find('not loaded'))");
	lua_close(L);
	bpf_object__close(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec),
		cmocka_unit_test(test_codec_errors),
		cmocka_unit_test(test_maps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
