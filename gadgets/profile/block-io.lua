-- profile/block-io: block I/O latency as a log2 histogram, as biolatency.
return {
  name = "profile block-io",
  description = "Block device I/O latency as a histogram (biolatency): printed at the end, "
    .. "or every --interval seconds",
  object = "profile/block-io.bpf.o",

  params = {
    disks = {
      global = "per_disk", type = "bool", default = false,
      description = "one histogram per disk (as biolatency -D)",
    },
    queued = {
      global = "queued", type = "bool", default = false,
      description = "include the time queued in the I/O scheduler (as biolatency -Q)",
    },
  },

  fields = {
    major = { description = "the disk's major device number (--disks)" },
    minor = { description = "the disk's first minor device number (--disks)" },
    disk = { type = "string", description = "the disk's name, from /sys/dev/block (--disks)" },
  },

  -- the name of the disk, as the kernel calls it (loop0, vda)
  enrich = function(ev)
    local f = io.open(string.format("/sys/dev/block/%d:%d/uevent", ev.major, ev.minor))
    if not f then return end
    local text = f:read("a")
    f:close()
    ev.disk = text:match("DEVNAME=([^\n]+)")
  end,
  columns = { "disk", "major", "minor" },
}
