-- profile/cpu: what runs on the CPUs, by sampling stacks (BCC's profile).
local stacks = require("gadget.stacks")

return {
  name = "profile cpu",
  description = "Sample the user and kernel stacks of what runs on every CPU at --frequency "
    .. "Hz; print the hottest stacks (default), folded stacks (-o folded, for "
    .. "flamegraph.pl) or JSON",
  object = "profile/cpu.bpf.o",
  params = stacks.params(),
  fields = stacks.fields({
    samples = { description = "samples of this stack" },
  }),
}
