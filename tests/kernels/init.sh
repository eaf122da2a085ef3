#!/bin/busybox sh
# init.sh - PID 1 of the test VM (tests/kernels/run-vm.sh builds the
# initramfs around it).  Stage 1 copies the initramfs into a tmpfs and
# switches root to it (runc's pivot_root does not work on the initramfs's
# rootfs); stage 2 mounts what the tests need, loads the kernel modules,
# runs every test listed in /vm/tests and powers off.  Everything goes to
# the serial console, between markers run-vm.sh parses:
#   GHVM-BEGIN test_exec.py
#   ... the test's own output (ok / not ok / skip lines) ...
#   GHVM-END test_exec.py rc=0 seconds=41
#   GHVM-DONE
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

if [ "$1" != stage2 ]; then
	/bin/busybox mount -t proc proc /proc
	/bin/busybox mkdir -p /newroot
	/bin/busybox mount -t tmpfs -o size=90% tmpfs /newroot
	for d in /*; do
		case $d in /newroot|/proc|/sys|/dev) continue ;; esac
		/bin/busybox cp -a "$d" /newroot/
	done
	/bin/busybox mkdir -p /newroot/proc /newroot/sys /newroot/dev
	/bin/busybox umount /proc
	exec /bin/busybox switch_root /newroot /vm/init.sh stage2
fi

/bin/busybox --install -s 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm /tmp /run /var/tmp /root
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
	echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control
done
chmod 1777 /tmp /var/tmp
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
hostname ghvm
ip link set lo up

echo "GHVM-KERNEL $(uname -r)"
# the modules the tests need, dependencies first (run-vm.sh wrote them)
while read -r ko; do
	insmod "$ko" 2>&1 | grep -v "File exists" || true
done < /vm/modules

# an ext4 temp dir on the virtio disk run-vm.sh gives (tmpfs fsyncs cost
# nothing, and trace/fsslower's tests need real ones)
dev=/dev/vda
i=0
while [ ! -b $dev ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if mkfs.ext4 -q "$dev" && mkdir -p /mnt/gh-ext4 && mount -t ext4 "$dev" /mnt/gh-ext4; then
	mkdir -p /mnt/gh-ext4/tmp
	chmod 1777 /mnt/gh-ext4/tmp
	export TMPDIR=/mnt/gh-ext4/tmp
	echo "GHVM-TMPDIR $TMPDIR (ext4 on $dev)"
else
	echo "GHVM-TMPDIR none: no ext4 on $dev (virtio_blk and its transport loaded?)"
fi

. /vm/env
export HOME=/root LANG=C.UTF-8
cd "$GH_SOURCE_DIR" || exit 1

if [ -s /vm/cmd ]; then
	echo "GHVM-CMD-BEGIN"
	sh /vm/cmd 2>&1
	echo "GHVM-CMD-END rc=$?"
fi

echo "GHVM-CHECK-BEGIN"
"$GH_BIN" check
echo "GHVM-CHECK-END rc=$?"

while read -r t; do
	echo "GHVM-BEGIN $t"
	start=$(date +%s)
	timeout "$GH_VM_TEST_TIMEOUT" /usr/bin/python3 "tests/integration/$t" < /dev/null 2>&1
	rc=$?
	echo "GHVM-END $t rc=$rc seconds=$(($(date +%s) - start))"
done < /vm/tests
echo "GHVM-DMESG-BEGIN"
dmesg | tail -n 200
echo "GHVM-DMESG-END"
echo "GHVM-DONE"
sync
poweroff -f
