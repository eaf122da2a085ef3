-- snapshot/file: the open file descriptors of every process, now.
local flags = require("gadget.flags")

return {
  name = "snapshot file",
  description = "The open files of every process now: fd, type, flags and path "
    .. "(sockets, pipes and anonymous inodes named as /proc/PID/fd shows them)",
  object = "snapshot/file.bpf.o",
  sort = "pid,fd",

  fields = {
    mountnsid = { hidden = true, description = "mount namespace of the process" },
    pid = { width = 7, align = "right", description = "process id" },
    tid = { width = 7, align = "right", hidden = true,
            description = "the thread whose table this is (= pid, unless a thread has a "
              .. "descriptor table of its own)" },
    uid = { width = 6, align = "right", hidden = true, description = "user id" },
    comm = { width = 16, description = "command name" },
    fd = { width = 5, align = "right", description = "the file descriptor" },
    type = { width = 4, description = "REG, DIR, CHR, BLK, FIFO, SOCK, LNK, or ANON "
               .. "(an anonymous inode: eventfd, epoll, timerfd, pidfd, bpf objects...)" },
    flagsRaw = { hidden = true,
                 description = "as /proc/PID/fdinfo/FD's flags: the file's open flags and O_CLOEXEC" },
    flags = { from = "flagsRaw", flags = flags.open, zero = "O_RDONLY", zero_mask = 3,
              width = 40, description = "flagsRaw by name" },
    pos = { width = 10, align = "right", hidden = true, description = "the file position" },
    ino = { width = 10, align = "right", hidden = true, description = "the inode number" },
    mntId = { width = 6, align = "right", hidden = true,
              description = "the mount the file is on (/proc/PID/mountinfo's first column)" },
    path = { description = "as readlink(/proc/PID/fd/FD) says: the path (from this "
               .. "process's root), socket:[INODE], pipe:[INODE], anon_inode:[eventfd]..." },
  },
  columns = { "pid", "comm", "fd", "type", "flags", "path" },
}
