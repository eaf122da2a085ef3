/* newsyscalls.c - makes system calls numbered above 450 (Linux 6.5 to
 * 6.19), each once with raw syscall(), and one number no kernel has, so
 * that the tests can see them named in advise/seccomp's profiles and
 * traceloop's dumps.  Built static by meson, to run in a container.
 *
 * Prints one line per call, "NAME RESULT": the return value, or the errno
 * name when it failed (a kernel without the call says ENOSYS: the call is
 * still made).  Files under DIR (default /tmp).
 *
 *   newsyscalls [DIR]
 *
 * The structures are written out here: Debian 12's headers predate them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NR_CACHESTAT 451
#define NR_FCHMODAT2 452
#define NR_MAP_SHADOW_STACK 453
#define NR_FUTEX_WAKE 454
#define NR_FUTEX_WAIT 455
#define NR_FUTEX_REQUEUE 456
#define NR_STATMOUNT 457
#define NR_LISTMOUNT 458
#define NR_LSM_LIST_MODULES 461
#define NR_MSEAL 462
#define NR_SETXATTRAT 463
#define NR_GETXATTRAT 464
#define NR_LISTXATTRAT 465
#define NR_REMOVEXATTRAT 466
#define NR_OPEN_TREE_ATTR 467
#define NR_FILE_GETATTR 468
#define NR_LISTNS 470
#define NR_NONE 480 /* between 470 and 511: no kernel has it yet */

#define FUTEX2_SIZE_U32 0x02
#define FUTEX2_PRIVATE 128
#define LSMT_ROOT 0xffffffffffffffffULL
#define STATMOUNT_SB_BASIC 0x1U

struct cachestat_range {
	uint64_t off, len;
};

struct cachestat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

struct waitv {
	uint64_t val, uaddr;
	uint32_t flags, reserved;
};

struct mnt_id_req {
	uint32_t size, spare;
	uint64_t mnt_id, param;
};

struct xattr_args {
	uint64_t value;
	uint32_t size, flags;
};

struct file_attr {
	uint32_t xflags, extsize, nextents, projid, cowextsize;
	uint32_t pad;
};

static void report(const char *name, long ret)
{
	if (ret < 0)
		printf("%s %s\n", name, strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
	else
		printf("%s %ld\n", name, ret);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	char path[4096], value[8] = "v1", list[256], stat_buf[512];
	struct cachestat_range range = {0, 0};
	struct cachestat cs;
	uint32_t word = 0, lsm_size = 64 * sizeof(uint64_t);
	uint64_t mounts[64], lsm_ids[64];
	struct waitv waiters[2];
	struct mnt_id_req req = {.size = sizeof(req), .mnt_id = LSMT_ROOT};
	struct xattr_args xa = {.value = (uintptr_t)value, .size = 2};
	struct file_attr fa;
	long n, fd;
	void *page;

	snprintf(path, sizeof(path), "%s/newsyscalls-file", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	report("cachestat", syscall(NR_CACHESTAT, fd, &range, &cs, 0));
	report("fchmodat2", syscall(NR_FCHMODAT2, AT_FDCWD, path, 0600, 0));
	report("map_shadow_stack", syscall(NR_MAP_SHADOW_STACK, 0, 0, 0));
	report("futex_wake", syscall(NR_FUTEX_WAKE, &word, 0xffffffffUL, 1,
				     FUTEX2_SIZE_U32 | FUTEX2_PRIVATE));
	/* the word is 0, not 1: EAGAIN at once */
	report("futex_wait", syscall(NR_FUTEX_WAIT, &word, 1UL, 0xffffffffUL,
				     FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, NULL, CLOCK_MONOTONIC));
	for (int i = 0; i < 2; i++)
		waiters[i] = (struct waitv){.val = 0, .uaddr = (uintptr_t)&word,
					    .flags = FUTEX2_SIZE_U32 | FUTEX2_PRIVATE};
	report("futex_requeue", syscall(NR_FUTEX_REQUEUE, waiters, 0, 1, 0));
	n = syscall(NR_LISTMOUNT, &req, mounts, 64, 0);
	report("listmount", n > 0 ? 0 : n); /* how many mounts: the container's own business */
	req.mnt_id = n > 0 ? mounts[0] : 0;
	req.param = STATMOUNT_SB_BASIC;
	report("statmount", syscall(NR_STATMOUNT, &req, stat_buf, sizeof(stat_buf), 0));
	n = syscall(NR_LSM_LIST_MODULES, lsm_ids, &lsm_size, 0);
	report("lsm_list_modules", n > 0 ? 0 : n);
	page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	report("mseal", page == MAP_FAILED ? -1 : syscall(NR_MSEAL, page, 4096, 0));
	report("setxattrat", syscall(NR_SETXATTRAT, AT_FDCWD, path, 0, "user.gh", &xa, sizeof(xa)));
	xa.size = sizeof(value);
	report("getxattrat", syscall(NR_GETXATTRAT, AT_FDCWD, path, 0, "user.gh", &xa, sizeof(xa)));
	report("listxattrat", syscall(NR_LISTXATTRAT, AT_FDCWD, path, 0, list, sizeof(list)));
	report("removexattrat", syscall(NR_REMOVEXATTRAT, AT_FDCWD, path, 0, "user.gh"));
	n = syscall(NR_OPEN_TREE_ATTR, AT_FDCWD, dir, 0, NULL, 0);
	report("open_tree_attr", n >= 0 ? 0 : n); /* an fd: its number says nothing */
	report("file_getattr", syscall(NR_FILE_GETATTR, AT_FDCWD, path, &fa, sizeof(fa), 0));
	report("listns", syscall(NR_LISTNS, NULL, NULL, 0, 0));
	report("syscall_480", syscall(NR_NONE, 0, 0, 0));
	close((int)fd);
	unlink(path);
	return 0;
}
