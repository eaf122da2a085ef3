/* lib_uprobes.h - uprobes on a library, attached to each copy of it the
 * processes use.
 *
 * A program whose section names a library rather than a file,
 *
 *   SEC("uprobe/libssl.so:SSL_write")   SEC("uretprobe/libssl.so:SSL_write")
 *
 * is not attached at load: the library is looked for per process, as it
 * sees its files (through /proc/PID/root), so a container's own libssl is
 * found as well as the host's.  A file matches when its name is the
 * library's ("libssl.so") or the library's followed by a version
 * ("libssl.so.3", "libssl.so.1.1").  Two places are looked at:
 *
 *   - the files each process has mapped (/proc/PID/maps), wherever they
 *     are (LD_LIBRARY_PATH, dlopen());
 *   - the usual library directories of each distinct root (/lib, /usr/lib,
 *     /usr/lib/<multiarch>, ...), so that a process that has just exec'ed
 *     is covered before its dynamic linker maps the library.
 *
 * Each file is attached once, whatever the number of processes and paths
 * that reach it: files are told apart by the device and inode the kernel's
 * uprobes key on (for a mapped file, its maps line's; for one found in a
 * directory, the maps line of a page of it the host maps itself, which on
 * overlayfs names the real file below, as a process's would).  A uprobe
 * on a file fires in every process that maps it, now or later; only a new
 * file needs a new attach, which gh_lib_uprobes_scan_pid() (an exec) and
 * gh_lib_uprobes_scan_new() (processes not seen yet) find.
 *
 * A function missing from one copy of a library (SSL_write_ex before
 * OpenSSL 1.1.1) skips that program for that file only (said through
 * base/log.h at info level).
 */
#ifndef GH_LIB_UPROBES_H
#define GH_LIB_UPROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_object;
struct bpf_program;
struct gh_lib_uprobes;

/* Is prog's section a uprobe on a library (attached here, not by the
 * loader)? */
bool gh_lib_uprobes_is_per_library(const struct bpf_program *prog);
/* Is name (a file's last path component) library lib or a version of it? */
bool gh_lib_uprobes_name_matches(const char *name, const char *lib);

/* The object's loaded library uprobes: *out NULL when it has none.  0 or
 * -ENOMEM.  Call after load. */
int gh_lib_uprobes_new(struct gh_lib_uprobes **out, struct bpf_object *obj);
/* Look at every process (the first scan): how many files were attached. */
int gh_lib_uprobes_scan_all(struct gh_lib_uprobes *u);
/* Processes that appeared since the last scan (their roots and maps),
 * and the roots of the others (one stat() each: a process that entered
 * a new root without an exec, as a container's init does). */
int gh_lib_uprobes_scan_new(struct gh_lib_uprobes *u);
/* One process, again: its root's directories if the root is new, and
 * its maps. */
int gh_lib_uprobes_scan_pid(struct gh_lib_uprobes *u, uint32_t pid);
/* Its root's directories only, if the root is new (one stat() when it
 * is not): at an exec, before the dynamic linker maps anything. */
int gh_lib_uprobes_scan_root(struct gh_lib_uprobes *u, uint32_t pid);
/* Also attach to this file (a statically linked program, a library by
 * path): 0, or -errno with err (missing, or none of the functions). */
int gh_lib_uprobes_add_file(struct gh_lib_uprobes *u, const char *path, char *err,
			    size_t errlen);
/* Files attached and links made so far (--verbose, tests). */
size_t gh_lib_uprobes_files(const struct gh_lib_uprobes *u);
size_t gh_lib_uprobes_links(const struct gh_lib_uprobes *u);
/* Destroy every link: no new events. */
void gh_lib_uprobes_detach(struct gh_lib_uprobes *u);
void gh_lib_uprobes_free(struct gh_lib_uprobes *u);

#endif
