-- test_lua_lib.lua - the shipped Lua library (lua/gadget), run by lua5.4.
-- usage: lua5.4 test_lua_lib.lua LUA_DIR
package.path = arg[1] .. "/?.lua;" .. arg[1] .. "/?/init.lua"
local gadget = require("gadget")
local passed, failed = 0, 0

local function eq(name, got, want)
  if got == want then
    passed = passed + 1
  else
    failed = failed + 1
    io.stderr:write(string.format("FAIL %s: got %q, want %q\n", name, tostring(got), tostring(want)))
  end
end

local s = gadget.strings
eq("split", table.concat(s.split("a,b,,c", ","), "|"), "a|b||c")
eq("split none", #s.split("abc", ","), 1)
eq("split multi-char sep", table.concat(s.split("a::b", "::"), "|"), "a|b")
eq("split pattern chars", table.concat(s.split("a.b", "."), "|"), "a|b")
eq("trim", s.trim("  x y \t"), "x y")
eq("starts_with", s.starts_with("/usr/bin", "/usr"), true)
eq("ends_with", s.ends_with("file.lua", ".lua"), true)
eq("ends_with no", s.ends_with("file.lua", ".c"), false)
eq("basename", s.basename("/usr/bin/ls"), "ls")
eq("basename dir", s.basename("/usr/bin/"), "bin")
eq("join_args", s.join_args({"echo", "a b", "it's", ""}), "echo 'a b' 'it'\\''s' ''")

local n = gadget.net
eq("ipv4", n.ipv4(0x0100007f), "127.0.0.1")
eq("ntohs", n.ntohs(0x5000), 80)
eq("protocol", n.protocol(6), "TCP")
eq("protocol unknown", n.protocol(250), "250")

local t = gadget.time
eq("duration ns", t.duration(999), "999ns")
eq("duration us", t.duration(1500), "1.5us")
eq("duration ms", t.duration(1500000), "1.5ms")
eq("duration s", t.duration(2500000000), "2.5s")
eq("iso8601", t.iso8601(1700000000123456789), "2023-11-14T22:13:20.123456Z")

eq("flags", gadget.flags.open.O_CREAT, 0x40)

print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
