/* loader.h - one eBPF object, from its file to attached programs: every
 * gadget's (gadget.c, traceloop's too) and the trial load of a rebuilt
 * object (run --watch), with the same params, kernel filters, variants
 * and optional programs, so that a trial accepts what a real load does.
 *
 *   gh_loader_open()          the file, with its BTF
 *   gh_loader_configure()     params and kernel filters into .rodata
 *   gh_loader_check_kernel()  variants chosen, every other hook present
 *                             (a missing optional program's is skipped)
 *   gh_loader_load()          tracefs mounted, then the verifier
 *   gh_loader_attach()        every program that attaches by itself
 *
 * Each returns 0 or -errno with one line in err.
 */
#ifndef GH_LOADER_H
#define GH_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "script/gadget_spec.h"

struct bpf_link;
struct bpf_object;

/* Kernel-side filters of the SDK's gadget_should_discard(). */
struct gh_kfilter {
	uint32_t pid, tid;
	bool uid_on, gid_on;
	uint32_t uid, gid;
	char comm[16];
	bool comm_on;
	uint32_t self_pid;     /* the tracer's own process, left out (0: none) */
	const uint64_t *mntns; /* trace only these mount namespaces (--mntnsid) */
	size_t n_mntns;
	bool mntns_on;         /* filter by mount namespace even with none yet */
	const uint64_t *mntns_skip; /* known mount namespaces not to trace */
	size_t n_mntns_skip;
	bool mntns_judge_unknown;   /* pass unknown ones up, for the host to judge */
};

/* What the loader reads of a gadget: its spec (params, variants,
 * optional programs; the variants' choice is written into it), the
 * script (named in errors) and the object's path. */
struct gh_load_what {
	struct gh_gadget_spec *spec;
	const char *script_path;
	const char *object_path;
};

int gh_loader_open(struct bpf_object **out, const char *path, char *err, size_t errlen);
/* The spec's params, then kf's filters (NULL: none). */
int gh_loader_configure(struct bpf_object *obj, const struct gh_load_what *w,
			const struct gh_kfilter *kf, char *err, size_t errlen);
/* tracefs must be mounted (gh_tracefs_ensure()); -ENOENT with err naming
 * the first hook missing. */
int gh_loader_check_kernel(struct bpf_object *obj, const struct gh_load_what *w, char *err,
			   size_t errlen);
/* tracefs, check_kernel, then the verifier (its log's tail is reported
 * through base/log.h unless verbose printed all of it). */
int gh_loader_load(struct bpf_object *obj, const struct gh_load_what *w, bool verbose,
		   char *err, size_t errlen);
/* Attach every program to load that attaches by itself: not socket
 * programs (per network namespace), iterators (per snapshot), perf
 * event programs (per CPU): their kinds attach those; nor uprobes on a
 * library by name (per copy of it: lib_uprobes.h).  The links are
 * appended to *links. */
int gh_loader_attach(struct bpf_object *obj, struct bpf_link ***links, size_t *n_links,
		     char *err, size_t errlen);
/* The object's internal map of that section (".rodata", ".bss"), or NULL. */
struct bpf_map *gh_loader_section(struct bpf_object *obj, const char *section);

#endif
