/* hook.c - OCI hooks to running hosts, both ends (see hook.h).
 *
 * The wire: the hook connects, writes "KIND\n" then the OCI state JSON,
 * shuts its side down, and reads one line back: "ok" or "error: WHY".
 */
#include "hook.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "container_meta.h"
#include "json.h"
#include "request_server.h"
#include "unix_socket.h"

#define MSG_MAX (1u << 20)
#define ANSWER_TIMEOUT_MS 2000

/* ---- what a message does ---- */

static bool is_start(const char *kind)
{
	return !strcmp(kind, "prestart") || !strcmp(kind, "createRuntime") ||
	       !strcmp(kind, "createContainer") || !strcmp(kind, "startContainer");
}

int gh_hook_apply(struct gh_containers *cc, const char *kind, const char *state, size_t len,
		  const char *docker_socket, uint64_t now_ms, char *err, size_t errlen)
{
	struct gh_annotations a = {0};
	struct gh_container *c = NULL;
	struct gh_json *j = NULL;
	const char *id, *bundle;
	int64_t pid = 0;
	char why[160];
	int ret;

	ret = gh_json_parse(state, len, &j, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "the OCI state is not JSON: %s", why);
		return ret;
	}
	id = gh_json_str(gh_json_get(j, "id"));
	if (!id || !*id) {
		snprintf(err, errlen, "the OCI state has no \"id\"");
		ret = -EINVAL;
		goto out;
	}
	if (!strcmp(kind, "poststop")) {
		ret = gh_containers_remove(cc, id, now_ms);
		ret = ret == -ENOENT ? 0 : ret;
		goto out;
	}
	if (!is_start(kind)) {
		snprintf(err, errlen, "unknown hook \"%s\"", kind);
		ret = -EINVAL;
		goto out;
	}
	if (gh_json_int(gh_json_get(j, "pid"), &pid) || pid <= 0 || pid > INT32_MAX) {
		snprintf(err, errlen, "the OCI state of %s has no valid \"pid\"", id);
		ret = -EINVAL;
		goto out;
	}
	bundle = gh_json_str(gh_json_get(j, "bundle"));
	ret = gh_annotations_from_object(&a, gh_json_get(j, "annotations"));
	if (!ret && !a.n && bundle)
		gh_annotations_from_bundle(&a, bundle); /* older runtimes: not in the state */
	if (!ret)
		ret = gh_container_from_init(id, (pid_t)pid, 0, bundle, "hook", &a, docker_socket, &c);
	if (ret == -ESRCH)
		snprintf(err, errlen, "container %s: process %d is gone", id, (int)pid);
	if (!ret) {
		ret = gh_containers_add(cc, c);
		c = NULL;
	}
out:
	gh_container_free(c);
	gh_annotations_free(&a);
	gh_json_free(j);
	return ret;
}

/* ---- the host's end: a request server (request_server.h) ---- */

struct gh_hook_server {
	struct gh_request_server *server;
	struct gh_containers *cc;
	const char *docker_socket;
	uv_loop_t *loop;
};

/* "KIND\n" and the OCI state, the whole message */
static int on_message(void *ctx, const char *msg, size_t len, struct gh_buf *body, char *err,
		      size_t errlen)
{
	struct gh_hook_server *s = ctx;
	const char *nl = memchr(msg, '\n', len);
	char kind[64];
	int ret;

	err[0] = '\0';
	if (!nl || (size_t)(nl - msg) >= sizeof(kind)) {
		snprintf(err, errlen, "no hook kind line");
		ret = -EINVAL;
	} else {
		snprintf(kind, sizeof(kind), "%.*s", (int)(nl - msg), msg);
		ret = gh_hook_apply(s->cc, kind, nl + 1, len - (size_t)(nl + 1 - msg),
				    s->docker_socket, uv_now(s->loop), err, errlen);
	}
	if (ret)
		fprintf(stderr, "gadgethost: warning: hook message skipped: %s\n",
			err[0] ? err : strerror(-ret));
	return ret;
}

