/* container_watch.c - runc state on disk -> the container collection
 * (see container_watch.h).
 *
 * inotify is not recursive and runc renames state.json into a directory
 * it has just made, so the set of watched directories follows the tree:
 * every root that exists (or, for one that does not, its nearest existing
 * ancestor), every namespace directory under it, and every container
 * directory still waiting for its state.json.  Any event means
 * "scan again"; a scan reads only state files it has not seen, so it is
 * cheap.  A timer scans every second anyway (a root made later, an event
 * missed) and checks that each container's init process still lives.
 */
#include "containers/container_watch.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "containers/container_meta.h"
#include "containers/runc_state.h"

#define RESCAN_MS 1000

struct dir_watch {
	struct gh_container_watch *w;
	uv_fs_event_t ev;
	char *path;
	bool wanted;   /* still in the set of the last scan */
};

struct gh_container_watch {
	struct gh_containers *cc;
	const char *docker_socket;
	bool quiet;
	char **roots;
	size_t n_roots;
	uv_loop_t *loop;
	uv_timer_t timer;
	bool timer_on;
	struct dir_watch **dirs;
	size_t n_dirs;
	char **warned;        /* state files already complained about */
	size_t n_warned;
	char **seen;          /* state files read this scan (live ones) */
	size_t n_seen;
	bool scanning;        /* a scan is under way (listeners may call back) */
};

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static bool exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

