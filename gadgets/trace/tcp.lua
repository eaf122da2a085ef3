-- trace/tcp: connect, accept and close of TCP connections (ig's tcptracer).
local tcp = require("gadget.tcp")

return {
  name = "trace tcp",
  description = "Trace TCP connect, accept and close, with the process of each",
  object = "trace/tcp.bpf.o",

  params = {
    ["accept-only"] = {
      global = "accept_only", type = "bool", default = false,
      description = "show only accept events",
    },
    ["connect-only"] = {
      global = "connect_only", type = "bool", default = false,
      description = "show only connect events",
    },
    ["failure-only"] = {
      global = "failure_only", type = "bool", default = false,
      description = "show only failed connect events",
    },
  },

  fields = tcp.fields({
    typeRaw = { hidden = true, description = "event type as a number (0 connect, 1 accept, 2 close)" },
    type = { from = "typeRaw", enum = { connect = 0, accept = 1, close = 2 }, width = 7,
             description = "connect, accept or close" },
    error = { width = 12, description = "a failed connect's errno (ECONNREFUSED...), else 0" },
  }),
  columns = { "type", "pid", "comm", "ipversion", "saddr", "sport", "daddr", "dport", "error" },
}
