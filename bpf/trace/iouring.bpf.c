// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* trace/iouring: io_uring requests, one event per completion, with the
 * process that submitted the request.
 *
 * io_uring_submit_req (io_uring_submit_sqe before Linux 6.4: a variant)
 * fires in the submitting task once the kernel has read and prepared the
 * SQE: the process, opcode and flags are kept per request (the kernel's
 * struct io_kiocb pointer) in `inflight`, and for the path operations the
 * path the kernel copied in prep, in `paths`.  io_uring_file_get fires when
 * the kernel looks the request's fd up (ops that take a file, not a
 * registered one): it sets the fd.  io_uring_complete fires for each CQE,
 * in whatever task or context completes it: the request is matched by its
 * pointer (and its user_data, so a recycled request is not taken for an
 * old one) and reported with its result and the time since submission.
 * A multishot request (IORING_CQE_F_MORE) keeps its entry until its last
 * CQE.  Records are as long as their path.
 */
#include <gadget/gadget.h>
#include <gadget/process.h>

#define PATH_MAX 4096
#define IOSQE_FIXED_FILE (1U << 0)
#define IORING_CQE_F_MORE (1U << 1)

struct event {
	GADGET_PROCESS_FIELDS; /* the submitter; timestamp: the completion */
	enum io_uring_op opcode;
	__s32 fd;              /* the request's fd, a dirfd, or -1 */
	bool fixed;            /* fd is an index of the ring's registered files */
	bool sqThread;         /* submitted by the ring's SQPOLL thread */
	bool more;             /* IORING_CQE_F_MORE: more CQEs will follow */
	__u8 flagsRaw;         /* the SQE's IOSQE_* flags */
	__s32 res;             /* the result when >= 0 (bytes, a new fd...), else -1 */
	gadget_errno err;      /* 0, or the errno of a failed request */
	__u64 latency;         /* ns from submission to this completion */
	__u64 userData;
	/* must stay last: a record ends where its path ends */
	char path[PATH_MAX];
};

/* what a submission leaves for its completion; it starts as the event
 * does, so the process members are copied in one go */
struct submission {
	GADGET_PROCESS_FIELDS;
	__u64 start;           /* bpf_ktime_get_ns() at submission */
	__u64 user_data;
	__u32 opcode;
	__s32 fd;
	__u8 flags;
	bool sq_thread;
	bool has_path;
};

GADGET_TRACER_MAP(events, 1 << 20);
GADGET_TRACER(iouring, events, event);

/* request pointer -> its submission; LRU: requests never completed while
 * tracing (a ring torn down, IOSQE_CQE_SKIP_SUCCESS) age out */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct submission);
} inflight SEC(".maps");

/* request pointer -> the path of an open, statx, unlinkat, mkdirat or
 * renameat in flight (few at a time: a smaller map of big values) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, char[PATH_MAX]);
} paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event);
} scratch SEC(".maps");

/* 6.1 to 6.3: the submission tracepoint's record (io_uring_submit_sqe) */
struct trace_event_raw_io_uring_submit_sqe {
	struct trace_entry ent;
	void *ctx;
	void *req;
	unsigned long long user_data;
	__u8 opcode;
	__u32 flags;
	bool force_nonblock;
	bool sq_thread;
} __attribute__((preserve_access_index));

/* The path a path operation's prep copied from user memory (a struct
 * filename), and the directory fd it is relative to.  The op's data
 * (io_kiocb_to_cmd()) starts the request. */
static __always_inline struct filename *path_of(void *req, __u8 opcode, __s32 *dfd)
{
	switch (opcode) {
	case IORING_OP_OPENAT:
	case IORING_OP_OPENAT2:
		*dfd = BPF_CORE_READ((struct io_open *)req, dfd);
		return BPF_CORE_READ((struct io_open *)req, filename);
	case IORING_OP_STATX:
		*dfd = BPF_CORE_READ((struct io_statx *)req, dfd);
		return BPF_CORE_READ((struct io_statx *)req, filename);
	case IORING_OP_UNLINKAT:
		*dfd = BPF_CORE_READ((struct io_unlink *)req, dfd);
		return BPF_CORE_READ((struct io_unlink *)req, filename);
	case IORING_OP_MKDIRAT:
		*dfd = BPF_CORE_READ((struct io_mkdir *)req, dfd);
		return BPF_CORE_READ((struct io_mkdir *)req, filename);
	case IORING_OP_RENAMEAT:
		*dfd = BPF_CORE_READ((struct io_rename *)req, old_dfd);
		return BPF_CORE_READ((struct io_rename *)req, oldpath);
	}
	return NULL;
}

