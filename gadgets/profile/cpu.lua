-- profile/cpu: what runs on the CPUs, by sampling stacks (BCC's profile).
return {
  name = "profile cpu",
  description = "Sample the user and kernel stacks of what runs on every CPU at --frequency "
    .. "Hz; print the hottest stacks (default), folded stacks (-o folded, for "
    .. "flamegraph.pl) or JSON",
  object = "profile/cpu.bpf.o",

  params = {
    ["user-only"] = {
      global = "user_only", type = "bool", default = false,
      description = "user stacks only",
    },
    ["kernel-only"] = {
      global = "kernel_only", type = "bool", default = false,
      description = "kernel stacks only",
    },
  },

  fields = {
    mountnsid = { hidden = true, description = "mount namespace of the process" },
    pid = { description = "process id" },
    comm = { description = "command name" },
    userStackId = { hidden = true, description = "the user stack's id in the stack map (negative: none)" },
    kernelStackId = { hidden = true, description = "the kernel stack's id in the stack map (negative: none)" },
    samples = { description = "samples of this stack" },
    userStack = { description = "user functions, innermost first" },
    kernelStack = { description = "kernel functions, innermost first" },
  },
}
