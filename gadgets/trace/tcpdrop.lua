-- trace/tcpdrop: TCP segments the kernel dropped, with its reason.
local tcp = require("gadget.tcp")

return {
  name = "trace tcpdrop",
  description = "Trace TCP segments the kernel dropped, with the reason (enum skb_drop_reason "
    .. "of the running kernel), state, flags and the local port's process",
  object = "trace/tcpdrop.bpf.o",

  fields = tcp.fields(tcp.segment, {
    netns = { hidden = true, width = 11,
              description = "network namespace of the socket, else of the receiving device" },
    saddr = { width = 16, description = "the segment's source address" },
    sport = { width = 5, align = "right", description = "the segment's source port" },
    daddr = { width = 16, description = "the segment's destination address" },
    dport = { width = 5, align = "right", description = "the segment's destination port" },
    reason = { width = 20, enum_prefix = "SKB_DROP_REASON_",
               description = "why the kernel dropped it: the running kernel's enum "
                 .. "skb_drop_reason, without SKB_DROP_REASON_ (NO_SOCKET, NETFILTER_DROP...)" },
  }),
  columns = { "pid", "comm", "ipversion", "saddr", "sport", "daddr", "dport", "state",
              "tcpflags", "reason" },
}
