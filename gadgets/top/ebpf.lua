-- top/ebpf: what every eBPF program on the node costs, every interval
-- (Inspektor Gadget's top ebpf).
return {
  name = "top ebpf",
  description = "Every loaded eBPF program (any loader's): runs and run time in the interval, "
    .. "type, name, the process holding it, its maps' memory; the kernel's BPF "
    .. "statistics are on while it runs",
  object = "top/ebpf.bpf.o",
  sort = "-runNs,-runCount,progid",
  bpf_stats = true,

  fields = {
    progid = { width = 7, align = "right", description = "the program's id (bpftool prog show)" },
    mountnsid = { hidden = true, description = "mount namespace of the holding process" },
    pid = { width = 7, align = "right",
            description = "a process holding the program (an fd of it or of a link to it); 0: none" },
    processes = { hidden = true, description = "how many processes hold it" },
    comm = { width = 16, description = "the holding process's command name" },
    name = { width = 16, description = "the program's name (16 bytes at most)" },
    type = { width = 28, description = "the program type" },
    mapCount = { hidden = true, description = "maps the program uses" },
    runCount = { width = 10, align = "right", description = "runs in the interval" },
    runNs = { width = 12, align = "right", description = "ns run in the interval" },
    totalRunCount = { hidden = true, description = "runs since the statistics were turned on" },
    totalRunNs = { hidden = true, description = "ns run since the statistics were turned on" },
    mapMemory = { width = 10, align = "right",
                  description = "bytes of the maps it uses (each map's key and value size "
                    .. "rounded to 8 times its entries, rounded to a page; a ring buffer's size)" },
  },
  columns = { "progid", "pid", "comm", "name", "type", "runCount", "runNs", "mapMemory" },
}
