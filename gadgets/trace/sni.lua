-- trace/sni: the server name (SNI) each TLS client asks for.
local packet_fields = require("gadget.packet_fields")

return {
  name = "trace sni",
  description = "Trace the server name (SNI) of TLS ClientHellos",
  object = "trace/sni.bpf.o",

  -- the ClientHello, read in C once per event (tls_parse)
  decode = { tls = { payload = "payload" } },

  fields = packet_fields.fields({
    pktType = { width = 8, description = "OUTGOING: the client's copy; HOST: the server's" },
    helloLen = { hidden = true, description = "bytes of TCP payload in the packet" },
    payload = { internal = true },
    name = { from = "tls.name", width = 30, description = "the server name asked for" },
    error = { from = "tls.error", hidden = true,
              description = "why no name was read (a ClientHello cut short or malformed)" },
    status = { from = "tls.status", internal = true },
  }),
  columns = { "pid", "comm", "src.addr", "src.port", "dst.addr", "dst.port", "pktType", "name" },

  -- a ClientHello without a server_name says nothing: dropped
  filter = function(ev) return ev.status ~= "none" end,
}
