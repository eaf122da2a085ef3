-- top/tcp: bytes sent and received per process and TCP connection.
local process = require("gadget.process")

return {
  name = "top tcp",
  description = "TCP bytes sent and received per process and connection, every interval",
  object = "top/tcp.bpf.o",
  -- the sock tracepoints where the kernel has them, else (6.1) fexit on TCP's own calls
  variants = {
    recv = { "sock_recv", "fexit_tcp_recvmsg" },
    send = { "sock_send", "fexit_tcp_sendmsg" },
  },
  sort = "-sent,-recv,pid,sport",

  fields = process.fields({
    ip = { width = 2, align = "right", description = "IP version: 4 or 6" },
    saddr = { width = 24, description = "local address" },
    daddr = { width = 24, description = "remote address" },
    sport = { width = 5, align = "right", description = "local port" },
    dport = { width = 5, align = "right", description = "remote port" },
    sent = { width = 10, align = "right", description = "bytes sent in the interval" },
    recv = { width = 10, align = "right", description = "bytes received in the interval" },
  }, { members = { "mountnsid", "pid", "comm" } }),
  columns = { "pid", "comm", "ip", "saddr", "daddr", "sport", "dport", "sent", "recv" },
}
