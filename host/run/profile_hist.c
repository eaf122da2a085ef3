/* profile_hist.c - printing a GADGET_HISTOGRAM map: a chart (or a JSON
 * object) per key, keys in byte order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base/prom_text.h"
#include "output/hist_render.h"
#include "run/profile_dump.h"

struct hist {
	uint8_t *key;
	uint32_t *slots;
};

static uint32_t g_key_size; /* for the qsort comparison */

static int cmp_hist(const void *a, const void *b)
{
	return memcmp(((const struct hist *)a)->key, ((const struct hist *)b)->key, g_key_size);
}

static void free_hists(struct hist *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].key);
		free(h[i].slots);
	}
	free(h);
}

/* Every key and its slots (emptied in the kernel when d->reset). */
static int read_hists(struct gh_profile_dump *d, struct bpf_map *map, struct hist **out,
		      size_t *n_out)
{
	uint32_t ks = bpf_map__key_size(map), vs = bpf_map__value_size(map);
	int fd = bpf_map__fd(map), ret = 0;
	bool array = bpf_map__type(map) == BPF_MAP_TYPE_ARRAY;
	struct hist *list = NULL;
	size_t n = 0;
	uint8_t *prev = NULL;

	for (;;) {
		struct hist *grown = realloc(list, (n + 1) * sizeof(*grown));

		if (!grown) {
			ret = -ENOMEM;
			break;
		}
		list = grown;
		list[n].key = calloc(1, ks);
		list[n].slots = NULL;
		if (!list[n].key) {
			ret = -ENOMEM;
			break;
		}
		if (bpf_map_get_next_key(fd, prev, list[n].key)) {
			free(list[n].key);
			break; /* ENOENT: the last one */
		}
		prev = list[n++].key;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		list[i].slots = calloc(1, vs);
		if (!list[i].slots) {
			ret = -ENOMEM;
			break;
		}
		if (bpf_map_lookup_elem(fd, list[i].key, list[i].slots))
			continue; /* gone meanwhile: empty */
		if (!d->reset)
			continue;
		if (array) {
			void *zero = calloc(1, vs);

			if (zero)
				bpf_map_update_elem(fd, list[i].key, zero, BPF_ANY);
			free(zero);
		} else {
			bpf_map_delete_elem(fd, list[i].key);
		}
	}
	if (ret) {
		free_hists(list, n);
		return ret;
	}
	g_key_size = ks;
	qsort(list, n, sizeof(*list), cmp_hist);
	*out = list;
	*n_out = n;
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* "major = 7, minor = 0": the key, above its chart */
static int put_key_text(struct gh_profile_dump *d, const struct gh_event *ev)
{
	int ret = 0;

	for (size_t i = 0; i < d->n_fields && !ret; i++) {
		ret = gh_buf_printf(d->buf, "%s%s = ", i ? ", " : "",
				    d->g->schema.fields[d->fields[i]].name);
		if (!ret)
			ret = gh_field_text(&d->g->schema, d->fields[i], ev, d->buf);
	}
	return ret ? ret : gh_buf_putc(d->buf, '\n');
}

/* The value of a key field as JSON ("name":value), appended to b. */
static int json_field(struct gh_profile_dump *d, int idx, const struct gh_event *ev,
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

static int put_json(struct gh_profile_dump *d, const struct gh_event *ev, const uint32_t *slots,
		    size_t n_slots)
{
	int ret = gh_buf_putc(d->buf, '{');

	for (size_t i = 0; ev && i < d->n_fields && !ret; i++) {
		ret = json_field(d, d->fields[i], ev, d->buf);
		if (!ret)
			ret = gh_buf_putc(d->buf, ',');
	}
	if (!ret)
		ret = gh_buf_puts(d->buf, "\"unit\":");
	if (!ret)
		ret = gh_json_put_string(d->buf, d->p->unit, strlen(d->p->unit));
	if (!ret)
		ret = gh_buf_puts(d->buf, ",\"buckets\":");
	if (!ret)
		ret = gh_hist_render_json(d->buf, slots, n_slots);
	return ret ? ret : gh_buf_puts(d->buf, "}\n");
}

/* The pipeline's sink: the chart (or JSON object) of the key at hand,
 * while the script's overlay is on ev. */
int gh_profile_hist_sink(void *ctx, struct gh_event *ev)
{
	struct gh_profile_dump *d = ctx;
	bool split = d->n_fields && !all_zero(ev->data, d->p->key_size);
	int ret = 0;

	if (d->documents_only)
		return 1;
	if (d->output != GH_POUT_TEXT) {
		ret = put_json(d, ev, d->slots, d->n_slots);
	} else {
		/* the zero key: the one histogram of a gadget not split */
		if (split)
			ret = gh_buf_puts(d->buf, d->shown ? "\n" : "");
		if (!ret && split)
			ret = put_key_text(d, ev);
		if (!ret)
			ret = gh_hist_render_text(d->buf, d->slots, d->n_slots, d->p->unit);
	}
	if (!ret)
		d->shown++;
	return ret;
}

int gh_profile_hist_dump(struct gh_profile_dump *d)
{
	struct bpf_map *map = bpf_object__find_map_by_name(d->g->obj, d->p->map_name);
	size_t n_slots = bpf_map__value_size(map) / 4, n = 0;
	bool json = d->output != GH_POUT_TEXT;
	struct hist *hists = NULL;
	int ret = read_hists(d, map, &hists, &n);

	d->shown = 0;
	if (!ret && d->reset && !json && !d->documents_only)
		ret = gh_buf_putc(d->buf, '\n');
	for (size_t i = 0; i < n && !ret; i++) {
		struct gh_event ev = {.data = hists[i].key, .len = d->p->key_size};

		if (!gh_hist_total(hists[i].slots, n_slots))
			continue;
		d->slots = hists[i].slots;
		d->n_slots = n_slots;
		ret = gh_pipeline_event(d->pipeline, &ev);
	}
	if (!ret && json && !d->shown && !d->documents_only) {
		uint32_t none = 0;

		ret = put_json(d, NULL, &none, 1);
	}
	free_hists(hists, n);
	return ret;
}

/* histogram="NAME",unit="UNIT"[,key labels] of one key */
static int prom_labels(struct gh_profile_dump *d, const struct gh_event *ev, struct gh_buf *l)
{
	int ret = gh_prom_label(l, "histogram", d->p->name, strlen(d->p->name));

	ret = ret ? ret : gh_prom_label(l, "unit", d->p->unit, strlen(d->p->unit));
	for (size_t i = 0; i < d->n_fields && !ret && !all_zero(ev->data, d->p->key_size); i++) {
		struct gh_buf v = GH_BUF_INIT;
		char name[128];

		gh_prom_label_name(d->g->schema.fields[d->fields[i]].name, name, sizeof(name));
		ret = gh_field_text(&d->g->schema, d->fields[i], ev, &v);
		ret = ret ? ret : gh_prom_label(l, name, v.p ? v.p : "", v.len);
		gh_buf_free(&v);
	}
	return ret;
}

int gh_profile_hist_report(struct gh_profile_dump *d, struct gh_buf *b)
{
	struct bpf_map *map = bpf_object__find_map_by_name(d->g->obj, d->p->map_name);
	size_t n_slots = bpf_map__value_size(map) / 4, n = 0;
	bool reset = d->reset;
	struct hist *hists = NULL;
	int ret;

	d->reset = false; /* a look: the kernel's counts stay */
	ret = read_hists(d, map, &hists, &n);
	d->reset = reset;
	if (!ret)
		ret = gh_buf_puts(b, "# TYPE gadgethost_kernel_histogram histogram\n");
	for (size_t i = 0; i < n && !ret; i++) {
		struct gh_event ev = {.data = hists[i].key, .len = d->p->key_size};
		struct gh_buf l = GH_BUF_INIT;
		uint64_t cum = 0, total = gh_hist_total(hists[i].slots, n_slots);
		size_t last = n_slots;

		if (!total)
			continue;
		while (last && !hists[i].slots[last - 1])
			last--;
		ret = prom_labels(d, &ev, &l);
		for (size_t k = 0; k < last && !ret; k++) {
			uint64_t low, high;

			gh_hist_slot_range((unsigned)k, &low, &high);
			cum += hists[i].slots[k];
			ret = gh_buf_printf(b, "gadgethost_kernel_histogram_bucket{%s,le=\"%llu\"} %llu\n",
					    l.p, (unsigned long long)high, (unsigned long long)cum);
		}
		if (!ret)
			ret = gh_buf_printf(b, "gadgethost_kernel_histogram_bucket{%s,le=\"+Inf\"} %llu\n"
					    "gadgethost_kernel_histogram_count{%s} %llu\n", l.p,
					    (unsigned long long)total, l.p, (unsigned long long)total);
		gh_buf_free(&l);
	}
	free_hists(hists, n);
	return ret;
}
