-- gadget.packet_fields: the fields every packet gadget shares (trace/dns,
-- trace/sni): the owner of the packet's local socket (gadget/socket_owner.h,
-- GADGET_PROCESS_FIELDS), netns, and the src and dst endpoints
-- (struct gadget_l4endpoint_t of gadget/packet.h).
local process = require("gadget.process")

local M = {}

local common = {
  timestamp = { description = "when the packet was seen" },
  pid = { description = "process owning the local socket" },
  tid = { description = "its thread that last used the socket" },
  comm = { description = "process name" },
  netns = { hidden = true, description = "network namespace of the packet" },
  ["src.addr"] = { width = 15, description = "source address" },
  ["src.port"] = { width = 5, align = "right", description = "source port" },
  ["src.proto"] = { hidden = true, description = "IP protocol number" },
  ["dst.addr"] = { width = 15, description = "destination address" },
  ["dst.port"] = { width = 5, align = "right", description = "destination port" },
  ["dst.proto"] = { hidden = true, description = "IP protocol number" },
}

-- fields(own): the common fields and the process's, with the gadget's own
M.fields = process.preset(common)

return M
