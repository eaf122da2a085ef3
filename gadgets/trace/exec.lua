-- trace/exec: every new process (execve, execveat), with its exact argv.
return {
  name = "trace exec",
  description = "Trace new processes: execve and execveat, with the full argument list",
  object = "trace/exec.bpf.o",

  params = {
    ["ignore-failed"] = {
      global = "ignore_failed", type = "bool", default = false,
      description = "leave out execs that failed",
    },
  },

  fields = {
    timestamp = { hidden = true, description = "when the exec returned" },
    mountnsid = { hidden = true, description = "mount namespace of the process" },
    pid = { width = 7, align = "right", description = "process id (thread group)" },
    tid = { width = 7, align = "right", hidden = true, description = "thread id" },
    ppid = { width = 7, align = "right", description = "parent's process id" },
    uid = { width = 6, align = "right", hidden = true, description = "user id" },
    gid = { width = 6, align = "right", hidden = true, description = "group id" },
    comm = { width = 16, description = "command name after the exec" },
    pcomm = { width = 16, description = "parent's command name" },
    ret = { width = 7, align = "right", description = "0, or the exec's error" },
    argsTruncated = { hidden = true, description = "args were longer than 16 KiB and are cut" },
    args = { description = "the argument list, exactly as the process got it" },
  },
  columns = { "pid", "ppid", "comm", "pcomm", "ret", "args" },
}
