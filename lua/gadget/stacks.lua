-- gadget.stacks: what the stack gadgets (GADGET_STACKS, GADGET_STACKS_SUM)
-- share: the --user-only/--kernel-only params and the stack fields, over
-- gadget.process's presentation of the key's process members.
local process = require("gadget.process")

local M = {}

-- the params, plus the gadget's own
function M.params(extra)
  local out = {
    ["user-only"] = {
      global = "user_only", type = "bool", default = false,
      description = "user stacks only",
    },
    ["kernel-only"] = {
      global = "kernel_only", type = "bool", default = false,
      description = "kernel stacks only",
    },
  }
  for k, v in pairs(extra or {}) do out[k] = v end
  return out
end

local stack_fields = {
  userStackId = { hidden = true, description = "the user stack's id in the stack map (negative: none)" },
  kernelStackId = { hidden = true, description = "the kernel stack's id in the stack map (negative: none)" },
  userStack = { description = "user functions, innermost first" },
  kernelStack = { description = "kernel functions, innermost first" },
}

-- the stack fields, the process members of the key (members: by default
-- mountnsid, pid, comm) and the gadget's own fields (its value's, more
-- members)
function M.fields(extra, members)
  return process.preset(stack_fields, { members = members or { "mountnsid", "pid", "comm" } })(
    extra or {})
end

return M
