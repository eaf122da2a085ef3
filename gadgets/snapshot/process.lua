-- snapshot/process: the processes (or threads) running now.
local process = require("gadget.process")

return {
  name = "snapshot process",
  description = "The processes running now, one row each (--threads: each thread)",
  object = "snapshot/process.bpf.o",
  sort = "pid,tid",

  params = {
    threads = {
      global = "threads", type = "bool", default = false,
      description = "a row per thread, not per process",
    },
  },

  fields = process.fields({
    mountnsid = { width = 11, align = "right" },
  }, { members = process.TASK }),
  columns = { "comm", "pid", "tid", "ppid", "uid", "gid" },
}
