/* hook_probe.c - asking the running kernel whether a program's hook can be
 * attached, before anything is loaded. */
#include "kernel/hook_probe.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/filter.h>

#include "kernel/kernel_btf.h"
#include "kernel/tracefs.h"

static bool prog_type_supported(int type, char *why, size_t whylen)
{
	static signed char known[64]; /* 0 unknown, 1 yes, -1 no */
	const char *name = libbpf_bpf_prog_type_str(type);

	/* libbpf's probe of the BTF-attached types (tracing: tp_btf, fentry)
	 * reads the verifier's wording and misjudges new kernels: their
	 * hooks are probed themselves (btf_tracepoint(), gh_fentry_works()) */
	if (type <= 0 || type >= (int)sizeof(known) || type == BPF_PROG_TYPE_TRACING ||
	    type == BPF_PROG_TYPE_EXT || type == BPF_PROG_TYPE_LSM)
		return true;
	if (!known[type])
		known[type] = libbpf_probe_bpf_prog_type(type, NULL) == 1 ? 1 : -1;
	if (known[type] > 0)
		return true;
	snprintf(why, whylen, "eBPF program type %s", name ? name : "?");
	return false;
}

static bool btf_tracepoint(const char *name, bool raw, char *hook, size_t hooklen, char *why,
			   size_t whylen)
{
	struct btf *vmlinux;
	char type[256];

	snprintf(hook, hooklen, "%s", name);
	/* a raw tracepoint attaches by name, BTF or not: without the kernel's
	 * BTF to look it up in, the attach will say */
	if (raw && !gh_kernel_btf_present())
		return true;
	vmlinux = gh_kernel_btf();
	if (!vmlinux) {
		snprintf(why, whylen, "vmlinux BTF (/sys/kernel/btf/vmlinux), needed by the "
			 "BTF tracepoint %s", name);
		return false;
	}
	snprintf(type, sizeof(type), "btf_trace_%s", name);
	if (btf__find_by_name_kind(vmlinux, type, BTF_KIND_TYPEDEF) >= 0)
		return true;
	snprintf(why, whylen, "BTF tracepoint %s (vmlinux BTF %s)", name, type);
	return false;
}

static bool tracepoint(const char *rest, char *hook, size_t hooklen, char *why, size_t whylen)
{
	const char *slash = strchr(rest, '/');
	char category[128];

	if (!slash || (size_t)(slash - rest) >= sizeof(category))
		return true; /* not CAT/NAME: libbpf will say */
	snprintf(category, sizeof(category), "%.*s", (int)(slash - rest), rest);
	snprintf(hook, hooklen, "%s:%s", category, slash + 1);
	if (gh_tracepoint_exists(category, slash + 1))
		return true;
	snprintf(why, whylen, "tracepoint %s:%s", category, slash + 1);
	return false;
}

bool gh_kprobes_available(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/kprobe_events", gh_tracefs_root());
	return access(path, F_OK) == 0;
}

/* Is fn a line of available_filter_functions ("fn" or "fn [module]")? */
static bool traceable_function(const char *fn)
{
	char path[PATH_MAX], line[512];
	size_t n = strlen(fn);
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/available_filter_functions", gh_tracefs_root());
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, fn, n) && (line[n] == '\n' || line[n] == ' ' ||
						  line[n] == '\0');
	fclose(f);
	return found;
}

/* Is fn a function in /proc/kallsyms ("ADDR t fn" or "ADDR T fn [mod]")
 * and not in the kprobes blacklist?  (kprobes reach functions ftrace
 * cannot, such as the syscall entry points on some kernels) */
static bool probeable_symbol(const char *fn)
{
	char line[512], sym[256], type;
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %c %255s", &type, sym) == 2 &&
			(type == 't' || type == 'T') && !strcmp(sym, fn);
	fclose(f);
	if (!found)
		return false;
	f = fopen("/sys/kernel/debug/kprobes/blacklist", "re");
	if (!f)
		return true;
	while (found && fgets(line, sizeof(line), f))
		found = !(sscanf(line, "%*s %255s", sym) == 1 && !strcmp(sym, fn));
	fclose(f);
	return found;
}

