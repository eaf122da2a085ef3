/* core_btf.h - a gadget object's minimal BTF for CO-RE on the running
 * kernel build.
 *
 * At build time bpf/compile.sh writes, beside each gadget's X.bpf.o, one
 * X.bpf.BUILD_ID.btf per kernel of the meson option core_btf: the kernel
 * types and members the object's CO-RE relocations use (`bpftool gen
 * min_core_btf`).  The loader hands the one of the running kernel's build
 * (its GNU build ID, /sys/kernel/notes) to libbpf instead of the kernel's
 * own 5 MB BTF: libbpf then does not parse the kernel's BTF at start, and
 * the object loads on a kernel without /sys/kernel/btf/vmlinux.  The build
 * ID names one kernel build exactly, so a file is never used on a kernel
 * it does not describe. */
#ifndef GH_CORE_BTF_H
#define GH_CORE_BTF_H

#include <stddef.h>

/* The GNU build ID in notes (a run of ELF notes, as /sys/kernel/notes) as
 * lower-case hex into hex: 0, or -ENOENT when there is none, -ENOSPC when
 * hex is too small. */
int gh_build_id_from_notes(const void *notes, size_t len, char *hex, size_t hexlen);
/* The running kernel's build ID in hex, or NULL when /sys/kernel/notes
 * has none.  Read once. */
const char *gh_kernel_build_id(void);
/* The minimal BTF of object_path (X.o -> X.BUILD_ID.btf) for the running
 * kernel into out: 0 when it exists; -ENOENT when not, out still naming
 * the file looked for; -ENODATA when the kernel has no build ID. */
int gh_core_btf_path(const char *object_path, char *out, size_t outlen);
/* Whether the object has CO-RE relocations (its .BTF.ext says so): 1, 0,
 * or -errno when the file cannot be read as an ELF object.  Without them
 * it needs no BTF of the kernel's at all. */
int gh_object_has_core_relocs(const char *object_path);
/* Remove every minimal BTF of object_path (X.o -> X.*.btf): the object
 * was rebuilt, and they describe the relocations of the old one. */
void gh_core_btf_forget(const char *object_path);

#endif
