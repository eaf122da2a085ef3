/* watch.c - reload a gadget's script, rebuild its object, as they change. */
#include "watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpf_build.h"
#include "gadget.h"
#include "libbpf_log.h"
#include "lua_guard.h"
#include "lua_script.h"

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

	if (gh_lua_reload(w->g->lua, w->g, err, sizeof(err)))
		fprintf(stderr, "gadgethost: %s changed: reload failed, the old script keeps "
			"running: %s\n", why, err);
	else
		fprintf(stderr, "gadgethost: %s changed: reloaded %s\n", why, w->g->script_path);
}

/* Would the kernel take obj?  Load it once, attach nothing. */
static int verify(const char *obj)
{
	struct bpf_object *o;
	int ret;

	gh_libbpf_log_reset();
	o = bpf_object__open_file(obj, NULL);
	ret = libbpf_get_error(o);
	if (ret) {
		fprintf(stderr, "gadgethost: %s: not a usable eBPF object: %s\n", obj,
			gh_libbpf_log_last() ? gh_libbpf_log_last() : strerror(-ret));
		return ret;
	}
	ret = bpf_object__load(o);
	if (ret) {
		gh_libbpf_log_print_verifier_tail();
		fprintf(stderr, "gadgethost: the new %s was not loaded: %s\n", obj,
			gh_libbpf_log_verifier() ? gh_libbpf_log_verifier()
						 : gh_libbpf_log_last() ? gh_libbpf_log_last()
									: strerror(-ret));
	}
	bpf_object__close(o);
	return ret;
}

static void rebuild(struct gh_watch *w, struct watched_file *src)
{
	const char *obj = w->g->object_path;
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s.new-%d", obj, (int)getpid());
	fprintf(stderr, "gadgethost: %s changed: rebuilding\n", src->path);
	if (gh_bpf_build(src->path, tmp, NULL, 0, w->verbose)) {
		unlink(tmp);
		fprintf(stderr, "gadgethost: %s did not compile; the old programs stay attached\n",
			src->path);
		return;
	}
	if (verify(tmp)) {
		unlink(tmp);
		fprintf(stderr, "gadgethost: the old programs stay attached\n");
		return;
	}
	if (rename(tmp, obj)) {
		fprintf(stderr, "gadgethost: replacing %s: %s\n", obj, strerror(errno));
		unlink(tmp);
		return;
	}
	fprintf(stderr, "gadgethost: rebuilt %s: re-attaching\n", obj);
	w->restart = true;
	uv_stop(w->loop); /* the runner drains what the old programs sent, then returns */
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
		fprintf(stderr, "gadgethost: --watch: %s: %s\n", path, uv_strerror(ret));
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
		fprintf(stderr, "gadgethost: watching %s%s%s\n", g->script_path, src ? " and " : "",
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
