/* run_report.c - a run's numbers as Prometheus text (run_report.h). */
#include "run/run_report.h"

#include <errno.h>
#include <unistd.h>

#include "base/prom_text.h"
#include "run/event_metrics.h"

static int counter(struct gh_buf *b, const char *name, const char *help, uint64_t v)
{
	int ret = gh_prom_family(b, name, "counter", help);

	ret = ret ? ret : gh_buf_printf(b, "%s ", name);
	ret = ret ? ret : gh_prom_value(b, (double)v);
	return ret ? ret : gh_buf_putc(b, '\n');
}

int gh_run_report_render(const struct gh_run_numbers *num, const struct gh_event_metrics *em,
			 const char *own, size_t len, struct gh_buf *b)
{
	const struct gh_pipeline_counts *n = &num->n;
	int ret;

	ret = counter(b, "gadgethost_events_read_total", "Events the kernel handed to the run.",
		      n->refused + n->received);
	ret = ret ? ret : counter(b, "gadgethost_events_lost_total", "Events the kernel could "
				  "not hand over (its ring buffer was full).", num->lost);
	ret = ret ? ret : counter(b, "gadgethost_program_runs_skipped_total", "Times the kernel "
				  "did not run one of the gadget's eBPF programs: it fired inside "
				  "another eBPF program on that CPU.", num->skipped);
	ret = ret ? ret : gh_prom_family(b, "gadgethost_events_refused_total", "counter",
					 "Events refused by the container selection or dropped "
					 "by -F, the script's filter or an error in it.");
	ret = ret ? ret : gh_buf_printf(b, "gadgethost_events_refused_total{stage=\"containers\"} "
					"%llu\n", (unsigned long long)n->refused);
	ret = ret ? ret : gh_buf_printf(b, "gadgethost_events_refused_total{stage=\"filters\"} "
					"%llu\n", (unsigned long long)n->dropped);
	ret = ret ? ret : counter(b, "gadgethost_lua_errors_total", "Errors raised by the "
				  "gadget's script.", num->lua_errors);
	ret = ret ? ret : counter(b, "gadgethost_rows_written_total", "Events kept: the rows "
				  "written.", n->kept);
	if (!ret && em)
		ret = gh_event_metrics_render(em, b);
	if (!ret && len)
		ret = gh_buf_append(b, own, len);
	return ret ? ret : gh_buf_puts(b, GH_RUN_REPORT_EOF);
}

int gh_run_report_write(const struct gh_run_numbers *num, const struct gh_event_metrics *em,
			const char *own, size_t len, int fd, uint64_t *last_sig, bool force)
{
	const struct gh_pipeline_counts *n = &num->n;
	/* the counters only grow: their sum changes when any does */
	uint64_t sig = n->refused + n->received + n->dropped + n->kept + num->lost +
		       num->skipped + num->lua_errors + 1;

	/* the kind's own text: changed or not, by its bytes (FNV-1a) */
	for (size_t i = 0; i < len; i++)
		sig = (sig ^ (unsigned char)own[i]) * 1099511628211ull;
	struct gh_buf b = GH_BUF_INIT;
	int ret;

	if (!force && sig == *last_sig)
		return 0;
	ret = gh_run_report_render(num, em, own, len, &b);
	for (size_t off = 0; !ret && off < b.len;) {
		ssize_t w = write(fd, b.p + off, b.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			ret = -errno;
		else
			off += (size_t)w;
	}
	if (!ret)
		*last_sig = sig;
	gh_buf_free(&b);
	return ret;
}
