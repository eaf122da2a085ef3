/* kernel_btf.h - the running kernel's own BTF (/sys/kernel/btf/vmlinux),
 * parsed once per process and kept: hook checks and the names of kernel
 * enums read it. */
#ifndef GH_KERNEL_BTF_H
#define GH_KERNEL_BTF_H

#include <stdbool.h>

struct btf;

/* The vmlinux BTF, or NULL when the kernel has none.  Parsed on the first
 * call; the caller must not free it. */
struct btf *gh_kernel_btf(void);
/* Whether the kernel has /sys/kernel/btf/vmlinux, without parsing it. */
bool gh_kernel_btf_present(void);

#endif
