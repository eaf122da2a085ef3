-- trace/bind: bind() on IPv4 and IPv6 sockets: address, port, protocol,
-- the options that change what bind does, and the bound interface.
local net = require("gadget.net")
local sockets = require("gadget.sockets")
local process = require("gadget.process")

return {
  name = "trace bind",
  description = "Trace socket bindings: bind() on IPv4 and IPv6 sockets",
  object = "trace/bind.bpf.o",

  params = {
    ["ignore-errors"] = {
      global = "ignore_errors", type = "bool", default = true,
      description = "show only binds that succeeded (--ignore-errors=false: failed ones too)",
    },
    ports = {
      global = "target_ports", type = "uint16list",
      description = "only binds to these ports (comma separated, at most 16)",
    },
  },

  fields = process.fields({
    timestamp = { description = "when bind returned" },
    protoRaw = { hidden = true, description = "the socket's protocol as a number" },
    proto = { from = "protoRaw", enum = net.protocols, width = 5,
              description = "the socket's protocol (TCP, UDP...)" },
    addr = { width = 24, description = "the address bound to (asked for, if bind failed)" },
    port = { width = 5, align = "right",
             description = "the port bound to (the one the kernel chose for port 0)" },
    error = { width = 10, description = "0, or the errno of a failed bind" },
    optsRaw = { hidden = true, description = "the bind options as bits (F=1 T=2 N=4 R=8 r=16)" },
    optsNames = { from = "optsRaw", flags = sockets.bind_options, zero = "", hidden = true,
                  description = "the bind options by name" },
    opts = { type = "string", width = 5,
             description = "options set before bind, as Inspektor Gadget shows them: "
               .. "r SO_REUSEPORT, R SO_REUSEADDR, N IP_BIND_ADDRESS_NO_PORT, "
               .. "T IP_TRANSPARENT, F IP_FREEBIND, . unset" },
    ifindex = { hidden = true, description = "index of the interface bound to, 0 if none" },
    ifname = { hidden = true, description = "name of the interface bound to (kernel side)" },
    ["if"] = { type = "string", width = 8,
               description = "the interface the socket is bound to (SO_BINDTODEVICE)" },
  }),
  columns = { "pid", "comm", "proto", "addr", "port", "opts", "if", "error" },

  enrich = function(ev)
    ev.opts = sockets.bind_options_letters(ev.optsRaw)
    ev["if"] = ev.ifname
  end,
}
