-- gadget.flags: bit names for fields declared with `flags = ...`.
-- (x86_64 / generic values from the kernel's uapi headers.)
local M = {}

M.open = {
  O_WRONLY = 0x1, O_RDWR = 0x2, O_CREAT = 0x40, O_EXCL = 0x80, O_NOCTTY = 0x100,
  O_TRUNC = 0x200, O_APPEND = 0x400, O_NONBLOCK = 0x800, O_DSYNC = 0x1000,
  O_ASYNC = 0x2000, O_DIRECT = 0x4000, O_LARGEFILE = 0x8000, O_DIRECTORY = 0x10000,
  O_NOFOLLOW = 0x20000, O_NOATIME = 0x40000, O_CLOEXEC = 0x80000, O_SYNC = 0x101000,
  O_PATH = 0x200000, O_TMPFILE = 0x410000,
}

-- permission bits, as chmod(1) names them
M.mode = {
  S_ISUID = 0x800, S_ISGID = 0x400, S_ISVTX = 0x200,
  S_IRUSR = 0x100, S_IWUSR = 0x80, S_IXUSR = 0x40,
  S_IRGRP = 0x20, S_IWGRP = 0x10, S_IXGRP = 0x8,
  S_IROTH = 0x4, S_IWOTH = 0x2, S_IXOTH = 0x1,
}

return M
