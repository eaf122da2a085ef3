-- trace/tcpconnect: each TCP connect, with its result and optionally the
-- connection latency (SYN sent -> answer).
local tcp = require("gadget.tcp")
local time = require("gadget.time")

return {
  name = "trace tcpconnect",
  description = "Trace TCP connects: who connected where, the result, and the handshake latency",
  object = "trace/tcpconnect.bpf.o",

  params = {
    latency = {
      global = "calculate_latency", type = "bool", default = false,
      description = "measure the latency: SYN sent to SYN-ACK (or RST) received",
    },
    ["min-latency"] = {
      global = "min_latency_ns", type = "duration", default = 0,
      description = "show only connects slower than this (milliseconds, or 1.5ms, 200us, 1s); "
        .. "implies --latency",
    },
  },

  fields = tcp.fields({
    latency = { width = 9, align = "right",
                description = "SYN sent to answer, in ns (0 without --latency)",
                format = function(v) return v > 0 and time.duration(v) or "" end },
    error = { width = 12, description = "0, or why the connect failed (ECONNREFUSED...)" },
  }),
  columns = { "pid", "comm", "ipversion", "saddr", "sport", "daddr", "dport", "latency", "error" },
}
