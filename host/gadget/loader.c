/* loader.c - one eBPF object from its file to attached programs
 * (loader.h). */
#include "gadget/loader.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "base/err.h"
#include "base/log.h"
#include "gadget/gadget_variants.h"
#include "gadget/lib_uprobes.h"
#include "gadget/params.h"
#include "gadget/table_gadget.h"
#include "kernel/core_btf.h"
#include "kernel/hook_probe.h"
#include "kernel/kernel_btf.h"
#include "kernel/libbpf_log.h"
#include "kernel/tracefs.h"
#include "kernel/variants.h"
#include "schema/btf_schema.h"

/* The object's minimal BTF for this kernel build, for libbpf's CO-RE
 * (core_btf.h): NULL, and libbpf reads the kernel's own BTF, when there is
 * none. */
static const char *core_btf(const char *path, char *btf, size_t len)
{
	return gh_core_btf_path(path, btf, len) ? NULL : btf;
}

int gh_loader_open(struct bpf_object **out, const char *path, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	char btf[PATH_MAX];
	struct bpf_object *obj;
	int ret;

	*out = NULL;
	gh_libbpf_log_install();
	gh_libbpf_log_reset();
	opts.btf_custom_path = core_btf(path, btf, sizeof(btf));
	obj = bpf_object__open_file(path, &opts);
	ret = libbpf_get_error(obj);
	if (ret)
		return gh_err(err, errlen, ret, "%s: not a usable eBPF object: %s%s%s", path,
			      strerror(-ret), gh_libbpf_log_last() ? ": " : "",
			      gh_libbpf_log_last() ? gh_libbpf_log_last() : "");
	if (!bpf_object__btf(obj)) {
		bpf_object__close(obj);
		return gh_err(err, errlen, -EINVAL, "%s: the object has no BTF (build it with "
			      "clang -g)", path);
	}
	*out = obj;
	return 0;
}

struct bpf_map *gh_loader_section(struct bpf_object *obj, const char *section)
{
	struct bpf_map *map;
	size_t slen = strlen(section);

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		size_t len = strlen(name);

		if (bpf_map__is_internal(map) && len >= slen && !strcmp(name + len - slen, section))
			return map;
	}
	return NULL;
}

/* .rodata as libbpf will load it: its initial-value image */
struct rodata {
	struct bpf_object *obj;
	const struct gh_load_what *w;
	void *p;
	size_t size;
};

/* Write text as type into the .rodata global name. */
static int set_global(struct rodata *r, const char *name, const char *type, const char *text,
		      const char *what, char *err, size_t errlen)
{
	uint32_t off, size;

	if (!r->p || gh_btf_find_var(bpf_object__btf(r->obj), ".rodata", name, &off, &size, NULL))
		return -ENOENT;
	if ((size_t)off + size > r->size)
		return gh_err(err, errlen, -EINVAL, "%s: .rodata variable %s out of bounds",
			      r->w->object_path, name);
	return gh_param_encode(what, type, text, (char *)r->p + off, size, err, errlen);
}

static int set_filter(struct rodata *r, const char *name, const char *type, const char *text,
		      const char *option, char *err, size_t errlen)
{
	int ret = set_global(r, name, type, text, option, err, errlen);

	if (ret == -ENOENT)
		return gh_err(err, errlen, -EINVAL, "%s does not support %s: its eBPF code does "
			      "not use the SDK's gadget_should_discard()", r->w->spec->name, option);
	return ret;
}

static int set_id_filter(struct rodata *r, const char *name, uint32_t id, const char *on,
			 const char *option, char *err, size_t errlen)
{
	char num[32];
	int ret;

	snprintf(num, sizeof(num), "%u", id);
	ret = set_filter(r, name, "uint", num, option, err, errlen);
	if (!ret && on)
		ret = set_filter(r, on, "bool", "true", option, err, errlen);
	return ret;
}

