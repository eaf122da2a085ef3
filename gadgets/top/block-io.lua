-- top/block-io: block I/O per process and device, every interval.
local process = require("gadget.process")

return {
  name = "top block-io",
  description = "Block device I/O per process and device: bytes, requests, time",
  object = "top/block-io.bpf.o",
  optional_programs = { "io_start", "rq_insert" }, -- block_io_start: kernels 6.5+
  sort = "-bytes,-ios,pid",

  fields = process.fields({
    pid = { description = "process that asked for the I/O" },
    comm = { description = "its command name" },
    rw = { width = 3, description = "R: read, W: write (or discard)" },
    major = { width = 5, align = "right", description = "device major number" },
    minor = { width = 5, align = "right", description = "device minor number" },
    bytes = { width = 10, align = "right", description = "bytes completed in the interval" },
    time_us = { width = 10, align = "right",
                description = "sum of the requests' issue-to-completion times, microseconds" },
    ios = { width = 6, align = "right", description = "requests completed in the interval" },
  }, { members = { "mountnsid", "pid", "comm" } }),
  columns = { "pid", "comm", "rw", "major", "minor", "bytes", "time_us", "ios" },
}
