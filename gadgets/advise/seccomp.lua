-- advise/seccomp: an OCI seccomp profile per container, allowing exactly
-- the system calls it made (ig's advise seccomp-profile).
--
-- The kernel keeps one bitmap of system call numbers per mount namespace
-- (bpf/advise/seccomp.bpf.c); this script reads them with gadget.map at the
-- end (and every --interval), and from a container that stops at once,
-- before the kernel can reuse its namespace id.
local gadget = require("gadget")
local seccomp = require("gadget.seccomp")

local stopped = {}   -- containers that stopped: {c = container, bits = bitmap}

local function bitmap_of(mntns)
  local v = gadget.map("syscalls"):lookup(mntns)
  return v and v.bits
end

local function document(c, bits)
  local names = seccomp.names(bits, gadget.syscall_name)
  local doc = {
    runtime = { containerName = c.name, containerId = c.id, runtimeName = c.runtime },
    seccomp = seccomp.profile(names),
  }
  -- in the order of the OCI spec's examples
  gadget.ordered(doc.seccomp, { "defaultAction", "architectures", "syscalls" })
  gadget.ordered(doc.seccomp.syscalls[1], { "names", "action" })
  if c.k8s then
    doc.k8s = { namespace = c.k8s.namespace, podName = c.k8s.podName,
                containerName = c.k8s.containerName }
  end
  return gadget.ordered(doc, { "runtime", "k8s", "seccomp" })
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
      local bits = bitmap_of(c.mntns)
      if bits then
        list[#list + 1] = { c = c, bits = bits }
      end
    end
  end
  table.sort(list, function(a, b)
    if a.c.name ~= b.c.name then return a.c.name < b.c.name end
    return a.c.id < b.c.id
  end)
  for _, s in ipairs(list) do
    ctx.emit(document(s.c, s.bits))
  end
end

return {
  name = "advise seccomp",
  description = "Print an OCI seccomp profile per container: the system calls it made",
  object = "advise/seccomp.bpf.o",
  documents_only = true,
  document_format = "jsonpretty",

  fields = {
    syscall = { description = "a system call the container made for the first time" },
  },

  on_container = function(ctx, c, added)
    if added then
      return
    end
    -- read it now: the namespace id is the next container's soon
    local bits = bitmap_of(c.mntns)
    if bits and c.selected then
      local prev = stopped[c.id]
      stopped[c.id] = { c = c, bits = prev and seccomp.union(prev.bits, bits) or bits }
    end
    gadget.map("syscalls"):delete(c.mntns)
  end,

  on_interval = emit_all,
  on_stop = emit_all,
}
