/* count_loader.c - the benchmark's physical floor: load bench/count.bpf.o
 * (a program that only counts sys_exit_openat), print "attached" on
 * stderr, and on SIGINT/SIGTERM print the count and exit. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

static volatile sig_atomic_t done;

static void on_signal(int sig)
{
	done = 1;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_link *link;
	struct bpf_map *bss;
	unsigned long long count = 0;
	int zero = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: count_loader count.bpf.o\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (libbpf_get_error(obj) || bpf_object__load(obj)) {
		fprintf(stderr, "count_loader: cannot load %s\n", argv[1]);
		return 1;
	}
	prog = bpf_object__next_program(obj, NULL);
	link = bpf_program__attach(prog);
	if (libbpf_get_error(link)) {
		fprintf(stderr, "count_loader: cannot attach\n");
		return 1;
	}
	bss = bpf_object__next_map(obj, NULL);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "attached\n");
	while (!done)
		pause();
	/* the kernel's value: after load, bpf_map__initial_value() is
	 * libbpf's own copy (libbpf < 1.3) */
	if (bpf_map__lookup_elem(bss, &zero, sizeof(zero), &count, sizeof(count), 0))
		fprintf(stderr, "count_loader: reading the count: %s\n", strerror(errno));
	printf("%llu\n", count);
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return 0;
}
