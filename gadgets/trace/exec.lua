-- trace/exec: every new process (execve, execveat), with its exact argv.
local process = require("gadget.process")

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

  fields = process.fields({
    timestamp = { description = "when the exec returned" },
    pid = { description = "process id (thread group)" },
    comm = { description = "command name after the exec" },
    pcomm = { width = 16, description = "parent's command name" },
    ret = { width = 7, align = "right", description = "0, or the exec's error" },
    argsTruncated = { hidden = true, description = "args were longer than 16 KiB and are cut" },
    args = { description = "the argument list, exactly as the process got it" },
  }),
  columns = { "pid", "ppid", "comm", "pcomm", "ret", "args" },
}
