-- gadget.seccomp: OCI seccomp profiles from bitmaps of system call numbers
-- (advise/seccomp; the shape is the OCI runtime spec's linux.seccomp).
local M = {}

M.architectures = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32" }

-- calls a process makes because the kernel has it do so after a signal,
-- not because its program chose to: returning from a handler, restarting
-- an interrupted sleep.  A signal can come at any moment (Go's runtime
-- preempts runc init's threads with SIGURG, after runc has loaded the
-- profile), so a recording that saw none must still allow them.
M.implicit = { "restart_syscall", "rt_sigreturn" }

-- the system call numbers whose bit is set in bits, a list of 64-bit
-- integers (bit n % 64 of bits[n // 64 + 1] is system call n), ascending
function M.numbers(bits)
  local out = {}
  for w = 1, #bits do
    local word = bits[w]
    for b = 0, 63 do
      if (word >> b) & 1 == 1 then
        out[#out + 1] = (w - 1) * 64 + b
      end
    end
  end
  return out
end

-- bits | other, element by element (a new list)
function M.union(bits, other)
  local out = {}
  for w = 1, math.max(#bits, #other) do
    out[w] = (bits[w] or 0) | (other[w] or 0)
  end
  return out
end

-- the names of the system calls in bits and the implicit ones, sorted, and
-- the numbers that have no name, ascending (name_of(nr) -> name or nil);
-- beyond: a number past the bitmap that was made too (or nil, 0), unknown
-- as well
function M.names(bits, name_of, beyond)
  local names, unknown = {}, {}
  for _, nr in ipairs(M.numbers(bits)) do
    local name = name_of(nr)
    if name then
      names[#names + 1] = name
    else
      unknown[#unknown + 1] = nr
    end
  end
  if beyond and beyond ~= 0 then
    unknown[#unknown + 1] = beyond
  end
  local seen = {}
  for _, name in ipairs(names) do seen[name] = true end
  for _, name in ipairs(M.implicit) do
    if not seen[name] then names[#names + 1] = name end
  end
  table.sort(names)
  return names, unknown
end

-- an OCI seccomp profile allowing exactly names, denying anything else
-- with EPERM (SCMP_ACT_ERRNO)
function M.profile(names)
  return {
    defaultAction = "SCMP_ACT_ERRNO",
    architectures = M.architectures,
    syscalls = { { names = names, action = "SCMP_ACT_ALLOW" } },
  }
end

return M
