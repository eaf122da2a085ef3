/* hook.c - OCI hooks to running hosts, both ends (see hook.h).
 *
 * The wire: the hook connects, writes "KIND\n" then the OCI state JSON,
 * shuts its side down, and reads one line back: "ok" or "error: WHY".
 * The hook tells every host at once (base/unix_broadcast.h), within one
 * deadline for all of them.
 */
#include "containers/hook.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/request_server.h"
#include "containers/container_meta.h"

#define MSG_MAX GH_HOOK_MSG_MAX

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
		gh_log(GH_LOG_WARNING, "hook message skipped: %s", err[0] ? err : strerror(-ret));
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

/* ---- the hook's end: every host at once ---- */

/* The sockets (NAME.sock) in dir, sorted: a stable order for the warnings. */
static int list_sockets(const char *dir, struct gh_broadcast_target **out, size_t *n)
{
	struct gh_broadcast_target *t = NULL;
	struct dirent **names = NULL;
	int count = scandir(dir, &names, NULL, alphasort), ret = 0;

	*out = NULL;
	*n = 0;
	if (count < 0)
		return -errno;
	for (int i = 0; i < count; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name);
		struct gh_broadcast_target *grown;

		if (!ret && len >= 6 && !strcmp(name + len - 5, ".sock")) {
			grown = realloc(t, (*n + 1) * sizeof(*t));
			if (!grown) {
				ret = -ENOMEM;
			} else {
				t = grown;
				memset(&t[*n], 0, sizeof(t[*n]));
				if ((size_t)snprintf(t[*n].path, sizeof(t[*n].path), "%s/%s", dir,
						     name) < sizeof(t[*n].path))
					(*n)++;
			}
		}
		free(names[i]);
	}
	free(names);
	if (ret) {
		free(t);
		*n = 0;
		return ret;
	}
	*out = t;
	return 0;
}

int gh_hook_notify(const char *dir, const char *kind, const char *state, size_t len,
		   int timeout_ms, struct gh_broadcast_target **out, size_t *n)
{
	struct gh_buf msg = GH_BUF_INIT;
	int ret = list_sockets(dir ? dir : GH_HOOK_DIR, out, n);

	if (ret || !*n)
		return ret;
	ret = gh_buf_printf(&msg, "%s\n", kind);
	if (!ret)
		ret = gh_buf_append(&msg, state, len);
	if (!ret)
		gh_unix_broadcast(*out, *n, msg.p, msg.len, timeout_ms);
	gh_buf_free(&msg);
	if (ret) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return ret;
}
