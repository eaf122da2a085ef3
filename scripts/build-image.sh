#!/usr/bin/env bash
# build-image.sh DEB TAG OUT.tar - the node image of `gadgethost deploy`,
# built with buildah from the gadgethost .deb and nothing from a registry:
# the package's binary, gadgets and Lua library, plus the shared libraries
# the binary loads, copied from this machine with the dynamic loader
# (tests/kernels/bundle.sh): those it links and those it opens at first use
# (libcurl, libarchive, OpenSSL: their sonames are in its section gh_dlopen,
# host/base/dlib.h).  The image is written as an OCI archive, for
# `skopeo copy oci-archive:OUT.tar docker://REGISTRY/gadgethost:TAG` or
# `podman load -i OUT.tar`.  Prints the image's size.  Run as root on
# Debian 12 (the libraries must be the ones the .deb was built against).
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: build-image.sh DEB TAG OUT.tar" >&2
	exit 2
fi
deb=$(realpath "$1")
tag=$2
out=$(realpath -m "$3")
src=$(cd "$(dirname "$0")/.." && pwd)

work=$(mktemp -d /tmp/gh-image-XXXXXX)
cleanup() {
	buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs \
		rm --all >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

root=$work/context/rootfs
mkdir -p "$root"
dpkg-deb -x "$deb" "$root"
# what a container does not use: docs, man pages, completion, the unit
rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/bash-completion" \
	"$root/lib/systemd"
# the libraries of the package's binary, as this machine has them
mapfile -t libs < <(ldd "$root/usr/bin/gadgethost" |
	awk '/=> \//{print $3; next} /^[ \t]*\//{print $1}')
if [ "${#libs[@]}" -eq 0 ]; then
	echo "build-image.sh: ldd finds no library of $root/usr/bin/gadgethost" >&2
	exit 1
fi
# the libraries it opens at first use, by soname, as the dynamic loader finds them
mapfile -t sonames < <(readelf -p gh_dlopen "$root/usr/bin/gadgethost" |
	sed -n 's/^ *\[ *[0-9a-f]*\] *//p' | sort -u)
if [ "${#sonames[@]}" -eq 0 ]; then
	echo "build-image.sh: no section gh_dlopen in $root/usr/bin/gadgethost" >&2
	exit 1
fi
for soname in "${sonames[@]}"; do
	lib=$(ldconfig -p | awk -v s="$soname" '$1 == s && /x86-64/ {print $NF; exit}')
	if [ -z "$lib" ]; then
		echo "build-image.sh: $soname (opened by gadgethost) is not installed" >&2
		exit 1
	fi
	libs+=("$lib")
done
bash "$src/tests/kernels/bundle.sh" "$root" "${libs[@]}"
# glibc's C.UTF-8 (locale files, not built in): the widths of wide
# characters in columns (base/text.c)
mkdir -p "$root/usr/lib/locale"
cp -a /usr/lib/locale/C.utf8 "$root/usr/lib/locale/"
# the mount points the pod's volumes and the runtime use, and a /tmp
mkdir -p "$root/proc" "$root/sys" "$root/dev" "$root/run" "$root/tmp" "$root/etc"
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"

b=(buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs)
"${b[@]}" bud --quiet --isolation chroot --timestamp 0 -f "$src/Containerfile" \
	-t "$tag" "$work/context" >/dev/null
rm -f "$out"
"${b[@]}" push --quiet "$tag" "oci-archive:$out:$tag"

files=$(du -sb "$root" | cut -f1)
echo "image $tag: $((files / 1024)) KiB of files, $(($(stat -c %s "$out") / 1024)) KiB as $out"