int gh_loader_configure(struct bpf_object *obj, const struct gh_load_what *w,
			const struct gh_kfilter *kf, char *err, size_t errlen)
{
	struct bpf_map *map = gh_loader_section(obj, ".rodata");
	struct rodata r = {.obj = obj, .w = w};
	int ret = 0;

	if (map)
		r.p = (void *)bpf_map__initial_value(map, &r.size);
	for (size_t i = 0; i < w->spec->n_params && !ret; i++) {
		struct gh_param *p = &w->spec->params[i];
		const char *text = p->value ? p->value : p->def;
		char what[128];

		if (!p->global || !text)
			continue;
		snprintf(what, sizeof(what), "--%s", p->key);
		ret = set_global(&r, p->global, p->type, text, what, err, errlen);
		if (ret == -ENOENT)
			ret = gh_err(err, errlen, -EINVAL,
				     "%s: params.%s: the object has no const volatile \"%s\"",
				     w->script_path, p->key, p->global);
	}
	if (ret || !kf)
		return ret;
	if (kf->pid)
		ret = set_id_filter(&r, "gadget_filter_pid", kf->pid, NULL, "--pid", err, errlen);
	if (!ret && kf->tid)
		ret = set_id_filter(&r, "gadget_filter_tid", kf->tid, NULL, "--tid", err, errlen);
	if (!ret && kf->uid_on)
		ret = set_id_filter(&r, "gadget_filter_uid", kf->uid, "gadget_filter_uid_on",
				    "--uid", err, errlen);
	if (!ret && kf->gid_on)
		ret = set_id_filter(&r, "gadget_filter_gid", kf->gid, "gadget_filter_gid_on",
				    "--gid", err, errlen);
	if (!ret && kf->comm_on) {
		ret = set_filter(&r, "gadget_filter_comm", "string", kf->comm, "--comm", err,
				 errlen);
		if (!ret)
			ret = set_filter(&r, "gadget_filter_comm_on", "bool", "true", "--comm", err,
					 errlen);
	}
	/* an object without it (an older SDK) traces the tracer too */
	if (!ret && kf->self_pid) {
		char num[32];

		snprintf(num, sizeof(num), "%u", kf->self_pid);
		if (set_global(&r, "gadget_filter_self_pid", "uint", num, "--trace-self", err,
			       errlen) == -EINVAL)
			ret = -EINVAL;
	}
	if (!ret && (kf->n_mntns || kf->mntns_on)) {
		ret = set_filter(&r, "gadget_filter_by_mntns", "bool", "true",
				 kf->mntns_on ? "container filtering (or --host)" : "--mntnsid",
				 err, errlen);
		/* an object built with an older SDK drops unknown ones */
		if (!ret && kf->mntns_judge_unknown)
			set_global(&r, "gadget_filter_mntns_judge_unknown", "bool", "true",
				   "container filtering", err, errlen);
	}
	return ret;
}

/* A kernel without /sys/kernel/btf/vmlinux: the object's minimal BTF was
 * used and the load failed anyway, or there is none for this kernel. */
static int no_kernel_btf(const char *path, int ret, char *err, size_t errlen)
{
	const char *id = gh_kernel_build_id();
	char btf[PATH_MAX];
	int found = gh_core_btf_path(path, btf, sizeof(btf));

	if (!found)
		return gh_err(err, errlen, ret, "loading %s failed on a kernel without "
			      "/sys/kernel/btf/vmlinux, with its minimal BTF %s: %s%s%s", path, btf,
			      strerror(-ret), gh_libbpf_log_last() ? ": " : "",
			      gh_libbpf_log_last() ? gh_libbpf_log_last() : "");
	return gh_err(err, errlen, ret, "loading %s failed: this kernel has no BTF "
		      "(/sys/kernel/btf/vmlinux) and no minimal BTF was built for it (%s%s%s%s): "
		      "build with meson -Dcore_btf=<this kernel's vmlinux> (docs/kernels.md)",
		      path, id ? "kernel build " : "", id ? id : "no build ID in /sys/kernel/notes",
		      found == -ENOENT ? ", no " : "", found == -ENOENT ? btf : "");
}

