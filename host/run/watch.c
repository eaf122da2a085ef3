/* watch.c - reload a gadget's script, rebuild its object, as they change. */
#include "run/watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "base/log.h"
#include "gadget/bpf_build.h"
#include "gadget/gadget.h"
#include "kernel/core_btf.h"
#include "script/lua_guard.h"
#include "script/lua_script.h"

#define SETTLE_MS 100  /* an editor's save is several writes and renames */
#define MAX_FILES 16

enum watched_kind { WATCH_LUA, WATCH_BPF };

struct watched_file {
	char *path;
	const char *base;   /* into path */
	char *dir;
	enum watched_kind kind;
	struct stat st;     /* as last seen */
	bool present;
};

struct watched_dir {
	uv_fs_event_t ev;
	struct gh_watch *w;
	char *path;
};

struct gh_watch {
	uv_loop_t *loop;
	struct gh_gadget *g;
	bool verbose;
	bool restart;
	uv_timer_t settle;
	struct watched_file files[MAX_FILES];
	size_t n_files;
	struct watched_dir *dirs[MAX_FILES];
	size_t n_dirs;
	size_t open_handles;
};

static bool same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Did f change since last seen?  Remembers what it sees. */
static bool changed(struct watched_file *f)
{
	struct stat st;
	bool present = stat(f->path, &st) == 0;
	bool diff = present != f->present || (present && !same_stat(&st, &f->st));

	f->present = present;
	if (present)
		f->st = st;
	return diff && present; /* a file gone mid-save comes back: wait for it */
}

static void reload_script(struct gh_watch *w, const char *why)
{
	char err[1024] = "";

	if (gh_lua_reload(w->g->lua, &w->g->schema, w->g->spec.object_name, err, sizeof(err)))
		gh_log(GH_LOG_WARNING, "%s changed: reload failed, the old script keeps running: "
		       "%s", why, err);
	else
		gh_log(GH_LOG_NOTICE, "%s changed: reloaded %s", why, w->g->script_path);
}

static void rebuild(struct gh_watch *w, struct watched_file *src)
{
	const char *obj = w->g->object_path;
	char tmp[4096], err[1024] = "";

	snprintf(tmp, sizeof(tmp), "%s.new-%d", obj, (int)getpid());
	gh_log(GH_LOG_NOTICE, "%s changed: rebuilding", src->path);
	if (gh_bpf_build(src->path, tmp, NULL, 0, w->verbose, err, sizeof(err))) {
		unlink(tmp);
		gh_log(GH_LOG_WARNING, "%s did not compile%s%s; the old programs stay attached",
		       src->path, err[0] ? ": " : "", err);
		return;
	}
	/* as the running one was loaded: its params, filters, variants */
	if (gh_gadget_verify(w->g, tmp, w->verbose, err, sizeof(err))) {
		unlink(tmp);
		gh_log(GH_LOG_WARNING, "the new %s was not loaded: %s", obj, err);
		gh_log(GH_LOG_WARNING, "the old programs stay attached");
		return;
	}
	if (rename(tmp, obj)) {
		gh_log(GH_LOG_WARNING, "replacing %s: %s", obj, strerror(errno));
		unlink(tmp);
		return;
	}
	gh_core_btf_forget(obj); /* its minimal BTFs were the old object's */
	gh_log(GH_LOG_NOTICE, "rebuilt %s: re-attaching", obj);
	w->restart = true;
	uv_stop(w->loop); /* the run loop drains what the old programs sent, then returns */
}

static void on_settled(uv_timer_t *t)
{
	struct gh_watch *w = t->data;
	struct watched_file *lua = NULL;

	for (size_t i = 0; i < w->n_files; i++) {
		struct watched_file *f = &w->files[i];

		if (!changed(f))
			continue;
		if (f->kind == WATCH_BPF) {
			rebuild(w, f);
			if (w->restart)
				return; /* the restart reads the script anyway */
		} else if (!lua) {
			lua = f;
		}
	}
	if (lua)
		reload_script(w, lua->path);
}