static __always_inline int submit(void *req, __u64 user_data, __u8 opcode, __u32 flags,
				  bool sq_thread)
{
	struct submission r = {};
	struct filename *name;
	__u64 key = (__u64)req;
	__u32 zero = 0;
	struct event *e;
	__s32 dfd = -1;

	if (gadget_should_discard())
		return 0;
	r.start = bpf_ktime_get_ns();
	r.user_data = user_data;
	gadget_process_fill(&r);
	r.opcode = opcode;
	r.flags = flags & 0xff;
	r.sq_thread = sq_thread;
	r.fd = -1;
	if (flags & IOSQE_FIXED_FILE)
		r.fd = BPF_CORE_READ((struct io_kiocb *)req, cqe.fd);
	else if (opcode == IORING_OP_CLOSE)
		r.fd = BPF_CORE_READ((struct io_close *)req, fd);
	name = path_of(req, opcode, &dfd);
	if (name) {
		r.fd = dfd;
		e = bpf_map_lookup_elem(&scratch, &zero);
		if (e && bpf_probe_read_kernel_str(e->path, sizeof(e->path),
						   BPF_CORE_READ(name, name)) > 0)
			r.has_path = !bpf_map_update_elem(&paths, &key, e->path, BPF_ANY);
	}
	bpf_map_update_elem(&inflight, &key, &r, BPF_ANY);
	return 0;
}

SEC("tracepoint/io_uring/io_uring_submit_req")
int on_submit_req(struct trace_event_raw_io_uring_submit_req *ctx)
{
	return submit(ctx->req, ctx->user_data, ctx->opcode, ctx->flags, ctx->sq_thread);
}

SEC("tracepoint/io_uring/io_uring_submit_sqe")
int on_submit_sqe(struct trace_event_raw_io_uring_submit_sqe *ctx)
{
	return submit(BPF_CORE_READ(ctx, req), BPF_CORE_READ(ctx, user_data),
		      BPF_CORE_READ(ctx, opcode), BPF_CORE_READ(ctx, flags),
		      BPF_CORE_READ(ctx, sq_thread));
}

/* the fd of a request that takes a file, as the kernel looks it up */
SEC("tracepoint/io_uring/io_uring_file_get")
int on_file_get(struct trace_event_raw_io_uring_file_get *ctx)
{
	__u64 key = (__u64)ctx->req;
	struct submission *r = bpf_map_lookup_elem(&inflight, &key);

	if (r && r->user_data == ctx->user_data)
		r->fd = ctx->fd;
	return 0;
}

SEC("tracepoint/io_uring/io_uring_complete")
int on_complete(struct trace_event_raw_io_uring_complete *ctx)
{
	__u64 key = (__u64)ctx->req;
	struct submission *r;
	struct event *e;
	__u32 zero = 0;
	char *path;
	long len = 0;
	bool more;

	r = bpf_map_lookup_elem(&inflight, &key);
	if (!r)
		return 0;
	if (r->user_data != ctx->user_data) {
		/* not this request's submission: one missed while recycled */
		bpf_map_delete_elem(&inflight, &key);
		return 0;
	}
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return 0;
	__builtin_memcpy(e, r, offsetof(struct submission, start));
	e->timestamp = bpf_ktime_get_boot_ns();
	e->latency = bpf_ktime_get_ns() - r->start;
	e->opcode = r->opcode;
	e->fd = r->fd;
	e->fixed = r->flags & IOSQE_FIXED_FILE;
	e->sqThread = r->sq_thread;
	e->flagsRaw = r->flags;
	e->userData = r->user_data;
	e->res = ctx->res >= 0 ? ctx->res : -1;
	e->err = gadget_errno_of(ctx->res);
	more = ctx->cflags & IORING_CQE_F_MORE;
	e->more = more;
	e->path[0] = '\0';
	if (r->has_path) {
		path = bpf_map_lookup_elem(&paths, &key);
		if (path)
			len = bpf_probe_read_kernel_str(e->path, sizeof(e->path), path);
		if (len > 0)
			len -= 1;
		else
			len = 0;
		if (!more)
			bpf_map_delete_elem(&paths, &key);
	}
	if (!more)
		bpf_map_delete_elem(&inflight, &key);
	gadget_bound(len, 4095); /* PATH_MAX - 1 */
	gadget_output(&events, e, offsetof(struct event, path) + len + 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
