-- top/file: reads and writes per thread and file, every interval.
local process = require("gadget.process")

return {
  name = "top file",
  description = "Reads and writes per process and file, refreshed every interval",
  object = "top/file.bpf.o",
  sort = "-reads,-writes,-rbytes,-wbytes,pid,file", -- as ig top file

  params = {
    ["all-files"] = {
      global = "all_files", type = "bool", default = false,
      description = "count sockets, pipes and devices too, not only regular files",
    },
  },

  fields = process.fields({
    dev = { hidden = true, description = "device of the file's filesystem (kernel dev_t)" },
    inode = { hidden = true, description = "inode number of the file" },
    reads = { width = 7, align = "right", description = "read calls in the interval" },
    writes = { width = 7, align = "right", description = "write calls in the interval" },
    rbytes = { width = 10, align = "right", description = "bytes read in the interval" },
    wbytes = { width = 10, align = "right", description = "bytes written in the interval" },
    t = { width = 1, description = "R: regular file, S: socket, O: other (--all-files)" },
    file = { description = "the file's name (last path component)" },
  }, { members = { "mountnsid", "pid", "tid", "comm" } }),
  columns = { "pid", "tid", "comm", "reads", "writes", "rbytes", "wbytes", "t", "file" },
}
