-- trace/dns: DNS queries and responses (UDP and TCP), decoded in C.
--
-- The eBPF side (a socket program in every traced network namespace)
-- sends each DNS message's bytes with the addresses and the owner of the
-- local socket; the decode table below decodes them in C (dns_parse).
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

  -- the message, decoded in C once per event at the first read of one of
  -- the fields "from" it (no Lua runs per event for them)
  decode = {
    dns = { payload = "payload", tcp = "tcp", length = "dnsLen", unanswered = "unanswered",
            src = "src.addr", dst = "dst.addr" },
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

    qr = { from = "dns.qr", width = 2, description = "Q: query, R: response" },
    nameserver = { from = "dns.nameserver", width = 15, hidden = true,
                   description = "the server's address (query: destination, response: source)" },
    qtype = { from = "dns.qtype", width = 6, description = "query type: A, AAAA, CNAME..." },
    name = { from = "dns.name", width = 30, description = "the name asked for" },
    rcode = { from = "dns.rcode", width = 9,
              description = "response code: NoError, NXDomain...; Timeout: unanswered" },
    numAnswers = { from = "dns.numAnswers", width = 4, align = "right",
                   description = "answer records in the response" },
    addresses = { from = "dns.addresses", width = 20,
                  description = "A and AAAA addresses answered" },
    answers = { from = "dns.answers", hidden = true,
                description = "every answer decoded: NAME TYPE DATA (CNAME chains)" },
    truncated = { from = "dns.truncated", hidden = true,
                  description = "the TC bit: the server cut the answer" },
    incomplete = { from = "dns.incomplete", hidden = true,
                   description = "the capture holds less than the message (or its counts lie)" },
    ednsUdpSize = { from = "dns.ednsUdpSize", hidden = true,
                    description = "EDNS: the sender's UDP payload size" },
    error = { from = "dns.error", hidden = true,
              description = "where decoding stopped, if it did" },
  }),
  columns = { "pid", "comm", "src.addr", "src.port", "dst.addr", "dst.port", "qr", "qtype",
              "name", "rcode", "latency", "numAnswers", "addresses" },
}
