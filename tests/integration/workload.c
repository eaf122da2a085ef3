/* workload.c - does exactly what an integration test asks, so the events a
 * gadget reports can be checked one by one.  Prints nothing but errors (to
 * stderr), except exec-fail, which prints the errno of the failed execve.
 *
 *   workload exec N PREFIX       N x fork + execve /bin/true PREFIX-i, waits for each
 *   workload exec-fail PATH      execve PATH (missing), prints errno
 *   workload exec-args ARGS...   fork + execve /bin/echo ARGS..., stdout to /dev/null
 *   workload open N DIR          creates DIR/file-i (mknod), then openat(O_RDONLY) + close each
 *   workload open-missing PATH   openat PATH O_RDONLY, which fails with ENOENT
 *   workload open-storm N        N x openat + close, an existing and a missing file in turn
 *   workload open-paced N US     the same at a pace: US microseconds between two opens
 *   workload sleep-then MS CMD...  sleeps MS milliseconds, then execs CMD
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr,
		"usage: workload exec N PREFIX | exec-fail PATH | exec-args ARGS... |\n"
		"       open N DIR | open-missing PATH | open-storm N | open-paced N US |\n"
		"       sleep-then MS CMD...\n");
	return 2;
}

static long parse_count(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < 0) {
		fprintf(stderr, "workload: \"%s\" is not a count\n", s);
		exit(2);
	}
	return n;
}

/* fork, execve argv[0] with argv in the child (stdout to /dev/null if asked),
 * wait for it; 0 if the child exited 0. */
static int spawn(char *const argv[], int quiet)
{
	char *const envp[] = {"PATH=/usr/bin:/bin", NULL};
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		perror("workload: fork");
		return -1;
	}
	if (pid == 0) {
		if (quiet) {
			int fd = open("/dev/null", O_WRONLY);

			if (fd >= 0) {
				dup2(fd, STDOUT_FILENO);
				close(fd);
			}
		}
		execve(argv[0], argv, envp);
		fprintf(stderr, "workload: execve %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("workload: waitpid");
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "workload: %s did not exit 0 (status 0x%x)\n", argv[0], status);
		return -1;
	}
	return 0;
}

static int do_exec(long n, const char *prefix)
{
	for (long i = 0; i < n; i++) {
		char arg[4096];
		char *argv[] = {"/bin/true", arg, NULL};

		snprintf(arg, sizeof(arg), "%s-%ld", prefix, i);
		if (spawn(argv, 0))
			return 1;
	}
	return 0;
}

static int do_exec_fail(const char *path)
{
	char *const argv[] = {(char *)path, NULL};
	char *const envp[] = {NULL};

	execve(path, argv, envp);
	printf("%d\n", errno);
	return 0;
}

static int do_exec_args(int argc, char **argv)
{
	char **args = calloc((size_t)argc + 2, sizeof(*args));
	int ret;

	if (!args) {
		perror("workload: calloc");
		return 1;
	}
	args[0] = "/bin/echo";
	for (int i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	ret = spawn(args, 1) ? 1 : 0;
	free(args);
	return ret;
}

static int do_open(long n, const char *dir)
{
	char path[4096];

	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/file-%ld", dir, i);
		/* mknod, not open(O_CREAT): the only opens traced are the reads below */
		if (mknodat(AT_FDCWD, path, S_IFREG | 0644, 0) && errno != EEXIST) {
			fprintf(stderr, "workload: create %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	for (long i = 0; i < n; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/file-%ld", dir, i);
		fd = openat(AT_FDCWD, path, O_RDONLY);
		if (fd < 0) {
			fprintf(stderr, "workload: open %s: %s\n", path, strerror(errno));
			return 1;
		}
		close(fd);
	}
	return 0;
}

static int do_open_missing(const char *path)
{
	int fd = openat(AT_FDCWD, path, O_RDONLY);

	if (fd >= 0) {
		fprintf(stderr, "workload: %s exists\n", path);
		close(fd);
		return 1;
	}
	if (errno != ENOENT) {
		fprintf(stderr, "workload: open %s: %s (wanted ENOENT)\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

/* n opens, us microseconds apart (0: at once) */
static int do_open_storm(long n, long us)
{
	static const char *const paths[] = {"/etc/hostname", "/nonexistent/gadgethost-storm"};
	const char *existing = access(paths[0], R_OK) ? "/proc/self/stat" : paths[0];
	struct timespec gap = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000L};

	for (long i = 0; i < n; i++) {
		const char *p = (i & 1) ? paths[1] : existing;
		int fd = openat(AT_FDCWD, p, O_RDONLY);

		if (fd >= 0)
			close(fd);
		if (us)
			nanosleep(&gap, NULL);
	}
	return 0;
}

static int do_sleep_then(const char *ms_text, char **cmd)
{
	long ms = parse_count(ms_text);
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	execvp(cmd[0], cmd);
	fprintf(stderr, "workload: exec %s: %s\n", cmd[0], strerror(errno));
	return 127;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "exec") && argc == 4)
		return do_exec(parse_count(argv[2]), argv[3]);
	if (!strcmp(cmd, "exec-fail") && argc == 3)
		return do_exec_fail(argv[2]);
	if (!strcmp(cmd, "exec-args") && argc >= 2)
		return do_exec_args(argc - 2, argv + 2);
	if (!strcmp(cmd, "open") && argc == 4)
		return do_open(parse_count(argv[2]), argv[3]);
	if (!strcmp(cmd, "open-missing") && argc == 3)
		return do_open_missing(argv[2]);
	if (!strcmp(cmd, "open-storm") && argc == 3)
		return do_open_storm(parse_count(argv[2]), 0);
	if (!strcmp(cmd, "open-paced") && argc == 4)
		return do_open_storm(parse_count(argv[2]), parse_count(argv[3]));
	if (!strcmp(cmd, "sleep-then") && argc >= 4)
		return do_sleep_then(argv[2], argv + 3);
	return usage();
}
