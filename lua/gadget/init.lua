-- gadget: the Lua library shipped with gadgethost.
--   local gadget = require("gadget")
--   gadget.strings.split(s, ","), gadget.net.ipv4(n), gadget.time.duration(ns),
--   gadget.flags.open (names of open(2) flags)
-- Inside the host, also the functions of gadget.host (host/script/lua_host.h):
--   gadget.map(name), gadget.container(mntns), gadget.containers(),
--   gadget.syscall_name(nr), gadget.emit(doc), gadget.warn(msg), gadget.array(t),
--   gadget.null
local M = {
  flags = require("gadget.flags"),
  net = require("gadget.net"),
  strings = require("gadget.strings"),
  time = require("gadget.time"),
}

local ok, host = pcall(require, "gadget.host")
if ok then
  for k, v in pairs(host) do
    M[k] = v
  end
end

return M
