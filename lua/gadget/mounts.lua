-- gadget.mounts: flag names of mount(2), umount2(2) and the new mount API
-- (values from the kernel's uapi linux/mount.h and linux/fs.h).
local M = {}

M.mount = {
  MS_RDONLY = 0x1, MS_NOSUID = 0x2, MS_NODEV = 0x4, MS_NOEXEC = 0x8,
  MS_SYNCHRONOUS = 0x10, MS_REMOUNT = 0x20, MS_MANDLOCK = 0x40, MS_DIRSYNC = 0x80,
  MS_NOSYMFOLLOW = 0x100, MS_NOATIME = 0x400, MS_NODIRATIME = 0x800, MS_BIND = 0x1000,
  MS_MOVE = 0x2000, MS_REC = 0x4000, MS_SILENT = 0x8000, MS_POSIXACL = 0x10000,
  MS_UNBINDABLE = 0x20000, MS_PRIVATE = 0x40000, MS_SLAVE = 0x80000, MS_SHARED = 0x100000,
  MS_RELATIME = 0x200000, MS_KERNMOUNT = 0x400000, MS_I_VERSION = 0x800000,
  MS_STRICTATIME = 0x1000000, MS_LAZYTIME = 0x2000000,
}
-- old programs put this magic in the high 16 bits of mount(2)'s flags
M.MS_MGC_VAL = 0xC0ED0000
M.MS_MGC_MSK = 0xffff0000

M.umount = { MNT_FORCE = 0x1, MNT_DETACH = 0x2, MNT_EXPIRE = 0x4, UMOUNT_NOFOLLOW = 0x8 }

M.fsopen = { FSOPEN_CLOEXEC = 0x1 }

-- fsconfig's cmd: one value, not bits
M.fsconfig = {
  FSCONFIG_SET_FLAG = 0, FSCONFIG_SET_STRING = 1, FSCONFIG_SET_BINARY = 2,
  FSCONFIG_SET_PATH = 3, FSCONFIG_SET_PATH_EMPTY = 4, FSCONFIG_SET_FD = 5,
  FSCONFIG_CMD_CREATE = 6, FSCONFIG_CMD_RECONFIGURE = 7, FSCONFIG_CMD_CREATE_EXCL = 8,
}

M.fsmount = { FSMOUNT_CLOEXEC = 0x1 }

-- fsmount's attr_flags (MOUNT_ATTR_RELATIME is 0: the default atime)
M.mount_attr = {
  MOUNT_ATTR_RDONLY = 0x1, MOUNT_ATTR_NOSUID = 0x2, MOUNT_ATTR_NODEV = 0x4,
  MOUNT_ATTR_NOEXEC = 0x8, MOUNT_ATTR_NOATIME = 0x10, MOUNT_ATTR_STRICTATIME = 0x20,
  MOUNT_ATTR_NODIRATIME = 0x80, MOUNT_ATTR_IDMAP = 0x100000, MOUNT_ATTR_NOSYMFOLLOW = 0x200000,
}

M.move_mount = {
  MOVE_MOUNT_F_SYMLINKS = 0x1, MOVE_MOUNT_F_AUTOMOUNTS = 0x2, MOVE_MOUNT_F_EMPTY_PATH = 0x4,
  MOVE_MOUNT_T_SYMLINKS = 0x10, MOVE_MOUNT_T_AUTOMOUNTS = 0x20, MOVE_MOUNT_T_EMPTY_PATH = 0x40,
  MOVE_MOUNT_SET_GROUP = 0x100, MOVE_MOUNT_BENEATH = 0x200,
}

local function by_value(names)
  local list = {}
  for name, value in pairs(names) do
    list[#list + 1] = { name = name, value = value }
  end
  table.sort(list, function(a, b) return a.value < b.value end)
  return list
end

local sorted = setmetatable({}, { __mode = "k" })

-- bits as "A|B" in the order of their values; bits without a name as hex
-- (names(0x6, M.mount) -> "MS_NOSUID|MS_NODEV"; names(0, t) -> "")
function M.names(bits, names)
  local list = sorted[names]
  if not list then
    list = by_value(names)
    sorted[names] = list
  end
  local out, rest = {}, bits
  for _, f in ipairs(list) do
    if f.value ~= 0 and bits & f.value == f.value then
      out[#out + 1] = f.name
      rest = rest & ~f.value
    end
  end
  if rest ~= 0 then
    out[#out + 1] = string.format("0x%x", rest)
  end
  return table.concat(out, "|")
end

-- the name of one value of an enum-like table, else the number
function M.value_name(value, names)
  for name, v in pairs(names) do
    if v == value then return name end
  end
  return tostring(value)
end

-- mount(2)'s flags without the old magic number
function M.mount_flags(bits)
  if bits & M.MS_MGC_MSK == M.MS_MGC_VAL then
    bits = bits & ~M.MS_MGC_MSK
  end
  return M.names(bits, M.mount)
end

return M
