-- snapshot/process: the processes (or threads) running now.
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

  fields = {
    mountnsid = { width = 11, align = "right", hidden = true,
                  description = "mount namespace of the process" },
    pid = { width = 7, align = "right", description = "process id" },
    tid = { width = 7, align = "right", description = "thread id" },
    ppid = { width = 7, align = "right", description = "parent process id" },
    uid = { width = 6, align = "right", description = "user id" },
    gid = { width = 6, align = "right", description = "group id" },
    comm = { width = 16, description = "command name" },
  },
  columns = { "comm", "pid", "tid", "ppid", "uid", "gid" },
}
