-- gadget.tcp: the fields every TCP connection gadget shares (trace/tcp,
-- trace/tcpconnect: the members gadget/tcp_conn.h fills).
local M = {}

local common = {
  timestamp = { hidden = true, description = "when the kernel saw it" },
  mountnsid = { hidden = true, description = "mount namespace of the process" },
  netns = { hidden = true, width = 11, description = "network namespace of the socket" },
  pid = { width = 7, align = "right", description = "process id" },
  tid = { width = 7, align = "right", hidden = true, description = "thread id" },
  uid = { width = 6, align = "right", hidden = true, description = "user id" },
  gid = { width = 6, align = "right", hidden = true, description = "group id" },
  comm = { width = 16, description = "command name" },
  ipversion = { width = 2, align = "right", description = "IP version: 4 or 6" },
  saddr = { width = 16, description = "local address" },
  sport = { width = 5, align = "right", description = "local port" },
  daddr = { width = 16, description = "remote address" },
  dport = { width = 5, align = "right", description = "remote port" },
}

-- the common fields plus a gadget's own (which win on a clash)
function M.fields(extra)
  local out = {}
  for k, v in pairs(common) do out[k] = v end
  for k, v in pairs(extra or {}) do out[k] = v end
  return out
end

return M