int gh_hook_server_start(struct gh_hook_server **out, uv_loop_t *loop, struct gh_containers *cc,
			 const char *dir, const char *docker_socket)
{
	struct gh_hook_server *s;
	char path[108];
	int ret;

	*out = NULL;
	dir = dir ? dir : GH_HOOK_DIR;
	if (mkdir(dir, 0700) && errno == ENOENT) {
		char parent[108];
		char *slash;

		snprintf(parent, sizeof(parent), "%s", dir);
		slash = strrchr(parent, '/');
		if (slash && slash != parent) {
			*slash = '\0';
			mkdir(parent, 0755);
		}
		mkdir(dir, 0700);
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%d.sock", dir, (int)getpid()) >= sizeof(path))
		return -ENAMETOOLONG;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cc = cc;
	s->docker_socket = docker_socket;
	s->loop = loop;
	ret = gh_request_server_start(&s->server, loop, path, MSG_MAX, on_message, s);
	if (ret) {
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void gh_hook_server_free(struct gh_hook_server *s)
{
	if (!s)
		return;
	gh_request_server_free(s->server);
	free(s);
}

/* ---- the hook's end: a plain blocking client ---- */

static int read_all(int fd, struct gh_buf *b, size_t max)
{
	for (;;) {
		ssize_t r;

		if (gh_buf_reserve(b, 65536))
			return -ENOMEM;
		r = read(fd, b->p + b->len, 65536);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return 0;
		b->len += (size_t)r;
		b->p[b->len] = '\0';
		if (b->len > max)
			return -EFBIG;
	}
}

/* Send the message to one host; its answer line goes into answer. */
static int tell_host(const char *path, const char *kind, const struct gh_buf *state,
		     char *answer, size_t answer_len)
{
	struct pollfd p;
	size_t n = 0;
	int fd = gh_unix_connect(path, ANSWER_TIMEOUT_MS), ret = 0;

	if (fd < 0)
		return fd;
	if (dprintf(fd, "%s\n", kind) < 0 ||
	    write(fd, state->p, state->len) != (ssize_t)state->len) {
		ret = -errno;
		close(fd);
		return ret ? ret : -EIO;
	}
	shutdown(fd, SHUT_WR);
	p = (struct pollfd){.fd = fd, .events = POLLIN};
	while (n + 1 < answer_len) {
		ssize_t r;

		if (poll(&p, 1, ANSWER_TIMEOUT_MS) <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		r = read(fd, answer + n, answer_len - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	answer[n] = '\0';
	close(fd);
	return ret;
}

int gh_cmd_hook(int argc, char **argv)
{
	struct gh_buf state = GH_BUF_INIT;
	const char *kind = NULL, *dir = GH_HOOK_DIR;
	struct gh_json *j = NULL;
	char why[160];
	DIR *d;
	struct dirent *e;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!kind && argv[i][0] != '-')
			kind = argv[i];
		else {
			fprintf(stderr, "gadgethost hook: unexpected argument \"%s\"\n", argv[i]);
			return 0;
		}
	}
	if (!kind) {
		fprintf(stderr, "usage: gadgethost hook prestart|createRuntime|poststop [--dir DIR] "
				"< OCI state\n");
		return 2;
	}
	ret = read_all(STDIN_FILENO, &state, MSG_MAX);
	if (!ret)
		ret = gh_json_parse(state.p ? state.p : "", state.len, &j, why, sizeof(why));
	gh_json_free(j);
	if (ret) {
		fprintf(stderr, "gadgethost hook: warning: skipping a malformed OCI state on stdin: %s\n",
			ret == -EINVAL ? why : strerror(-ret));
		gh_buf_free(&state);
		return 0;
	}
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		char path[512], answer[256];
		size_t len = strlen(e->d_name);

		if (len < 6 || strcmp(e->d_name + len - 5, ".sock"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		ret = tell_host(path, kind, &state, answer, sizeof(answer));
		if (ret == -ECONNREFUSED)
			continue; /* a host that died: its socket stays until the next start */
		if (ret)
			fprintf(stderr, "gadgethost hook: warning: %s: %s\n", path, strerror(-ret));
		else if (strncmp(answer, "ok", 2))
			fprintf(stderr, "gadgethost hook: warning: %s: %s", path, answer);
	}
	if (d)
		closedir(d);
	gh_buf_free(&state);
	return 0;
}
