#!/bin/sh
# compile.sh - one gadget's eBPF object, then its minimal BTF for CO-RE
# for each kernel of the meson option core_btf (bpf/meson.build):
#
#   compile.sh OBJECT BPFTOOL [BUILD_ID=KERNEL_BTF]... -- CLANG ARGS...
#
# CLANG ARGS writes OBJECT (X.bpf.o); then for each kernel `bpftool gen
# min_core_btf` writes X.bpf.BUILD_ID.btf: only the kernel types and members
# the object's CO-RE relocations use, some hundred bytes where the kernel's
# BTF is megabytes.  The loader passes it to libbpf on that kernel build
# (host/kernel/core_btf.c), also when the kernel has no BTF of its own.
set -eu
obj=$1
bpftool=$2
shift 2
kernels=
while [ "$1" != -- ]; do
	kernels="$kernels $1"
	shift
done
shift
"$@"
for k in $kernels; do
	id=${k%%=*}
	"$bpftool" gen min_core_btf "${k#*=}" "${obj%.o}.$id.btf" "$obj" ||
		{ echo "compile.sh: the minimal BTF of $obj for kernel ${k#*=} failed" >&2; exit 1; }
done
