-- trace/mount: mount, umount and the new mount API (fsopen, fsconfig,
-- fsmount, move_mount), with their result and latency.
local errno = require("gadget.errno")
local gadget = require("gadget")
local mounts = require("gadget.mounts")
local time = require("gadget.time")
local process = require("gadget.process")

local AT_FDCWD = -100

local function fd_text(fd)
  return fd == AT_FDCWD and "AT_FDCWD" or tostring(fd)
end

local function quoted(s)
  return string.format("%q", s)
end

-- nullArgs: mount's string arguments that were NULL pointers (strace's NULL,
-- JSON's null), by field
local NULL_BITS = { fs = 1, data = 2, src = 4 }

local function is_null(ev, field)
  return ev.nullArgs & NULL_BITS[field] ~= 0
end

-- a string argument as strace writes it: quoted, or NULL
local function arg(ev, field)
  return is_null(ev, field) and "NULL" or quoted(ev[field])
end

local function or_zero(s)
  return s == "" and "0" or s
end

-- flags by name; each call has its own flags
local flag_names = {
  MOUNT = function(ev) return mounts.mount_flags(ev.flagsRaw) end,
  UMOUNT = function(ev) return mounts.names(ev.flagsRaw, mounts.umount) end,
  FSOPEN = function(ev) return mounts.names(ev.flagsRaw, mounts.fsopen) end,
  FSCONFIG = function(ev) return mounts.value_name(ev.flagsRaw, mounts.fsconfig) end,
  FSMOUNT = function(ev)
    local flags = mounts.names(ev.flagsRaw & 0xffffffff, mounts.fsmount)
    local attrs = mounts.names(ev.flagsRaw >> 32, mounts.mount_attr)
    return flags .. ((flags ~= "" and attrs ~= "") and "|" or "") .. attrs
  end,
  MOVE_MOUNT = function(ev) return mounts.names(ev.flagsRaw, mounts.move_mount) end,
}

-- fsconfig's arguments after cmd: the key, and the value if data has one
local function fsconfig_args(data)
  if data == "" then return "" end
  local key, value = string.match(data, "^([^=]*)=(.*)$")
  if key then return ", " .. quoted(key) .. ", " .. quoted(value) end
  return ", " .. quoted(data)
end

-- the call as strace would write it, with the result
local calls = {
  MOUNT = function(ev, flags)
    return string.format("mount(%s, %s, %s, %s, %s)", arg(ev, "src"), quoted(ev.dest),
                         arg(ev, "fs"), or_zero(flags), arg(ev, "data"))
  end,
  UMOUNT = function(ev, flags)
    return string.format("umount2(%s, %s)", quoted(ev.dest), or_zero(flags))
  end,
  FSOPEN = function(ev, flags)
    return string.format("fsopen(%s, %s)", quoted(ev.fs), or_zero(flags))
  end,
  FSCONFIG = function(ev, flags)
    return string.format("fsconfig(%d, %s%s)", ev.srcFd, flags, fsconfig_args(ev.data))
  end,
  FSMOUNT = function(ev)
    return string.format("fsmount(%d, %s, %s)", ev.srcFd,
                         or_zero(mounts.names(ev.flagsRaw & 0xffffffff, mounts.fsmount)),
                         or_zero(mounts.names(ev.flagsRaw >> 32, mounts.mount_attr)))
  end,
  MOVE_MOUNT = function(ev, flags)
    return string.format("move_mount(%s, %s, %s, %s, %s)", fd_text(ev.srcFd), quoted(ev.src),
                         fd_text(ev.destFd), quoted(ev.dest), or_zero(flags))
  end,
}

local function result(ev)
  if ev.ret ~= 0 then return "-" .. errno.name(ev.ret) end
  if ev.fd >= 0 then return tostring(ev.fd) end
  return "0"
end

return {
  name = "trace mount",
  description = "Trace mounts and unmounts: mount, umount2, fsopen, fsconfig, fsmount, move_mount",
  object = "trace/mount.bpf.o",

  fields = process.fields({
    timestamp = { description = "when the call returned" },
    op = { width = 10, description = "the call: MOUNT, UMOUNT, FSOPEN, FSCONFIG, FSMOUNT, MOVE_MOUNT" },
    ret = { width = 8, description = "0, or the errno of a failed call" },
    fd = { hidden = true, description = "the fd fsopen or fsmount returned, else -1" },
    srcFd = { hidden = true,
              description = "fd argument: fsconfig's and fsmount's fs context, move_mount's from_dfd; -1 if none" },
    destFd = { hidden = true, description = "move_mount's to_dfd (-100 AT_FDCWD); -1 if none" },
    latency = { width = 9, align = "right", format = function(v) return time.duration(v) end,
                description = "time spent in the call, ns" },
    flagsRaw = { hidden = true,
                 description = "flags as a number (fsmount: attr_flags in the high 32 bits; fsconfig: cmd)" },
    nullArgs = { internal = true, description = "mount's string arguments that were NULL" },
    fs = { hidden = true, description = "filesystem type (mount, fsopen); null: a NULL pointer" },
    data = { hidden = true,
             description = "mount's data (options), null for a NULL pointer; fsconfig's key=value" },
    src = { hidden = true,
            description = "source: mount's device (null: a NULL pointer), move_mount's from_path" },
    dest = { hidden = true, description = "target: mount's and umount's path, move_mount's to_path" },
    flags = { type = "string", hidden = true, description = "flags by name (MS_*, MNT_*, ...)" },
    call = { type = "string", description = "the call with its arguments and result" },
  }),
  columns = { "pid", "tid", "comm", "op", "latency", "ret", "call" },

  enrich = function(ev)
    local op = ev.op
    local flags = flag_names[op](ev)
    ev.flags = flags
    ev.call = calls[op](ev, flags) .. " = " .. result(ev)
    for field in pairs(NULL_BITS) do
      if is_null(ev, field) then ev[field] = gadget.null end
    end
  end,
}
