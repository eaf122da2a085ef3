// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* trace/ssl: the plaintext passing through OpenSSL (SSL_write, SSL_read
 * and their _ex forms) and GnuTLS (gnutls_record_send, _recv), before
 * encryption and after decryption.
 *
 * Each function has a uprobe at its entry and a uretprobe at its return.
 * Their sections name a library, not a file ("uprobe/libssl.so:SSL_write"):
 * the host attaches them to every copy of that library the processes have
 * mapped, a container's own included (docs/writing-gadgets.md, "Uprobes on
 * a library").  The entry remembers the buffer per thread; the return
 * knows how many bytes went through and copies the first --max-bytes.
 * (BPF_KPROBE and BPF_KRETPROBE read a uprobe's registers as well.)
 */
#include <gadget/gadget.h>
#include <gadget/process.h>

#define MAX_CAPTURE 4096 /* the most --max-bytes may ask for */
#define MAX_CALLS 10240  /* threads inside a traced call at once */

enum op {
	OP_SSL_WRITE,
	OP_SSL_READ,
	OP_SSL_WRITE_EX,
	OP_SSL_READ_EX,
	OP_GNUTLS_SEND,
	OP_GNUTLS_RECV,
};

struct event {
	GADGET_PROCESS_FIELDS;
	__u64 latency_ns;  /* entry to return */
	__u32 len;         /* bytes written or read */
	__u32 captured;    /* of them in buf */
	__u8 opRaw;        /* enum op */
	__u8 buf[MAX_CAPTURE];
};

GADGET_TRACER_MAP(events, 1 << 20);
GADGET_TRACER(ssl, events, event);
GADGET_PARAM(__u32, max_bytes, 64);

/* what the entry saw, per thread, until the return */
struct call {
	__u64 start_ns;
	const void *buf;
	__u64 *done; /* the _ex forms: where the byte count is written */
	__u8 op;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_CALLS);
	__type(key, __u64);
	__type(value, struct call);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event);
} scratch SEC(".maps");

static __always_inline int enter(const void *buf, __u64 *done, enum op op)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct call c = {};

	if (gadget_should_discard())
		return 0;
	c.start_ns = bpf_ktime_get_ns();
	c.buf = buf;
	c.done = done;
	c.op = op;
	bpf_map_update_elem(&calls, &id, &c, BPF_ANY);
	return 0;
}

/* ret: the function's result (bytes, or 1 for an _ex form's success) */
static __always_inline int leave(long ret)
{
	__u64 id = bpf_get_current_pid_tgid(), len, n;
	struct call *c = bpf_map_lookup_elem(&calls, &id);
	__u32 zero = 0;
	struct event *e;

	if (!c)
		return 0;
	if (c->done) {
		len = 0;
		if (ret == 1)
			bpf_probe_read_user(&len, sizeof(len), c->done);
	} else {
		len = ret > 0 ? ret : 0;
	}
	e = len ? bpf_map_lookup_elem(&scratch, &zero) : NULL;
	if (!e)
		goto out; /* an error, or nothing went through */
	n = len < max_bytes ? len : max_bytes;
	if (n > MAX_CAPTURE)
		n = MAX_CAPTURE;
	if (bpf_probe_read_user(e->buf, n, c->buf))
		n = 0;
	gadget_process_fill(e);
	e->latency_ns = bpf_ktime_get_ns() - c->start_ns;
	e->len = len;
	e->captured = n;
	e->opRaw = c->op;
	gadget_output(&events, e, offsetof(struct event, buf) + n);
out:
	bpf_map_delete_elem(&calls, &id);
	return 0;
}

/* An entry and a return probe of func in lib: the entry's buffer is its
 * second argument, an _ex form's byte count is written where its fourth
 * points (done: 1); the result is a ret_type (an int's upper half of the
 * register is not part of it: read as a long, -1 would be 2^32 - 1). */
#define SSL_PROBES(lib, func, op, done, ret_type)                          \
	SEC("uprobe/" lib ":" #func)                                       \
	int BPF_KPROBE(func##_enter, void *session, const void *buf, __u64 num, \
		       __u64 *count)                                       \
	{                                                                  \
		return enter(buf, (done) ? count : NULL, op);              \
	}                                                                  \
	SEC("uretprobe/" lib ":" #func)                                    \
	int BPF_KRETPROBE(func##_return, ret_type ret)                     \
	{                                                                  \
		return leave(ret);                                         \
	}

/* int SSL_write(SSL *ssl, const void *buf, int num): bytes, or <= 0 */
SSL_PROBES("libssl.so", SSL_write, OP_SSL_WRITE, 0, int)
/* int SSL_read(SSL *ssl, void *buf, int num) */
SSL_PROBES("libssl.so", SSL_read, OP_SSL_READ, 0, int)
/* int SSL_write_ex(SSL *s, const void *buf, size_t num, size_t *written):
 * 1 on success */
SSL_PROBES("libssl.so", SSL_write_ex, OP_SSL_WRITE_EX, 1, int)
/* int SSL_read_ex(SSL *ssl, void *buf, size_t num, size_t *readbytes) */
SSL_PROBES("libssl.so", SSL_read_ex, OP_SSL_READ_EX, 1, int)
/* ssize_t gnutls_record_send(gnutls_session_t s, const void *data, size_t n) */
SSL_PROBES("libgnutls.so", gnutls_record_send, OP_GNUTLS_SEND, 0, long)
/* ssize_t gnutls_record_recv(gnutls_session_t s, void *data, size_t n) */
SSL_PROBES("libgnutls.so", gnutls_record_recv, OP_GNUTLS_RECV, 0, long)

char LICENSE[] SEC("license") = "GPL";
