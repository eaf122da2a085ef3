/* usyms.h - user-space addresses of processes to function names.
 *
 * A process's mappings come from /proc/PID/maps, each file's symbols from
 * its ELF symbol tables (elf_syms.h), read through /proc/PID/root so that
 * a container's binaries are the container's; files are cached by
 * (device, inode), processes by pid.  Add a process while it lives
 * (gh_usyms_add_pid): what it mapped is kept after it exits.
 */
#ifndef GH_USYMS_H
#define GH_USYMS_H

#include <stddef.h>
#include <stdint.h>

struct gh_usyms;

int gh_usyms_new(struct gh_usyms **out);
/* Read pid's mappings and their files' symbols now, unless known:
 * 0, or -errno (-ENOENT: the process is gone). */
int gh_usyms_add_pid(struct gh_usyms *u, uint32_t pid);
/* The function addr is in, in process pid (added first if unknown), and
 * its offset; NULL when unknown.  *module, when not NULL, gets the
 * mapped file's path (or NULL). */
const char *gh_usyms_lookup(struct gh_usyms *u, uint32_t pid, uint64_t addr, uint64_t *offset,
			    const char **module);
/* Files and processes cached (--verbose). */
size_t gh_usyms_files(const struct gh_usyms *u);
size_t gh_usyms_pids(const struct gh_usyms *u);
void gh_usyms_free(struct gh_usyms *u);

/* One line of /proc/PID/maps: 0, or -EINVAL.  path points into line
 * (empty for anonymous mappings), its newline cut. */
struct gh_maps_line {
	uint64_t start, end, pgoff, dev, inode;
	char perms[5];
	char *path;
};
int gh_maps_parse_line(char *line, struct gh_maps_line *out);

#endif
