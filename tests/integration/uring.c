/* uring.c - trace/iouring's workload: opens, writes, reads, closes and
 * unlinks through io_uring (liburing), one request at a time, so the test
 * knows each completion exactly.
 *
 *   uring [-w] [-s] DIR
 *   uring -b N DIR
 *
 * -w: print "ready" and wait for a line on stdin first.  -s: a ring with
 * IORING_SETUP_SQPOLL (its kernel thread submits the requests).  -b: the
 * overhead benchmark of docs/gadgets/trace/iouring.md instead: N reads of
 * 4 KiB of DIR/bench, one request at a time; prints the seconds they took.
 * For
 * each request it prints "OPCODE USER_DATA RES" (RES: the CQE's result,
 * -errno on failure), in order; it exits 0 when every result was the one
 * expected.  The requests (user_data 1 to 12):
 *
 *    1 OPENAT   DIR/data, O_WRONLY|O_CREAT|O_TRUNC, 0640 -> fd W
 *    2 WRITE    W, 12345 bytes at 0
 *    3 CLOSE    W
 *    4 OPENAT   DIR/data, O_RDONLY                 -> fd R
 *    5 READ     R, 65536 bytes at 0                -> 12345
 *    6 READ     R at 12345                         -> 0 (the end)
 *    7 READ     registered file 0 (R), 100 bytes at 10 (IOSQE_FIXED_FILE) -> 100
 *    8 STATX    DIR/data                           -> 0
 *    9 OPENAT   DIR/missing, O_RDONLY              -> -ENOENT
 *   10 READ     fd 1000 (not open)                 -> -EBADF
 *   11 CLOSE    R
 *   12 UNLINKAT DIR/data                           -> 0
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SIZE 12345

static struct io_uring ring;
static int failed;

/* submit the prepared SQE, wait for its CQE, print and check it */
static int complete(const char *name, unsigned long long user_data, int want)
{
	struct io_uring_cqe *cqe;
	int ret = io_uring_submit_and_wait(&ring, 1);
	int res;

	if (ret < 0) {
		fprintf(stderr, "uring: submitting %s: %s\n", name, strerror(-ret));
		exit(1);
	}
	ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret < 0) {
		fprintf(stderr, "uring: waiting for %s: %s\n", name, strerror(-ret));
		exit(1);
	}
	if (cqe->user_data != user_data) {
		fprintf(stderr, "uring: %s: user_data %llu, not %llu\n", name,
			(unsigned long long)cqe->user_data, user_data);
		exit(1);
	}
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	printf("%s %llu %d\n", name, user_data, res);
	if (want != res && !(want == INT32_MAX && res >= 0)) {
		fprintf(stderr, "uring: %s returned %d, wanted %d\n", name, res, want);
		failed = 1;
	}
	return res;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* -b N: N 4 KiB reads of DIR/bench, each submitted and waited for */
static int bench(const char *dir, long n)
{
	static char buf[4096];
	struct io_uring_cqe *cqe;
	char path[4096];
	double t0;
	int fd;

	snprintf(path, sizeof(path), "%s/bench", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf)) {
		perror("uring: bench file");
		return 1;
	}
	t0 = now();
	for (long i = 0; i < n; i++) {
		io_uring_prep_read(io_uring_get_sqe(&ring), fd, buf, sizeof(buf), 0);
		if (io_uring_submit_and_wait(&ring, 1) < 0 || io_uring_wait_cqe(&ring, &cqe) < 0 ||
		    cqe->res != sizeof(buf)) {
			fprintf(stderr, "uring: bench read %ld failed\n", i);
			return 1;
		}
		io_uring_cqe_seen(&ring, cqe);
	}
	printf("%.3f\n", now() - t0);
	close(fd);
	unlink(path);
	return 0;
}

static struct io_uring_sqe *sqe(unsigned long long user_data)
{
	struct io_uring_sqe *s = io_uring_get_sqe(&ring);

	if (!s) {
		fprintf(stderr, "uring: no SQE\n");
		exit(1);
	}
	io_uring_sqe_set_data64(s, user_data);
	return s;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	char data[4096], missing[4096], line[16];
	struct io_uring_params p = {0};
	struct statx stx;
	struct io_uring_sqe *s;
	int ret, w, r, opt, wait = 0;
	long bench_n = 0;

	while ((opt = getopt(argc, argv, "wsb:")) != -1) {
		if (opt == 'b') {
			bench_n = atol(optarg);
		} else if (opt == 'w') {
			wait = 1;
		} else if (opt == 's') {
			p.flags |= IORING_SETUP_SQPOLL;
			p.sq_thread_idle = 1000;
		} else {
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: uring [-w] [-s] DIR | uring -b N DIR\n");
		return 2;
	}
	snprintf(data, sizeof(data), "%s/data", argv[optind]);
	snprintf(missing, sizeof(missing), "%s/missing", argv[optind]);
	memset(buf, 'u', SIZE);
	ret = io_uring_queue_init_params(8, &ring, &p);
	if (ret < 0) {
		fprintf(stderr, "uring: io_uring_queue_init_params: %s\n", strerror(-ret));
		return 1;
	}
	if (bench_n)
		return bench(argv[optind], bench_n);
	if (wait) {
		printf("ready\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}

	io_uring_prep_openat(sqe(1), AT_FDCWD, data, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	w = complete("OPENAT", 1, INT32_MAX);
	io_uring_prep_write(sqe(2), w, buf, SIZE, 0);
	complete("WRITE", 2, SIZE);
	io_uring_prep_close(sqe(3), w);
	complete("CLOSE", 3, 0);

	io_uring_prep_openat(sqe(4), AT_FDCWD, data, O_RDONLY, 0);
	r = complete("OPENAT", 4, INT32_MAX);
	io_uring_prep_read(sqe(5), r, buf, sizeof(buf), 0);
	complete("READ", 5, SIZE);
	io_uring_prep_read(sqe(6), r, buf, sizeof(buf), SIZE);
	complete("READ", 6, 0);
	ret = io_uring_register_files(&ring, &r, 1);
	if (ret < 0) {
		fprintf(stderr, "uring: io_uring_register_files: %s\n", strerror(-ret));
		return 1;
	}
	s = sqe(7);
	io_uring_prep_read(s, 0, buf, 100, 10);
	s->flags |= IOSQE_FIXED_FILE;
	complete("READ", 7, 100);
	io_uring_prep_statx(sqe(8), AT_FDCWD, data, 0, STATX_SIZE, &stx);
	complete("STATX", 8, 0);
	if (stx.stx_size != SIZE) {
		fprintf(stderr, "uring: statx says %llu bytes\n", (unsigned long long)stx.stx_size);
		failed = 1;
	}

	io_uring_prep_openat(sqe(9), AT_FDCWD, missing, O_RDONLY, 0);
	complete("OPENAT", 9, -ENOENT);
	io_uring_prep_read(sqe(10), 1000, buf, 100, 0);
	complete("READ", 10, -EBADF);
	io_uring_unregister_files(&ring);
	io_uring_prep_close(sqe(11), r);
	complete("CLOSE", 11, 0);
	io_uring_prep_unlinkat(sqe(12), AT_FDCWD, data, 0);
	complete("UNLINKAT", 12, 0);

	io_uring_queue_exit(&ring);
	return failed;
}
