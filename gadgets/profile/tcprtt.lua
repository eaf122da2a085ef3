-- profile/tcprtt: TCP round-trip times as a log2 histogram, as tcprtt.
return {
  name = "profile tcprtt",
  description = "TCP smoothed round-trip time as a histogram (tcprtt), per container; "
    .. "--by-raddr / --by-lport split it; printed at the end, or every --interval seconds",
  object = "profile/tcprtt.bpf.o",

  params = {
    ["by-raddr"] = {
      global = "by_raddr", type = "bool", default = false,
      description = "one histogram per remote address (as tcprtt -B)",
    },
    ["by-lport"] = {
      global = "by_lport", type = "bool", default = false,
      description = "one histogram per local port",
    },
    lport = {
      global = "filter_lport", type = "uint", default = 0,
      description = "only connections on this local port (as tcprtt -p)",
    },
    rport = {
      global = "filter_rport", type = "uint", default = 0,
      description = "only connections to this remote port (as tcprtt -P)",
    },
  },

  fields = {
    mountnsid = { hidden = true,
                  description = "mount namespace of the socket's owner (0: not known)" },
    raddr = { width = 16, description = "remote address (--by-raddr)" },
    lport = { width = 5, align = "right", description = "local port (--by-lport)" },
  },
  columns = { "raddr", "lport" },
}
