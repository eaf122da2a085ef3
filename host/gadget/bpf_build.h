/* bpf_build.h - compiling a gadget's .bpf.c with clang and the SDK.
 *
 * The same flags as the build of the built-in gadgets (bpf/meson.build):
 * clang -g -O2 -target bpf -D__TARGET_ARCH_<arch> -Wall ... with the SDK's
 * include/ and vmlinux/ on the include path.  clang's diagnostics go to
 * our stderr as they are (file:line:col: error: ...).
 */
#ifndef GH_BPF_BUILD_H
#define GH_BPF_BUILD_H

#include <stdbool.h>
#include <stddef.h>

/* The object a source builds to: NAME.bpf.c -> NAME.bpf.o (NAME.c ->
 * NAME.o); malloc'd, NULL for a name not ending in .c. */
char *gh_bpf_object_for(const char *src);
/* Compile src into obj; extra: more clang arguments (-I, -D), n_extra of
 * them; verbose: the command line as an info message (base/log.h).  0,
 * -EINVAL when clang failed (its diagnostics are on stderr; err empty),
 * or -errno when clang could not be run (err says why). */
int gh_bpf_build(const char *src, const char *obj, const char *const *extra, size_t n_extra,
		 bool verbose, char *err, size_t errlen);

#endif
