#!/usr/bin/env bash
# vmlinux.sh - the uncompressed vmlinux (an ELF file with the kernel's BTF
# and build ID) of one of Debian's kernels, for the meson option core_btf:
#
#   meson setup build -Dcore_btf=/sys/kernel/btf/vmlinux,$(tests/kernels/vmlinux.sh 6.1),$(tests/kernels/vmlinux.sh 6.12)
#
#   tests/kernels/vmlinux.sh [-c CACHE] [SERIES|PACKAGE]
#
# SERIES is 6.1 (the default) or 6.12, as for run-vm.sh; the package is
# downloaded once into CACHE (default $GH_KERNEL_CACHE, else
# build/kernels/cache), its vmlinuz unpacked beside it as vmlinux-RELEASE.
# Prints that file's path.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${GH_KERNEL_CACHE:-$(cd "$here/../.." && pwd)/build/kernels/cache}
log() { printf '[vmlinux] %s\n' "$*" >&2; }
die() { printf 'vmlinux.sh: %s\n' "$*" >&2; exit 1; }
while getopts "c:h" opt; do
	case $opt in
	c) cache=$OPTARG ;;
	*) sed -n '2,/^set -euo/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
package=${1:-6.1}
. "$here/kernel_package.sh"
out=$cache/vmlinux-$kver
if [ ! -s "$out" ]; then
	log "uncompressing $vmlinuz"
	# a bzImage holds the compressed ELF after its setup code: try each
	# compressed stream's start until one gives an ELF (the kernel's own
	# scripts/extract-vmlinux does the same)
	python3 - "$vmlinuz" "$out.tmp" <<'PY' || die "no ELF kernel found in $vmlinuz"
import subprocess, sys
image = open(sys.argv[1], "rb").read()
formats = ((b"\xfd7zXZ\x00", ["xz", "-dc"]), (b"\x28\xb5\x2f\xfd", ["zstd", "-dc"]),
           (b"\x1f\x8b\x08", ["gzip", "-dc"]))
for magic, tool in formats:
    at = image.find(magic)
    while at >= 0:
        # the tools complain of the bytes after the stream: the ELF is whole
        out = subprocess.run(tool, input=image[at:], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout
        if out[:4] == b"\x7fELF":
            open(sys.argv[2], "wb").write(out)
            sys.exit(0)
        at = image.find(magic, at + 1)
sys.exit(1)
PY
	mv "$out.tmp" "$out"
fi
echo "$out"
