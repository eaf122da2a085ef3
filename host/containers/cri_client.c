/* cri_client.c - a pod's labels from the CRI API (see cri_client.h).
 *
 * gRPC over HTTP/2, by hand around nghttp2: the request is a POST to
 * /runtime.v1.RuntimeService/ListPodSandbox with content-type
 * application/grpc and "te: trailers"; its body and the answer's are
 * length-prefixed messages (one byte of compression flag, four of length,
 * big-endian, then the protobuf bytes).  The status is grpc-status, in
 * the trailers (or in the headers of an answer that has no body).  The
 * socket is blocking, with read and write timeouts; the loop stops at the
 * deadline. */
#include "containers/cri_client.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "base/err.h"
#include "base/unix_socket.h"
#include "containers/container_labels.h"
#include "cri.pb-c.h" /* generated from cri.proto */

#define ANSWER_MAX (1u << 20)          /* one sandbox's labels: far less */
#define GRPC_UNIMPLEMENTED 12

struct call {
	const uint8_t *body;            /* the request, framed */
	size_t body_len, body_sent;
	uint8_t *answer;                /* the answer's DATA, framed */
	size_t answer_len;
	int http_status;
	int grpc_status;                /* -1: none seen */
	char grpc_message[128];
	bool closed;                    /* the stream ended */
	uint32_t close_error;           /* its HTTP/2 error code */
	bool too_big;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static ssize_t read_body(nghttp2_session *session, int32_t stream_id, uint8_t *buf,
			 size_t length, uint32_t *data_flags, nghttp2_data_source *source,
			 void *user_data)
{
	struct call *c = user_data;
	size_t n = c->body_len - c->body_sent;

	(void)session;
	(void)stream_id;
	(void)source;
	if (n > length)
		n = length;
	memcpy(buf, c->body + c->body_sent, n);
	c->body_sent += n;
	if (c->body_sent == c->body_len)
		*data_flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
		     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
		     void *user_data)
{
	struct call *c = user_data;

	(void)session;
	(void)frame;
	(void)flags;
	if (namelen == 7 && !memcmp(name, ":status", 7))
		c->http_status = atoi((const char *)value); /* nghttp2 ends values with a NUL */
	else if (namelen == 11 && !memcmp(name, "grpc-status", 11))
		c->grpc_status = atoi((const char *)value);
	else if (namelen == 12 && !memcmp(name, "grpc-message", 12))
		snprintf(c->grpc_message, sizeof(c->grpc_message), "%.*s", (int)valuelen,
			 (const char *)value);
	return 0;
}

static int on_data(nghttp2_session *session, uint8_t flags, int32_t stream_id,
		   const uint8_t *data, size_t len, void *user_data)
{
	struct call *c = user_data;
	uint8_t *grown;

	(void)session;
	(void)flags;
	(void)stream_id;
	if (c->answer_len + len > ANSWER_MAX) {
		c->too_big = true;
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	grown = realloc(c->answer, c->answer_len + len);
	if (!grown)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	c->answer = grown;
	memcpy(c->answer + c->answer_len, data, len);
	c->answer_len += len;
	return 0;
}

static int on_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
		    void *user_data)
{
	struct call *c = user_data;

	(void)session;
	(void)stream_id;
	c->closed = true;
	c->close_error = error_code;
	return 0;
}

/* Write what nghttp2 has to send, read what comes, until the stream closes
 * or the deadline. */
static int exchange(nghttp2_session *s, struct call *c, int fd, int64_t deadline)
{
	uint8_t buf[16384];

	while (!c->closed) {
		const uint8_t *out;
		ssize_t n;

		if (now_ms() > deadline)
			return -ETIMEDOUT;
		while ((n = nghttp2_session_mem_send(s, &out)) > 0) {
			for (ssize_t done = 0; done < n;) {
				/* a server gone: EPIPE, not SIGPIPE */
				ssize_t w = send(fd, out + done, (size_t)(n - done), MSG_NOSIGNAL);

				if (w < 0)
					return errno == EAGAIN ? -ETIMEDOUT : -errno;
				done += w;
			}
		}
		if (n < 0)
			return -EPROTO;
		if (!nghttp2_session_want_read(s))
			return c->closed ? 0 : -EPROTO;
		n = read(fd, buf, sizeof(buf));
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (n == 0)
			return -ECONNRESET;
		if (nghttp2_session_mem_recv(s, buf, (size_t)n) < 0)
			return c->too_big ? -EFBIG : -EPROTO;
	}
	return 0;
}

/* One unary call of method on the socket: c's answer and status. */
static int call_method(const char *socket_path, const char *method, struct call *c,
		       int64_t deadline, char *err, size_t errlen)
{
#define HDR(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), \
		   NGHTTP2_NV_FLAG_NONE}
	nghttp2_nv hdrs[] = {
		HDR(":method", "POST"), HDR(":scheme", "http"), HDR(":path", method),
		HDR(":authority", "localhost"), HDR("content-type", "application/grpc"),
		HDR("te", "trailers"),
	};
#undef HDR
	nghttp2_data_provider body = {.read_callback = read_body};
	nghttp2_session_callbacks *cbs = NULL;
	nghttp2_session *s = NULL;
	int64_t left = deadline - now_ms();
	int fd, ret;

