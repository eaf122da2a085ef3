/* container_exits.c - a container leaves the collection the moment its
 * init process exits (see container_exits.h).
 *
 * One pidfd per live container, polled on the loop: a pidfd becomes
 * readable when its process exits.  Without it a stopped container would
 * stay in the collection until the next once-a-second liveness check, and
 * the kernel reuses a mount namespace id at once: a process that got the
 * id meanwhile would be traced and named as the stopped container.
 */
#include "containers/container_exits.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "containers/container.h"

struct exit_watch {
	struct gh_container_exits *ex;
	uv_poll_t poll;
	char *id;
	pid_t pid;
	uint64_t pid_start;
	int pidfd;
};

struct gh_container_exits {
	struct gh_containers *cc;
	uv_loop_t *loop;
	struct exit_watch **watches;
	size_t n_watches;
};

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void on_watch_closed(uv_handle_t *h)
{
	struct exit_watch *w = h->data;

	close(w->pidfd);
	free(w->id);
	free(w);
}

/* Stop watching watches[i] (the last one takes its place). */
static void unwatch(struct gh_container_exits *ex, size_t i)
{
	struct exit_watch *w = ex->watches[i];

	ex->watches[i] = ex->watches[--ex->n_watches];
	uv_poll_stop(&w->poll);
	uv_close((uv_handle_t *)&w->poll, on_watch_closed);
}

static ssize_t find(const struct gh_container_exits *ex, const char *id)
{
	for (size_t i = 0; i < ex->n_watches; i++)
		if (!strcmp(ex->watches[i]->id, id))
			return (ssize_t)i;
	return -1;
}

static void on_exit_readable(uv_poll_t *h, int status, int events)
{
	struct exit_watch *w = h->data;
	struct gh_container_exits *ex = w->ex;
	const struct gh_container *c = gh_containers_by_id(ex->cc, w->id);

	/* removing notifies on_change, which stops this watch */
	if (c && c->pid == w->pid && c->pid_start == w->pid_start)
		gh_containers_remove(ex->cc, w->id, uv_now(ex->loop));
	else if (find(ex, w->id) >= 0)
		unwatch(ex, (size_t)find(ex, w->id));
}

static void watch(struct gh_container_exits *ex, const struct gh_container *c)
{
	struct exit_watch *w, **grown;
	ssize_t old = find(ex, c->id);

	if (old >= 0) {
		if (ex->watches[old]->pid == c->pid && ex->watches[old]->pid_start == c->pid_start)
			return;
		unwatch(ex, (size_t)old); /* the same id, another process */
	}
	if (c->pid <= 0)
		return;
	w = calloc(1, sizeof(*w));
	grown = w ? realloc(ex->watches, (ex->n_watches + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(w);
		return; /* the once-a-second liveness check still notices */
	}
	ex->watches = grown;
	w->ex = ex;
	w->pid = c->pid;
	w->pid_start = c->pid_start;
	w->pidfd = pidfd_open(c->pid);
	w->id = strdup(c->id);
	if (w->pidfd < 0 || !w->id) {
		if (w->pidfd >= 0)
			close(w->pidfd);
		free(w->id);
		free(w);
		return; /* exited already: the liveness check removes it */
	}
	w->poll.data = w;
	if (uv_poll_init(ex->loop, &w->poll, w->pidfd)) {
		close(w->pidfd);
		free(w->id);
		free(w);
		return;
	}
	ex->watches[ex->n_watches++] = w;
	uv_poll_start(&w->poll, UV_READABLE, on_exit_readable);
}

static void on_change(void *ctx, const struct gh_container *c, bool added)
{
	struct gh_container_exits *ex = ctx;
	ssize_t i;

	if (added) {
		watch(ex, c);
		return;
	}
	i = find(ex, c->id);
	if (i >= 0)
		unwatch(ex, (size_t)i);
}

int gh_container_exits_start(struct gh_container_exits **out, struct gh_containers *cc,
			     uv_loop_t *loop)
{
	struct gh_container_exits *ex = calloc(1, sizeof(*ex));
	int ret;

	*out = NULL;
	if (!ex)
		return -ENOMEM;
	ex->cc = cc;
	ex->loop = loop;
	ret = gh_containers_subscribe(cc, on_change, ex);
	if (ret) {
		free(ex);
		return ret;
	}
	for (size_t i = 0; i < gh_containers_count(cc); i++)
		watch(ex, gh_containers_at(cc, i));
	*out = ex;
	return 0;
}

void gh_container_exits_free(struct gh_container_exits *ex)
{
	if (!ex)
		return;
	gh_containers_unsubscribe(ex->cc, on_change, ex);
	while (ex->n_watches)
		unwatch(ex, ex->n_watches - 1);
	free(ex->watches);
	free(ex);
}
