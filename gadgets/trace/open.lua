-- trace/open: open, openat and openat2 calls, with their result.
local flags = require("gadget.flags")
local process = require("gadget.process")

return {
  name = "trace open",
  description = "Trace open system calls: open, openat, openat2",
  object = "trace/open.bpf.o",
  optional_programs = { "exit_open_tp" }, -- no open(2) on arm64

  params = {
    failed = {
      global = "failed_only", type = "bool", default = false,
      description = "show only failed opens",
    },
  },

  fields = process.fields({
    timestamp = { description = "when the open returned" },
    fd = { width = 4, align = "right", description = "the file descriptor, -1 on failure" },
    err = { width = 8, description = "0, or the errno of a failed open" },
    flagsRaw = { hidden = true, description = "open flags as a number" },
    modeRaw = { hidden = true, description = "mode as a number" },
    path = { description = "the path as the caller passed it" },
    flags = { from = "flagsRaw", flags = flags.open, zero = "O_RDONLY", zero_mask = 3,
              hidden = true, description = "open flags by name" },
    mode = { from = "modeRaw", builtin = "filemode",
             hidden = true, description = "permission bits of a created file (-rw-r--r--)" },
  }),
  columns = { "pid", "tid", "comm", "fd", "err", "path" },
}
