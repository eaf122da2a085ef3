-- trace/oomkill: processes the OOM killer killed, and who triggered it.
local process = require("gadget.process")

return {
  name = "trace oomkill",
  description = "Trace the OOM killer: the process it killed and the one whose " ..
                "allocation triggered it",
  object = "trace/oomkill.bpf.o",

  -- the killed process: kpid ktid kppid kuid kgid kcomm (bpf/trace/oomkill.bpf.c,
  -- GADGET_TASK_FIELDS_PREFIXED(k)); the triggering one keeps its own names
  fields = process.fields({
    timestamp = { hidden = true, description = "when the victim was chosen" },
    mountnsid = { hidden = true, description = "mount namespace of the triggering process" },
    tpid = { width = 7, align = "right",
             description = "process id of the process whose allocation triggered the kill" },
    ttid = { width = 7, align = "right", hidden = true, description = "its thread id" },
    tcomm = { width = 16, description = "command name of the triggering process" },
    uid = { width = 6, align = "right", hidden = true, description = "user id of the triggering process" },
    gid = { width = 6, align = "right", hidden = true, description = "group id of the triggering process" },
    ktid = { description = "the killed process's thread the kernel marked" },
    pages = { width = 9, align = "right",
              description = "resident pages of the killed process (anonymous + file + " ..
                            "shared memory) when it was chosen" },
  }, { prefix = "k", of = "the killed process" }),
  columns = { "kpid", "kcomm", "pages", "tpid", "tcomm" },
}
