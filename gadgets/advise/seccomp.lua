-- advise/seccomp: an OCI seccomp profile per container, allowing exactly
-- the system calls it made (ig's advise seccomp-profile).
--
-- The kernel keeps one bitmap of system call numbers per mount namespace
-- (bpf/advise/seccomp.bpf.c); this script reads them with gadget.map at the
-- end (and every --interval), and from a container that stops at once,
-- before the kernel can reuse its namespace id.  --workload-only: the
-- kernel records the workload's calls only, not runc init's.  A number
-- with no name is listed in unknownSyscalls and warned about, never
-- dropped silently.
local gadget = require("gadget")
local seccomp = require("gadget.seccomp")

local stopped = {}   -- containers that stopped: {c = container, rec = recording}
local warned = {}    -- "container id|number": said already

-- {bits = {...}, beyond = N} of a mount namespace, or nil
local function recording_of(mntns)
  return gadget.map("syscalls"):lookup(mntns)
end

-- numbers without a name cannot be in a profile (runc takes names): say
-- so, once each, and list them in the document
local function warn_unknown(c, unknown)
  local new = {}
  for _, nr in ipairs(unknown) do
    if not warned[c.id .. "|" .. nr] then
      warned[c.id .. "|" .. nr] = true
      new[#new + 1] = tostring(nr)
    end
  end
  if #new > 0 then
    gadget.warn(string.format("container %s made system calls that have no name here "
      .. "(%s): not in its profile; allow them by name (unknownSyscalls)", c.name,
      table.concat(new, ", ")))
  end
end

local function document(c, rec)
  local names, unknown = seccomp.names(rec.bits, gadget.syscall_name, rec.beyond)
  local doc = {
    runtime = { containerName = c.name, containerId = c.id, runtimeName = c.runtime },
    seccomp = seccomp.profile(names),
  }
  if #unknown > 0 then
    warn_unknown(c, unknown)
    doc.unknownSyscalls = unknown
  end
  -- in the order of the OCI spec's examples
  gadget.ordered(doc.seccomp, { "defaultAction", "architectures", "syscalls" })
  gadget.ordered(doc.seccomp.syscalls[1], { "names", "action" })
  if c.k8s then
    doc.k8s = { namespace = c.k8s.namespace, podName = c.k8s.podName,
                containerName = c.k8s.containerName }
  end
  return gadget.ordered(doc, { "runtime", "k8s", "seccomp", "unknownSyscalls" })
end

-- every selected container recorded so far, by name: live ones from the
-- map, stopped ones from what was read when they stopped
local function emit_all(ctx)
  local list = {}
  for _, s in pairs(stopped) do
    list[#list + 1] = s
  end
  for _, c in ipairs(gadget.containers()) do
    if c.selected and not stopped[c.id] then
      local rec = recording_of(c.mntns)
      if rec then
        list[#list + 1] = { c = c, rec = rec }
      end
    end
  end
  table.sort(list, function(a, b)
    if a.c.name ~= b.c.name then return a.c.name < b.c.name end
    return a.c.id < b.c.id
  end)
  for _, s in ipairs(list) do
    ctx.emit(document(s.c, s.rec))
  end
end

return {
  name = "advise seccomp",
  description = "Print an OCI seccomp profile per container: the system calls it made",
  object = "advise/seccomp.bpf.o",
  documents_only = true,
  document_format = "jsonpretty",

  params = {
    ["workload-only"] = {
      global = "workload_only", type = "bool", default = false,
      description = "the workload's calls only: from the container's first exec of its "
        .. "own program (runc init's are left out), and its children's",
    },
  },

  fields = {
    syscall = { description = "a system call the container made for the first time" },
  },

  on_container = function(ctx, c, added)
    if added then
      return
    end
    -- read it now: the namespace id is the next container's soon
    local rec = recording_of(c.mntns)
    if rec and c.selected then
      local prev = stopped[c.id]
      if prev then
        rec = { bits = seccomp.union(prev.rec.bits, rec.bits),
                beyond = rec.beyond ~= 0 and rec.beyond or prev.rec.beyond }
      end
      stopped[c.id] = { c = c, rec = rec }
    end
    gadget.map("syscalls"):delete(c.mntns)
  end,

  on_interval = emit_all,
  on_stop = emit_all,
}
