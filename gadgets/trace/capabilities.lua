-- trace/capabilities: capability checks (capability:cap_capable), with the verdict.
local caps = require("gadget.caps")
local process = require("gadget.process")

return {
  name = "trace capabilities",
  description = "Trace capability checks: which capability, allowed or denied, in which syscall",
  object = "trace/capabilities.bpf.o",
  -- the tracepoint where the kernel has it (6.14+), else fexit on cap_capable()
  variants = { cap = { "on_cap_capable", "fexit_cap_capable" } },

  params = {
    unique = {
      global = "unique", type = "bool", default = false,
      description = "show a capability once per process (pid and capability, in the kernel)",
    },
    ["audit-only"] = {
      global = "audit_only", type = "bool", default = false,
      description = "leave out checks made without auditing (ns_capable_noaudit() and friends)",
    },
  },

  fields = process.fields({
    timestamp = { description = "when the check was made" },
    uid = { description = "user id (real)" },
    gid = { description = "group id (real)" },
    capRaw = { hidden = true, description = "the capability's number" },
    cap = { from = "capRaw", enum = caps.numbers, width = 22,
            description = "the capability checked (CAP_CHOWN)" },
    verdict = { width = 7, description = "Allow or Deny" },
    audit = { width = 5, description = "the check is audited (false: a *_noaudit check)" },
    insetid = { width = 7, hidden = true,
                description = "the check is for a set*id syscall (ns_capable_setid)" },
    syscall = { width = 16, description = "the syscall being made" },
    capEffectiveRaw = { hidden = true, description = "the effective capability set, as a number" },
    capEffective = { from = "capEffectiveRaw", flags = caps.bits, hidden = true,
                     description = "the effective capability set, by name" },
    currentUserns = { hidden = true, description = "user namespace of the checked credentials" },
    targetUserns = { hidden = true, description = "user namespace the capability is needed in" },
  }),
  columns = { "pid", "tid", "comm", "uid", "cap", "verdict", "audit", "syscall" },
}
