/* profile_stacks.c - printing a GADGET_STACKS map: symbolized stacks with
 * their sample counts, as a report (the hottest first), folded stacks
 * (flamegraph.pl's input) or JSON. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "output/out.h"
#include "run/profile_dump.h"
#include "base/text.h"
#include "schema/field.h"
#include "symbols/ksyms.h"
#include "symbols/usyms.h"

#define MAX_DEPTH 127
#define UNKNOWN "[unknown]"

struct entry {
	uint8_t *key;
	uint64_t count;
};

/* one entry's stacks, as NUL separated names (innermost first) */
struct frames {
	struct gh_buf user, kernel;
	size_t n_user, n_kernel;
	bool user_missed, kernel_missed;
};

struct overlay_ctx {
	struct gh_profile *p;
	const struct entry *e;
	const struct frames *fr;
};

static int32_t stack_id(const uint8_t *key, int off)
{
	int32_t id;

	if (off < 0)
		return -1;
	memcpy(&id, key + off, sizeof(id));
	return id;
}

static uint32_t key_pid(struct gh_profile_dump *d, const struct gh_event *ev)
{
	struct gh_value v;

	if (d->p->pid_field < 0 || gh_field_value(&d->g->schema, d->p->pid_field, ev, &v) ||
	    v.type != GH_V_UINT)
		return 0;
	return (uint32_t)v.u;
}

/* Names of the stack id in the stack map, appended to b.  A negative id:
 * no stack; -EFAULT is "none there" (a kernel stack of a sample taken in
 * user mode, a user stack of a kernel thread), -EPERM "not asked for",
 * anything else lost (the map full, a hash collision). */
static int symbolize(struct gh_profile_dump *d, int stacks_fd, int32_t id, bool user,
		     uint32_t pid, struct gh_buf *b, size_t *n, bool *missed)
{
	uint64_t ips[MAX_DEPTH];
	int ret = 0;

	*n = 0;
	*missed = false;
	if (id < 0) {
		*missed = id != -EFAULT && id != -EPERM;
		return 0;
	}
	memset(ips, 0, sizeof(ips));
	if (bpf_map_lookup_elem(stacks_fd, &id, ips)) {
		*missed = true;
		return 0;
	}
	for (size_t i = 0; i < MAX_DEPTH && ips[i] && !ret; i++) {
		const char *name = user ? gh_usyms_lookup(d->usyms, pid, ips[i], NULL, NULL)
					: gh_ksyms_lookup(d->ksyms, ips[i], NULL);

		if (!name)
			name = UNKNOWN;
		ret = gh_buf_append(b, name, strlen(name) + 1);
		(*n)++;
	}
	return ret;
}

static int frames_of(struct gh_profile_dump *d, int stacks_fd, const struct entry *e,
		     const struct gh_event *ev, struct frames *fr)
{
	uint32_t pid = key_pid(d, ev);
	int ret;

	gh_buf_reset(&fr->user);
	gh_buf_reset(&fr->kernel);
	ret = symbolize(d, stacks_fd, stack_id(e->key, d->p->user_off), true, pid,
			&fr->user, &fr->n_user, &fr->user_missed);
	if (!ret)
		ret = symbolize(d, stacks_fd, stack_id(e->key, d->p->kernel_off), false, pid,
				&fr->kernel, &fr->n_kernel, &fr->kernel_missed);
	return ret;
}

/* samples, userStack, kernelStack for the outputs and -F */
static int overlay(void *ctx, int idx, struct gh_value *v)
{
	struct overlay_ctx *o = ctx;

	if (idx == o->p->f_samples) {
		v->type = GH_V_UINT;
		v->u = o->e->count;
		return 1;
	}
	if (!o->fr || (idx != o->p->f_user && idx != o->p->f_kernel))
		return 0;
	v->type = GH_V_STRLIST;
	v->s.p = idx == o->p->f_user ? o->fr->user.p : o->fr->kernel.p;
	v->s.len = idx == o->p->f_user ? o->fr->user.len : o->fr->kernel.len;
	if (!v->s.p)
		v->s.p = "";
	return 1;
}

/* the i-th name of a NUL separated list, counted from the end when
 * reverse */
static const char *nth(const struct gh_buf *b, size_t n, size_t i, bool reverse)
{
	const char *p = b->p;
	size_t want = reverse ? n - 1 - i : i;

	for (size_t k = 0; k < want; k++)
		p += strlen(p) + 1;
	return p;
}