static bool kprobe(const char *kind, const char *target, char *hook, size_t hooklen, char *why,
		   size_t whylen)
{
	char fn[128];

	/* kprobe/FN+OFFSET */
	snprintf(fn, sizeof(fn), "%.*s", (int)strcspn(target, "+"), target);
	snprintf(hook, hooklen, "%s %s", kind, fn);
	if (!gh_kprobes_available()) {
		snprintf(why, whylen, "kprobes (no %s/kprobe_events: CONFIG_KPROBES is off)",
			 gh_tracefs_root());
		return false;
	}
	if (!fn[0] || traceable_function(fn) || probeable_symbol(fn))
		return true;
	snprintf(why, whylen, "function %s to probe (not in %s/available_filter_functions, "
		 "nor a probeable text symbol of /proc/kallsyms)", fn, gh_tracefs_root());
	return false;
}

bool gh_fentry_works(const char *fn, char *why, size_t whylen)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	struct btf *vmlinux = gh_kernel_btf();
	int id, prog, link;

	if (!vmlinux) {
		snprintf(why, whylen, "vmlinux BTF (/sys/kernel/btf/vmlinux), needed by "
			 "fentry/fexit");
		return false;
	}
	id = btf__find_by_name_kind(vmlinux, fn, BTF_KIND_FUNC);
	if (id < 0) {
		snprintf(why, whylen, "function %s in the vmlinux BTF", fn);
		return false;
	}
	opts.attach_btf_id = id;
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "gh_probe", "GPL", insns, 2, &opts);
	if (prog < 0) {
		snprintf(why, whylen, "fentry programs on %s (a probe program does not load: %s)",
			 fn, strerror(-prog));
		return false;
	}
	link = bpf_raw_tracepoint_open(NULL, prog);
	close(prog);
	if (link < 0) {
		snprintf(why, whylen, "fentry/fexit trampolines (a probe program on %s does not "
			 "attach: %s)", fn, strerror(-link));
		return false;
	}
	close(link);
	return true;
}

static bool fentry(const char *kind, const char *fn, char *hook, size_t hooklen, char *why,
		   size_t whylen)
{
	snprintf(hook, hooklen, "%s %s", kind, fn);
	return gh_fentry_works(fn, why, whylen);
}

static const char *after(const char *sec, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(sec, prefix, n) ? NULL : sec + n;
}

bool gh_hook_supported_sec(const char *sec, int prog_type, char *hook, size_t hooklen, char *why,
			   size_t whylen)
{
	const char *rest;

	hook[0] = '\0';
	why[0] = '\0';
	if (!prog_type_supported(prog_type, why, whylen)) {
		snprintf(hook, hooklen, "%s", sec);
		return false;
	}
	if ((rest = after(sec, "tp_btf/")))
		return btf_tracepoint(rest, false, hook, hooklen, why, whylen);
	if ((rest = after(sec, "raw_tp/")) || (rest = after(sec, "raw_tracepoint/")))
		return btf_tracepoint(rest, true, hook, hooklen, why, whylen);
	if ((rest = after(sec, "tracepoint/")) || (rest = after(sec, "tp/")))
		return tracepoint(rest, hook, hooklen, why, whylen);
	if ((rest = after(sec, "kprobe/")))
		return kprobe("kprobe", rest, hook, hooklen, why, whylen);
	if ((rest = after(sec, "kretprobe/")))
		return kprobe("kretprobe", rest, hook, hooklen, why, whylen);
	if ((rest = after(sec, "fentry/")))
		return fentry("fentry", rest, hook, hooklen, why, whylen);
	if ((rest = after(sec, "fexit/")))
		return fentry("fexit", rest, hook, hooklen, why, whylen);
	if ((rest = after(sec, "fmod_ret/")))
		return fentry("fmod_ret", rest, hook, hooklen, why, whylen);
	snprintf(hook, hooklen, "%s", sec);
	/* libbpf finds an iterator's target (bpf_iter_NAME) in the kernel's
	 * BTF: no minimal BTF stands in for it */
	if (((rest = after(sec, "iter/")) || (rest = after(sec, "iter.s/"))) &&
	    !gh_kernel_btf_present()) {
		snprintf(why, whylen, "vmlinux BTF (/sys/kernel/btf/vmlinux), needed by the "
			 "iterator %s", rest);
		return false;
	}
	return true;
}

bool gh_hook_supported(const struct bpf_program *prog, char *hook, size_t hooklen, char *why,
		       size_t whylen)
{
	return gh_hook_supported_sec(bpf_program__section_name(prog), bpf_program__type(prog),
				     hook, hooklen, why, whylen);
}
