/* lib_uprobes.c - uprobes on a library, per copy the processes use
 * (lib_uprobes.h). */
#include "gadget/lib_uprobes.h"

#include <dirent.h>
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <linux/openat2.h>

#include "base/err.h"
#include "base/log.h"
#include "symbols/elf_syms.h"
#include "symbols/usyms.h"

#if defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#else
#define MULTIARCH "unknown-linux-gnu"
#endif

/* where a root keeps its libraries (a process that has just exec'ed has
 * not mapped them yet) */
static const char *const lib_dirs[] = {
	"/lib",     "/lib64",     "/lib/" MULTIARCH,     "/usr/lib",
	"/usr/lib64", "/usr/lib/" MULTIARCH, "/usr/local/lib",
};

/* one program: SEC("uprobe/LIB:FUNC") or SEC("uretprobe/LIB:FUNC") */
struct target {
	struct bpf_program *prog;
	char *lib;
	char *func;
	bool retprobe;
};

/* a file or a root directory, as the kernel tells them apart */
struct file_id {
	uint64_t dev, ino;
};

struct id_set {
	struct file_id *ids;
	size_t n;
};

struct gh_lib_uprobes {
	struct target *targets;
	size_t n_targets;
	struct id_set files; /* attached (or tried: not again) */
	struct id_set roots; /* whose directories were looked at */
	uint32_t *pids;      /* seen by the last scan, sorted */
	size_t n_pids;
	struct bpf_link **links;
	size_t n_links;
	bool detached;
};

/* "uprobe/LIB:FUNC": LIB (no '/') and FUNC, or false */
static bool parse_section(const char *sec, bool *retprobe, const char **lib, size_t *lib_len,
			  const char **func)
{
	const char *rest, *colon;

	if (!strncmp(sec, "uprobe/", 7)) {
		*retprobe = false;
		rest = sec + 7;
	} else if (!strncmp(sec, "uretprobe/", 10)) {
		*retprobe = true;
		rest = sec + 10;
	} else {
		return false;
	}
	colon = strchr(rest, ':');
	if (!colon || colon == rest || !colon[1] || memchr(rest, '/', colon - rest))
		return false;
	*lib = rest;
	*lib_len = colon - rest;
	*func = colon + 1;
	return true;
}

bool gh_lib_uprobes_is_per_library(const struct bpf_program *prog)
{
	const char *lib, *func;
	size_t lib_len;
	bool ret;

	return parse_section(bpf_program__section_name(prog), &ret, &lib, &lib_len, &func);
}

bool gh_lib_uprobes_name_matches(const char *name, const char *lib)
{
	size_t len = strlen(lib);

	return !strncmp(name, lib, len) && (name[len] == '\0' || name[len] == '.');
}

static bool id_set_has(const struct id_set *s, struct file_id id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->ids[i].dev == id.dev && s->ids[i].ino == id.ino)
			return true;
	return false;
}

