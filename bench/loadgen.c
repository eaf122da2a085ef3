/* loadgen.c - the benchmark's fixed syscall storm.
 *
 *   loadgen open N         N openat calls: an existing file (then close)
 *                          and a missing one, alternately
 *   loadgen exec N DIR     N fork + execve(DIR/gh-bench-exec) + wait
 *   loadgen probe PREFIX   openat(PREFIX-T) every millisecond until killed,
 *                          T its CLOCK_MONOTONIC time in ns: the first to
 *                          show up says when the tracer was attached
 *   loadgen probe-exec DIR execve(DIR/gh-bench-probe gh-bench-probe-T) every
 *                          2 ms, the same with an exec
 *   loadgen latency N PREFIX  N x openat(PREFIX-T) of a missing file, 100 ms
 *                          apart, T its CLOCK_MONOTONIC time in ns: the
 *                          driver subtracts T from when the row arrived
 *   loadgen hello N PORT FILE  N TCP connections to 127.0.0.1:PORT (a
 *                          listener of its own), each sending FILE's bytes
 *                          (a TLS ClientHello) once, then closed: the
 *                          TLS load of trace/sni
 *
 * DIR/gh-bench-exec and DIR/gh-bench-probe are links to /bin/true that the
 * driver makes, so the events carry the marker in comm as well as in
 * argv (tools that read argv at sys_enter often get it empty after fork).
 *
 * Prints the storm's wall time in nanoseconds on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

/* fork, execve DIR/NAME ARG1, wait */
static int run_marked(const char *dir, const char *name, const char *arg1)
{
	char path[4096];
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char *argv[] = {path, (char *)arg1, NULL};

		execv(argv[0], argv);
		_exit(127);
	}
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int storm_exec(long n, const char *dir)
{
	for (long i = 0; i < n; i++)
		if (run_marked(dir, "gh-bench-exec", "gh-bench-exec"))
			return -1;
	return 0;
}

static int probe_open(const char *prefix)
{
	char path[256];

	for (;;) {
		snprintf(path, sizeof(path), "%s-%lld", prefix, now_ns());
		close(openat(AT_FDCWD, path, O_RDONLY));
		usleep(1000);
	}
	return 0;
}

static int probe_exec(const char *dir)
{
	char arg[64];

	for (;;) {
		snprintf(arg, sizeof(arg), "gh-bench-probe-%lld", now_ns());
		run_marked(dir, "gh-bench-probe", arg);
		usleep(2000);
	}
	return 0;
}

static int latency(long n, const char *prefix)
{
	char path[256];

	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s-%lld", prefix, now_ns());
		openat(AT_FDCWD, path, O_RDONLY);
		usleep(100000);
	}
	return 0;
}

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size);
	close(fd);
	return n > 0 ? (int)n : -1;
}

/* one connection: connect, send the hello, accept the server's end, close
 * both (the listener is ours: no second process to wait for) */
static int hello_once(int lfd, const struct sockaddr_in *sa, const char *hello, int len)
{
	int one = 1, c = socket(AF_INET, SOCK_STREAM, 0), s;

	if (c < 0)
		return -1;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c, (const struct sockaddr *)sa, sizeof(*sa)) ||
	    send(c, hello, len, 0) != len) {
		close(c);
		return -1;
	}
	s = accept(lfd, NULL, NULL);
	if (s >= 0)
		close(s);
	close(c);
	return s >= 0 ? 0 : -1;
}

static int storm_hello(long n, int port, const char *file)
{
	static char hello[16384];
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int one = 1, len = read_file(file, hello, sizeof(hello));
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	int ret = 0;

	if (len < 0 || lfd < 0)
		return -1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 128)) {
		close(lfd);
		return -1;
	}
	for (long i = 0; i < n && !ret; i++)
		ret = hello_once(lfd, &sa, hello, len);
	close(lfd);
	return ret;
}

int main(int argc, char **argv)
{
	long long start;
	int ret;

	if (argc < 2) {
		fprintf(stderr, "usage: loadgen open N | exec N DIR | probe PREFIX | "
			"probe-exec DIR | latency N PREFIX | hello N PORT FILE\n");
		return 2;
	}
	if (!strcmp(argv[1], "probe") && argc == 3)
		return probe_open(argv[2]);
	if (!strcmp(argv[1], "probe-exec") && argc == 3)
		return probe_exec(argv[2]);
	if (!strcmp(argv[1], "latency") && argc == 4)
		return latency(atol(argv[2]), argv[3]);
	start = now_ns();
	if (!strcmp(argv[1], "open") && argc == 3)
		ret = storm_open(atol(argv[2]));
	else if (!strcmp(argv[1], "exec") && argc == 4)
		ret = storm_exec(atol(argv[2]), argv[3]);
	else if (!strcmp(argv[1], "hello") && argc == 5)
		ret = storm_hello(atol(argv[2]), atoi(argv[3]), argv[4]);
	else
		return 2;
	printf("%lld\n", now_ns() - start);
	return ret ? 1 : 0;
}