	fd = gh_unix_connect(socket_path, left > 0 ? (int)left : 1);
	if (fd < 0)
		return gh_err(err, errlen, fd, "%s: %s", socket_path, strerror(-fd));
	ret = nghttp2_session_callbacks_new(&cbs) ? -ENOMEM : 0;
	if (!ret) {
		nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
		nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
		nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_close);
		ret = nghttp2_session_client_new(&s, cbs, c) ? -ENOMEM : 0;
	}
	if (!ret && (nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0) ||
		      nghttp2_submit_request(s, NULL, hdrs, sizeof(hdrs) / sizeof(hdrs[0]), &body,
					     c) < 0))
		ret = -ENOMEM;
	if (!ret) {
		ret = exchange(s, c, fd, deadline);
		if (ret)
			gh_err(err, errlen, ret, "%s: %s", socket_path,
			     ret == -EPROTO ? "not an HTTP/2 server" : strerror(-ret));
	}
	if (ret == -ENOMEM)
		gh_err(err, errlen, ret, "out of memory");
	nghttp2_session_del(s);
	nghttp2_session_callbacks_del(cbs);
	close(fd);
	return ret;
}

/* The request, framed: ListPodSandboxRequest{filter: {id}}. */
static uint8_t *request_for(const char *sandbox_id, size_t *len)
{
	Runtime__V1__PodSandboxFilter filter = RUNTIME__V1__POD_SANDBOX_FILTER__INIT;
	Runtime__V1__ListPodSandboxRequest req = RUNTIME__V1__LIST_POD_SANDBOX_REQUEST__INIT;
	size_t n;
	uint8_t *buf;

	filter.id = (char *)sandbox_id;
	req.filter = &filter;
	n = runtime__v1__list_pod_sandbox_request__get_packed_size(&req);
	buf = malloc(5 + n);
	if (!buf)
		return NULL;
	buf[0] = 0; /* not compressed */
	buf[1] = (uint8_t)(n >> 24);
	buf[2] = (uint8_t)(n >> 16);
	buf[3] = (uint8_t)(n >> 8);
	buf[4] = (uint8_t)n;
	runtime__v1__list_pod_sandbox_request__pack(&req, buf + 5);
	*len = 5 + n;
	return buf;
}

static int by_key(const void *a, const void *b)
{
	const Runtime__V1__PodSandbox__LabelsEntry *x = *(const void *const *)a;
	const Runtime__V1__PodSandbox__LabelsEntry *y = *(const void *const *)b;

	return strcmp(x->key ? x->key : "", y->key ? y->key : "");
}

