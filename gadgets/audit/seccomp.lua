-- audit/seccomp: syscalls a seccomp filter logged, refused, trapped or killed.
--
-- Two sources fill one event struct (bpf/audit/seccomp.bpf.c):
--   signal  the SIGSYS of SECCOMP_RET_TRAP and SECCOMP_RET_KILL_* (eBPF,
--           signal:signal_generate): in the task's own context, so the
--           container is known even when the task is killed
--   audit   the kernel's AUDIT_SECCOMP records (type 1326) from the audit
--           netlink read-log group: SECCOMP_RET_LOG, and every action in
--           /proc/sys/kernel/seccomp/actions_logged (ERRNO, TRAP, TRACE,
--           USER_NOTIF only for filters loaded with SECCOMP_FILTER_FLAG_LOG)
-- A trap or a kill is reported by both: the audit record is dropped then,
-- but for a KILL_THREAD (the signal does not tell it from KILL_PROCESS).
local process = require("gadget.process")

local ACTION_MASK = 0xffff0000
local DATA_MASK = 0x0000ffff
local actions = {
  [0x80000000] = "SCMP_ACT_KILL_PROCESS",
  [0x00000000] = "SCMP_ACT_KILL_THREAD",
  [0x00030000] = "SCMP_ACT_TRAP",
  [0x00050000] = "SCMP_ACT_ERRNO",
  [0x7fc00000] = "SCMP_ACT_NOTIFY",
  [0x7ff00000] = "SCMP_ACT_TRACE",
  [0x7ffc0000] = "SCMP_ACT_LOG",
  [0x7fff0000] = "SCMP_ACT_ALLOW",
}

local function action_name(code)
  local action = code & ACTION_MASK
  local name = actions[action] or string.format("0x%08x", action)
  local data = code & DATA_MASK
  -- the data (ERRNO's errno, TRAP's and TRACE's value) where the source
  -- carries it: a SIGSYS does, an audit record has the action alone
  if data ~= 0 then
    return string.format("%s(%d)", name, data)
  end
  return name
end

return {
  name = "audit seccomp",
  description = "Syscalls a seccomp filter logged, refused, trapped or killed " ..
                "(audit records and SIGSYS)",
  object = "audit/seccomp.bpf.o",
  sources = { "audit:1326" }, -- AUDIT_SECCOMP records (host/run/audit_source.h)

  fields = process.fields({
    timestamp = { description = "when the filter acted" },
    mountnsid = { description = "mount namespace of the process (an audit record: read " ..
                                "from /proc when it arrived; 0 if the process was gone)" },
    tid = { description = "thread id (signal source only: audit records carry none)" },
    ppid = { description = "parent process id (0 in an audit record's row)" },
    syscall = { width = 16, description = "the syscall the filter acted on" },
    code = { hidden = true, description = "the filter's return value (SECCOMP_RET_*), as a number" },
    arch = { hidden = true, description = "the syscall's architecture (AUDIT_ARCH_*: 3221225534 " ..
                                          "is x86_64)" },
    audit_type = { hidden = true, description = "the audit record type (1326), 0 for a SIGSYS" },
    action = { type = "string", width = 24,
               description = "the action: SCMP_ACT_LOG, SCMP_ACT_ERRNO(errno), SCMP_ACT_TRAP, " ..
                             "SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, ..." },
    source = { type = "string", width = 6, description = "audit (record) or signal (SIGSYS)" },
  }),
  columns = { "pid", "comm", "syscall", "action", "source" },

  filter = function(ev)
    if ev.audit_type == 0 then
      return true
    end
    -- traps and process kills come as a SIGSYS too, with the container
    local action = ev.code & ACTION_MASK
    return action ~= 0x00030000 and action ~= 0x80000000
  end,
  enrich = function(ev)
    ev.action = action_name(ev.code)
    ev.source = ev.audit_type == 0 and "signal" or "audit"
  end,
}
