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

local sc = require("gadget.seccomp")
eq("seccomp numbers", table.concat(sc.numbers({ 0x5, 1 << 63 }), ","), "0,2,127")
eq("seccomp union", table.concat(sc.union({ 1 }, { 2, 4 }), ","), "3,4")
local names_of = { [0] = "read", [2] = "open" }
local names, unknown = sc.names({ 0x5, 1 << 63 }, function(n) return names_of[n] end)
eq("seccomp names sorted", table.concat(names, ","), "open,read")
eq("seccomp unknown", table.concat(unknown, ","), "127")
local prof = sc.profile({ "read" })
eq("seccomp default", prof.defaultAction, "SCMP_ACT_ERRNO")
eq("seccomp rule", prof.syscalls[1].action .. " " .. prof.syscalls[1].names[1], "SCMP_ACT_ALLOW read")
eq("seccomp arches", table.concat(prof.architectures, ","), "SCMP_ARCH_X86_64,SCMP_ARCH_X86,SCMP_ARCH_X32")

local np = require("gadget.netpol").new()
np:pod("a/web", { namespace = "a", name = "web", labels = { app = "web" } })
np:pod("b/cli", { namespace = "b", name = "cli", labels = { app = "cli" } })
np:address("10.0.0.1", "a/web")
np:address("127.0.0.1", "a/web")
np:connection("a/web", "ingress", "10.0.0.2", 80, "TCP")
np:connection("a/web", "ingress", "10.0.0.2", 80, "TCP")
np:connection("a/web", "ingress", "10.0.0.2", 443, "TCP")
np:connection("a/web", "ingress", "127.0.0.1", 80, "TCP")
np:connection("a/web", "egress", "fd00::9", 53, "TCP")
np:address("10.0.0.2", "b/cli")
np:connection("b/cli", "egress", "10.0.0.1", 80, "TCP")
-- UDP: cli asks a resolver and gets its answer; web answers a client outside
np:udp("b/cli", "send", "10.9.9.9", 53, 40000)
np:udp("b/cli", "recv", "10.9.9.9", 53, 40000)
np:udp("a/web", "recv", "::ffff:10.9.9.8", 41000, 5000)
np:udp("a/web", "send", "10.9.9.8", 41000, 5000)
local pols = np:policies()
eq("netpol count", #pols, 2)
eq("netpol order", pols[1].metadata.namespace .. "," .. pols[2].metadata.namespace, "a,b")
local web = pols[1].spec
eq("netpol ingress rules (loopback left out, one per peer; the UDP one)", #web.ingress, 2)
eq("netpol ingress peer", web.ingress[1].from[1].podSelector.matchLabels.app, "cli")
eq("netpol other namespace", web.ingress[1].from[1].namespaceSelector.matchLabels["kubernetes.io/metadata.name"], "b")
eq("netpol ports", web.ingress[1].ports[1].port .. "," .. web.ingress[1].ports[2].port, "80,443")
eq("netpol ipv6 block", web.egress[1].to[1].ipBlock.cidr, "fd00::9/128")
eq("netpol name", pols[2].metadata.name, "cli-network")
eq("netpol no ingress (the UDP answer is none)", pols[2].spec.ingress, nil)
local cli_eg = pols[2].spec.egress
eq("netpol udp egress", #cli_eg, 2)
eq("netpol udp egress peer", cli_eg[2].to[1].ipBlock.cidr .. " " .. cli_eg[2].ports[1].protocol ..
   " " .. cli_eg[2].ports[1].port, "10.9.9.9/32 UDP 53")
local web2 = pols[1].spec
eq("netpol udp ingress (a mapped IPv4 address)", web2.ingress[2].from[1].ipBlock.cidr .. " " .. web2.ingress[2].ports[1].protocol
   .. " " .. web2.ingress[2].ports[1].port, "10.9.9.8/32 UDP 5000")
eq("netpol udp answer no egress", #web2.egress, 1)

print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
