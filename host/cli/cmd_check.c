/* cmd_check.c - `gadgethost check [-v] [GADGET...]`: can the running
 * kernel run these gadgets, and if not, why.
 *
 * First what the kernel offers: its release, its config (kconfig.h) for
 * the options eBPF tracing depends on, the vmlinux BTF, tracefs, kprobes,
 * the program types gadgets use; then one line per gadget: yes, with the
 * variants chosen, or no, with the hook the kernel lacks.  -v adds a line
 * per program: its hook and whether it loads.  Exit status 0 when every
 * gadget asked about is supported, 1 otherwise.
 */
#include "cli/commands.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "base/names.h"
#include "gadget/gadget.h"
#include "kernel/core_btf.h"
#include "kernel/hook_probe.h"
#include "kernel/kconfig.h"
#include "kernel/tracefs.h"
#include "kernel/variants.h"

/* the options eBPF tracing gadgets depend on */
static const char *const config_options[] = {
	"CONFIG_BPF_SYSCALL", "CONFIG_BPF_JIT", "CONFIG_DEBUG_INFO_BTF", "CONFIG_BPF_EVENTS",
	"CONFIG_FTRACE_SYSCALLS", "CONFIG_KPROBES", "CONFIG_KPROBE_EVENTS",
	"CONFIG_UPROBE_EVENTS", "CONFIG_FUNCTION_TRACER",
	"CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS", "CONFIG_CGROUPS", "CONFIG_NET_CLS_BPF",
};

/* (tracing, for tp_btf and fentry, is probed per hook: libbpf's probe of
 * it misjudges new kernels) */
static const int prog_types[] = {
	BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_RAW_TRACEPOINT,
	BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_PERF_EVENT, BPF_PROG_TYPE_SOCKET_FILTER,
	BPF_PROG_TYPE_SCHED_CLS,
};

/* whether the host can name every system call of this kernel */
static void print_syscall_names(void)
{
	char missing[512];
	int n = gh_syscall_names_check(gh_tracefs_root(), missing, sizeof(missing));

	if (n < 0)
		printf("syscall names: not checked (no %s/events/syscalls: %s)\n",
		       gh_tracefs_root(), strerror(-n));
	else if (n == 0)
		printf("syscall names: every syscall tracepoint of this kernel is named\n");
	else
		printf("syscall names: %d of this kernel's calls have no name here (%s): "
		       "printed as numbers\n", n, missing);
}

static void print_kernel(void)
{
	struct gh_kconfig cfg;
	struct utsname u;
	int ret;

	if (!uname(&u))
		printf("kernel:        %s\n", u.release);
	ret = gh_kconfig_load(&cfg);
	if (ret) {
		printf("config:        not exposed (no /proc/config.gz, no /boot/config-%s)\n",
		       u.release);
	} else {
		printf("config:        %s\n", cfg.source);
		for (size_t i = 0; i < sizeof(config_options) / sizeof(*config_options); i++) {
			const char *v = gh_kconfig_value(&cfg, config_options[i]);

			printf("  %s%s%s\n", config_options[i], strcmp(v, "is not set") ? "=" : " ",
			       v);
		}
		gh_kconfig_free(&cfg);
	}
	printf("btf:           %s\n", access("/sys/kernel/btf/vmlinux", R_OK)
					  ? "missing (/sys/kernel/btf/vmlinux): only gadgets built "
					    "with a minimal BTF for this kernel build load"
					  : "/sys/kernel/btf/vmlinux");
	printf("kernel build:  %s\n", gh_kernel_build_id() ? gh_kernel_build_id()
			: "unknown (no build ID in /sys/kernel/notes)");
	printf("tracefs:       %s\n", gh_tracefs_root());
	print_syscall_names();
	printf("kprobes:       %s\n", gh_kprobes_available() ? "yes"
			: "no (no kprobe_events in tracefs: CONFIG_KPROBES is off)");
	printf("program types:");
	for (size_t i = 0; i < sizeof(prog_types) / sizeof(*prog_types); i++)
		printf(" %s %s%s", libbpf_bpf_prog_type_str(prog_types[i]),
		       libbpf_probe_bpf_prog_type(prog_types[i], NULL) == 1 ? "yes" : "no",
		       i + 1 < sizeof(prog_types) / sizeof(*prog_types) ? "," : "\n");
}

/* -v: every program, its hook, and whether it loads. */
static void print_programs(struct gh_gadget *g)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, g->obj) {
		char hook[256], why[512];
		bool ok = gh_hook_supported(prog, hook, sizeof(hook), why, sizeof(why));
		bool in_variant, load = bpf_program__autoload(prog);

		in_variant = gh_variants_has(g->spec.variants, bpf_program__name(prog), &load);
		printf("    %-28s %-40s %s%s%s\n", bpf_program__name(prog), hook,
		       load ? "loads" : "skipped", !ok ? ": this kernel has no " : "",
		       !ok ? why : (!load && in_variant ? ": another variant is chosen" : ""));
	}
}

/* One gadget's line; true when supported. */
static bool check_gadget(const char *name, bool verbose)
{
	struct gh_gadget *g = NULL;
	char err[1024] = "", chosen[512] = "";
	int ret = gh_gadget_open(&g, name, err, sizeof(err));

	if (!ret)
		ret = gh_gadget_check_kernel(g, err, sizeof(err));
	if (!ret)
		gh_variants_describe(g->spec.variants, chosen, sizeof(chosen));
	if (ret)
		printf("%-28s %-4s %s\n", name, "no", err);
	else if (chosen[0])
		printf("%-28s %-4s variants: %s\n", name, "yes", chosen);
	else
		printf("%-28s yes\n", name);
	if (verbose && g && g->obj)
		print_programs(g);
	gh_gadget_close(g);
	return !ret;
}

int gh_cmd_check(int argc, char **argv)
{
	bool verbose = false, all = true;
	char **names = NULL;
	size_t n = 0;
	int i = 0, ret;

	if (gh_help_asked(argc, argv)) {
		printf("usage: gadgethost check [-v|--verbose] [GADGET...]\n\n"
		       "This kernel: its config, BTF, tracefs, program types; then whether\n"
		       "each gadget (default: every one) can run, and the variants chosen.\n"
		       "  -v, --verbose   every program of each gadget, and its hook\n");
		return 0;
	}
	if (argc > 0 && (!strcmp(argv[0], "-v") || !strcmp(argv[0], "--verbose"))) {
		verbose = true;
		i = 1;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "gadgethost: check: run as root (probing program types and "
			"trampolines loads eBPF)\n");
		return 1;
	}
	ret = gh_tracefs_ensure();
	if (ret) {
		fprintf(stderr, "gadgethost: check: tracefs is not mounted and mounting it at "
			"/sys/kernel/tracing failed: %s\n", strerror(-ret));
		return 1;
	}
	print_kernel();
	printf("\n%-28s %-4s %s\n", "GADGET", "OK", "WHY NOT / VARIANTS CHOSEN");
	if (i < argc) {
		for (; i < argc; i++)
			all &= check_gadget(argv[i], verbose);
		return all ? 0 : 1;
	}
	names = gh_gadget_names(&n);
	for (size_t k = 0; k < n; k++) {
		all &= check_gadget(names[k], verbose);
		free(names[k]);
	}
	free(names);
	return all ? 0 : 1;
}
