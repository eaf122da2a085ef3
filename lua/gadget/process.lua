-- gadget.process: how the process members of gadget/process.h print.
--
--   local process = require("gadget.process")
--   return {
--     ...
--     fields = process.fields({ ...the gadget's own fields... }),
--   }
--
-- gives the members of GADGET_PROCESS_FIELDS (timestamp mountnsid pid tid
-- ppid uid gid comm) their width, alignment and description, and makes
-- all but pid and comm hidden (not default columns where the gadget has no
-- `columns` list).  An entry of the gadget's own for one of them changes
-- only the keys it names, the others stay:
--
--   timestamp = { description = "when the open returned" },
--   tid = { hidden = false },
--
-- opts (the second argument, optional) is for the other shapes of the
-- header:
--
--   members = process.TASK      GADGET_TASK_FIELDS: no timestamp (a snapshot)
--   members = { "mountnsid", "pid", "comm" }   the ones a struct has (a
--                               top's map key, named as the header names them)
--   prefix = "k"                GADGET_TASK_FIELDS_PREFIXED(k): kpid, ktid...
--                               (members then defaults to process.PREFIXED)
--   of = "the killed process"   descriptions say whose: "process id of the
--                               killed process"
--
-- process.preset(common [, opts]) makes the fields() of a family of
-- gadgets that share more fields (gadget.tcp, gadget.packet_fields).
local M = {}

-- the header's members, in struct order
M.PROCESS = { "timestamp", "mountnsid", "pid", "tid", "ppid", "uid", "gid", "comm" }
M.TASK = { "mountnsid", "pid", "tid", "ppid", "uid", "gid", "comm" }
M.PREFIXED = { "pid", "tid", "ppid", "uid", "gid", "comm" }

-- the description: description, or what .. " of " .. (opts.of or whose)
local preset = {
  timestamp = { hidden = true, description = "when the event happened" },
  mountnsid = { hidden = true, what = "mount namespace", whose = "the process" },
  pid = { width = 7, align = "right", what = "process id" },
  tid = { width = 7, align = "right", hidden = true, what = "thread id" },
  ppid = { width = 7, align = "right", hidden = true, what = "parent process id" },
  uid = { width = 6, align = "right", hidden = true, what = "user id" },
  gid = { width = 6, align = "right", hidden = true, what = "group id" },
  comm = { width = 16, what = "command name" },
}

local function describe(p, of)
  local whose = of or p.whose
  if p.description or not whose then
    return p.description or p.what
  end
  return p.what .. " of " .. whose
end

-- the presentation of one member, with the gadget's own keys over it
local function member(name, opts, own)
  local p = preset[name]
  if not p then
    error("gadget.process: no process member \"" .. tostring(name) .. "\"", 3)
  end
  local f = { width = p.width, align = p.align, hidden = p.hidden,
              description = describe(p, opts.of) }
  for k, v in pairs(own or {}) do
    f[k] = v
  end
  return f
end

-- the gadget's fields (own, not changed) with the process members' added
function M.fields(own, opts)
  opts = opts or {}
  local prefix = opts.prefix or ""
  local members = opts.members or (opts.prefix and M.PREFIXED or M.PROCESS)
  local out = {}
  for k, v in pairs(own or {}) do
    out[k] = v
  end
  for _, name in ipairs(members) do
    out[prefix .. name] = member(name, opts, own and own[prefix .. name])
  end
  return out
end

-- A preset of a family of gadgets built on this one (gadget.tcp): a
-- function(...) giving common, then each table of fields passed over it
-- (an entry replaces an earlier one whole), through fields(_, opts).
function M.preset(common, opts)
  return function(...)
    local merged = {}
    for k, v in pairs(common) do merged[k] = v end
    for _, own in ipairs({ ... }) do
      for k, v in pairs(own) do merged[k] = v end
    end
    return M.fields(merged, opts)
  end
end

return M
