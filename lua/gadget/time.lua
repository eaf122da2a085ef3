-- gadget.time: durations and timestamps.
local M = {}

-- 1500000 (ns) -> "1.5ms"
function M.duration(ns)
  if ns >= 1e9 then return string.format("%.3gs", ns / 1e9) end
  if ns >= 1e6 then return string.format("%.3gms", ns / 1e6) end
  if ns >= 1e3 then return string.format("%.3gus", ns / 1e3) end
  return string.format("%dns", ns)
end

-- a gadget_timestamp as the JSON output carries it (ns since the epoch)
-- -> "2026-11-22T21:59:03.123456Z"
function M.iso8601(ns)
  local sec = ns // 1000000000
  return os.date("!%Y-%m-%dT%H:%M:%S", sec) .. string.format(".%06dZ", (ns % 1000000000) // 1000)
end

return M
