/* profile_run.c - running a profile gadget: perf events for the stack
 * kinds, then waiting for the end (timeout, SIGINT, SIGTERM) and printing
 * then, or every --interval. */
#include "profile.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "ksyms.h"
#include "profile_private.h"
#include "usyms.h"

#define REMEMBER_MS 1000 /* how often sampled processes' maps are read */

struct prun {
	struct gh_profile_dump d;
	uv_loop_t *loop;
	uv_timer_t interval, timeout, remember;
	uv_signal_t sigint, sigterm;
	struct bpf_link **perf_links;
	size_t n_perf;
	uint64_t interval_ms; /* 0: print once, at the end */
	int out_error;
	bool stopping;
};

static int dump(struct prun *r)
{
	int ret;

	if (r->out_error)
		return r->out_error;
	ret = r->d.p->kind == GH_PROFILE_HISTOGRAM ? gh_profile_hist_dump(&r->d)
						   : gh_profile_stacks_dump(&r->d);
	r->d.seq++;
	if (ret)
		r->out_error = ret;
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

static void stop(struct prun *r)
{
	if (r->stopping)
		return;
	r->stopping = true;
	detach_perf(r);
	gh_gadget_detach(r->d.g);
	/* with --interval, what the last partial interval counted */
	dump(r);
	uv_timer_stop(&r->interval);
	uv_timer_stop(&r->timeout);
	uv_timer_stop(&r->remember);
	uv_signal_stop(&r->sigint);
	uv_signal_stop(&r->sigterm);
	uv_stop(r->loop);
}

static void on_interval(uv_timer_t *h)
{
	struct prun *r = h->data;

	if (dump(r))
		stop(r);
}

static void on_remember(uv_timer_t *h)
{
	struct prun *r = h->data;

	gh_profile_stacks_remember(&r->d);
}

static void on_timeout(uv_timer_t *h)
{
	stop(h->data);
}

static void on_signal(uv_signal_t *h, int signum)
{
	stop(h->data);
}

static void on_close(uv_handle_t *h)
{
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
				fprintf(stderr, "gadgethost: perf_event_open on CPU %d: %s\n", cpu,
					strerror(-ret));
				return ret;
			}
			link = bpf_program__attach_perf_event(prog, fd);
			ret = libbpf_get_error(link);
			if (ret) {
				close(fd);
				fprintf(stderr, "gadgethost: attaching %s to CPU %d: %s\n",
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

static void close_handles(struct prun *r)
{
	uv_close((uv_handle_t *)&r->interval, on_close);
	uv_close((uv_handle_t *)&r->timeout, on_close);
	uv_close((uv_handle_t *)&r->remember, on_close);
	uv_close((uv_handle_t *)&r->sigint, on_close);
	uv_close((uv_handle_t *)&r->sigterm, on_close);
	uv_run(r->loop, UV_RUN_NOWAIT);
}

int gh_profile_run(struct gh_gadget *g, struct gh_filter *filter, const struct gh_run_opts *opts,
		   const char *output, const int *fields, size_t n_fields)
{
	struct prun r = {.d = {.g = g, .p = g->profile, .filter = filter, .opts = opts,
			       .fields = fields, .n_fields = n_fields, .buf = GH_BUF_INIT}};
	unsigned freq = gh_profile_param_uint(g, "frequency", 49);
	int ret;

	if (gh_profile_parse_output(g->profile, output, &r.d.output))
		return -EINVAL; /* checked before */
	r.d.top = gh_profile_param_uint(g, "top", 20);
	if (r.d.top == (unsigned)-1 ||
	    (g->profile->kind == GH_PROFILE_STACKS && (freq == (unsigned)-1 || !freq))) {
		fprintf(stderr, "gadgethost: --top and --frequency take a whole "
			"number (--frequency at least 1)\n");
		return -EINVAL;
	}
	if (filter && gh_filter_empty(filter))
		r.d.filter = NULL;
	r.interval_ms = g->profile->interval_set ? g->profile->interval_ms : 0;
	r.d.reset = r.interval_ms > 0;
	if (g->profile->kind == GH_PROFILE_STACKS) {
		bool json = r.d.output == GH_POUT_JSON || r.d.output == GH_POUT_JSONPRETTY;

		ret = gh_usyms_new(&r.d.usyms);
		if (!ret && g->profile->kernel_off >= 0 &&
		    gh_ksyms_load(&r.d.ksyms, "/proc/kallsyms") && opts->verbose)
			fprintf(stderr, "gadgethost: no kernel symbols (/proc/kallsyms)\n");
		if (!ret && json)
			ret = gh_out_new(&r.d.out, r.d.output == GH_POUT_JSON ? GH_OUT_JSON
					 : GH_OUT_JSONPRETTY, &g->schema, fields, n_fields,
					 STDOUT_FILENO);
		if (ret)
			goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	r.loop = opts->loop;
	uv_timer_init(r.loop, &r.interval);
	uv_timer_init(r.loop, &r.timeout);
	uv_timer_init(r.loop, &r.remember);
	uv_signal_init(r.loop, &r.sigint);
	uv_signal_init(r.loop, &r.sigterm);
	r.interval.data = r.timeout.data = r.remember.data = &r;
	r.sigint.data = r.sigterm.data = &r;
	ret = g->profile->kind == GH_PROFILE_STACKS ? attach_perf(&r, freq) : 0;
	if (!ret && opts->verbose && r.n_perf)
		fprintf(stderr, "gadgethost: sampling at %u Hz: %zu perf events\n", freq,
			r.n_perf);
	if (!ret && opts->ready_file)
		ret = gh_run_write_ready_file(opts->ready_file);
	if (ret) {
		close_handles(&r);
		goto out;
	}
	uv_signal_start(&r.sigint, on_signal, SIGINT);
	uv_signal_start(&r.sigterm, on_signal, SIGTERM);
	if (opts->timeout_ms)
		uv_timer_start(&r.timeout, on_timeout, opts->timeout_ms, 0);
	if (r.interval_ms)
		uv_timer_start(&r.interval, on_interval, r.interval_ms, r.interval_ms);
	if (g->profile->kind == GH_PROFILE_STACKS && g->profile->user_off >= 0)
		uv_timer_start(&r.remember, on_remember, REMEMBER_MS, REMEMBER_MS);
	uv_run(r.loop, UV_RUN_DEFAULT);
	stop(&r);
	close_handles(&r);
	ret = r.out_error == -EPIPE ? 0 : r.out_error;
	if (ret)
		fprintf(stderr, "gadgethost: %s\n", strerror(-ret));
	if (opts->verbose && r.d.usyms)
		fprintf(stderr, "gadgethost: symbols of %zu files for %zu processes\n",
			gh_usyms_files(r.d.usyms), gh_usyms_pids(r.d.usyms));
out:
	detach_perf(&r);
	gh_out_free(r.d.out);
	gh_buf_free(&r.d.buf);
	gh_ksyms_free(r.d.ksyms);
	gh_usyms_free(r.d.usyms);
	return ret;
}
