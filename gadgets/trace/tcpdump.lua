-- trace/tcpdump: the packets of containers, network namespaces or the
-- host, as rows or as a pcap-ng file (-o pcapng) that tcpdump and
-- Wireshark read, with the process and container of each packet as its
-- comment.  --pf takes a pcap filter expression (libpcap's, run on the
-- captured bytes in the host).
local net = require("gadget.net")
local tcp = require("gadget.tcp")
local packet_fields = require("gadget.packet_fields")

local ethertypes = { [0x0800] = "IPv4", [0x86DD] = "IPv6", [0x0806] = "ARP", [0x8100] = "VLAN" }

local function tcp_flags(f)
  local names = {}
  for _, n in ipairs({ "SYN", "FIN", "RST", "PSH", "ACK", "URG", "ECE", "CWR" }) do
    if f & tcp.header_flags[n] ~= 0 then names[#names + 1] = n end
  end
  return table.concat(names, "|")
end

local function endpoint(addr, port)
  return (addr:find(":", 1, true) and "[" .. addr .. "]" or addr) .. ":" .. port
end

-- "TCP 10.0.0.1:40000 > 10.0.0.2:80 SYN|ACK", "UDP ...", "ICMP", "ARP"
local function summary(ev)
  local proto = ev.ipProto
  if ev["src.proto"] ~= 0 then
    local s = net.protocol(proto) .. " " .. endpoint(ev["src.addr"], ev["src.port"]) .. " > "
      .. endpoint(ev["dst.addr"], ev["dst.port"])
    if proto == 6 then s = s .. " " .. tcp_flags(ev.tcpFlags) end
    return s
  end
  if proto ~= 0 then return net.protocol(proto) end
  return ethertypes[ev.ethType] or string.format("ethertype 0x%04x", ev.ethType)
end

return {
  name = "trace tcpdump",
  description = "Capture packets (pcap filter --pf), as rows or pcap-ng with their process",
  object = "trace/tcpdump.bpf.o",

  params = {
    snaplen = {
      global = "snaplen", type = "uint", default = 1514, min = 1, max = 16384,
      description = "bytes captured of each packet, from its link-layer header (1 to 16384)",
    },
  },

  -- what -o pcapng and --pf read of a row (docs/lua-api.md, "packet")
  packet = {
    data = "data", length = "len", linktype = "linktype", snaplen = "snapLen",
    interface = { "netns", "ifindex" }, ifname = "ifname", direction = "pktType",
    comment = { "comm", "pid", "runtime.containerName" },
  },

  fields = packet_fields.fields({
    netns = { hidden = false, width = 10, description = "network namespace of the packet" },
    ifindex = { width = 3, align = "right", hidden = true,
                description = "interface index in the packet's network namespace" },
    pktType = { width = 8, hidden = true,
                description = "HOST (received), OUTGOING (sent), BROADCAST, MULTICAST, OTHERHOST" },
    direction = { from = "pktType", width = 3,
                  enum = { [0] = "in", [1] = "in", [2] = "in", [3] = "oth", [4] = "out" },
                  description = "in (received), out (sent), oth (for another host)" },
    len = { width = 5, align = "right", description = "bytes of the frame on the wire" },
    snapLen = { hidden = true, description = "the capture's limit (--snaplen)" },
    ethType = { hidden = true, description = "the frame's protocol (ETH_P_*)" },
    ipProto = { hidden = true, description = "IP protocol number, 0 for none" },
    tcpFlags = { hidden = true, description = "TCP header flags" },
    ["src.addr"] = { hidden = true, description = "source address (TCP/UDP over IP)" },
    ["src.port"] = { hidden = true, description = "source port" },
    ["dst.addr"] = { hidden = true, description = "destination address" },
    ["dst.port"] = { hidden = true, description = "destination port" },
    data = { internal = true },
    summary = { type = "string", width = 56,
                description = "protocol, addresses and ports, TCP flags" },
  }),
  columns = { "netns", "ifname", "direction", "len", "pid", "comm", "summary" },

  enrich = function(ev)
    ev.summary = summary(ev)
  end,
}
