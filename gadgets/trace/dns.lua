-- trace/dns: DNS queries and responses (UDP and TCP), decoded in C.
--
-- The eBPF side (a socket program in every traced network namespace)
-- sends each DNS message's bytes with the addresses and the owner of the
-- local socket; gadget.packet decodes them here.
local packet = require("gadget.packet")
local net = require("gadget.net")
local time = require("gadget.time")
local packet_fields = require("gadget.packet_fields")

local function blank_if_zero(v)
  return v == 0 and "" or time.duration(v)
end

return {
  name = "trace dns",
  description = "Trace DNS queries and responses, with latency and unanswered queries",
  object = "trace/dns.bpf.o",

  params = {
    port = {
      global = "dns_port", type = "uint", default = 53,
      description = "the DNS server port to watch (UDP and TCP)",
    },
    ["unanswered-timeout"] = {
      global = "unanswered_timeout_s", type = "uint", default = 2,
      description = "seconds after which a query without a response is reported "
        .. "(rcode Timeout); 0: never",
    },
  },

  fields = packet_fields.fields({
    proto = { from = "src.proto", enum = { TCP = 6, UDP = 17 }, width = 5,
              hidden = true, description = "UDP or TCP" },
    pktType = { width = 8, hidden = true,
                description = "HOST (received), OUTGOING (sent), BROADCAST, MULTICAST, OTHERHOST" },
    latency = { width = 8, align = "right", format = blank_if_zero,
                description = "response: ns since its query was sent; unanswered: ns waited" },
    dnsLen = { hidden = true, description = "bytes of the DNS message (TCP: with its length prefix)" },
    id = { width = 5, align = "right", hidden = true, description = "DNS message id" },
    unanswered = { hidden = true, description = "a query no response came for in time" },
    tcp = { hidden = true, description = "DNS over TCP" },
    payload = { internal = true },

    qr = { type = "string", width = 2, description = "Q: query, R: response" },
    nameserver = { type = "string", width = 15, hidden = true,
                   description = "the server's address (query: destination, response: source)" },
    qtype = { type = "string", width = 6, description = "query type: A, AAAA, CNAME..." },
    name = { type = "string", width = 30, description = "the name asked for" },
    rcode = { type = "string", width = 9,
              description = "response code: NoError, NXDomain...; Timeout: unanswered" },
    numAnswers = { type = "int", width = 4, align = "right",
                   description = "answer records in the response" },
    addresses = { type = "strlist", width = 20, description = "A and AAAA addresses answered" },
    answers = { type = "strlist", hidden = true,
                description = "every answer decoded: NAME TYPE DATA (CNAME chains)" },
    truncated = { type = "bool", hidden = true, description = "the TC bit: the server cut the answer" },
    incomplete = { type = "bool", hidden = true,
                   description = "the capture holds less than the message (or its counts lie)" },
    ednsUdpSize = { type = "int", hidden = true, description = "EDNS: the sender's UDP payload size" },
    error = { type = "string", hidden = true, description = "where decoding stopped, if it did" },
  }),
  columns = { "pid", "comm", "src.addr", "src.port", "dst.addr", "dst.port", "qr", "qtype",
              "name", "rcode", "latency", "numAnswers", "addresses" },

  enrich = function(ev)
    local bytes = ev:bytes("payload")
    local m, err = packet.dns(bytes, ev.tcp)
    ev.nameserver = (m and m.qr) and ev["src.addr"] or ev["dst.addr"]
    if not m then
      ev.error = err
      ev.incomplete = true
      return
    end
    ev.qr = m.qr and "R" or "Q"
    ev.qtype = m.qtypeName
    ev.name = m.name
    ev.truncated = m.tc
    ev.incomplete = m.incomplete or ev.dnsLen > #bytes
    ev.ednsUdpSize = m.edns and m.edns.udpSize or nil
    ev.error = m.error
    if ev.unanswered then
      ev.rcode = "Timeout"
      return
    end
    if m.qr then
      ev.rcode = m.rcodeName
      ev.numAnswers = m.ancount
      ev.addresses = m.addresses
      local answers = {}
      for i, a in ipairs(m.answers) do
        answers[i] = a.name .. " " .. a.typeName .. " " .. a.data
      end
      ev.answers = answers
    end
  end,
}