/* Names come from the profiled programs (a container names its own
 * functions, its processes their comm): escaped, as every text a terminal
 * may show (base/text.h). */
static int put_name(struct gh_buf *b, const char *name, size_t len)
{
	return gh_text_escape(b, name, len);
}

/* comm, escaped, at the end of b */
static int put_comm(struct gh_profile_dump *d, const struct gh_event *ev, struct gh_buf *b)
{
	int comm = gh_schema_find(&d->g->schema, "comm");
	struct gh_buf raw = {0};
	int ret;

	if (comm < 0)
		return 0;
	ret = gh_field_text(&d->g->schema, comm, ev, &raw);
	if (!ret && raw.len)
		ret = put_name(b, raw.p, raw.len);
	gh_buf_free(&raw);
	return ret;
}

static int put_folded_name(struct gh_buf *b, const char *name, const char *suffix)
{
	size_t start = b->len;
	int ret = gh_buf_putc(b, ';');

	if (!ret)
		ret = put_name(b, name, strlen(name));
	/* ';' separates frames and the last ' ' the count: neither in a name */
	for (size_t i = start + 1; !ret && i < b->len; i++)
		if (b->p[i] == ';' || b->p[i] == ' ')
			b->p[i] = b->p[i] == ';' ? ':' : '_';
	return ret ? ret : gh_buf_puts(b, suffix);
}

/* comm;outer;...;inner;kouter_[k];...;kinner_[k] count */
static int put_folded(struct gh_profile_dump *d, const struct gh_event *ev,
		      const struct entry *e, const struct frames *fr)
{
	struct gh_buf *b = d->buf;
	size_t start = b->len;
	int ret = put_comm(d, ev, b);

	for (size_t i = start; i < b->len; i++)
		if (b->p[i] == ';' || b->p[i] == ' ')
			b->p[i] = '_';
	if (!ret && fr->user_missed)
		ret = put_folded_name(b, "[missed user stack]", "");
	for (size_t i = 0; i < fr->n_user && !ret; i++)
		ret = put_folded_name(b, nth(&fr->user, fr->n_user, i, true), "");
	if (!ret && fr->kernel_missed)
		ret = put_folded_name(b, "[missed kernel stack]", "_[k]");
	for (size_t i = 0; i < fr->n_kernel && !ret; i++)
		ret = put_folded_name(b, nth(&fr->kernel, fr->n_kernel, i, true), "_[k]");
	return ret ? ret : gh_buf_printf(b, " %" PRIu64 "\n", e->count);
}

static int put_frame(struct gh_buf *b, const char *name)
{
	int ret = gh_buf_puts(b, "    ");

	if (!ret)
		ret = put_name(b, name, strlen(name));
	return ret ? ret : gh_buf_putc(b, '\n');
}

/* as BCC's profile: kernel frames, "--", user frames (innermost first),
 * then "-  comm (pid)" and the count */
static int put_report(struct gh_profile_dump *d, const struct gh_event *ev,
		      const struct entry *e, const struct frames *fr)
{
	struct gh_buf *b = d->buf;
	int cname = gh_schema_find(&d->g->schema, "runtime.containerName");
	struct gh_value v;
	int ret = 0;

	if (fr->kernel_missed)
		ret = gh_buf_puts(b, "    [Missed Kernel Stack]\n");
	for (size_t i = 0; i < fr->n_kernel && !ret; i++)
		ret = put_frame(b, nth(&fr->kernel, fr->n_kernel, i, false));
	if (!ret && (fr->n_kernel || fr->kernel_missed) && (fr->n_user || fr->user_missed))
		ret = gh_buf_puts(b, "    --\n");
	if (!ret && fr->user_missed)
		ret = gh_buf_puts(b, "    [Missed User Stack]\n");
	for (size_t i = 0; i < fr->n_user && !ret; i++)
		ret = put_frame(b, nth(&fr->user, fr->n_user, i, false));
	if (!ret)
		ret = gh_buf_printf(b, "    %-16s ", "-");
	if (!ret)
		ret = put_comm(d, ev, b);
	if (!ret)
		ret = gh_buf_printf(b, " (%u)", key_pid(d, ev));
	if (!ret && cname >= 0 && !gh_field_value(&d->g->schema, cname, ev, &v) &&
	    v.type == GH_V_STR) {
		ret = gh_buf_puts(b, " [");
		if (!ret)
			ret = put_name(b, v.s.p, v.s.len);
		if (!ret)
			ret = gh_buf_putc(b, ']');
	}
	return ret ? ret : gh_buf_printf(b, "\n        %" PRIu64 "\n\n", e->count);
}

