/* usyms.c - user-space addresses of processes to function names. */
#include "symbols/usyms.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/elf_syms.h"

struct elf_file {
	uint64_t dev, inode;
	char *path;               /* as the first process mapped it */
	struct gh_elf_syms *syms; /* NULL: unreadable, not ELF */
};

struct mapping {
	uint64_t start, end, pgoff;
	struct elf_file *file;
};

struct proc {
	uint32_t pid;
	struct mapping *maps;
	size_t n_maps;
};

struct gh_usyms {
	struct elf_file **files;
	size_t n_files;
	struct proc *procs;
	size_t n_procs;
};

int gh_usyms_new(struct gh_usyms **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

int gh_maps_parse_line(char *line, struct gh_maps_line *m)
{
	unsigned int major, minor;
	int pos = 0;
	char *nl;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 " %n", &m->start,
		   &m->end, m->perms, &m->pgoff, &major, &minor, &m->inode, &pos) < 7 || !pos)
		return -EINVAL;
	m->dev = (uint64_t)major << 32 | minor;
	m->path = line + pos;
	nl = strchr(m->path, '\n');
	if (nl)
		*nl = '\0';
	return 0;
}

static struct proc *find_proc(struct gh_usyms *u, uint32_t pid)
{
	for (size_t i = 0; i < u->n_procs; i++)
		if (u->procs[i].pid == pid)
			return &u->procs[i];
	return NULL;
}

/* The symbols of a mapped file, loaded once per (dev, inode): through
 * the process's root, or else its map_files link (a deleted file). */
static struct elf_file *get_file(struct gh_usyms *u, uint32_t pid, const struct gh_maps_line *m)
{
	struct elf_file *f, **grown;
	char path[4096 + 64];
	const char *deleted = strstr(m->path, " (deleted)");

	for (size_t i = 0; i < u->n_files; i++)
		if (u->files[i]->dev == m->dev && u->files[i]->inode == m->inode)
			return u->files[i];
	f = calloc(1, sizeof(*f));
	grown = f ? realloc(u->files, (u->n_files + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(f);
		return NULL;
	}
	u->files = grown;
	f->dev = m->dev;
	f->inode = m->inode;
	f->path = strdup(m->path);
	if (!f->path) {
		free(f);
		return NULL;
	}
	if (!deleted) {
		snprintf(path, sizeof(path), "/proc/%u/root%s", pid, m->path);
		gh_elf_syms_load(&f->syms, path);
	}
	if (!f->syms) {
		snprintf(path, sizeof(path), "/proc/%u/map_files/%" PRIx64 "-%" PRIx64, pid,
			 m->start, m->end);
		gh_elf_syms_load(&f->syms, path);
	}
	u->files[u->n_files++] = f;
	return f;
}

static int add_mapping(struct proc *p, const struct gh_maps_line *m, struct elf_file *f)
{
	struct mapping *grown = realloc(p->maps, (p->n_maps + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	p->maps = grown;
	grown[p->n_maps].start = m->start;
	grown[p->n_maps].end = m->end;
	grown[p->n_maps].pgoff = m->pgoff;
	grown[p->n_maps].file = f;
	p->n_maps++;
	return 0;
}

int gh_usyms_add_pid(struct gh_usyms *u, uint32_t pid)
{
	struct proc *grown, *p;
	char path[64], line[4096 + 256];
	FILE *maps;
	int ret = 0;

	if (find_proc(u, pid))
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	maps = fopen(path, "re");
	ret = maps ? 0 : -errno;
	/* a process gone is remembered too, with no mappings: not retried */
	grown = realloc(u->procs, (u->n_procs + 1) * sizeof(*grown));
	if (!grown) {
		if (maps)
			fclose(maps);
		return -ENOMEM;
	}
	u->procs = grown;
	p = &u->procs[u->n_procs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	if (!maps)
		return ret;
	while (!ret && fgets(line, sizeof(line), maps)) {
		struct gh_maps_line m;
		struct elf_file *f;

		/* only code is sampled: executable file mappings */
		if (gh_maps_parse_line(line, &m) || m.perms[2] != 'x' || !m.inode ||
		    m.path[0] != '/')
			continue;
		f = get_file(u, pid, &m);
		ret = f ? add_mapping(p, &m, f) : -ENOMEM;
	}
	fclose(maps);
	return ret;
}

const char *gh_usyms_lookup(struct gh_usyms *u, uint32_t pid, uint64_t addr, uint64_t *offset,
			    const char **module)
{
	struct proc *p = find_proc(u, pid);

	if (module)
		*module = NULL;
	if (!p) {
		gh_usyms_add_pid(u, pid);
		p = find_proc(u, pid);
	}
	for (size_t i = 0; p && i < p->n_maps; i++) {
		const struct mapping *m = &p->maps[i];
		uint64_t vaddr;

		if (addr < m->start || addr >= m->end)
			continue;
		if (module)
			*module = m->file->path;
		if (!m->file->syms ||
		    gh_elf_syms_vaddr(m->file->syms, addr - m->start + m->pgoff, &vaddr))
			return NULL;
		return gh_elf_syms_lookup(m->file->syms, vaddr, offset);
	}
	return NULL;
}

size_t gh_usyms_files(const struct gh_usyms *u)
{
	return u->n_files;
}

size_t gh_usyms_pids(const struct gh_usyms *u)
{
	return u->n_procs;
}

void gh_usyms_free(struct gh_usyms *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n_files; i++) {
		gh_elf_syms_free(u->files[i]->syms);
		free(u->files[i]->path);
		free(u->files[i]);
	}
	free(u->files);
	for (size_t i = 0; i < u->n_procs; i++)
		free(u->procs[i].maps);
	free(u->procs);
	free(u);
}
