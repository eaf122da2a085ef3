-- @NAME@: files deleted (unlink, unlinkat, rmdir), with the result.
-- Made by `gadgethost new @NAME@`; docs/lua-api.md is the reference.
local process = require("gadget.process")

return {
  name = "@NAME@",
  description = "Files deleted: unlink, unlinkat, rmdir",
  object = "@NAME@.bpf.o",          -- built by: gadgethost build @NAME@.bpf.c

  params = {                         -- on the command line: --failed
    failed = { global = "failed_only", type = "bool", default = false,
               description = "only deletions that failed" },
  },

  -- how the event struct's members print: GADGET_PROCESS_FIELDS' by
  -- gadget.process, then the gadget's own
  fields = process.fields({
    timestamp = { description = "when the call returned" },
    err = { width = 8 },
  }),
  columns = { "pid", "ppid", "uid", "comm", "err", "path" },

  -- return false to drop an event (runs in userspace, after the kernel's filters)
  filter = function(ev)
    return true
  end,
}