/* A start pass: an iterator program named gadget_start_* that a gadget
 * of any kind runs once, after its other programs are attached, to learn
 * what existed before it (the SDK's socket owners).  It prints nothing:
 * reading its iterator to the end runs it over every object. */
#define START_PASS_PREFIX "gadget_start_"

static bool is_start_pass(struct bpf_program *prog)
{
	return gh_table_gadget_is_iterator(prog) &&
	       !strncmp(bpf_program__name(prog), START_PASS_PREFIX, strlen(START_PASS_PREFIX));
}

/* A program outside every variant group whose hook is missing: skip it
 * when optional, else fail naming the hook. */
static int check_hook(const struct gh_load_what *w, struct bpf_program *prog, char *err,
		      size_t errlen)
{
	char hook[256], why[512];

	if (gh_hook_supported(prog, hook, sizeof(hook), why, sizeof(why)))
		return 0;
	for (size_t i = 0; i < w->spec->n_optional_programs; i++) {
		if (!strcmp(w->spec->optional_programs[i], bpf_program__name(prog))) {
			bpf_program__set_autoload(prog, false);
			return 0;
		}
	}
	/* a start pass only adds what existed before the run: the run goes on
	 * without it (a kernel without vmlinux BTF has no iterators) */
	if (is_start_pass(prog)) {
		bpf_program__set_autoload(prog, false);
		gh_log(GH_LOG_NOTICE, "%s: the start pass %s is skipped: this kernel has no %s",
		       w->object_path, bpf_program__name(prog), why);
		return 0;
	}
	return gh_err(err, errlen, -ENOENT, "this kernel has no %s (needed by %s in %s)", why,
		      bpf_program__name(prog), w->object_path);
}

