-- top/process: CPU, memory, threads and state per process, every interval.
local function size(bytes)
  local k = bytes / 1024
  if k < 10240 then return string.format("%dK", k // 1) end
  if k < 10240 * 1024 then return string.format("%.1fM", k / 1024) end
  return string.format("%.1fG", k / 1024 / 1024)
end

local function clock(ns)   -- top's TIME+: minutes:seconds.hundredths
  local cs = ns // 10000000
  return string.format("%d:%02d.%02d", cs // 6000, cs // 100 % 60, cs % 100)
end

return {
  name = "top process",
  description = "CPU %, resident memory, threads and state per process: one look now, "
    .. "then one every --interval (CPU % over the interval)",
  object = "top/process.bpf.o",
  sort = "-cpu,-rss,pid",

  fields = {
    mountnsid = { hidden = true, description = "mount namespace of the process" },
    pid = { width = 7, align = "right", description = "process id" },
    ppid = { width = 7, align = "right", hidden = true, description = "parent process id" },
    uid = { width = 6, align = "right", hidden = true, description = "user id" },
    comm = { width = 16, description = "command name" },
    state = { width = 1, description = "as /proc/PID/stat: R running, S sleeping, "
                .. "D disk sleep, T stopped, t traced, Z zombie, X dead, P parked, I idle" },
    threads = { width = 4, align = "right", description = "threads in the process" },
    rss = { width = 8, align = "right", format = function(v) return size(v) end,
            description = "resident memory in bytes (file, anon and shmem pages: "
              .. "/proc/PID/statm's resident)" },
    vsz = { width = 8, align = "right", hidden = true, format = function(v) return size(v) end,
            description = "virtual memory in bytes (/proc/PID/statm's size)" },
    cpuTime = { width = 10, align = "right", format = function(v) return clock(v) end,
                description = "CPU time since the process started, in ns (columns: "
                  .. "minutes:seconds.hundredths, top's TIME+)" },
    cpuDelta = { hidden = true, description = "CPU time since the last look, in ns" },
    period = { hidden = true,
               description = "ns since the last look (the first look: since the process started)" },
    cpu = { type = "double", width = 6, align = "right",
            format = function(v) return string.format("%.1f", v) end,
            description = "CPU % of one CPU over the period, as top shows it (a process "
              .. "with two busy threads: 200)" },
  },
  columns = { "pid", "comm", "state", "threads", "cpu", "rss", "cpuTime" },

  enrich = function(ev)
    local period = ev.period
    ev.cpu = period > 0 and 100 * ev.cpuDelta / period or 0.0
  end,
}
