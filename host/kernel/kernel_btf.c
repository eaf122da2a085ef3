/* kernel_btf.c - the running kernel's BTF, parsed once (see kernel_btf.h). */
#include "kernel/kernel_btf.h"

#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

struct btf *gh_kernel_btf(void)
{
	static struct btf *vmlinux;
	static bool tried;

	if (!tried) {
		tried = true;
		vmlinux = btf__load_vmlinux_btf();
		if (libbpf_get_error(vmlinux))
			vmlinux = NULL;
	}
	return vmlinux;
}

bool gh_kernel_btf_present(void)
{
	return access("/sys/kernel/btf/vmlinux", R_OK) == 0;
}
