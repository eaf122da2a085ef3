-- top/file: reads and writes per thread and file, every interval.
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

  fields = {
    mountnsid = { hidden = true, description = "mount namespace of the process" },
    pid = { width = 7, align = "right", description = "process id" },
    tid = { width = 7, align = "right", description = "thread id" },
    dev = { hidden = true, description = "device of the file's filesystem (kernel dev_t)" },
    inode = { hidden = true, description = "inode number of the file" },
    comm = { width = 16, description = "command name" },
    reads = { width = 7, align = "right", description = "read calls in the interval" },
    writes = { width = 7, align = "right", description = "write calls in the interval" },
    rbytes = { width = 10, align = "right", description = "bytes read in the interval" },
    wbytes = { width = 10, align = "right", description = "bytes written in the interval" },
    t = { width = 1, description = "R: regular file, S: socket, O: other (--all-files)" },
    file = { description = "the file's name (last path component)" },
  },
  columns = { "pid", "tid", "comm", "reads", "writes", "rbytes", "wbytes", "t", "file" },
}
