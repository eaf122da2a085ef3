/* profile.c - the profile kinds: finding them in an object, their params,
 * and the run loop (perf events, interval, timeout, signals). */
#include "profile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "container_fields.h"
#include "ksyms.h"
#include "lua_script.h"
#include "profile_private.h"
#include "usyms.h"

#define HIST_PREFIX "gadget_histogram_"
#define STACKS_PREFIX "gadget_stacks_"
#define REMEMBER_MS 1000 /* how often sampled processes' maps are read */

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

void gh_profile_free(struct gh_profile *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->unit);
	free(p->map_name);
	free(p->stacks_name);
	free(p);
}

/* "NAME___A___B" -> three strings */
static int split3(const char *s, char **a, char **b, char **c)
{
	const char *s1 = strstr(s, "___"), *s2 = s1 ? strstr(s1 + 3, "___") : NULL;

	if (!s1 || !s2 || s1 == s || s2 == s1 + 3 || !s2[3])
		return -EINVAL;
	*a = strndup(s, s1 - s);
	*b = strndup(s1 + 3, s2 - s1 - 3);
	*c = strdup(s2 + 3);
	return *a && *b && *c ? 0 : -ENOMEM;
}

/* The profile declaration in btf, if any: kind and names. */
static int find_declaration(const struct btf *btf, struct gh_profile *p, bool *found)
{
	__u32 n = btf__type_cnt(btf);

	*found = false;
	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;
		char *third = NULL;
		int ret;

		if (!btf_is_var(t))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (!strncmp(name, HIST_PREFIX, strlen(HIST_PREFIX))) {
			p->kind = GH_PROFILE_HISTOGRAM;
			ret = split3(name + strlen(HIST_PREFIX), &p->name, &p->map_name, &p->unit);
		} else if (!strncmp(name, STACKS_PREFIX, strlen(STACKS_PREFIX))) {
			p->kind = GH_PROFILE_STACKS;
			ret = split3(name + strlen(STACKS_PREFIX), &p->name, &p->map_name, &third);
			p->stacks_name = third;
		} else {
			continue;
		}
		*found = true;
		return ret;
	}
	return 0;
}

/* The offset of the key member whose type is the typedef tname, or -1. */
static int typedef_member(const struct btf *btf, const struct btf_type *st, const char *tname)
{
	const struct btf_member *m = btf_members(st);

	for (__u16 i = 0; i < btf_vlen(st); i++, m++) {
		const struct btf_type *mt = btf__type_by_id(btf, m->type);

		while (mt && btf_is_mod(mt))
			mt = btf__type_by_id(btf, mt->type);
		if (mt && btf_is_typedef(mt) &&
		    !strcmp(btf__name_by_offset(btf, mt->name_off), tname))
			return (int)(btf_member_bit_offset(st, i) / 8);
	}
	return -1;
}

int gh_profile_open(struct gh_gadget *g, __u32 *struct_id, char *err, size_t errlen)
{
	const struct btf *btf = bpf_object__btf(g->obj);
	struct gh_profile *p = calloc(1, sizeof(*p));
	const struct btf_type *kt;
	struct bpf_map *map;
	bool found;
	__u32 kid;
	int ret;

	if (!p)
		return -ENOMEM;
	p->user_off = p->kernel_off = p->pid_field = -1;
	ret = find_declaration(btf, p, &found);
	if (ret || !found) {
		gh_profile_free(p);
		return ret == -ENOMEM ? ret : ret ? fail(err, errlen, ret, "%s: a malformed "
				"GADGET_HISTOGRAM or GADGET_STACKS", g->object_path) : 0;
	}
	g->profile = p;
	g->map_name = strdup(p->map_name);
	if (!g->map_name)
		return -ENOMEM;
	map = bpf_object__find_map_by_name(g->obj, p->map_name);
	if (!map)
		return fail(err, errlen, -ENOENT, "%s: no map \"%s\" (named by GADGET_%s)",
			    g->object_path, p->map_name,
			    p->kind == GH_PROFILE_HISTOGRAM ? "HISTOGRAM" : "STACKS");
	p->key_size = bpf_map__key_size(map);
	if (p->kind == GH_PROFILE_HISTOGRAM &&
	    (bpf_map__value_size(map) % 4 || !bpf_map__value_size(map)))
		return fail(err, errlen, -EINVAL, "%s: map \"%s\": values are not struct "
			    "gadget_hist", g->object_path, p->map_name);
	if (p->kind == GH_PROFILE_STACKS) {
		struct bpf_map *sm = bpf_object__find_map_by_name(g->obj, p->stacks_name);

		if (!sm || bpf_map__type(sm) != BPF_MAP_TYPE_STACK_TRACE)
			return fail(err, errlen, -EINVAL, "%s: \"%s\" is not a stack trace map "
				    "(GADGET_STACKS)", g->object_path, p->stacks_name);
		if (bpf_map__value_size(map) != 8)
			return fail(err, errlen, -EINVAL, "%s: map \"%s\": values are not __u64 "
				    "counts", g->object_path, p->map_name);
	}
	kid = bpf_map__btf_key_type_id(map);
	kt = kid ? btf__type_by_id(btf, kid) : NULL;
	while (kt && (btf_is_typedef(kt) || btf_is_mod(kt))) {
		kid = kt->type;
		kt = btf__type_by_id(btf, kid);
	}
	*struct_id = kt && btf_is_struct(kt) ? kid : 0;
	if (p->kind == GH_PROFILE_STACKS) {
		if (!*struct_id)
			return fail(err, errlen, -EINVAL, "%s: the key of \"%s\" is not a struct",
				    g->object_path, p->map_name);
		p->user_off = typedef_member(btf, kt, "gadget_user_stack");
		p->kernel_off = typedef_member(btf, kt, "gadget_kernel_stack");
		if (p->user_off < 0 && p->kernel_off < 0)
			return fail(err, errlen, -EINVAL, "%s: the key of \"%s\" has no "
				    "gadget_user_stack or gadget_kernel_stack member",
				    g->object_path, p->map_name);
	}
	return 0;
}

