# kernel_package.sh - sourced by run-vm.sh and vmlinux.sh: one of Debian's
# kernels as the package apt offers, downloaded once and unpacked.
#
# In: $package, a series (6.1, 6.12; default 6.1) or a package name
# (linux-image-...-amd64); $cache, where the .deb and its tree go; log and
# die, the caller's.  Out: $package (the package's name), $kdir (its
# unpacked tree), $kver (its release), $vmlinuz.

# a series: the package its meta-package depends on today (6.12:
# linux-image-6.12-amd64; 6.1, Debian 12's own: linux-image-amd64)
package_of_series() {
	local series=$1 re meta
	re="^linux-image-${series//./[.]}([.][0-9]+)*(-[0-9]+)?([+]deb[0-9]+)?-amd64\$"
	for meta in "linux-image-$series-amd64" linux-image-amd64; do
		apt-cache depends "$meta" 2>/dev/null |
			awk -v re="$re" '$1 == "Depends:" && $2 ~ re {print $2; found = 1; exit}
				END {exit !found}' && return
	done
	return 1
}
package=${package:-6.1}
case $package in
linux-image-*) ;;
[0-9]*.[0-9]*)
	series=$package
	package=$(package_of_series "$series") ||
		die "apt offers no Linux $series package (linux-image-$series-amd64 or linux-image-amd64; apt-get update?)" ;;
*) die "-k $package: a series (6.1, 6.12) or a package (linux-image-...-amd64)" ;;
esac
mkdir -p "$cache"
deb=$(ls "$cache/${package}_"*.deb 2>/dev/null | tail -1 || true)
if [ -z "$deb" ]; then
	log "downloading $package"
	(cd "$cache" && apt-get download "$package" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2)
	deb=$(ls "$cache/${package}_"*.deb | tail -1)
fi
kdir=$cache/${package}
if [ ! -d "$kdir/boot" ]; then
	log "unpacking $(basename "$deb")"
	rm -rf "$kdir.tmp"
	dpkg-deb -x "$deb" "$kdir.tmp"
	mv "$kdir.tmp" "$kdir"
fi
kver=$(ls "$kdir/lib/modules" | head -1)
vmlinuz=$kdir/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || die "no $vmlinuz in $deb"
