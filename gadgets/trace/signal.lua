-- trace/signal: signals sent, by whom, to whom, with the result.
local signals = require("gadget.signals")
local process = require("gadget.process")

return {
  name = "trace signal",
  description = "Trace signals sent: by kill(2) and friends, faults, SIGCHLD, timers; " ..
                "and kill/tkill/tgkill calls that failed",
  object = "trace/signal.bpf.o",

  params = {
    signal = {
      global = "target_signal", type = "signal", default = 0,
      description = "only this signal: a name (SIGKILL, KILL) or a number (9)",
    },
    ["failed-only"] = {
      global = "failed_only", type = "bool", default = false,
      description = "only signals that could not be sent (failed kill, tkill, tgkill; " ..
                    "a full real-time signal queue)",
    },
    ["kill-only"] = {
      global = "kill_only", type = "bool", default = false,
      description = "only kill, tkill and tgkill syscalls (one event per call, at its exit)",
    },
  },

  fields = process.fields({
    timestamp = { description = "when the signal was generated" },
    pid = { description = "process id of the sender (0: sent from interrupt context)" },
    tpid = { width = 7, align = "right",
             description = "target: the thread the signal was generated for (a failed " ..
                           "syscall: its pid argument, as the caller gave it)" },
    signal = { width = 11, description = "the signal, by name" },
    signalRaw = { hidden = true, description = "the signal number" },
    code = { width = 11, hidden = true,
             description = "si_code: who or what sent it (SI_USER, SI_TKILL, CLD_EXITED...)",
             format = function(v, ev) return signals.code_name(ev.signal, v) end },
    ret = { width = 7, align = "right",
            description = "0, or the error of a send that failed (ESRCH, EPERM, EAGAIN)" },
    resultRaw = { hidden = true, description = "result as a number" },
    result = { from = "resultRaw", enum = signals.results, hidden = true,
               description = "delivered, ignored, already_pending, overflow_fail, " ..
                             "lose_info; sent or not_sent for a syscall's exit" },
    group = { hidden = true, description = "sent to the whole process (not one thread)" },
  }, { of = "the sender" }),
  columns = { "pid", "comm", "signal", "tpid", "ret" },
}
