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
eq("seccomp names sorted, with the implicit ones", table.concat(names, ","),
   "open,read,restart_syscall,rt_sigreturn")
eq("seccomp unknown", table.concat(unknown, ","), "127")
names, unknown = sc.names({ 0x5, 1 << 63 }, function(n) return names_of[n] end, 0x40000001)
eq("seccomp unknown beyond the bitmap", table.concat(unknown, ","), "127,1073741825")
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

-- a datagram read from a socket not connected: the peer is unknown, the
-- rule has ports and no "from" (anywhere), after the rules with a peer
local np2 = require("gadget.netpol").new()
np2:pod("a/srv", { namespace = "a", name = "srv", labels = { app = "srv" } })
np2:udp("a/srv", "recv", "0.0.0.0", 0, 6000)
np2:udp("a/srv", "recv", "10.9.9.8", 41000, 5000)
local srv = np2:policies()[1].spec.ingress
eq("netpol unknown peer: two rules", #srv, 2)
eq("netpol unknown peer: the known one first", srv[1].from[1].ipBlock.cidr, "10.9.9.8/32")
eq("netpol unknown peer: no from", srv[2].from, nil)
-- labels not known (nil, not {}): the policy selects no pod, says so;
-- as a peer, the pod is its address
local np3 = require("gadget.netpol").new()
np3:pod("a/dark", { namespace = "a", name = "dark" })
np3:pod("a/lit", { namespace = "a", name = "lit", labels = {} })
np3:address("10.0.0.7", "a/dark")
np3:connection("a/lit", "egress", "10.0.0.7", 80, "TCP")
local dark, lit = np3:policies()[1], np3:policies()[2]
eq("netpol labels unknown: no pod selected",
   dark.spec.podSelector.matchExpressions[1].key .. " " .. dark.spec.podSelector.matchExpressions[1].operator,
   "gadgethost.io/pod-labels-unknown Exists")
eq("netpol labels unknown: no matchLabels", dark.spec.podSelector.matchLabels, nil)
eq("netpol labels unknown: said", dark.metadata.annotations["gadgethost.io/pod-labels-unknown"] ~= nil, true)
eq("netpol no labels (known): every pod of the namespace", next(lit.spec.podSelector.matchLabels), nil)
eq("netpol no labels (known): nothing to say", lit.metadata.annotations, nil)
eq("netpol peer with labels unknown: its address", lit.spec.egress[1].to[1].ipBlock.cidr, "10.0.0.7/32")
eq("netpol unknown peer: its port", srv[2].ports[1].protocol .. " " .. srv[2].ports[1].port,
   "UDP 6000")
-- gadget.process: the presentation of GADGET_PROCESS_FIELDS and its variants
local process = require("gadget.process")
local own_path = { description = "the path" }
local pf = process.fields({ path = own_path, tid = { hidden = false },
                            timestamp = { description = "when it returned" } })
local names = {}
for k in pairs(pf) do names[#names + 1] = k end
table.sort(names)
eq("process members and the gadget's own", table.concat(names, ","),
   "comm,gid,mountnsid,path,pid,ppid,tid,timestamp,uid")
eq("process own entry kept as is", pf.path, own_path)
eq("process pid", string.format("%d %s %s %s", pf.pid.width, pf.pid.align, tostring(pf.pid.hidden),
   pf.pid.description), "7 right nil process id")
eq("process uid hidden", pf.uid.hidden, true)
eq("process override: only the key named", pf.tid.hidden == false and pf.tid.width == 7 and
   pf.tid.description == "thread id", true)
eq("process override description", pf.timestamp.description .. " " .. tostring(pf.timestamp.hidden),
   "when it returned true")
eq("process mountnsid", pf.mountnsid.description, "mount namespace of the process")
local tf = process.fields({}, { members = process.TASK })
eq("process TASK: no timestamp", tf.timestamp == nil and tf.mountnsid ~= nil and tf.ppid ~= nil, true)
local sub = process.fields(nil, { members = { "pid", "comm" } })
eq("process subset", sub.pid.width .. " " .. sub.comm.width .. " " .. tostring(sub.tid), "7 16 nil")
local kf = process.fields({ kuid = { hidden = false } }, { prefix = "k", of = "the victim" })
eq("process prefix", kf.pid == nil and kf.mountnsid == nil and kf.kppid ~= nil, true)
eq("process of", kf.kpid.description .. "|" .. kf.kcomm.description,
   "process id of the victim|command name of the victim")
eq("process prefix override", kf.kuid.hidden, false)
eq("process of mountnsid", process.fields({}, { of = "the sender" }).mountnsid.description,
   "mount namespace of the sender")
local ok, err = pcall(process.fields, {}, { members = { "pdi" } })
eq("process unknown member", not ok and err:find("no process member \"pdi\"", 1, true) ~= nil, true)
local family = process.preset({ pid = { description = "the owner" }, port = { width = 5 } })
local ff = family({ port = { width = 6 } })
eq("process preset", ff.pid.description .. " " .. ff.pid.width .. " " .. ff.port.width, "the owner 7 6")
eq("tcp fields", require("gadget.tcp").fields({}).ppid.width, 7)
eq("packet fields", require("gadget.packet_fields").fields({}).pid.description,
   "process owning the local socket")
local stacks = require("gadget.stacks")
local sp = stacks.params({ min = { global = "min_block_ns", type = "duration" } })
eq("stacks params user-only", sp["user-only"].global, "user_only")
eq("stacks params kernel-only", sp["kernel-only"].global, "kernel_only")
eq("stacks params extra", sp.min.global, "min_block_ns")
local sf = stacks.fields({ comm = { description = "mine" }, usecs = { description = "us" } })
eq("stacks fields kept", sf.userStack.description, "user functions, innermost first")
eq("stacks fields overridden", sf.comm.description, "mine")
eq("stacks fields extra", sf.usecs.description, "us")
eq("stacks fields fresh each call", stacks.fields().comm.description, "command name")
eq("stacks fields members", stacks.fields({}, { "mountnsid", "pid", "tid", "comm" }).tid.width, 7)
eq("stacks fields default members", stacks.fields().tid, nil)

print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