static void free_entries(struct entry *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i].key);
	free(list);
}

/* Every key and its count (deleted in the kernel when d->reset). */
static int read_counts(struct gh_profile_dump *d, int fd, struct entry **out, size_t *n_out)
{
	uint32_t ks = d->p->key_size;
	struct entry *list = NULL;
	uint8_t *prev = NULL;
	size_t n = 0;
	int ret = 0;

	for (;;) {
		struct entry *grown = realloc(list, (n + 1) * sizeof(*grown));

		if (!grown) {
			ret = -ENOMEM;
			break;
		}
		list = grown;
		list[n].key = malloc(ks);
		list[n].count = 0;
		if (!list[n].key) {
			ret = -ENOMEM;
			break;
		}
		if (bpf_map_get_next_key(fd, prev, list[n].key)) {
			free(list[n].key);
			break;
		}
		prev = list[n++].key;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		if (bpf_map_lookup_elem(fd, list[i].key, &list[i].count))
			list[i].count = 0;
		if (d->reset)
			bpf_map_delete_elem(fd, list[i].key);
	}
	if (ret) {
		free_entries(list, n);
		return ret;
	}
	*out = list;
	*n_out = n;
	return 0;
}

/* Empty the stack trace map (--interval: every dump starts anew). */
static void clear_stacks(int fd)
{
	uint32_t id, next;
	bool first = true;

	while (!bpf_map_get_next_key(fd, first ? NULL : &id, &next)) {
		bpf_map_delete_elem(fd, &next);
		id = next;
		first = false;
	}
}

void gh_profile_stacks_remember(struct gh_profile_dump *d)
{
	struct bpf_map *map = bpf_object__find_map_by_name(d->g->obj, d->p->map_name);
	int fd = bpf_map__fd(map);
	uint8_t key[256], next[256];
	bool first = true;

	if (d->p->key_size > sizeof(key) || d->p->pid_field < 0)
		return;
	while (!bpf_map_get_next_key(fd, first ? NULL : key, next)) {
		struct gh_event ev = {.data = next, .len = d->p->key_size};
		uint32_t pid = key_pid(d, &ev);

		if (pid)
			gh_usyms_add_pid(d->usyms, pid);
		memcpy(key, next, d->p->key_size);
		first = false;
	}
}

/* One stack as printed: entries whose symbolized frames are the same
 * (samples at different addresses of the same functions) are merged. */
struct stack {
	uint8_t *key;     /* the first entry's, its stack ids zeroed for merging */
	uint8_t *ids_key; /* the first entry's key as it was */
	struct frames fr;
	uint64_t count;
};

static uint32_t g_key_size; /* for the qsort comparisons */

static int cmp_buf(const struct gh_buf *a, const struct gh_buf *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->p, b->p, n) : 0;

	return c ? c : a->len < b->len ? -1 : a->len > b->len;
}

static int cmp_stack_same(const void *a, const void *b)
{
	const struct stack *x = a, *y = b;
	int c = memcmp(x->key, y->key, g_key_size);

	if (!c)
		c = cmp_buf(&x->fr.user, &y->fr.user);
	if (!c)
		c = cmp_buf(&x->fr.kernel, &y->fr.kernel);
	if (!c)
		c = (int)x->fr.user_missed - (int)y->fr.user_missed;
	return c ? c : (int)x->fr.kernel_missed - (int)y->fr.kernel_missed;
}

static int cmp_stack_count(const void *a, const void *b)
{
	const struct stack *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return cmp_stack_same(a, b);
}

static void free_stacks(struct stack *st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(st[i].key);
		free(st[i].ids_key);
		gh_buf_free(&st[i].fr.user);
		gh_buf_free(&st[i].fr.kernel);
	}
	free(st);
}

static void zero_id(uint8_t *key, int off)
{
	if (off >= 0)
		memset(key + off, 0, sizeof(int32_t));
}

