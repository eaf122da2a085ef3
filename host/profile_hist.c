/* profile_hist.c - printing a GADGET_HISTOGRAM map: a chart (or a JSON
 * object) per key, keys in byte order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hist_render.h"
#include "lua_script.h"
#include "profile_private.h"

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
		ret = gh_buf_printf(&d->buf, "%s%s = ", i ? ", " : "",
				    d->g->schema.fields[d->fields[i]].name);
		if (!ret)
			ret = gh_field_text(&d->g->schema, d->fields[i], ev, &d->buf);
	}
	return ret ? ret : gh_buf_putc(&d->buf, '\n');
}

static int put_json(struct gh_profile_dump *d, const struct gh_event *ev, const uint32_t *slots,
		    size_t n_slots)
{
	int ret = gh_buf_putc(&d->buf, '{');

	for (size_t i = 0; ev && i < d->n_fields && !ret; i++) {
		ret = gh_profile_json_field(d, d->fields[i], ev, &d->buf);
		if (!ret)
			ret = gh_buf_putc(&d->buf, ',');
	}
	if (!ret)
		ret = gh_buf_puts(&d->buf, "\"unit\":");
	if (!ret)
		ret = gh_json_put_string(&d->buf, d->p->unit, strlen(d->p->unit));
	if (!ret)
		ret = gh_buf_puts(&d->buf, ",\"buckets\":");
	if (!ret)
		ret = gh_hist_render_json(&d->buf, slots, n_slots);
	return ret ? ret : gh_buf_puts(&d->buf, "}\n");
}

/* As events go: the container judge, the Lua filter and enrich, then -F
 * (which may read what enrich set).  The Lua overlay stays on ev until
 * gh_lua_event_done(). */
static bool keep(struct gh_profile_dump *d, struct gh_event *ev)
{
	struct gh_lua *lua = d->g->lua;

	if (d->opts->accept && !d->opts->accept(d->opts->accept_ctx, ev, d->seq))
		return false;
	if (gh_lua_has_filter(lua) && gh_lua_filter(lua, ev) <= 0)
		return false;
	if (gh_lua_has_enrich(lua) && gh_lua_enrich(lua, ev) < 0)
		return false;
	return !d->filter || gh_filter_match(d->filter, &d->g->schema, ev);
}

int gh_profile_hist_dump(struct gh_profile_dump *d)
{
	struct bpf_map *map = bpf_object__find_map_by_name(d->g->obj, d->p->map_name);
	size_t n_slots = bpf_map__value_size(map) / 4, n = 0, shown = 0;
	bool json = d->output != GH_POUT_TEXT;
	struct gh_lua *lua = d->g->lua;
	struct hist *hists = NULL;
	int ret = read_hists(d, map, &hists, &n);

	if (!ret && d->reset && !json)
		ret = gh_buf_putc(&d->buf, '\n');
	for (size_t i = 0; i < n && !ret; i++) {
		struct gh_event ev = {.data = hists[i].key, .len = d->p->key_size};

		if (!gh_hist_total(hists[i].slots, n_slots) || !keep(d, &ev))
			goto next;
		if (json) {
			ret = put_json(d, &ev, hists[i].slots, n_slots);
		} else {
			/* the zero key: the one histogram of a gadget not split */
			if (d->n_fields && !all_zero(hists[i].key, d->p->key_size))
				ret = gh_buf_puts(&d->buf, shown ? "\n" : "");
			if (!ret && d->n_fields && !all_zero(hists[i].key, d->p->key_size))
				ret = put_key_text(d, &ev);
			if (!ret)
				ret = gh_hist_render_text(&d->buf, hists[i].slots, n_slots,
							  d->p->unit);
		}
		shown++;
next:
		gh_lua_event_done(lua);
	}
	if (!ret && json && !shown) {
		uint32_t none = 0;

		ret = put_json(d, NULL, &none, 1);
	}
	if (!ret)
		ret = gh_profile_write(d);
	free_hists(hists, n);
	return ret;
}
