-- profile/offcpu: where threads wait, as time off the CPU by kernel and
-- user stack (BCC's offcputime).
local stacks = require("gadget.stacks")

return {
  name = "profile offcpu",
  description = "Time threads spend off the CPU (blocked, sleeping, preempted) by kernel "
    .. "and user stack, in microseconds; a report of the largest (default), folded "
    .. "stacks (-o folded, for flamegraph.pl) or JSON",
  object = "profile/offcpu.bpf.o",

  params = stacks.params({
    min = {
      global = "min_block_ns", type = "duration", default = "1us",
      description = "count only times off the CPU of at least this (250 is ms; 1.5ms, 250us, 2s)",
    },
    max = {
      global = "max_block_ns", type = "duration", default = 0,
      description = "count only times off the CPU of at most this (0: no limit)",
    },
  }),

  fields = stacks.fields({
    comm = { description = "the thread's command name" },
    usecs = { description = "microseconds off the CPU in this stack" },
  }, { "mountnsid", "pid", "tid", "comm" }),
}