/* The entries that pass the filters, symbolized and merged, the most
 * sampled first. */
static int collect(struct gh_profile_dump *d, int stacks_fd, const struct entry *list, size_t n,
		   struct stack **out, size_t *n_out)
{
	struct stack *st = calloc(n ? n : 1, sizeof(*st));
	size_t m = 0, w = 0;
	int ret = 0;

	if (!st)
		return -ENOMEM;
	for (size_t i = 0; i < n && !ret; i++) {
		struct overlay_ctx o = {.p = d->p, .e = &list[i]};
		struct gh_event ev = {.data = list[i].key, .len = d->p->key_size,
				      .overlay = overlay, .overlay_ctx = &o};
		struct stack *s = &st[m];

		/* the judge before merging, -F and the script after: they may
		 * read samples and stacks */
		if (!list[i].count || !gh_pipeline_accept(d->pipeline, &ev))
			continue;
		s->key = malloc(d->p->key_size);
		s->ids_key = malloc(d->p->key_size);
		m++;
		if (!s->key || !s->ids_key) {
			ret = -ENOMEM;
			break;
		}
		memcpy(s->key, list[i].key, d->p->key_size);
		memcpy(s->ids_key, list[i].key, d->p->key_size);
		zero_id(s->key, d->p->user_off);
		zero_id(s->key, d->p->kernel_off);
		s->count = list[i].count;
		ret = frames_of(d, stacks_fd, &list[i], &ev, &s->fr);
	}
	if (ret) {
		free_stacks(st, m);
		return ret;
	}
	g_key_size = d->p->key_size;
	qsort(st, m, sizeof(*st), cmp_stack_same);
	for (size_t i = 0; i < m; i++) {
		if (w && !cmp_stack_same(&st[w - 1], &st[i])) {
			st[w - 1].count += st[i].count;
			free(st[i].key);
			free(st[i].ids_key);
			gh_buf_free(&st[i].fr.user);
			gh_buf_free(&st[i].fr.kernel);
			continue;
		}
		st[w++] = st[i];
	}
	qsort(st, w, sizeof(*st), cmp_stack_count);
	*out = st;
	*n_out = w;
	return 0;
}

/* The pipeline's sink: the merged stack at hand, as the output says. */
int gh_profile_stacks_sink(void *ctx, struct gh_event *ev)
{
	struct gh_profile_dump *d = ctx;
	int ret;

	if (d->documents_only)
		return 1;
	switch (d->output) {
	case GH_POUT_TEXT:
		ret = put_report(d, ev, d->entry, d->frames);
		break;
	case GH_POUT_FOLDED:
		ret = put_folded(d, ev, d->entry, d->frames);
		break;
	default:
		ret = gh_out_event(d->out, ev);
		break;
	}
	if (!ret)
		d->shown++;
	return ret;
}

int gh_profile_stacks_dump(struct gh_profile_dump *d)
{
	struct bpf_map *map = bpf_object__find_map_by_name(d->g->obj, d->p->map_name);
	struct bpf_map *smap = bpf_object__find_map_by_name(d->g->obj, d->p->stacks_name);
	int stacks_fd = bpf_map__fd(smap);
	struct entry *list = NULL;
	struct stack *st = NULL;
	size_t n = 0, n_st = 0;
	int ret = read_counts(d, bpf_map__fd(map), &list, &n);

	d->shown = 0;
	if (!ret)
		ret = collect(d, stacks_fd, list, n, &st, &n_st);
	if (!ret && d->reset && d->output == GH_POUT_TEXT && d->dumps && !d->documents_only)
		ret = gh_buf_puts(d->buf, "\n");
	for (size_t i = 0; i < n_st && !ret; i++) {
		struct entry e = {.key = st[i].ids_key, .count = st[i].count};
		struct overlay_ctx o = {.p = d->p, .e = &e, .fr = &st[i].fr};
		struct gh_event ev = {.data = e.key, .len = d->p->key_size,
				      .overlay = overlay, .overlay_ctx = &o};

		if (d->output == GH_POUT_TEXT && d->shown >= d->top)
			break;
		d->entry = &e;
		d->frames = &st[i].fr;
		ret = gh_pipeline_accepted(d->pipeline, &ev);
	}
	if (d->reset)
		clear_stacks(stacks_fd);
	free_stacks(st, n_st);
	free_entries(list, n);
	return ret;
}
