-- gadget: the Lua library shipped with gadgethost.
--   local gadget = require("gadget")
--   gadget.strings.split(s, ","), gadget.net.ipv4(n), gadget.time.duration(ns),
--   gadget.flags.open (names of open(2) flags)
return {
  flags = require("gadget.flags"),
  net = require("gadget.net"),
  strings = require("gadget.strings"),
  time = require("gadget.time"),
}
