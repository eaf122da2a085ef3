-- traceloop: a flight recorder of every selected container's system calls,
-- kept in a ring per container in the kernel and read only when asked
-- (gadgethost traceloop start / show; docs/gadgets/traceloop.md).
-- Each record of a dump goes through filter (and enrich) as an event does.
return {
  name = "traceloop",
  description = "flight recorder of containers' system calls (gadgethost traceloop)",
  object = "traceloop/traceloop.bpf.o",
  params = {
    entries = {
      global = "traceloop_entries", type = "uint", default = 4096,
      description = "records kept per container (a power of two)",
    },
    syscall_filter = {
      global = "traceloop_syscall_filter", type = "bool", default = false,
      description = "record only the calls the host marks (gadgethost traceloop start "
        .. "--syscall-filters)",
    },
  },
  fields = {
    nr = { description = "the system call's number" },
    kind = { description = "1: its entry, 2: its exit" },
  },
}