/* The answer's labels of sandbox_id as "k=v,k=v". */
static int labels_of(const struct call *c, const char *sandbox_id, char **labels, char *err,
		     size_t errlen)
{
	Runtime__V1__ListPodSandboxResponse *resp;
	const Runtime__V1__PodSandbox *sb = NULL;
	const char **keys = NULL, **values = NULL;
	size_t n;
	int ret = 0;

	if (c->answer_len < 5 || c->answer[0] != 0)
		return gh_err(err, errlen, -EPROTO, "no uncompressed gRPC message in the answer");
	n = (size_t)c->answer[1] << 24 | (size_t)c->answer[2] << 16 | (size_t)c->answer[3] << 8 |
	    c->answer[4];
	if (n != c->answer_len - 5)
		return gh_err(err, errlen, -EPROTO, "a gRPC message of %zu bytes in %zu", n,
			    c->answer_len - 5);
	resp = runtime__v1__list_pod_sandbox_response__unpack(NULL, n, c->answer + 5);
	if (!resp)
		return gh_err(err, errlen, -EPROTO, "the answer is no ListPodSandboxResponse");
	for (size_t i = 0; i < resp->n_items && !sb; i++)
		if (resp->items[i]->id && !strcmp(resp->items[i]->id, sandbox_id))
			sb = resp->items[i];
	if (!sb) {
		ret = gh_err(err, errlen, -ESRCH, "no pod sandbox %.64s", sandbox_id);
	} else {
		if (sb->n_labels) /* a pod without labels has no array at all */
			qsort(sb->labels, sb->n_labels, sizeof(*sb->labels), by_key);
		keys = calloc(sb->n_labels + 1, sizeof(*keys));
		values = calloc(sb->n_labels + 1, sizeof(*values));
		ret = keys && values ? 0 : -ENOMEM;
		for (size_t i = 0; i < sb->n_labels && !ret; i++) {
			keys[i] = sb->labels[i]->key;
			values[i] = sb->labels[i]->value;
		}
		if (!ret)
			ret = gh_k8s_labels_join(keys, values, sb->n_labels, labels);
		if (ret)
			gh_err(err, errlen, ret, "out of memory");
	}
	free(keys);
	free(values);
	runtime__v1__list_pod_sandbox_response__free_unpacked(resp, NULL);
	return ret;
}

int gh_cri_pod_labels(const char *socket_path, const char *sandbox_id, int timeout_ms,
		      char **labels, char *err, size_t errlen)
{
	static const char *const methods[] = {
		"/runtime.v1.RuntimeService/ListPodSandbox",
		"/runtime.v1alpha2.RuntimeService/ListPodSandbox",
	};
	int64_t deadline = now_ms() + timeout_ms;
	struct call c;
	size_t len;
	uint8_t *req;
	int ret = -EPROTO;

	*labels = NULL;
	if (!socket_path)
		socket_path = GH_CRI_SOCKET;
	req = request_for(sandbox_id, &len);
	if (!req)
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
		memset(&c, 0, sizeof(c));
		c.body = req;
		c.body_len = len;
		c.grpc_status = -1;
		ret = call_method(socket_path, methods[m], &c, deadline, err, errlen);
		if (!ret && c.grpc_status == GRPC_UNIMPLEMENTED) {
			free(c.answer);
			ret = gh_err(err, errlen, -EPROTO, "%s serves no CRI RuntimeService",
				   socket_path);
			continue; /* no v1 here: v1alpha2 */
		}
		if (!ret && (c.http_status != 200 || c.grpc_status != 0 || c.close_error))
			ret = gh_err(err, errlen, -EPROTO, "%s: %s: HTTP %d, grpc-status %d%s%s",
				   socket_path, methods[m], c.http_status, c.grpc_status,
				   c.grpc_message[0] ? ": " : "", c.grpc_message);
		if (!ret)
			ret = labels_of(&c, sandbox_id, labels, err, errlen);
		free(c.answer);
		break;
	}
	free(req);
	return ret;
}