static int push_str(char ***list, size_t *n, const char *s)
{
	char **grown = realloc(*list, (*n + 1) * sizeof(**list));

	if (!grown)
		return -ENOMEM;
	*list = grown;
	grown[*n] = strdup(s);
	if (!grown[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

static bool has_str(char **list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

static void free_strs(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

int gh_container_watch_new(struct gh_container_watch **out, struct gh_containers *cc,
			   const struct gh_watch_opts *opts)
{
	static const char *const defaults[] = GH_RUNC_ROOTS_DEFAULT;
	const char *const *roots = opts && opts->runc_roots ? opts->runc_roots : defaults;
	struct gh_container_watch *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->cc = cc;
	w->docker_socket = opts ? opts->docker_socket : NULL;
	w->quiet = opts && opts->quiet;
	for (size_t i = 0; roots[i]; i++) {
		if (push_str(&w->roots, &w->n_roots, roots[i])) {
			gh_container_watch_free(w);
			return -ENOMEM;
		}
	}
	*out = w;
	return 0;
}

/* ---- the watched directories ---- */

static void on_dir_closed(uv_handle_t *h)
{
	struct dir_watch *d = h->data;

	free(d->path);
	free(d);
}

static void on_fs_event(uv_fs_event_t *h, const char *name, int events, int status)
{
	struct dir_watch *d = h->data;

	gh_container_watch_scan(d->w);
}

/* Mark path wanted, starting a watch if it has none. */
static void want_dir(struct gh_container_watch *w, const char *path)
{
	struct dir_watch *d, **grown;

	for (size_t i = 0; i < w->n_dirs; i++) {
		if (!strcmp(w->dirs[i]->path, path)) {
			w->dirs[i]->wanted = true;
			return;
		}
	}
	if (!w->loop)
		return;
	d = calloc(1, sizeof(*d));
	grown = d ? realloc(w->dirs, (w->n_dirs + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(d);
		return;
	}
	w->dirs = grown;
	d->w = w;
	d->path = strdup(path);
	d->wanted = true;
	d->ev.data = d;
	if (!d->path || uv_fs_event_init(w->loop, &d->ev)) {
		free(d->path);
		free(d);
		return;
	}
	if (uv_fs_event_start(&d->ev, on_fs_event, path, 0)) {
		uv_close((uv_handle_t *)&d->ev, on_dir_closed);
		return;
	}
	w->dirs[w->n_dirs++] = d;
}

/* Close the watches the last scan did not want. */
static void drop_unwanted(struct gh_container_watch *w)
{
	for (size_t i = 0; i < w->n_dirs;) {
		struct dir_watch *d = w->dirs[i];

		if (!d->wanted) {
			uv_fs_event_stop(&d->ev);
			uv_close((uv_handle_t *)&d->ev, on_dir_closed);
			w->dirs[i] = w->dirs[--w->n_dirs];
			continue;
		}
		d->wanted = false; /* for the next scan */
		i++;
	}
}

/* ---- scanning ---- */

static void warn_once(struct gh_container_watch *w, const char *path, const char *why)
{
	if (w->quiet || has_str(w->warned, w->n_warned, path))
		return;
	gh_log(GH_LOG_WARNING, "skipping %s: %s", path, why);
	push_str(&w->warned, &w->n_warned, path);
}

/* A container directory: read its state.json unless known and alive. */
static void scan_container_dir(struct gh_container_watch *w, const char *dir)
{
	char path[4096], err[256] = "";
	struct gh_container *c;
	int ret;

	if ((size_t)snprintf(path, sizeof(path), "%s/state.json", dir) >= sizeof(path))
		return;
	if (!exists(path)) {
		want_dir(w, dir); /* runc renames state.json in here soon */
		return;
	}
	push_str(&w->seen, &w->n_seen, path);
	for (size_t i = 0; i < gh_containers_count(w->cc); i++) {
		const struct gh_container *known = gh_containers_at(w->cc, i);

		if (known->source && !strcmp(known->source, path))
			return; /* liveness is checked once per second */
	}
	ret = gh_runc_state_read(path, w->docker_socket, &c, err, sizeof(err));
	if (ret == -ESRCH || ret == -ENOENT)
		return; /* gone already, or being deleted */
	if (ret) {
		warn_once(w, path, err[0] ? err : strerror(-ret));
		return;
	}
	gh_containers_add(w->cc, c);
}

/* A root that does not exist yet: watch its nearest existing ancestor, so
 * that the root's creation (a runtime's first container) is seen at once. */
static void watch_ancestor(struct gh_container_watch *w, const char *root)
{
	char path[4096];
	char *slash;

	snprintf(path, sizeof(path), "%s", root);
	while ((slash = strrchr(path, '/')) && slash != path) {
		*slash = '\0';
		if (is_dir(path)) {
			want_dir(w, path);
			return;
		}
	}
}

/* ROOT/X: X is a container directory, or a namespace holding them. */
static void scan_root(struct gh_container_watch *w, const char *root, int depth)
{
	DIR *dir = opendir(root);
	struct dirent *e;

	if (!dir) {
		if (depth == 0 && errno == ENOENT)
			watch_ancestor(w, root);
		return;
	}
	want_dir(w, root);
	while ((e = readdir(dir))) {
		char path[4096], state[4200];

		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, e->d_name) >= sizeof(path) ||
		    !is_dir(path))
			continue;
		snprintf(state, sizeof(state), "%s/state.json", path);
		if (depth == 0 && !exists(state)) {
			/* a namespace directory, or a container not created yet:
			 * look one level down, and watch it either way */
			scan_root(w, path, 1);
			scan_container_dir(w, path);
			continue;
		}
		scan_container_dir(w, path);
	}
	closedir(dir);
}

static bool still_alive(const struct gh_container *c)
{
	struct gh_container probe = {.pid = c->pid};

	if (kill(c->pid, 0) && errno == ESRCH)
		return false;
	if (gh_container_read_proc(&probe))
		return false;
	return probe.pid_start == c->pid_start && probe.mntns == c->mntns;
}

static void discover(struct gh_container_watch *w)
{
	free_strs(w->seen, w->n_seen);
	w->seen = NULL;
	w->n_seen = 0;
	for (size_t i = 0; i < w->n_roots; i++)
		scan_root(w, w->roots[i], 0);
	drop_unwanted(w);
}

void gh_container_watch_discover(struct gh_container_watch *w)
{
	/* called back from within a scan (a change drains events): that
	 * scan has just looked */
	if (w->scanning)
		return;
	w->scanning = true;
	discover(w);
	w->scanning = false;
}

void gh_container_watch_scan(struct gh_container_watch *w)
{
	uint64_t now = w->loop ? uv_now(w->loop) : 0;

	if (w->scanning)
		return;
	w->scanning = true;
	discover(w);
	/* containers whose state file went away (runc delete) or whose init
	 * process died; hook-reported ones by their process only */
	for (size_t i = 0; i < gh_containers_count(w->cc);) {
		const struct gh_container *c = gh_containers_at(w->cc, i);
		bool from_state = c->source && strstr(c->source, "/state.json");

		if ((from_state && !has_str(w->seen, w->n_seen, c->source)) || !still_alive(c)) {
			gh_containers_remove(w->cc, c->id, now);
			continue; /* the last one moved to i */
		}
		i++;
	}
	gh_containers_expire(w->cc, now);
	w->scanning = false;
}

static void on_timer(uv_timer_t *t)
{
	gh_container_watch_scan(t->data);
}

int gh_container_watch_start(struct gh_container_watch *w, uv_loop_t *loop)
{
	int ret;

	w->loop = loop;
	ret = uv_timer_init(loop, &w->timer);
	if (ret)
		return ret;
	w->timer.data = w;
	w->timer_on = true;
	gh_container_watch_scan(w); /* and start the watches */
	return uv_timer_start(&w->timer, on_timer, RESCAN_MS, RESCAN_MS);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct gh_container_watch *w = h->data;

	free(w);
}

void gh_container_watch_free(struct gh_container_watch *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n_dirs; i++) {
		uv_fs_event_stop(&w->dirs[i]->ev);
		uv_close((uv_handle_t *)&w->dirs[i]->ev, on_dir_closed);
	}
	free(w->dirs);
	free_strs(w->roots, w->n_roots);
	free_strs(w->warned, w->n_warned);
	free_strs(w->seen, w->n_seen);
	if (w->timer_on) {
		uv_timer_stop(&w->timer);
		uv_close((uv_handle_t *)&w->timer, on_timer_closed);
		return; /* freed when the loop closes the timer */
	}
	free(w);
}

void gh_container_watch_describe(const struct gh_container_watch *w, FILE *f)
{
	for (size_t i = 0; i < w->n_roots; i++)
		fprintf(f, "runc root %s: %s\n", w->roots[i],
			is_dir(w->roots[i]) ? "watched" : "not there (no such runtime running)");
	fprintf(f, "docker names from %s\n", w->docker_socket ? w->docker_socket : "/run/docker.sock");
}
