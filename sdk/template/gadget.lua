-- @NAME@: files deleted (unlink, unlinkat, rmdir), with the result.
-- Made by `gadgethost new @NAME@`; docs/lua-api.md is the reference.
return {
  name = "@NAME@",
  description = "Files deleted: unlink, unlinkat, rmdir",
  object = "@NAME@.bpf.o",          -- built by: gadgethost build @NAME@.bpf.c

  params = {                         -- on the command line: --failed
    failed = { global = "failed_only", type = "bool", default = false,
               description = "only deletions that failed" },
  },

  fields = {                         -- how the event struct's members print
    timestamp = { hidden = true },
    mountnsid = { hidden = true },
    tid = { hidden = true },
    gid = { hidden = true },
    pid = { width = 7, align = "right" },
    ppid = { width = 7, align = "right" },
    uid = { width = 6, align = "right" },
    comm = { width = 16 },
    err = { width = 8 },
  },
  columns = { "pid", "ppid", "uid", "comm", "err", "path" },

  -- return false to drop an event (runs in userspace, after the kernel's filters)
  filter = function(ev)
    return true
  end,
}