static int add_param(struct gh_gadget *g, const char *key, const char *type, const char *def,
		     const char *description)
{
	struct gh_param *grown, *p;

	if (gh_gadget_param(g, key))
		return 0; /* the script's own wins */
	grown = realloc(g->params, (g->n_params + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	g->params = grown;
	p = &grown[g->n_params++];
	memset(p, 0, sizeof(*p));
	p->key = strdup(key);
	p->type = strdup(type);
	p->def = strdup(def);
	p->description = strdup(description);
	return p->key && p->type && p->def && p->description ? 0 : -ENOMEM;
}

static int add_virtual(struct gh_schema *s, const char *name, const char *type, int *idx)
{
	int i = gh_schema_add_virtual(s, name);

	if (i < 0)
		return i;
	s->fields[i].virtual_type = strdup(type);
	*idx = i;
	return s->fields[i].virtual_type ? 0 : -ENOMEM;
}

int gh_profile_add_fields(struct gh_gadget *g, char *err, size_t errlen)
{
	struct gh_profile *p = g->profile;
	int ret;

	if (!g->schema.struct_name)
		g->schema.mntns_field = -1; /* no key struct: an empty schema */
	ret = add_param(g, "interval", "uint", "0",
			"print (and start anew) every this many seconds; 0: at the end");
	if (!ret && p->kind == GH_PROFILE_STACKS) {
		ret = add_param(g, "frequency", "uint", "49", "samples per second, on each CPU");
		if (!ret)
			ret = add_param(g, "top", "uint", "20",
					"stacks in the report, the most sampled first");
		if (!ret)
			ret = add_virtual(&g->schema, "samples", "uint", &p->f_samples);
		if (!ret && p->user_off >= 0)
			ret = add_virtual(&g->schema, "userStack", "strlist", &p->f_user);
		if (!ret && p->kernel_off >= 0)
			ret = add_virtual(&g->schema, "kernelStack", "strlist", &p->f_kernel);
		p->pid_field = gh_schema_find(&g->schema, "pid");
		if (!ret && p->user_off >= 0 && p->pid_field < 0)
			return fail(err, errlen, -EINVAL, "%s: the key of \"%s\" has a user stack but "
				    "no pid member (to read the process's mappings)",
				    g->object_path, p->map_name);
	}
	return ret == -ENOMEM ? fail(err, errlen, ret, "out of memory") : ret;
}

bool gh_profile_host_wide(const struct gh_gadget *g)
{
	return g->profile && g->schema.mntns_field < 0;
}

static int parse_output(const struct gh_profile *p, const char *name, enum gh_profile_output *o)
{
	if (!name || !strcmp(name, "columns"))
		*o = GH_POUT_TEXT;
	else if (!strcmp(name, "json"))
		*o = GH_POUT_JSON;
	else if (!strcmp(name, "jsonpretty"))
		*o = GH_POUT_JSONPRETTY;
	else if (!strcmp(name, "folded") && p->kind == GH_PROFILE_STACKS)
		*o = GH_POUT_FOLDED;
	else
		return -EINVAL;
	return 0;
}

int gh_profile_check_output(const struct gh_gadget *g, const char *name, char *err,
			    size_t errlen)
{
	enum gh_profile_output o;

	if (!parse_output(g->profile, name, &o))
		return 0;
	return fail(err, errlen, -EINVAL, "-o: %s prints %s, not \"%s\"", g->name,
		    g->profile->kind == GH_PROFILE_STACKS
			    ? "a stack report (default), folded or json"
			    : "a histogram chart (default) or json", name);
}

static unsigned param_uint(struct gh_gadget *g, const char *key, unsigned def)
{
	struct gh_param *p = gh_gadget_param(g, key);
	const char *text = p ? (p->value ? p->value : p->def) : NULL;
	char *end;
	unsigned long v;

	if (!text)
		return def;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || *end || v > 1000000 || text[0] == '-')
		return (unsigned)-1;
	return (unsigned)v;
}

bool gh_profile_keep(struct gh_profile_dump *d, struct gh_event *ev)
{
	struct gh_lua *lua = d->g->lua;

	if (d->opts->accept && !d->opts->accept(d->opts->accept_ctx, ev, d->seq))
		return false;
	if (d->filter && !gh_filter_match(d->filter, &d->g->schema, ev))
		return false;
	/* stacks carry their own overlay (samples, stacks): no Lua there */
	if (d->p->kind == GH_PROFILE_HISTOGRAM && gh_lua_has_filter(lua) &&
	    gh_lua_filter(lua, ev) <= 0)
		return false;
	return true;
}

int gh_profile_write(struct gh_profile_dump *d)
{
	size_t done = 0;

	while (done < d->buf.len) {
		ssize_t n = write(STDOUT_FILENO, d->buf.p + done, d->buf.len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += (size_t)n;
	}
	gh_buf_reset(&d->buf);
	return 0;
}

int gh_profile_json_field(struct gh_profile_dump *d, int idx, const struct gh_event *ev,
			  struct gh_buf *b)
{
	const struct gh_field *f = &d->g->schema.fields[idx];
	struct gh_value v;
	int ret = gh_json_put_string(b, f->name, strlen(f->name));

	if (!ret)
		ret = gh_buf_putc(b, ':');
	if (!ret)
		ret = gh_field_value(&d->g->schema, idx, ev, &v);
	if (ret)
		return ret;
	switch (v.type) {
	case GH_V_NULL:
		return gh_buf_puts(b, "null");
	case GH_V_INT:
		return gh_buf_printf(b, "%lld", (long long)v.i);
	case GH_V_UINT:
		return gh_buf_printf(b, "%llu", (unsigned long long)v.u);
	case GH_V_BOOL:
		return gh_buf_puts(b, v.b ? "true" : "false");
	case GH_V_DOUBLE:
		return gh_buf_printf(b, "%.17g", v.d);
	case GH_V_STR:
		return gh_json_put_string(b, v.s.p, v.s.len);
	default: {
		struct gh_buf t = GH_BUF_INIT;

		ret = gh_field_text(&d->g->schema, idx, ev, &t);
		if (!ret)
			ret = gh_json_put_string(b, t.p ? t.p : "", t.len);
		gh_buf_free(&t);
		return ret;
	}
	}
}

/* The run */

struct prun {
	struct gh_profile_dump d;
	uv_loop_t *loop;
	uv_timer_t interval, timeout, remember;
	uv_signal_t sigint, sigterm;
	struct bpf_link **perf_links;
	size_t n_perf;
	unsigned interval_s;
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
	unsigned freq = param_uint(g, "frequency", 49);
	int ret;

	if (parse_output(g->profile, output, &r.d.output))
		return -EINVAL; /* checked before */
	r.interval_s = param_uint(g, "interval", 0);
	r.d.top = param_uint(g, "top", 20);
	if (r.interval_s == (unsigned)-1 || r.d.top == (unsigned)-1 ||
	    (g->profile->kind == GH_PROFILE_STACKS && (freq == (unsigned)-1 || !freq))) {
		fprintf(stderr, "gadgethost: --interval, --top and --frequency take a whole "
			"number (--frequency at least 1)\n");
		return -EINVAL;
	}
	if (filter && gh_filter_empty(filter))
		r.d.filter = NULL;
	r.d.reset = r.interval_s > 0;
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
		ret = gh_write_ready_file(opts->ready_file);
	if (ret) {
		close_handles(&r);
		goto out;
	}
	uv_signal_start(&r.sigint, on_signal, SIGINT);
	uv_signal_start(&r.sigterm, on_signal, SIGTERM);
	if (opts->timeout_ms)
		uv_timer_start(&r.timeout, on_timeout, opts->timeout_ms, 0);
	if (r.interval_s)
		uv_timer_start(&r.interval, on_interval, r.interval_s * 1000ULL,
			       r.interval_s * 1000ULL);
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
