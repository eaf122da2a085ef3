/* unix_broadcast.c - one message to many sockets, one deadline (see
 * unix_broadcast.h), on poll(2). */
#include "base/unix_broadcast.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct conn {
	int fd;
	size_t sent;     /* of the message */
	size_t got;      /* answer bytes kept */
	bool done;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void finish(struct gh_broadcast_target *t, struct conn *c, int ret)
{
	t->ret = ret;
	t->answer[c->got] = '\0';
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->done = true;
}

/* A non-blocking connection, or -errno (a full backlog: -EAGAIN). */
static int connect_nonblocking(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/* Send what is left of msg; once all of it went, shut our side down. */
static void send_more(struct gh_broadcast_target *t, struct conn *c, const char *msg,
		      size_t len)
{
	while (c->sent < len) {
		ssize_t w = send(c->fd, msg + c->sent, len - c->sent, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w < 0) {
			finish(t, c, -errno);
			return;
		}
		c->sent += (size_t)w;
	}
	shutdown(c->fd, SHUT_WR);
}

static void read_more(struct gh_broadcast_target *t, struct conn *c)
{
	for (;;) {
		char sink[4096];
		size_t room = sizeof(t->answer) - 1 - c->got;
		ssize_t r = room ? read(c->fd, t->answer + c->got, room)
				 : read(c->fd, sink, sizeof(sink));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			finish(t, c, r < 0 ? -errno : 0);
			return;
		}
		if (room)
			c->got += (size_t)r;
	}
}

void gh_unix_broadcast(struct gh_broadcast_target *t, size_t n, const char *msg, size_t len,
		       int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct conn *c = calloc(n, sizeof(*c));
	struct pollfd *pfd = calloc(n, sizeof(*pfd));
	size_t *which = calloc(n, sizeof(*which));

	if (!c || !pfd || !which) {
		for (size_t i = 0; i < n; i++)
			t[i].ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		c[i].fd = connect_nonblocking(t[i].path);
		if (c[i].fd < 0)
			finish(&t[i], &c[i], c[i].fd);
		else
			send_more(&t[i], &c[i], msg, len);
	}
	for (;;) {
		int64_t left = deadline - now_ms();
		size_t np = 0;
		int r;

		for (size_t i = 0; i < n; i++) {
			if (c[i].done)
				continue;
			pfd[np] = (struct pollfd){.fd = c[i].fd,
						  .events = c[i].sent < len ? POLLOUT : POLLIN};
			which[np++] = i;
		}
		if (!np)
			break;
		if (left <= 0) {
			for (size_t k = 0; k < np; k++)
				finish(&t[which[k]], &c[which[k]], -ETIMEDOUT);
			break;
		}
		r = poll(pfd, np, (int)left);
		if (r < 0 && errno != EINTR) {
			for (size_t k = 0; k < np; k++)
				finish(&t[which[k]], &c[which[k]], -errno);
			break;
		}
		for (size_t k = 0; r > 0 && k < np; k++) {
			size_t i = which[k];

			if (!pfd[k].revents)
				continue;
			if (c[i].sent < len)
				send_more(&t[i], &c[i], msg, len);
			else
				read_more(&t[i], &c[i]);
		}
	}
out:
	free(c);
	free(pfd);
	free(which);
}
