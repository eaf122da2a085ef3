#!/usr/bin/env bash
# run-vm.sh - the integration tests of every gadget on one of Debian's own
# kernels (6.1, Debian 12's; 6.12, the next stable one), in a qemu VM (TCG:
# no KVM needed).
#
#   tests/kernels/run-vm.sh [-b BUILD] [-k KERNEL] [-r REPORT] [TEST.py...]
#
# KERNEL is a series, 6.1 (the default) or 6.12, or a package name.  A
# series is the package apt offers today through Debian's meta-package
# (linux-image-6.12-amd64's dependency, e.g. linux-image-6.12.118+deb12-amd64;
# for 6.1, linux-image-amd64's, e.g. linux-image-6.1.0-57-amd64), so the
# choice follows the archive as it moves on.  Downloads nothing but that
# package, into $GH_KERNEL_CACHE (default BUILD/kernels/cache);
# busybox-static and qemu come from scripts/setup.sh.  Builds an initramfs
# (BUILD/kernels/initrd-RELEASE) holding gadgethost, the gadgets, the
# integration tests, the workload helper, python3 with its standard
# library and the tools the tests run, each with its shared libraries
# (bundle.sh), at the same paths as here; boots it; runs the tests inside
# (init.sh); writes the per-gadget table to REPORT (default
# BUILD/kernels/report-RELEASE.md, the console beside it as
# console-RELEASE.log) and prints it; with the
# results of this machine's own run beside it when BUILD has a meson
# testlog (CI: scripts/test.sh ran the integration suite first).
#
# The tests: for every gadgets/CAT/NAME.lua, the test files test_NAME.py,
# test_CAT.py and test_CAT_*.py that name "CAT/NAME.lua", plus
# test_check.py, test_core_btf.py, and the daemon's instances and metrics
# (test_instances.py, test_metrics.py: the programs' run time is the
# kernel's BPF statistics) (a new gadget's test joins by itself), or the
# ones named.
# Exit status 0 when every test passed, 1 otherwise.
#
# Environment: GH_VM_TIME_SCALE (default 10: the tests' timeouts are
# scaled by it, TCG runs ~10x slower), GH_VM_TIMEOUT (seconds for the
# whole VM run, default 3000), GH_VM_TEST_TIMEOUT (per test file, 900),
# GH_VM_MEM (3G), GH_VM_SMP (2), GH_VM_ACCEL (tcg,thread=single: see
# "boot" below), GH_VM_CMD (a shell command run in the VM before the tests, its
# output on the console: for debugging).
set -euo pipefail
# (one block: bash reads all of it before running, so editing this file
# during a run cannot change the run)
{
export PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$src/build
package=
report=
while getopts "b:k:r:h" opt; do
	case $opt in
	b) build=$(cd "$OPTARG" && pwd) ;;
	k) package=$OPTARG ;;
	r) report=$OPTARG ;;
	*) sed -n '2,/^set -euo/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

scale=${GH_VM_TIME_SCALE:-10}
vm_timeout=${GH_VM_TIMEOUT:-3000}
test_timeout=${GH_VM_TEST_TIMEOUT:-900}
work=$build/kernels
cache=${GH_KERNEL_CACHE:-$work/cache}
log() { printf '[run-vm] %s\n' "$*" >&2; }
die() { printf 'run-vm.sh: %s\n' "$*" >&2; exit 1; }

for f in "$build/host/gadgethost" "$build/tests/integration/workload" \
	"$build/tests/integration/uring" \
	"$build/tests/integration/spin" "$build/tests/integration/spin-static" \
	"$build/tests/integration/newsyscalls" "$build/tests/integration/udpways" \
	"$build/tests/integration/block" "$build/tests/integration/block-static"; do
	[ -x "$f" ] || die "$f missing: build first (meson setup $build && ninja -C $build)"
done
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (scripts/setup.sh installs qemu-system-x86)"
busybox=$(command -v busybox) || die "busybox missing (scripts/setup.sh installs busybox-static)"
file -L "$busybox" | grep -q 'statically linked' || die "$busybox is not static (install busybox-static)"

# ---- the kernel: the package apt offers, downloaded once
. "$here/kernel_package.sh"
[ -f "$kdir/lib/modules/$kver/modules.dep" ] || depmod -b "$kdir" "$kver"

