/* test_cri_client.c - the CRI client's failures, each one clear: no socket,
 * a server that speaks no HTTP/2, one that never answers (within the
 * deadline).  Its answers from a real containerd: test_cri.py. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "containers/cri_client.h"

struct server {
	int fd;
	const char *reply; /* written after the request; NULL: say nothing, wait for the client */
};

static void *serve_one(void *arg)
{
	struct server *s = arg;
	char buf[4096];
	int c = accept(s->fd, NULL, NULL);

	if (c < 0)
		return NULL;
	if (s->reply) {
		/* after the client's preface (24 bytes at least) */
		if (read(c, buf, sizeof(buf)) < 24 || write(c, s->reply, strlen(s->reply)) < 0)
			perror("serve_one");
		shutdown(c, SHUT_WR);
	}
	while (read(c, buf, sizeof(buf)) > 0)
		; /* until the client gives up */
	close(c);
	return NULL;
}

static int listen_at(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	return fd;
}

static int ask(const char *path, const char *reply, int timeout_ms, char *err, size_t errlen)
{
	struct server s = {.fd = listen_at(path), .reply = reply};
	char *labels = (char *)"unset";
	pthread_t t;
	int ret;

	assert_int_equal(pthread_create(&t, NULL, serve_one, &s), 0);
	ret = gh_cri_pod_labels(path, "abc", timeout_ms, &labels, err, errlen);
	assert_null(labels);
	pthread_join(t, NULL);
	close(s.fd);
	unlink(path);
	return ret;
}

static void test_failures(void **state)
{
	char path[64], err[256], *labels = NULL;
	struct timespec t0, t1;

	snprintf(path, sizeof(path), "/tmp/gh-test-cri-%d.sock", (int)getpid());
	unlink(path);
	assert_int_equal(gh_cri_pod_labels(path, "abc", 500, &labels, err, sizeof(err)), -ENOENT);
	assert_null(labels);
	assert_non_null(strstr(err, path));

	/* an HTTP/1 server: no HTTP/2 frames */
	assert_int_equal(ask(path, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n", 2000,
			     err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "not an HTTP/2 server"));

	/* a server that says nothing: the deadline */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ask(path, NULL, 300, err, sizeof(err)), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