int gh_loader_check_kernel(struct bpf_object *obj, const struct gh_load_what *w, char *err,
			   size_t errlen)
{
	struct bpf_program *prog;
	char btf[PATH_MAX];
	bool load;
	int ret;

	/* CO-RE without the kernel's BTF needs the object's minimal BTF */
	if (!gh_kernel_btf_present() && gh_core_btf_path(w->object_path, btf, sizeof(btf)) &&
	    gh_object_has_core_relocs(w->object_path) > 0)
		return no_kernel_btf(w->object_path, -ENOENT, err, errlen);
	ret = gh_choose_variants(obj, w->spec->variants, w->script_path, w->object_path, err,
				 errlen);
	if (ret)
		return ret;
	bpf_object__for_each_program(prog, obj) {
		if (gh_variants_has(w->spec->variants, bpf_program__name(prog), &load)) {
			bpf_program__set_autoload(prog, load);
			continue;
		}
		ret = check_hook(w, prog, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

int gh_loader_load(struct bpf_object *obj, const struct gh_load_what *w, bool verbose,
		   char *err, size_t errlen)
{
	const char *why;
	int ret;

	gh_libbpf_log_set_verbose(verbose);
	ret = gh_tracefs_ensure();
	if (ret)
		return gh_err(err, errlen, ret, "tracefs is not mounted and mounting it at "
			      "/sys/kernel/tracing failed: %s", strerror(-ret));
	ret = gh_loader_check_kernel(obj, w, err, errlen);
	if (ret)
		return ret;
	gh_log_variants(w->spec->variants);
	if (gh_log_verbose()) {
		char btf[PATH_MAX];

		gh_log(GH_LOG_INFO, "CO-RE against %s",
		       core_btf(w->object_path, btf, sizeof(btf)) ?
		       btf : "the kernel's BTF, if it needs any (no minimal BTF for this kernel build)");
	}
	gh_libbpf_log_reset();
	ret = bpf_object__load(obj);
	if (!ret)
		return 0;
	why = gh_libbpf_log_last();
	if (!verbose && gh_libbpf_log_verifier_tail()) {
		const char *tail = gh_libbpf_log_verifier_tail();
		size_t len = strlen(tail);

		while (len && tail[len - 1] == '\n')
			len--;
		gh_log(GH_LOG_ERROR, "the verifier's log, last %d lines (--verbose shows all of "
		       "it):\n%.*s", GH_VERIFIER_TAIL_LINES, (int)len, tail);
	}
	if (gh_libbpf_log_verifier())
		return gh_err(err, errlen, ret, "%s: the verifier rejected a program: %s "
			      "(--verbose shows its log)", w->object_path, gh_libbpf_log_verifier());
	if (ret == -EPERM)
		return gh_err(err, errlen, ret, "loading %s: permission denied (run as root: "
			      "eBPF needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)", w->object_path);
	if (!gh_kernel_btf_present())
		return no_kernel_btf(w->object_path, ret, err, errlen);
	return gh_err(err, errlen, ret, "loading %s failed: %s%s%s", w->object_path,
		      strerror(-ret), why ? ": " : "", why ? why : "");
}

static int run_start_pass(struct bpf_program *prog, char *err, size_t errlen)
{
	struct bpf_link *link = bpf_program__attach_iter(prog, NULL);
	char sink[4096];
	ssize_t n;
	int fd, ret = libbpf_get_error(link);

	if (ret)
		return gh_err(err, errlen, ret, "attaching %s (%s) failed: %s",
			      bpf_program__name(prog), bpf_program__section_name(prog),
			      strerror(-ret));
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		ret = -errno;
		bpf_link__destroy(link);
		return gh_err(err, errlen, ret, "%s: creating its iterator: %s",
			      bpf_program__name(prog), strerror(-ret));
	}
	while ((n = read(fd, sink, sizeof(sink))) > 0 || (n < 0 && errno == EINTR))
		;
	ret = n < 0 ? -errno : 0;
	close(fd);
	bpf_link__destroy(link);
	if (ret)
		return gh_err(err, errlen, ret, "%s: reading its iterator: %s",
			      bpf_program__name(prog), strerror(-ret));
	gh_log(GH_LOG_INFO, "ran the start pass %s", bpf_program__name(prog));
	return 0;
}

int gh_loader_attach(struct bpf_object *obj, struct bpf_link ***links, size_t *n_links,
		     char *err, size_t errlen)
{
	struct bpf_program *prog;
	int ret;

	bpf_object__for_each_program(prog, obj) {
		struct bpf_link *link, **grown;

		if (!bpf_program__autoload(prog))
			continue;
		if (bpf_program__type(prog) == BPF_PROG_TYPE_SOCKET_FILTER)
			continue; /* attached to sockets, per network namespace */
		if (gh_table_gadget_is_iterator(prog))
			continue; /* opened by each snapshot */
		if (bpf_program__type(prog) == BPF_PROG_TYPE_PERF_EVENT)
			continue; /* attached to perf events by the profile run */
		if (gh_lib_uprobes_is_per_library(prog))
			continue; /* attached per copy of the library (lib_uprobes.h) */
		link = bpf_program__attach(prog);
		ret = libbpf_get_error(link);
		if (ret)
			return gh_err(err, errlen, ret, "attaching %s (%s) failed: %s",
				      bpf_program__name(prog), bpf_program__section_name(prog),
				      strerror(-ret));
		grown = realloc(*links, (*n_links + 1) * sizeof(*grown));
		if (!grown) {
			bpf_link__destroy(link);
			return gh_err(err, errlen, -ENOMEM, "out of memory");
		}
		grown[(*n_links)++] = link;
		*links = grown;
		gh_log(GH_LOG_INFO, "attached %s (%s)", bpf_program__name(prog),
		       bpf_program__section_name(prog));
	}
	bpf_object__for_each_program(prog, obj) {
		if (bpf_program__autoload(prog) && is_start_pass(prog)) {
			ret = run_start_pass(prog, err, errlen);
			if (ret)
				return ret;
		}
	}
	return 0;
}
