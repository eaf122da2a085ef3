-- trace/sni: the server name (SNI) each TLS client asks for.
local packet = require("gadget.packet")
local packet_fields = require("gadget.packet_fields")

return {
  name = "trace sni",
  description = "Trace the server name (SNI) of TLS ClientHellos",
  object = "trace/sni.bpf.o",

  fields = packet_fields.fields({
    pktType = { width = 8, description = "OUTGOING: the client's copy; HOST: the server's" },
    helloLen = { hidden = true, description = "bytes of TCP payload in the packet" },
    payload = { internal = true },
    name = { type = "string", width = 30, description = "the server name asked for" },
    error = { type = "string", hidden = true,
              description = "why no name was read (a ClientHello cut short or malformed)" },
  }),
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