# ---- the tests
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	# a gadget's tests: test_NAME.py, test_CAT.py or test_CAT_*.py that
	# name "CAT/NAME.lua"
	for lua in "$src"/gadgets/*/*.lua; do
		name=$(basename "$lua" .lua)
		cat=$(basename "$(dirname "$lua")")
		for t in "$src/tests/integration/test_$name.py" "$src/tests/integration/test_$cat.py" \
			"$src/tests/integration/test_${cat}_"*.py; do
			[ -f "$t" ] && grep -q "\"$cat/$name.lua\"" "$t" || continue
			case " ${tests[*]:-} " in *" $(basename "$t") "*) ;; *) tests+=("$(basename "$t")") ;; esac
		done
	done
	for t in test_check.py test_core_btf.py test_instances.py test_metrics.py; do
		[ -f "$src/tests/integration/$t" ] && tests+=("$t")
	done
fi
[ "${tests[*]}" = none ] && tests=()
for t in "${tests[@]}"; do
	[ -f "$src/tests/integration/$t" ] || die "no tests/integration/$t"
done

# ---- the root filesystem
root=$work/root-$kver  # per kernel: CI boots several at once
rm -rf "$root"
mkdir -p "$root"/{proc,sys,dev,tmp,run,root,vm,etc,boot}
bundle() { bash "$here/bundle.sh" "$root" "$@"; }
# the top-level links of a merged /usr (bin -> usr/bin), as here
for d in bin sbin lib lib64; do
	if [ -L "/$d" ]; then
		ln -s "$(readlink "/$d")" "$root/$d"
		mkdir -p "$root/$(readlink "/$d")"
	fi
done
bundle "$busybox"
[ -e "$root/bin/busybox" ] || cp "$busybox" "$root/bin/busybox"

# gadgethost and the tree it runs from, at the same paths as here
bundle "$build/host/gadgethost" "$build/tests/integration/workload" \
	"$build/tests/integration/uring" \
	"$build/tests/integration/spin" "$build/tests/integration/spin-static" \
	"$build/tests/integration/newsyscalls" "$build/tests/integration/udpways" \
	"$build/tests/integration/block" "$build/tests/integration/block-static"
# and the libraries it loads when first called (host/base/dlib.h:
# libcurl, libarchive and OpenSSL, for images and TLS; libpcap for --pf), which
# ldd does not list
bundle libcurl.so.4 libarchive.so.13 libssl.so.3 libcrypto.so.3 libpcap.so.0.8
# glibc's C.UTF-8 (a locale's files, not built in): the host measures the
# cells of wide characters with it (base/text.c)
mkdir -p "$root/usr/lib/locale"
cp -a /usr/lib/locale/C.utf8 "$root/usr/lib/locale/"
for d in "$src/gadgets" "$src/lua" "$src/tests/integration"; do
	mkdir -p "$root$(dirname "$d")"
	cp -a "$d" "$root$d"
done
# the objects and their minimal BTFs (X.bpf.BUILD_ID.btf: the one of the VM's
# kernel serves it when the build was set up with -Dcore_btf=its vmlinux)
(cd "$build" && find bpf -name '*.bpf.o' -o -name '*.btf') | while read -r o; do
	mkdir -p "$root$build/$(dirname "$o")"
	cp "$build/$o" "$root$build/$o"
done

# python3 and its standard library (Debian's, not a pyenv one)
py=/usr/bin/python3
pyver=$($py -c 'import sys; print("%d.%d" % sys.version_info[:2])')
bundle "$py" "/usr/bin/python$pyver" /usr/lib/python$pyver/lib-dynload/*.so
tar -C / --exclude="python$pyver/test" --exclude="python$pyver/idlelib" \
	--exclude="python$pyver/tkinter" --exclude="python$pyver/ensurepip" \
	--exclude="python$pyver/lib2to3" --exclude="python$pyver/pydoc_data" \
	--exclude="python$pyver/lib-dynload" -cf - "usr/lib/python$pyver" |
	tar -C "$root" -xf -

# the non-standard modules the tests import (python3-yaml, grpc...), from
# Debian's dist-packages, with the libraries their extensions need
grep -ohE "^[[:space:]]*(import|from) [A-Za-z_][A-Za-z0-9_]*" "$src"/tests/integration/*.py |
	awk '{print $2}' | sort -u | $py -c '
import importlib.util, sys
for name in sys.stdin.read().split():
    try:
        spec = importlib.util.find_spec(name)
    except Exception:
        continue
    o = spec and (spec.submodule_search_locations and list(spec.submodule_search_locations)[0]
                  or spec.origin) or ""
    if "/dist-packages/" in o:
        print(o)
' | while read -r m; do
	find "$m" -type f | while read -r f; do bundle "$f"; done
done

# the tools the tests name ("nc", "socat", ...): every quoted word of the
# test files that is a program here.  Runtimes with daemons are left out:
# their tests skip in the VM, saying so; so is bpftrace (200 MB of LLVM
# for one comparison: tests/kernels/known-failures.txt).
not_in_vm=" clang conmon containerd containerd-shim containerd-shim-runc-v2 ctr docker \
dockerd podman crictl valgrind python3 bpftrace "
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
tools=(sh bash timeout mkdir cp truncate losetup mkfs.ext4)
while read -r w; do
	case $not_in_vm in *" $w "*) continue ;; esac
	p=$(PATH=$path command -v "$w" 2>/dev/null) || continue
	case $p in /*) tools+=("$p") ;; esac
done < <(grep -ohE "\"[A-Za-z0-9_.+-]+\"|'[A-Za-z0-9_.+-]+'" "$src"/tests/integration/*.py |
	tr -d "\"'" | sort -u)
for t in "${tools[@]}"; do
	case $t in /*) ;; *) t=$(PATH=$path command -v "$t") ;; esac
	bundle "$t"
done
# what those tools load at run time: iptables' match and target
# extensions (libxt_tcp.so for --dport, libxt_statistic.so...)
for d in /usr/lib/*-linux-gnu/xtables; do
	[ -d "$d" ] && bundle "$d"/*.so
done
# what those tools read: users, name lookups, CA-less openssl config
for f in /etc/passwd /etc/group /etc/nsswitch.conf /etc/services /etc/protocols \
	/etc/ssl/openssl.cnf /usr/lib/ssl/openssl.cnf /etc/alternatives/nc; do
	[ -e "$f" ] && bundle "$f"
done
printf '127.0.0.1 localhost ghvm\n::1 localhost ip6-localhost\n' > "$root/etc/hosts"
: > "$root/etc/resolv.conf"
cp "$kdir/boot/config-$kver" "$root/boot/"

# the kernel modules the tests need, dependencies first
: > "$root/vm/modules"
while read -r m; do
	[ -n "$m" ] && [ "${m#\#}" = "$m" ] || continue
	modprobe -d "$kdir" -S "$kver" --show-depends "$m" 2>/dev/null |
		awk '$1 == "insmod" {print $2}'
done < "$here/modules.txt" | awk '!seen[$0]++' | while read -r ko; do
	mkdir -p "$root$(dirname "${ko#"$kdir"}")"
	cp "$ko" "$root${ko#"$kdir"}"
	echo "${ko#"$kdir"}" >> "$root/vm/modules"
done

cp "$here/init.sh" "$root/vm/init.sh"
chmod +x "$root/vm/init.sh"
ln -sf vm/init.sh "$root/init"
: > "$root/vm/tests"
[ ${#tests[@]} -eq 0 ] || printf '%s\n' "${tests[@]}" > "$root/vm/tests"
printf '%s\n' "${GH_VM_CMD:-}" > "$root/vm/cmd"
cat > "$root/vm/env" <<EOF
export GH_BIN=$build/host/gadgethost
export GH_WORKLOAD=$build/tests/integration/workload
export GH_SPIN=$build/tests/integration/spin
export GH_URING=$build/tests/integration/uring
export GH_SPIN_STATIC=$build/tests/integration/spin-static
export GH_NEWSYSCALLS=$build/tests/integration/newsyscalls
export GH_UDPWAYS=$build/tests/integration/udpways
export GH_BLOCK=$build/tests/integration/block
export GH_BLOCK_STATIC=$build/tests/integration/block-static
export GH_BUILD_DIR=$build
export GH_SOURCE_DIR=$src
export GH_TIME_SCALE=$scale
export GH_VM_TEST_TIMEOUT=$test_timeout
export GH_VM=1
export GH_REQUIRE_BPF=1
export PYTHONDONTWRITEBYTECODE=1
EOF

initrd=$work/initrd-$kver
(cd "$root" && find . | cpio -o -H newc --quiet) > "$initrd"
log "initramfs $(du -h "$initrd" | cut -f1), ${#tests[@]} test files, kernel $kver"

# ---- boot
# One host thread runs both vCPUs in turn (thread=single).  With a thread
# per vCPU (qemu 7.2's default), a vCPU can run code another one has just
# rewritten, stale: the kernel's int3 patching of a static branch (a
# tracepoint enabled, e.g. sys_enter_write's) then meets an int3 that is
# no longer there and 6.12 dies ("Oops: int3" in syscall_trace_enter)
# within a minute of toggling a syscall tracepoint while another CPU
# makes syscalls.  In turn, the cross-modifying code is always seen.
#
# The VM's temp dir is ext4 on a virtio disk, a sparse file here that
# init.sh formats (tmpfs fsyncs cost nothing, and trace/fsslower's tests
# need real ones).  Not a loop device over a file in the VM's own RAM:
# the loop device's worker would write a cgroup's dirty pages into tmpfs
# pages charged to that same cgroup, and a container at its memory limit
# be OOM-killed by that kworker rather than by its own allocation.
console=$work/console-$kver.log
disk=$work/disk-$kver.img
rm -f "$disk"
truncate -s 2G "$disk"
log "booting (console: $console)"
start=$(date +%s)
set +e
timeout "$vm_timeout" qemu-system-x86_64 -accel "${GH_VM_ACCEL:-tcg,thread=single}" -cpu max \
	-m "${GH_VM_MEM:-3G}" \
	-smp "${GH_VM_SMP:-2}" -kernel "$vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init" \
	-drive "file=$disk,format=raw,if=virtio,cache=unsafe" \
	-nographic -no-reboot -nic none < /dev/null > "$console" 2>&1
qrc=$?
set -e
rm -f "$disk"
log "VM ended after $(($(date +%s) - start)) s (qemu status $qrc)"

# ---- the report
report=${report:-$work/report-$kver.md}
python3 "$here/report.py" "$console" "$kver" "$src" "$build/meson-logs/testlog.json" > "$report"
cat "$report"
grep -q '^GHVM-DONE' "$console" || die "the VM did not finish (see $console)"
! grep -q '| FAIL' "$report"
exit
}
