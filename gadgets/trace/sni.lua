-- trace/sni: the server name (SNI) each TLS client asks for.
local packet = require("gadget.packet")

return {
  name = "trace sni",
  description = "Trace the server name (SNI) of TLS ClientHellos",
  object = "trace/sni.bpf.o",

  fields = {
    timestamp = { hidden = true, description = "when the packet was seen" },
    mountnsid = { hidden = true, description = "mount namespace of the process" },
    netns = { hidden = true, description = "network namespace of the packet" },
    pid = { width = 7, align = "right", description = "process owning the local socket" },
    tid = { width = 7, align = "right", hidden = true,
            description = "its thread that last used the socket" },
    uid = { width = 6, align = "right", hidden = true, description = "user id" },
    gid = { width = 6, align = "right", hidden = true, description = "group id" },
    comm = { width = 16, description = "process name" },
    ["src.addr"] = { width = 15, description = "source address" },
    ["src.port"] = { width = 5, align = "right", description = "source port" },
    ["src.proto"] = { hidden = true, description = "IP protocol number (TCP)" },
    ["dst.addr"] = { width = 15, description = "destination address" },
    ["dst.port"] = { width = 5, align = "right", description = "destination port" },
    ["dst.proto"] = { hidden = true, description = "IP protocol number (TCP)" },
    pktType = { width = 8, description = "OUTGOING: the client's copy; HOST: the server's" },
    helloLen = { hidden = true, description = "bytes of TCP payload in the packet" },
    payload = { internal = true },
    name = { type = "string", width = 30, description = "the server name asked for" },
    error = { type = "string", hidden = true,
              description = "why no name was read (a ClientHello cut short or malformed)" },
  },
  columns = { "pid", "comm", "src.addr", "src.port", "dst.addr", "dst.port", "pktType", "name" },

  -- a ClientHello without a server_name says nothing: dropped
  filter = function(ev)
    local name, _, status = packet.tls_sni(ev:bytes("payload"))
    return name ~= nil or status ~= "none"
  end,
  enrich = function(ev)
    local name, why = packet.tls_sni(ev:bytes("payload"))
    ev.name = name
    ev.error = why
  end,
}
