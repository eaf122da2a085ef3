-- gadget.signals: names of a signal's si_code and of signal_generate's result.
-- (generic values from the kernel's uapi asm-generic/siginfo.h)
local M = {}

-- si_code values any signal can carry: who or what sent it
M.codes = {
  [0] = "SI_USER", [0x80] = "SI_KERNEL", [-1] = "SI_QUEUE", [-2] = "SI_TIMER",
  [-3] = "SI_MESGQ", [-4] = "SI_ASYNCIO", [-5] = "SI_SIGIO", [-6] = "SI_TKILL",
  [-7] = "SI_DETHREAD", [-60] = "SI_ASYNCNL",
}

-- positive si_code values mean something else for each signal
M.signal_codes = {
  SIGILL = { "ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR", "ILL_ILLTRP", "ILL_PRVOPC",
             "ILL_PRVREG", "ILL_COPROC", "ILL_BADSTK", "ILL_BADIADDR" },
  SIGFPE = { "FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV", "FPE_FLTOVF", "FPE_FLTUND",
             "FPE_FLTRES", "FPE_FLTINV", "FPE_FLTSUB", "FPE_FLTUNK", "FPE_CONDTRAP" },
  SIGSEGV = { "SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR", "SEGV_ACCADI",
              "SEGV_ADIDERR", "SEGV_ADIPERR", "SEGV_MTEAERR", "SEGV_MTESERR", "SEGV_CPERR" },
  SIGBUS = { "BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR", "BUS_MCEERR_AR", "BUS_MCEERR_AO" },
  SIGTRAP = { "TRAP_BRKPT", "TRAP_TRACE", "TRAP_BRANCH", "TRAP_HWBKPT", "TRAP_UNK",
              "TRAP_PERF" },
  SIGCHLD = { "CLD_EXITED", "CLD_KILLED", "CLD_DUMPED", "CLD_TRAPPED", "CLD_STOPPED",
              "CLD_CONTINUED" },
  SIGPOLL = { "POLL_IN", "POLL_OUT", "POLL_MSG", "POLL_ERR", "POLL_PRI", "POLL_HUP" },
  SIGSYS = { "SYS_SECCOMP", "SYS_USER_DISPATCH" },
}
M.signal_codes.SIGIO = M.signal_codes.SIGPOLL

-- code_name("SIGCHLD", 2) -> "CLD_KILLED"; code_name("SIGTERM", 0) -> "SI_USER"
function M.code_name(signal, code)
  if code > 0 and code < 0x80 then
    local names = M.signal_codes[signal]
    return names and names[code] or tostring(code)
  end
  return M.codes[code] or tostring(code)
end

-- what signal_generate says happened to the signal (enum trace_signal_result),
-- then what trace/signal reports for a kill/tkill/tgkill syscall's exit
M.results = {
  delivered = 0, ignored = 1, already_pending = 2, overflow_fail = 3, lose_info = 4,
  sent = 5, not_sent = 6,
}

return M
