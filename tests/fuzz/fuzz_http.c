/* fuzz_http.c - libFuzzer target: whatever a client sends to the daemon's
 * HTTP server (host/daemon/http_server.c), on its real listeners: the
 * bytes are written to its Unix socket (a root peer), the write side shut, and the loop
 * run until the server has closed both connections.  The handler answers
 * every request it is handed; the bounds (header and body sizes, body
 * budget, deadlines) are the daemon's own, scaled down.  The TCP listener
 * parses with the same code; what it adds, the token and its failures'
 * slowing down (by design, seconds per input), is left to
 * tests/integration/test_daemon_tls.py. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <uv.h>

#include "daemon/http_server.h"

static uv_loop_t loop;
static struct gh_http_server *unix_srv;
static char sock_path[64];
static size_t handled;

static void handler(void *ctx, struct gh_http_conn *c, const struct gh_http_request *req)
{
	/* the request as the daemon's routes see it: read every part */
	handled += strlen(req->path) + strlen(req->query) + strnlen(req->body, req->body_len + 1);
	if (req->body_len & 1)
		gh_http_respond(c, 200, NULL, req->body, req->body_len);
	else if (gh_http_stream_start(c, 200, NULL, NULL) == 0 &&
		 (!req->body_len || gh_http_stream_write(c, req->body, req->body_len) == 0))
		gh_http_stream_end(c);
}

static void setup(void)
{
	struct gh_http_server_opts o = {
		.handler = handler,
		.limits = {.max_header = 8192, .max_body = 65536, .max_body_total = 1 << 20,
			   .max_conns = 8, .max_conns_per_peer = 4, .request_ms = 2000,
			   .idle_ms = 1000, .send_ms = 2000},
		.root_only = true,
	};

	uv_loop_init(&loop);
	snprintf(sock_path, sizeof(sock_path), "/tmp/gh-fuzz-http-%d.sock", (int)getpid());
	if (gh_http_listen_unix(&unix_srv, &loop, sock_path, 0600, &o))
		abort();
}

/* a client of the Unix listener, connected; -1 on failure */
static int client(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send data (as much as the socket takes while the loop runs), shut the
 * write side, and run the loop until the server closed the connection. */
static void exchange(const uint8_t *data, size_t size)
{
	int fd = client();
	size_t sent = 0;
	char sink[4096];
	bool shut = false;

	if (fd < 0)
		return;
	for (int rounds = 0; rounds < 100000; rounds++) {
		ssize_t n;

		if (sent < size) {
			n = write(fd, data + sent, size - sent);
			if (n > 0)
				sent += (size_t)n;
		} else if (!shut) {
			shutdown(fd, SHUT_WR);
			shut = true;
		}
		uv_run(&loop, UV_RUN_NOWAIT);
		n = read(fd, sink, sizeof(sink));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR && errno != ENOTCONN))
			break;
		if (n < 0 && shut)
			uv_run(&loop, UV_RUN_ONCE); /* wait for the server: a timer or the peer */
	}
	close(fd);
	uv_run(&loop, UV_RUN_NOWAIT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!unix_srv)
		setup();
	exchange(data, size);
	return handled == (size_t)-1;
}
