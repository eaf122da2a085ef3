-- trace/iouring: io_uring requests, one event per completion, with the
-- process that submitted them.
local time = require("gadget.time")

-- IOSQE_* flags (include/uapi/linux/io_uring.h); the kernel keeps them
-- in the low bits of the request's flags, with the same values
local sqe_flags = {
  FIXED_FILE = 1, IO_DRAIN = 2, IO_LINK = 4, IO_HARDLINK = 8,
  ASYNC = 16, BUFFER_SELECT = 32, CQE_SKIP_SUCCESS = 64,
}

return {
  name = "trace iouring",
  description = "Trace io_uring requests: opcode, fd, path, result and latency, "
    .. "with the process that submitted them",
  object = "trace/iouring.bpf.o",
  variants = {
    -- io_uring_submit_sqe was renamed io_uring_submit_req in Linux 6.4;
    -- the record's members kept their names
    submit = { "on_submit_req", "on_submit_sqe" },
  },

  fields = {
    timestamp = { hidden = true, description = "when the request completed" },
    mountnsid = { hidden = true, description = "mount namespace of the submitter" },
    pid = { width = 7, align = "right", description = "the process that submitted the request" },
    tid = { width = 7, align = "right", hidden = true,
            description = "the thread that submitted it (the SQPOLL thread with sqThread)" },
    ppid = { width = 7, align = "right", hidden = true, description = "the submitter's parent" },
    uid = { width = 6, align = "right", hidden = true, description = "user id" },
    gid = { width = 6, align = "right", hidden = true, description = "group id" },
    comm = { width = 16, description = "the submitter's command name" },
    opcode = { width = 14, enum_prefix = "IORING_OP_",
               description = "the operation, by the running kernel's enum io_uring_op "
                 .. "without IORING_OP_ (READ, WRITE, OPENAT, SEND...)" },
    fd = { width = 5, align = "right",
           description = "the request's file descriptor (a registered file's index with "
             .. "fixed), the directory fd of a path operation (-100: AT_FDCWD), -1: none" },
    fixed = { hidden = true, description = "fd is an index of the ring's registered files" },
    sqThread = { hidden = true, description = "submitted by the ring's SQPOLL kernel thread" },
    more = { hidden = true,
             description = "a multishot request's completion with more to come (IORING_CQE_F_MORE)" },
    flagsRaw = { hidden = true, description = "the request's IOSQE_* flags as a number" },
    flags = { from = "flagsRaw", flags = sqe_flags, zero = "", hidden = true,
              description = "the request's IOSQE_* flags by name, once the kernel prepared "
                .. "it: the SQE's, and ASYNC where the kernel chose to punt it to a worker "
                .. "(an open that creates or truncates)" },
    res = { width = 8, align = "right",
            description = "the result: bytes moved, the new fd of an open, 0...; -1 on failure" },
    err = { width = 8, description = "0, or the errno of a failed request" },
    latency = { width = 9, align = "right", format = function(v) return time.duration(v) end,
                description = "from submission to completion, in ns" },
    userData = { hidden = true, description = "the SQE's user_data" },
    path = { description = "the path of an open, statx, unlinkat, mkdirat (renameat: the old path)" },
  },
  columns = { "pid", "comm", "opcode", "fd", "res", "err", "latency", "path" },
}
