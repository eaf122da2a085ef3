/* block.c - the off-CPU profile tests' workload: it sleeps argv[1] times
 * argv[2] ms in gh_block_sleep() (from gh_block_outer(), from main), then
 * blocks once in gh_block_read() on a pipe a child writes argv[3] ms
 * after it is seen asleep in the read.  It prints the wall time each took
 * (sleep_us, read_us): the time off the CPU in those stacks is a little
 * less (the moments on the CPU in between).  The system calls are made
 * inline, so each blocked stack's innermost user frame is that function.
 * Each process then lingers 400 ms (the parent: argv[4] ms, if given) in
 * gh_block_linger(): the host reads a process's mappings (for its user
 * symbols) while it lives, every 250 ms, once it has a stack counted.
 * Built with frame pointers and no sanitizer (tests/integration/
 * meson.build), dynamic and static (for a container's rootfs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline __attribute__((always_inline)) long syscall3(long n, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline __attribute__((always_inline)) void ms_sleep(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (syscall3(SYS_nanosleep, (long)&ts, (long)&ts, 0) == -4) /* EINTR */
		;
}

__attribute__((noinline)) void gh_block_sleep(long ms)
{
	ms_sleep(ms);
}

__attribute__((noinline)) void gh_block_read(int fd)
{
	char c;

	syscall3(SYS_read, fd, (long)&c, 1);
}

static long now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000L + t.tv_nsec / 1000;
}

/* whether process pid sleeps (state S in /proc/PID/stat) */
static int asleep(int pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

/* the process's last sleep, in a function of its own: a stack of its own */
__attribute__((noinline)) void gh_block_linger(long ms)
{
	ms_sleep(ms);
}

__attribute__((noinline)) void gh_block_outer(int n, long ms, long pipe_ms, long linger_ms)
{
	int p[2], parent = getpid();
	long start = now_us(), slept, read_start;

	for (int i = 0; i < n; i++)
		gh_block_sleep(ms);
	slept = now_us() - start;
	if (pipe(p))
		exit(1);
	fflush(stdout);
	if (fork() == 0) {
		while (!asleep(parent))
			ms_sleep(5);
		ms_sleep(pipe_ms);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		gh_block_linger(400);
		_exit(0);
	}
	read_start = now_us();
	gh_block_read(p[0]);
	printf("sleep_us %ld\nread_us %ld\n", slept, now_us() - read_start);
	fflush(stdout);
	gh_block_linger(linger_ms);
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	gh_block_outer(atoi(argv[1]), atol(argv[2]), atol(argv[3]), argc > 4 ? atol(argv[4]) : 400);
	return 0;
}
