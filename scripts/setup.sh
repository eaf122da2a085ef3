#!/usr/bin/env bash
# setup.sh - install every Debian package gadgethost needs to build, run,
# test and benchmark; mount tracefs.  Idempotent: apt is only touched when a
# package is missing.  Run as root on Debian 12 (bookworm).
set -euo pipefail

packages=(
	# build
	build-essential pkg-config meson ninja-build
	clang llvm libbpf-dev libelf-dev zlib1g-dev
	liblua5.4-dev lua5.4 libuv1-dev libyaml-dev bpftool
	libhttp-parser-dev # the daemon's HTTP/1.1
	libssl-dev # the daemon's TLS (OpenSSL 3)
	# pod labels from containerd's CRI API: gRPC = HTTP/2 (nghttp2) + protobuf-c
	libnghttp2-dev libprotobuf-c-dev protobuf-c-compiler
	# tests
	libcmocka-dev python3 jq valgrind util-linux
	liburing-dev # trace/iouring's test workload (tests/integration/uring.c)
	libclang-rt-14-dev # ASan/UBSan runtime when building with clang
	# benchmark: the tools gadgethost is compared with
	libbpf-tools bpftrace linux-perf
	dnsperf # bench/run's DNS row: queries at its highest rate against dnsmasq
	# container runtimes (integration tests)
	runc containerd docker.io podman busybox-static
	# CRI client of test_cri.py (containerd's CRI plugin), for /usr/bin/python3
	python3-grpcio python3-protobuf python3-grpc-tools
	# trace gadget tests: real clients and servers
	dnsutils dnsmasq-base openssl gnutls-bin socat netcat-openbsd iproute2 libcap2-bin
	stress-ng
	# tests/kernels/run-vm.sh: Debian's 6.12 and 6.1 kernels under qemu (TCG);
	# tests/kernels/vmlinux.sh uncompresses their vmlinuz (xz, zstd)
	qemu-system-x86 kmod cpio file xz-utils zstd
	# advise/network-policy test: reads the YAML manifests back
	python3-yaml
	# issue 18: a real Prometheus server scrapes the daemon (test_metrics.py)
	prometheus
	# packaging (debian/, dist/) and its tests (tests/package): the .deb's
	# build, lint and clean-root install, man pages, completion, the node
	# image built, pushed to a registry on loopback and run
	debhelper dpkg-dev lintian scdoc man-db bash-completion tmux systemd
	debootstrap buildah skopeo docker-registry curl
	# gadget images (host/image): SHA-256 and ed25519 (OpenSSL), HTTPS to
	# registries (libcurl, OpenSSL flavour), export/import tarballs
	# (libarchive); their tests: htpasswd for the registry's basic auth
	libcurl4-openssl-dev libarchive-dev apache2-utils
	# trace/tcpdump: --pf compiled by libpcap (opened at first use); its
	# tests read the pcap-ng files back with tcpdump and tshark
	libpcap-dev tcpdump tshark
	# the Unicode data scripts/gen-text-width.py makes host/base/text_width.h of
	unicode-data
)

log() { printf 'setup: %s\n' "$*" >&2; }

is_installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing=()
for p in "${packages[@]}"; do
	is_installed "$p" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		log "missing packages: ${missing[*]}; run this script as root to install them"
		exit 1
	fi
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
else
	log "all ${#packages[@]} packages are installed"
fi

# test_k8s.py validates the Kubernetes manifests with npm's kubernetes-models
# (offline, once installed): node and npm (Debian's, unless a node is there),
# then the packages into build/npm.  A failure here is a failure.
if ! command -v npm >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		log "npm is missing; run this script as root to install it"
		exit 1
	fi
	log "installing: nodejs npm"
	apt-get install -y -q --no-install-recommends nodejs npm
fi
npm_dir="$(cd "$(dirname "$0")/.." && pwd)/build/npm"
if [ ! -d "$npm_dir/node_modules/kubernetes-models" ] || [ ! -d "$npm_dir/node_modules/js-yaml" ]; then
	log "npm: kubernetes-models and js-yaml into $npm_dir"
	npm install --prefix "$npm_dir" --no-audit --no-fund kubernetes-models@5.1.0 js-yaml@4.1.0 >&2
fi

# tracefs: the host mounts it itself when it is missing, but tests and the
# benchmark's tools (bpftrace, perf) like it to be there already.
if [ "$(id -u)" -eq 0 ] && ! mountpoint -q /sys/kernel/tracing 2>/dev/null; then
	if [ -d /sys/kernel/tracing ] && mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null; then
		log "mounted tracefs at /sys/kernel/tracing"
	else
		log "warning: could not mount tracefs at /sys/kernel/tracing"
	fi
fi
exit 0
