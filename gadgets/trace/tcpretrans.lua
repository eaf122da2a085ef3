-- trace/tcpretrans: TCP retransmissions, with the connection's state, the
-- segment's flags and the socket's owner.
local tcp = require("gadget.tcp")

return {
  name = "trace tcpretrans",
  description = "Trace TCP retransmissions (segments and SYN-ACKs sent again): connection, "
    .. "state, flags, the socket's process",
  object = "trace/tcpretrans.bpf.o",

  fields = tcp.fields(tcp.segment, {
    typeRaw = { hidden = true, description = "0 a segment, 1 a listener's SYN-ACK" },
    type = { from = "typeRaw", enum = { RETRANS = 0, SYNACK = 1 }, width = 7,
             description = "RETRANS (tcp_retransmit_skb) or SYNACK (tcp_retransmit_synack)" },
    error = { width = 7, hidden = true,
              description = "0: sent again; else why it could not be, now (EBUSY: its first "
                .. "copy still waits in this host's queues; 6.14+ report these)" },
  }),
  columns = { "pid", "comm", "ipversion", "saddr", "sport", "daddr", "dport", "state",
              "tcpflags", "type" },
}
