#!/usr/bin/env bash
# bundle.sh ROOT FILE... - copy each ELF file into the root filesystem ROOT
# at its own path, with every shared library it needs (its ldd closure,
# the dynamic loader included), so that it runs there as it does here.
# Symbolic links on the way are copied as links; their targets too.
# Files that are not dynamic ELF objects (scripts, static binaries) are
# copied alone.  A FILE without a slash is a library's soname
# (libcurl.so.4), found as the dynamic loader finds it (ldconfig -p): what
# a program dlopen()s, which ldd does not list.  Used by tests/kernels/run-vm.sh to make the VM's root
# filesystem self-contained: gadgethost, python3, the tests' tools.
set -euo pipefail

if [ $# -lt 1 ]; then
	echo "usage: bundle.sh ROOT FILE..." >&2
	exit 2
fi
root=$1
shift

# copy_path PATH: PATH into ROOT, following (and recreating) symlinks,
# the directories on the way included (/lib -> usr/lib)
copy_path() {
	local path=$1 dir target
	[ -e "$root$path" ] || [ -L "$root$path" ] && return 0
	dir=$(dirname "$path")
	copy_dir "$dir"
	if [ -L "$path" ]; then
		target=$(readlink "$path")
		ln -s "$target" "$root$path"
		case $target in
		/*) copy_path "$target" ;;
		*) copy_path "$(dirname "$path")/$target" ;;
		esac
	else
		cp -a "$path" "$root$path"
	fi
}

# copy_dir DIR: make DIR in ROOT, as a symlink where the host has one
copy_dir() {
	local dir=$1 target
	[ "$dir" = / ] && return 0
	[ -e "$root$dir" ] || [ -L "$root$dir" ] && return 0
	copy_dir "$(dirname "$dir")"
	if [ -L "$dir" ]; then
		target=$(readlink "$dir")
		ln -s "$target" "$root$dir"
		case $target in
		/*) copy_dir "$target" ;;
		*) copy_dir "$(dirname "$dir")/$target" ;;
		esac
	else
		mkdir -p "$root$dir"
	fi
}

for f in "$@"; do
	case $f in
	*/*) ;;
	*) # (awk reads to the end: ldconfig must not die of SIGPIPE)
		f=$(PATH=$PATH:/sbin:/usr/sbin ldconfig -p |
			awk -v lib="$f" '$1 == lib && /x86-64/ && !p {p = $NF} END {print p ? p : lib}') ;;
	esac
	if [ ! -e "$f" ]; then
		echo "bundle.sh: $f: no such file" >&2
		exit 1
	fi
	copy_path "$f"
	# "libfoo.so.1 => /lib/x86_64-linux-gnu/libfoo.so.1 (0x...)" and
	# "/lib64/ld-linux-x86-64.so.2 (0x...)"; nothing for a static file
	ldd "$f" 2>/dev/null | awk '/=> \//{print $3; next} /^[ \t]*\//{print $1}' |
		while read -r lib; do
			copy_path "$lib"
		done || true
done
