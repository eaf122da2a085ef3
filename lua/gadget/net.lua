-- gadget.net: addresses and ports.
local M = {}

-- an IPv4 address held in a u32 in network byte order, read on a
-- little-endian host (as a gadget_ipv4_addr member is) -> "10.0.0.1"
function M.ipv4(n)
  return string.format("%d.%d.%d.%d", n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff,
                       (n >> 24) & 0xff)
end

-- network to host byte order for a 16-bit port
function M.ntohs(n)
  return ((n & 0xff) << 8) | ((n >> 8) & 0xff)
end

M.protocols = { [1] = "ICMP", [6] = "TCP", [17] = "UDP", [58] = "ICMPv6", [132] = "SCTP" }

function M.protocol(n)
  return M.protocols[n] or tostring(n)
end

return M