static int id_set_add(struct id_set *s, struct file_id id)
{
	struct file_id *grown = realloc(s->ids, (s->n + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	grown[s->n++] = id;
	s->ids = grown;
	return 0;
}

int gh_lib_uprobes_new(struct gh_lib_uprobes **out, struct bpf_object *obj)
{
	struct gh_lib_uprobes *u;
	struct bpf_program *prog;

	*out = NULL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	bpf_object__for_each_program(prog, obj) {
		const char *lib, *func;
		struct target *grown, *t;
		size_t lib_len;
		bool retprobe;

		if (!bpf_program__autoload(prog) ||
		    !parse_section(bpf_program__section_name(prog), &retprobe, &lib, &lib_len,
				   &func))
			continue;
		grown = realloc(u->targets, (u->n_targets + 1) * sizeof(*grown));
		if (!grown)
			goto nomem;
		u->targets = grown;
		t = &u->targets[u->n_targets];
		*t = (struct target){.prog = prog, .retprobe = retprobe,
				     .lib = strndup(lib, lib_len), .func = strdup(func)};
		u->n_targets++;
		if (!t->lib || !t->func)
			goto nomem;
	}
	if (!u->n_targets) {
		gh_lib_uprobes_free(u);
		return 0;
	}
	*out = u;
	return 0;
nomem:
	gh_lib_uprobes_free(u);
	return -ENOMEM;
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Is name one of the targets' libraries? */
static bool wanted(const struct gh_lib_uprobes *u, const char *name)
{
	for (size_t i = 0; i < u->n_targets; i++)
		if (gh_lib_uprobes_name_matches(name, u->targets[i].lib))
			return true;
	return false;
}

static int add_link(struct gh_lib_uprobes *u, struct bpf_link *link)
{
	struct bpf_link **grown = realloc(u->links, (u->n_links + 1) * sizeof(*grown));

	if (!grown) {
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	grown[u->n_links++] = link;
	u->links = grown;
	return 0;
}

/* Attach the targets to the file open at fd, shown as shown (by name:
 * shown's library's programs only; any: every program whose function the
 * file has).  The kernel and libelf reach the file through the fd
 * (/proc/self/fd/N), not through a path a container could change in
 * between.  The file's symbols are read once, here, not by libbpf per
 * program.  How many attached, or -ENOMEM. */
static int attach_file(struct gh_lib_uprobes *u, int fd, const char *shown, bool any)
{
	const char *name = basename_of(shown);
	struct gh_elf_syms *syms;
	int attached = 0, ret;
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ret = gh_elf_syms_load(&syms, path);
	if (ret) {
		gh_log(GH_LOG_INFO, "uprobes: %s: %s", shown, ret == -ENOEXEC ? "not an ELF file"
		       : strerror(-ret));
		return ret == -ENOMEM ? ret : 0;
	}
	for (size_t i = 0; i < u->n_targets && ret >= 0; i++) {
		const struct target *t = &u->targets[i];
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = t->retprobe);
		struct bpf_link *link;
		uint64_t off;

		if (!any && !gh_lib_uprobes_name_matches(name, t->lib))
			continue;
		if (gh_elf_syms_func_offset(syms, t->func, &off)) {
			gh_log(GH_LOG_INFO, "uprobes: %s has no %s (%s not attached there)", shown,
			       t->func, bpf_program__name(t->prog));
			continue;
		}
		link = bpf_program__attach_uprobe_opts(t->prog, -1, path, off, &opts);
		ret = libbpf_get_error(link);
		if (ret) {
			gh_log(GH_LOG_INFO, "uprobes: attaching %s to %s in %s: %s",
			       bpf_program__name(t->prog), t->func, shown, strerror(-ret));
			ret = 0;
			continue;
		}
		ret = add_link(u, link);
		attached += !ret;
	}
	gh_elf_syms_free(syms);
	if (ret < 0)
		return ret;
	gh_log(GH_LOG_INFO, "uprobes: %d programs attached to %s", attached, shown);
	return attached;
}

/* fd for reading, if it is a regular file (never blocking on a FIFO a
 * container put in the way): fd, or -errno (closed). */
static int regular(int fd)
{
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/* path in pid's root, resolved as pid sees it: its symbolic links stay
 * inside that root (RESOLVE_IN_ROOT).  fd, or -errno. */
static int open_in_root(int root, const char *path, uint64_t flags)
{
	struct open_how how = {.flags = flags | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};

	return (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
}

/* The identity the kernel's uprobes give the file open at fd: map a page
 * of it and read our own maps line (on overlayfs the real file's, as in
 * a process's maps).  0, or -errno. */
static int identify(int fd, struct file_id *id)
{
	struct gh_maps_line m;
	char *line = NULL;
	size_t cap = 0;
	void *page;
	FILE *maps;
	int ret = -ENOENT;

	page = mmap(NULL, 1, PROT_READ, MAP_PRIVATE, fd, 0);
	if (page == MAP_FAILED)
		return -errno;
	maps = fopen("/proc/self/maps", "re");
	while (maps && getline(&line, &cap, maps) > 0) {
		if (!gh_maps_parse_line(line, &m) && m.start == (uintptr_t)page) {
			id->dev = m.dev;
			id->ino = m.inode;
			ret = 0;
			break;
		}
	}
	if (!maps)
		ret = -errno;
	else
		fclose(maps);
	free(line);
	munmap(page, 1);
	return ret;
}

/* A file first seen now (open at fd, which is closed): attached once.
 * 0 or -ENOMEM. */
static int take_file(struct gh_lib_uprobes *u, int fd, const char *shown, struct file_id id)
{
	int ret = 0;

	if (!id_set_has(&u->files, id)) {
		ret = id_set_add(&u->files, id);
		if (!ret)
			ret = attach_file(u, fd, shown, false);
	}
	close(fd);
	return ret < 0 ? ret : 0;
}

/* The usual library directories of pid's root, once per root. */
static int scan_root(struct gh_lib_uprobes *u, uint32_t pid)
{
	char path[4096];
	struct stat st;
	int ret, root;

	snprintf(path, sizeof(path), "/proc/%u/root", pid);
	root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 || fstat(root, &st)) {
		if (root >= 0)
			close(root);
		return 0; /* gone, or a zombie */
	}
	ret = id_set_has(&u->roots, (struct file_id){st.st_dev, st.st_ino}) ? 1 :
	      id_set_add(&u->roots, (struct file_id){st.st_dev, st.st_ino});
	if (!ret)
		gh_log(GH_LOG_INFO, "uprobes: a new root, of pid %u: looking in its library "
		       "directories", pid);
	for (size_t d = 0; d < sizeof(lib_dirs) / sizeof(lib_dirs[0]) && !ret; d++) {
		int dfd = open_in_root(root, lib_dirs[d], O_RDONLY | O_DIRECTORY);
		DIR *dir = dfd >= 0 ? fdopendir(dfd) : NULL;
		struct dirent *de;

		if (dfd >= 0 && !dir)
			close(dfd);
		while (dir && (de = readdir(dir)) && !ret) {
			struct file_id id;
			int fd;

			if (!wanted(u, de->d_name))
				continue;
			snprintf(path, sizeof(path), "%s/%s", lib_dirs[d], de->d_name);
			fd = regular(open_in_root(root, path, O_RDONLY | O_NONBLOCK));
			if (fd < 0)
				continue;
			if (identify(fd, &id)) {
				close(fd);
				continue;
			}
			snprintf(path, sizeof(path), "/proc/%u/root%s/%s", pid, lib_dirs[d],
				 de->d_name);
			ret = take_file(u, fd, path, id);
		}
		if (dir)
			closedir(dir);
	}
	close(root);
	return ret > 0 ? 0 : ret;
}

/* The files pid has mapped, each opened as mapped (map_files): not
 * through a path that may name another file by now. */
static int scan_maps(struct gh_lib_uprobes *u, uint32_t pid)
{
	char path[4096], *line = NULL;
	struct gh_maps_line m;
	size_t cap = 0;
	FILE *maps;
	int ret = 0;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	maps = fopen(path, "re");
	if (!maps)
		return 0; /* gone */
	while (!ret && getline(&line, &cap, maps) > 0) {
		struct file_id id;
		int fd;

		if (gh_maps_parse_line(line, &m) || m.path[0] != '/' || !m.inode ||
		    !wanted(u, basename_of(m.path)))
			continue;
		id = (struct file_id){m.dev, m.inode};
		if (id_set_has(&u->files, id))
			continue;
		snprintf(path, sizeof(path), "/proc/%u/map_files/%" PRIx64 "-%" PRIx64, pid,
			 m.start, m.end);
		fd = regular(open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
		if (fd < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%u/root%s", pid, m.path);
		ret = take_file(u, fd, path, id);
	}
	free(line);
	fclose(maps);
	return ret;
}

int gh_lib_uprobes_scan_root(struct gh_lib_uprobes *u, uint32_t pid)
{
	size_t before = u->files.n;
	int ret = u->detached ? 0 : scan_root(u, pid);

	return ret < 0 ? ret : (int)(u->files.n - before);
}

int gh_lib_uprobes_scan_pid(struct gh_lib_uprobes *u, uint32_t pid)
{
	size_t before = u->files.n;
	int ret;

	if (u->detached)
		return 0;
	ret = scan_root(u, pid);
	if (!ret)
		ret = scan_maps(u, pid);
	return ret < 0 ? ret : (int)(u->files.n - before);
}

static int cmp_pid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The pids in /proc now, sorted: 0 or -errno. */
static int list_pids(uint32_t **out, size_t *n_out)
{
	uint32_t *pids = NULL, *grown;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *proc = opendir("/proc");

	if (!proc)
		return -errno;
	while ((de = readdir(proc))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (*end || !pid)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			grown = realloc(pids, cap * sizeof(*grown));
			if (!grown) {
				free(pids);
				closedir(proc);
				return -ENOMEM;
			}
			pids = grown;
		}
		pids[n++] = (uint32_t)pid;
	}
	closedir(proc);
	qsort(pids, n, sizeof(*pids), cmp_pid);
	*out = pids;
	*n_out = n;
	return 0;
}

int gh_lib_uprobes_scan_new(struct gh_lib_uprobes *u)
{
	size_t before = u->files.n, n = 0;
	uint32_t *pids = NULL;
	int ret;

	if (u->detached)
		return 0;
	ret = list_pids(&pids, &n);
	if (ret)
		return ret;
	for (size_t i = 0; i < n && ret >= 0; i++) {
		if (!u->n_pids || !bsearch(&pids[i], u->pids, u->n_pids, sizeof(*pids), cmp_pid))
			ret = gh_lib_uprobes_scan_pid(u, pids[i]);
		else /* a root changes without an exec (pivot_root, chroot) */
			ret = scan_root(u, pids[i]);
	}
	if (ret < 0) {
		free(pids);
		return ret;
	}
	free(u->pids);
	u->pids = pids;
	u->n_pids = n;
	return ret < 0 ? ret : (int)(u->files.n - before);
}

int gh_lib_uprobes_scan_all(struct gh_lib_uprobes *u)
{
	free(u->pids);
	u->pids = NULL;
	u->n_pids = 0;
	return gh_lib_uprobes_scan_new(u);
}

int gh_lib_uprobes_add_file(struct gh_lib_uprobes *u, const char *path, char *err,
			    size_t errlen)
{
	struct file_id id;
	int fd = regular(open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)), ret;

	if (fd < 0)
		return gh_err(err, errlen, fd, "%s: %s", path,
			      fd == -EINVAL ? "not a regular file" : strerror(-fd));
	ret = identify(fd, &id);
	if (!ret && !id_set_has(&u->files, id))
		ret = attach_file(u, fd, path, true);
	else if (!ret)
		ret = 1; /* attached already */
	close(fd);
	if (ret < 0)
		return gh_err(err, errlen, ret, "%s: %s", path, strerror(-ret));
	if (!ret)
		return gh_err(err, errlen, -ENOENT, "%s: has none of the functions the gadget's "
			      "uprobes trace (%s...)", path, u->targets[0].func);
	return id_set_has(&u->files, id) ? 0 : id_set_add(&u->files, id);
}

size_t gh_lib_uprobes_files(const struct gh_lib_uprobes *u)
{
	return u ? u->files.n : 0;
}

size_t gh_lib_uprobes_links(const struct gh_lib_uprobes *u)
{
	return u ? u->n_links : 0;
}

void gh_lib_uprobes_detach(struct gh_lib_uprobes *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n_links; i++)
		bpf_link__destroy(u->links[i]);
	free(u->links);
	u->links = NULL;
	u->n_links = 0;
	u->detached = true;
}

void gh_lib_uprobes_free(struct gh_lib_uprobes *u)
{
	if (!u)
		return;
	gh_lib_uprobes_detach(u);
	for (size_t i = 0; i < u->n_targets; i++) {
		free(u->targets[i].lib);
		free(u->targets[i].func);
	}
	free(u->targets);
	free(u->files.ids);
	free(u->roots.ids);
	free(u->pids);
	free(u);
}
