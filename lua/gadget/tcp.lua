-- gadget.tcp: the fields every TCP connection gadget shares (trace/tcp,
-- trace/tcpconnect: the members gadget/tcp_conn.h fills; trace/tcpretrans,
-- trace/tcpdrop), TCP's states and header flags by name.
local process = require("gadget.process")

local M = {}

-- and the process's (GADGET_PROCESS_FIELDS, by gadget.process)
local common = {
  timestamp = { description = "when the kernel saw it" },
  netns = { hidden = true, width = 11, description = "network namespace of the socket" },
  ipversion = { width = 2, align = "right", description = "IP version: 4 or 6" },
  saddr = { width = 16, description = "local address" },
  sport = { width = 5, align = "right", description = "local port" },
  daddr = { width = 16, description = "remote address" },
  dport = { width = 5, align = "right", description = "remote port" },
}

-- TCP states as the kernel numbers them (include/net/tcp_states.h), for a
-- field `from` a state member; 0, no socket, prints as ""
M.states = {
  [0] = "", ESTABLISHED = 1, SYN_SENT = 2, SYN_RECV = 3, FIN_WAIT1 = 4, FIN_WAIT2 = 5,
  TIME_WAIT = 6, CLOSE = 7, CLOSE_WAIT = 8, LAST_ACK = 9, LISTEN = 10, CLOSING = 11,
  NEW_SYN_RECV = 12,
}

-- the flags of a TCP header (its 14th byte), for a field `from` a flags member
M.header_flags = { FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16, URG = 32, ECE = 64, CWR = 128 }

-- the fields of a gadget about one segment of a connection, owned by a
-- process only when known (trace/tcpretrans, trace/tcpdrop): the process
-- (GADGET_PROCESS_FIELDS), the state and the segment's flags
M.segment = {
  pid = { description = "process owning the local port (0: none known since the start)" },
  stateRaw = { hidden = true, description = "TCP state as a number, 0: no socket" },
  state = { from = "stateRaw", enum = M.states, width = 12, description = "TCP state" },
  tcpflagsRaw = { hidden = true, description = "the segment's TCP flags, as a number" },
  tcpflags = { from = "tcpflagsRaw", flags = M.header_flags, width = 16,
               description = "the segment's TCP flags (SYN, ACK, RST...)" },
}

-- the common fields plus a gadget's own (which win on a clash)
-- (and more tables of fields after extra: M.fields(M.segment, own))
M.fields = process.preset(common)

return M
