/* spin.c - the CPU tests' workload: its CPU time goes to gh_spin_here()
 * (called from gh_spin_outer(), from main) for argv[1] seconds of CPU
 * time, however loaded the machine.  With a second argument "pause" it
 * then prints "spun" and sleeps until a signal ends it (top/process's
 * tests read its final CPU time).  Built with frame pointers and no
 * sanitizer (tests/integration/meson.build), dynamic and static (for a
 * container's rootfs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
static volatile unsigned long sink;
__attribute__((noinline)) void gh_spin_here(double secs)
{
	struct timespec a, b;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	do {
		for (int i = 0; i < 100000; i++)
			sink += i;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	} while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < secs);
}
__attribute__((noinline)) void gh_spin_outer(double secs)
{
	gh_spin_here(secs);
	sink++;
}
int main(int argc, char **argv)
{
	gh_spin_outer(argc > 1 ? atof(argv[1]) : 2);
	if (argc > 2 && !strcmp(argv[2], "pause")) {
		printf("spun\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	return 0;
}
