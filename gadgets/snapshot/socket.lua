-- snapshot/socket: the TCP and UDP sockets now, per network namespace.
return {
  name = "snapshot socket",
  description = "TCP and UDP sockets now: addresses, ports, status, inode",
  object = "snapshot/socket.bpf.o",
  sort = "netns,proto,sport,dport",

  params = {
    proto = {
      global = "proto", type = "string", default = "all", values = { "tcp", "udp", "all" },
      description = "tcp, udp or all",
    },
  },

  fields = {
    mountnsid = { hidden = true,
                  description = "mount namespace of the container whose network namespace it is (0: the host's)" },
    netns = { width = 11, align = "right", description = "network namespace" },
    proto = { width = 5, description = "TCP or UDP" },
    ip = { width = 2, align = "right", hidden = true, description = "IP version: 4 or 6" },
    saddr = { width = 24, description = "local address" },
    sport = { width = 5, align = "right", description = "local port" },
    daddr = { width = 24, description = "remote address" },
    dport = { width = 5, align = "right", description = "remote port" },
    status = { width = 12, description = "LISTEN, ESTABLISHED, ... (UDP: ESTABLISHED if connected, else CLOSE)" },
    inode = { width = 10, align = "right", description = "socket inode (socket:[inode] in /proc/PID/fd)" },
  },
  columns = { "netns", "proto", "saddr", "sport", "daddr", "dport", "status", "inode" },
}
