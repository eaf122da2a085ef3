-- trace/ssl: the plaintext of TLS connections, as OpenSSL (SSL_write,
-- SSL_read and their _ex forms) and GnuTLS (gnutls_record_send, _recv)
-- pass it to and from the application: process, direction, length, the
-- first --max-bytes bytes, and how long the call took.
local ops = { SSL_write = 0, SSL_read = 1, SSL_write_ex = 2, SSL_read_ex = 3,
              gnutls_record_send = 4, gnutls_record_recv = 5 }
local reads = { [1] = true, [3] = true, [5] = true }

-- bytes as text: printable ASCII as is, \n \r \t, \\, every other byte \xNN
local function escape(s)
  return (string.gsub(s, "[\0-\31\\\127-\255]", function(c)
    if c == "\n" then return "\\n" end
    if c == "\r" then return "\\r" end
    if c == "\t" then return "\\t" end
    if c == "\\" then return "\\\\" end
    return string.format("\\x%02x", string.byte(c))
  end))
end

return {
  name = "trace ssl",
  description = "Trace the plaintext of TLS connections through OpenSSL and GnuTLS",
  object = "trace/ssl.bpf.o",

  params = {
    ["max-bytes"] = {
      global = "max_bytes", type = "uint", default = 64,
      description = "copy at most this many bytes of each call's data (4096 at most)",
    },
  },

  fields = {
    timestamp = { hidden = true, description = "when the call returned" },
    mountnsid = { hidden = true, description = "mount namespace of the process" },
    pid = { width = 7, align = "right", description = "process id" },
    tid = { width = 7, align = "right", hidden = true, description = "thread id" },
    ppid = { width = 7, align = "right", hidden = true, description = "parent process id" },
    uid = { width = 6, align = "right", hidden = true, description = "user id" },
    gid = { width = 6, align = "right", hidden = true, description = "group id" },
    comm = { width = 16, description = "command name" },
    opRaw = { hidden = true, description = "the function as a number" },
    operation = { from = "opRaw", enum = ops, width = 18, hidden = true,
                  description = "the function: SSL_write, SSL_read, SSL_write_ex, SSL_read_ex, "
                    .. "gnutls_record_send, gnutls_record_recv" },
    direction = { type = "string", width = 5,
                  description = "write (the application sends) or read (it receives)" },
    library = { type = "string", width = 7, hidden = true, description = "openssl or gnutls" },
    len = { width = 6, align = "right", description = "bytes written or read" },
    captured = { hidden = true, description = "bytes copied into data (at most --max-bytes)" },
    latency_ns = { hidden = true, description = "the call's duration in nanoseconds" },
    latency = { type = "string", width = 9, align = "right",
                description = "the call's duration (a read's includes waiting for data)" },
    buf = { internal = true },
    data = { type = "string",
             description = "the first --max-bytes bytes, printable ASCII as is, \\n \\r \\t "
               .. "\\\\ escaped, other bytes as \\xNN" },
  },
  columns = { "pid", "comm", "direction", "len", "latency", "data" },

  enrich = function(ev)
    local op = ev.opRaw
    ev.direction = reads[op] and "read" or "write"
    ev.library = op >= 4 and "gnutls" or "openssl"
    local ns = ev.latency_ns
    if ns < 1000000 then
      ev.latency = string.format("%.1fus", ns / 1000)
    else
      ev.latency = string.format("%.1fms", ns / 1000000)
    end
    ev.data = escape(ev:bytes("buf"))
  end,
}
