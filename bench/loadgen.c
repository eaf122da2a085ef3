/* loadgen.c - the benchmark's fixed syscall storm.
 *
 *   loadgen open N         N openat calls: an existing file (then close)
 *                          and a missing one, alternately
 *   loadgen exec N         N fork + execve("/bin/true") + wait
 *   loadgen probe PREFIX   openat(PREFIX-i) every millisecond until killed:
 *                          the driver watches for the first to show up
 *   loadgen probe-exec     execve("/bin/true", "gh-bench-probe") every 5 ms
 *
 * Prints the storm's wall time in nanoseconds on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int storm_open(long n)
{
	const char *exists = "/etc/hostname";
	const char *missing = "/nonexistent/gh-bench-missing";

	for (long i = 0; i < n; i++) {
		int fd = openat(AT_FDCWD, (i & 1) ? missing : exists, O_RDONLY);

		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int run_true(const char *arg)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		char *argv[] = {"/bin/true", (char *)arg, NULL};

		execv(argv[0], argv);
		_exit(127);
	}
	return waitpid(pid, &status, 0) == pid ? 0 : -1;
}

static int storm_exec(long n)
{
	for (long i = 0; i < n; i++)
		if (run_true("gh-bench-exec"))
			return -1;
	return 0;
}

static int probe_open(const char *prefix)
{
	char path[256];

	for (long i = 0;; i++) {
		snprintf(path, sizeof(path), "%s-%ld", prefix, i);
		close(openat(AT_FDCWD, path, O_RDONLY));
		usleep(1000);
	}
	return 0;
}

static int probe_exec(void)
{
	for (;;) {
		run_true("gh-bench-probe");
		usleep(5000);
	}
	return 0;
}

int main(int argc, char **argv)
{
	long long start;
	int ret;

	if (argc < 2) {
		fprintf(stderr, "usage: loadgen open N | exec N | probe PREFIX | probe-exec\n");
		return 2;
	}
	if (!strcmp(argv[1], "probe") && argc == 3)
		return probe_open(argv[2]);
	if (!strcmp(argv[1], "probe-exec"))
		return probe_exec();
	if (argc != 3)
		return 2;
	start = now_ns();
	if (!strcmp(argv[1], "open"))
		ret = storm_open(atol(argv[2]));
	else if (!strcmp(argv[1], "exec"))
		ret = storm_exec(atol(argv[2]));
	else
		return 2;
	printf("%lld\n", now_ns() - start);
	return ret ? 1 : 0;
}