static void on_dir_event(uv_fs_event_t *h, const char *filename, int events, int status)
{
	struct watched_dir *d = h->data;
	struct gh_watch *w = d->w;

	if (status < 0 || w->restart)
		return;
	for (size_t i = 0; i < w->n_files; i++)
		if (!strcmp(w->files[i].dir, d->path) &&
		    (!filename || !strcmp(filename, w->files[i].base))) {
			uv_timer_start(&w->settle, on_settled, SETTLE_MS, 0);
			return;
		}
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	return slash == path ? strdup("/") : strndup(path, slash - path);
}

static int add_dir(struct gh_watch *w, const char *path)
{
	struct watched_dir *d;
	int ret;

	for (size_t i = 0; i < w->n_dirs; i++)
		if (!strcmp(w->dirs[i]->path, path))
			return 0;
	d = calloc(1, sizeof(*d));
	if (!d || !(d->path = strdup(path))) {
		free(d);
		return -ENOMEM;
	}
	d->w = w;
	uv_fs_event_init(w->loop, &d->ev);
	d->ev.data = d;
	w->dirs[w->n_dirs++] = d;
	w->open_handles++;
	ret = uv_fs_event_start(&d->ev, on_dir_event, path, 0);
	if (ret)
		gh_log(GH_LOG_ERROR, "--watch: %s: %s", path, uv_strerror(ret));
	return ret;
}

static int add_file(struct gh_watch *w, const char *path, enum watched_kind kind)
{
	struct watched_file *f;
	char *abs;

	if (w->n_files == MAX_FILES)
		return -E2BIG;
	abs = realpath(path, NULL);
	if (!abs)
		return -errno;
	f = &w->files[w->n_files++];
	f->path = abs;
	f->base = strrchr(abs, '/') + 1;
	f->kind = kind;
	f->dir = dir_of(abs);
	if (!f->dir)
		return -ENOMEM;
	changed(f);
	return add_dir(w, f->dir);
}

/* NAME.bpf.o built from NAME.bpf.c next to it, if there is one. */
static char *source_of(const char *obj)
{
	size_t len = strlen(obj);
	char *src;

	if (len < 3 || strcmp(obj + len - 2, ".o"))
		return NULL;
	src = strdup(obj);
	if (!src)
		return NULL;
	src[len - 1] = 'c';
	if (access(src, R_OK)) {
		free(src);
		return NULL;
	}
	return src;
}

int gh_watch_start(struct gh_watch **out, uv_loop_t *loop, struct gh_gadget *g, bool verbose)
{
	struct gh_watch *w = calloc(1, sizeof(*w));
	const struct gh_lua_config *c = gh_lua_config();
	char *src;
	int ret;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->loop = loop;
	w->g = g;
	w->verbose = verbose;
	uv_timer_init(loop, &w->settle);
	w->settle.data = w;
	w->open_handles = 1;
	ret = add_file(w, g->script_path, WATCH_LUA);
	for (size_t i = 0; i < c->n_layers && !ret; i++)
		if (c->layers[i].file)
			ret = add_file(w, c->layers[i].file, WATCH_LUA);
	src = g->object_path ? source_of(g->object_path) : NULL;
	if (!ret && src)
		ret = add_file(w, src, WATCH_BPF);
	if (!ret)
		gh_log(GH_LOG_NOTICE, "watching %s%s%s", g->script_path, src ? " and " : "",
		       src ? src : " (no .bpf.c next to the object: the eBPF side is not rebuilt)");
	free(src);
	*out = w;
	return ret;
}

bool gh_watch_restart(const struct gh_watch *w)
{
	return w && w->restart;
}

static void on_closed(uv_handle_t *h)
{
	struct gh_watch *w;

	if (h->type == UV_TIMER) {
		w = h->data;
	} else {
		struct watched_dir *d = h->data;

		w = d->w;
		free(d->path);
		free(d);
	}
	if (--w->open_handles == 0) {
		for (size_t i = 0; i < w->n_files; i++) {
			free(w->files[i].path);
			free(w->files[i].dir);
		}
		free(w);
	}
}

void gh_watch_free(struct gh_watch *w)
{
	if (!w)
		return;
	uv_timer_stop(&w->settle);
	for (size_t i = 0; i < w->n_dirs; i++) {
		uv_fs_event_stop(&w->dirs[i]->ev);
		uv_close((uv_handle_t *)&w->dirs[i]->ev, on_closed);
	}
	uv_close((uv_handle_t *)&w->settle, on_closed);
}
