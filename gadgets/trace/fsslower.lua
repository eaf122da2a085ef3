-- trace/fsslower: reads, writes, opens and fsyncs of regular files slower than --min ms.
local process = require("gadget.process")

return {
  name = "trace fsslower",
  description = "Trace open, read, write and fsync operations slower than a threshold",
  object = "trace/fsslower.bpf.o",

  params = {
    min = {
      global = "min_ms", type = "uint", default = 10,
      description = "only operations slower than this, in milliseconds (0: all)",
    },
    filesystem = {
      global = "filesystem", type = "string", default = "",
      description = "only files of this filesystem type (ext4, btrfs, xfs, nfs, tmpfs...; "
        .. "empty: every filesystem)",
    },
  },

  fields = process.fields({
    timestamp = { description = "when the operation ended" },
    opRaw = { hidden = true, description = "the operation as a number (0 R, 1 W, 2 O, 3 F)" },
    op = { from = "opRaw", enum = { R = 0, W = 1, O = 2, F = 3 }, width = 2,
           description = "R read, W write, O open, F fsync/fdatasync" },
    syscall = { width = 10, hidden = true, description = "the syscall (read, pwrite64...)" },
    err = { width = 8, hidden = true, description = "0, or the errno of a failed read/write/fsync" },
    bytes = { width = 8, align = "right", description = "bytes read or written" },
    offset = { width = 10, align = "right",
               description = "file offset the read or write started at" },
    lat = { width = 8, align = "right", description = "latency in microseconds" },
    file = { description = "the file's name (last path component)" },
  }),
  columns = { "pid", "comm", "op", "bytes", "offset", "lat", "file" },
}
