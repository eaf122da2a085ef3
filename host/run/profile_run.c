/* profile_run.c - the profile kind of run (run_loop.h): histograms and
 * stack samples aggregated in the kernel, read and printed at the end or
 * every interval (then reset); perf events for the stack samplers. */
#include "run/run_loop.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "base/log.h"
#include "run/profile_dump.h"
#include "symbols/ksyms.h"
#include "symbols/usyms.h"

/* how often sampled processes' maps are read, while they live: a process
 * that exits before the first look has its stacks unsymbolized */
#define REMEMBER_MS 250

struct prun {
	struct gh_run *run;
	struct gh_profile_dump d;
	unsigned freq;
	uv_timer_t remember;
	bool remembering;
	struct bpf_link **perf_links;
	size_t n_perf;
};

/* Read the maps through the pipeline into the output's buffer. */
static int dump(void *k)
{
	struct prun *r = k;
	int ret;

	r->run->pipeline.seq++;
	ret = r->d.p->kind == GH_PROFILE_HISTOGRAM ? gh_profile_hist_dump(&r->d)
						   : gh_profile_stacks_dump(&r->d);
	r->d.dumps++;
	return ret;
}

static void detach_perf(struct prun *r)
{
	for (size_t i = 0; i < r->n_perf; i++)
		bpf_link__destroy(r->perf_links[i]);
	free(r->perf_links);
	r->perf_links = NULL;
	r->n_perf = 0;
}

static void on_remember(uv_timer_t *h)
{
	struct prun *r = h->data;

	gh_profile_stacks_remember(&r->d);
}

static int add_perf_link(struct prun *r, struct bpf_link *link)
{
	struct bpf_link **grown = realloc(r->perf_links, (r->n_perf + 1) * sizeof(*grown));

	if (!grown) {
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	grown[r->n_perf++] = link;
	r->perf_links = grown;
	return 0;
}

/* A CPU clock event per CPU at freq Hz for each perf_event program of the
 * object (an event takes one program; its link closes it). */
static int attach_perf(struct prun *r, unsigned freq)
{
	int ncpu = libbpf_num_possible_cpus();
	struct bpf_program *prog;

	if (ncpu < 0)
		return ncpu;
	bpf_object__for_each_program(prog, r->d.g->obj) {
		if (bpf_program__type(prog) != BPF_PROG_TYPE_PERF_EVENT ||
		    !bpf_program__autoload(prog))
			continue;
		for (int cpu = 0; cpu < ncpu; cpu++) {
			struct perf_event_attr attr = {
				.type = PERF_TYPE_SOFTWARE,
				.config = PERF_COUNT_SW_CPU_CLOCK,
				.size = sizeof(attr),
				.freq = 1,
				.sample_freq = freq,
			};
			struct bpf_link *link;
			int fd, ret;

			fd = (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1,
					  PERF_FLAG_FD_CLOEXEC);
			if (fd < 0 && errno == ENODEV)
				continue; /* an offline CPU */
			if (fd < 0) {
				ret = -errno;
				gh_log(GH_LOG_ERROR, "perf_event_open on CPU %d: %s", cpu,
				       strerror(-ret));
				return ret;
			}
			link = bpf_program__attach_perf_event(prog, fd);
			ret = libbpf_get_error(link);
			if (ret) {
				close(fd);
				gh_log(GH_LOG_ERROR, "attaching %s to CPU %d: %s",
				       bpf_program__name(prog), cpu, strerror(-ret));
				return ret;
			}
			ret = add_perf_link(r, link);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int profile_open(struct gh_run *run, void **k)
{
	struct gh_gadget *g = run->g;
	struct prun *r = calloc(1, sizeof(*r));
	int ret = 0;

	if (!r)
		return -ENOMEM;
	r->run = run;
	r->d = (struct gh_profile_dump){.g = g, .p = g->profile, .pipeline = &run->pipeline,
					.documents_only = run->documents_only, .out = run->out,
					.buf = gh_out_buffer(run->out), .fields = run->opts->fields,
					.n_fields = run->opts->n_fields,
					.reset = run->interval_ms > 0};
	r->freq = gh_spec_param_uint(&g->spec, "frequency", 49);
	r->d.top = gh_spec_param_uint(&g->spec, "top", 20);
	*k = r;
	if (gh_profile_parse_output(g->profile, run->opts->output, &r->d.output))
		return -EINVAL; /* checked before */
	if (r->d.top == (unsigned)-1 ||
	    (g->profile->kind == GH_PROFILE_STACKS && (r->freq == (unsigned)-1 || !r->freq))) {
		gh_log(GH_LOG_ERROR, "--top and --frequency take a whole number (--frequency at "
		       "least 1)");
		return -EINVAL;
	}
	if (g->profile->kind == GH_PROFILE_HISTOGRAM) {
		gh_pipeline_set_sink(&run->pipeline, gh_profile_hist_sink, &r->d);
		return 0;
	}
	gh_pipeline_set_sink(&run->pipeline, gh_profile_stacks_sink, &r->d);
	ret = gh_usyms_new(&r->d.usyms);
	if (!ret && g->profile->kernel_off >= 0 && gh_ksyms_load(&r->d.ksyms, "/proc/kallsyms"))
		gh_log(GH_LOG_INFO, "no kernel symbols (/proc/kallsyms)");
	return ret;
}

static int profile_start(void *k)
{
	struct prun *r = k;
	struct gh_run *run = r->run;
	int ret;

	if (r->d.p->kind != GH_PROFILE_STACKS)
		return 0;
	if (r->d.p->sampled) {
		ret = attach_perf(r, r->freq);
		if (ret)
			return ret;
		gh_log(GH_LOG_INFO, "sampling at %u Hz: %zu perf events", r->freq, r->n_perf);
	}
	if (r->d.p->user_off >= 0) {
		uv_timer_init(run->loop, &r->remember);
		r->remember.data = r;
		r->remembering = true;
		uv_timer_start(&r->remember, on_remember, REMEMBER_MS, REMEMBER_MS);
	}
	return 0;
}

static void profile_detach(void *k)
{
	struct prun *r = k;

	detach_perf(r);
	if (r->remembering)
		uv_timer_stop(&r->remember);
}

static void profile_close(void *k)
{
	struct prun *r = k;

	if (r->remembering) {
		uv_close((uv_handle_t *)&r->remember, gh_run_handle_closed);
		uv_run(r->run->loop, UV_RUN_NOWAIT);
	}
	if (r->d.usyms)
		gh_log(GH_LOG_INFO, "symbols of %zu files for %zu processes",
		       gh_usyms_files(r->d.usyms), gh_usyms_pids(r->d.usyms));
	detach_perf(r);
	gh_ksyms_free(r->d.ksyms);
	gh_usyms_free(r->d.usyms);
	free(r);
}

/* --report-fd: a histogram's counts as they are, for the daemon */
static int profile_report(void *k, struct gh_buf *b)
{
	struct prun *r = k;

	return r->d.p->kind == GH_PROFILE_HISTOGRAM ? gh_profile_hist_report(&r->d, b) : 0;
}

const struct gh_run_kind gh_profile_kind = {
	.name = "profile",
	.items = "keys",
	.open = profile_open,
	.start = profile_start,
	.tick = dump,
	.finish = dump,
	.detach = profile_detach,
	.close = profile_close,
	.report = profile_report,
};
