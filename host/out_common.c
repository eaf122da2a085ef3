/* out_common.c - the output object: format choice, the JSON/YAML nesting
 * plan, dispatch of events to the format writers, and flushing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "out_private.h"

#include "container_fields.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int gh_out_format_parse(const char *name, enum gh_out_format *fmt)
{
	static const struct {
		const char *name;
		enum gh_out_format fmt;
	} formats[] = {
		{"columns", GH_OUT_COLUMNS},
		{"json", GH_OUT_JSON},
		{"jsonpretty", GH_OUT_JSONPRETTY},
		{"yaml", GH_OUT_YAML},
	};

	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (strcmp(name, formats[i].name) == 0) {
			*fmt = formats[i].fmt;
			return 0;
		}
	}
	return -EINVAL;
}

/* The nesting plan is built from a small tree of dotted name segments:
 * nodes in one array, linked by index, freed once the plan is flat. */
struct plan_node {
	const char *seg;
	size_t seg_len;
	int field;        /* leaf: schema index; group: -1 */
	size_t first_child, last_child, next; /* 0: none (0 is the root) */
};

struct plan_tree {
	struct plan_node *nodes;
	size_t n, cap;
};

static int tree_add(struct plan_tree *t, size_t parent, const char *seg, size_t seg_len,
		    int field, size_t *idx)
{
	struct plan_node *node;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct plan_node *nodes = realloc(t->nodes, cap * sizeof(*nodes));

		if (!nodes)
			return -ENOMEM;
		t->nodes = nodes;
		t->cap = cap;
	}
	node = &t->nodes[t->n];
	memset(node, 0, sizeof(*node));
	node->seg = seg;
	node->seg_len = seg_len;
	node->field = field;
	if (t->n) {
		struct plan_node *p = &t->nodes[parent];

		if (p->last_child)
			t->nodes[p->last_child].next = t->n;
		else
			p->first_child = t->n;
		p->last_child = t->n;
	}
	*idx = t->n++;
	return 0;
}

/* The group named seg under parent, created at the end if missing. */
static int tree_group(struct plan_tree *t, size_t parent, const char *seg, size_t seg_len,
		      size_t *idx)
{
	for (size_t c = t->nodes[parent].first_child; c; c = t->nodes[c].next) {
		const struct plan_node *n = &t->nodes[c];

		if (n->field < 0 && n->seg_len == seg_len && memcmp(n->seg, seg, seg_len) == 0) {
			*idx = c;
			return 0;
		}
	}
	return tree_add(t, parent, seg, seg_len, -1, idx);
}

static int tree_insert(struct plan_tree *t, const char *name, int field)
{
	size_t node = 0, idx;
	const char *dot;
	int err;

	while ((dot = strchr(name, '.'))) {
		err = tree_group(t, node, name, (size_t)(dot - name), &node);
		if (err)
			return err;
		name = dot + 1;
	}
	return tree_add(t, node, name, strlen(name), field, &idx);
}

/* Offsets into out->keys while the plan is built (the buffer may move),
 * turned into pointers at the end. */
static int plan_emit(struct gh_out *out, struct gh_out_op *ops, const struct plan_tree *t,
		     size_t node, unsigned depth, size_t *n_ops)
{
	bool first = true;
	int err;

	for (size_t c = t->nodes[node].first_child; c; c = t->nodes[c].next) {
		const struct plan_node *n = &t->nodes[c];
		struct gh_out_op *op = &ops[(*n_ops)++];
		size_t key_off, json_off, pre_off;

		key_off = out->keys.len;
		if (gh_buf_append(&out->keys, n->seg, n->seg_len) || gh_buf_putc(&out->keys, '\0'))
			return -ENOMEM;
		json_off = out->keys.len;
		err = gh_json_put_string(&out->keys, n->seg, n->seg_len);
		if (err)
			return err;
		op->json_key_len = out->keys.len - json_off;
		if (gh_buf_putc(&out->keys, '\0'))
			return -ENOMEM;
		/* the compact prefix: [,]"key":[{] (the key copied by offset:
		 * the buffer may move while it grows) */
		pre_off = out->keys.len;
		if (gh_buf_reserve(&out->keys, op->json_key_len + 3))
			return -ENOMEM;
		if (!first)
			gh_buf_putc(&out->keys, ',');
		gh_buf_append(&out->keys, out->keys.p + json_off, op->json_key_len);
		gh_buf_putc(&out->keys, ':');
		if (n->field < 0)
			gh_buf_putc(&out->keys, '{');
		op->json_prefix_len = out->keys.len - pre_off;
		if (gh_buf_putc(&out->keys, '\0'))
			return -ENOMEM;
		op->json_prefix = (const char *)(uintptr_t)pre_off;
		op->key = (const char *)(uintptr_t)key_off;
		op->key_len = n->seg_len;
		op->json_key = (const char *)(uintptr_t)json_off;
		op->depth = depth;
		op->first = first;
		op->field = n->field;
		first = false;
		if (n->field >= 0) {
			op->type = GH_OP_FIELD;
			continue;
		}
		op->type = GH_OP_OPEN;
		err = plan_emit(out, ops, t, c, depth + 1, n_ops);
		if (err)
			return err;
		op = &ops[(*n_ops)++];
		memset(op, 0, sizeof(*op));
		op->type = GH_OP_CLOSE;
		op->field = -1;
		op->depth = depth;
		op->key = (const char *)(uintptr_t)key_off;
		op->json_key = (const char *)(uintptr_t)json_off;
		op->json_prefix = (const char *)(uintptr_t)pre_off;
	}
	return 0;
}

/* One plan of the selected fields; with_containers false leaves out the
 * container fields (the plan of a host process's events).  Key strings
 * are offsets into out->keys until fix_plan(). */
static int build_plan(struct gh_out *out, bool with_containers, struct gh_out_plan *plan)
{
	struct plan_tree t = {0};
	size_t root, n_ops = 0;
	int err;

	err = tree_add(&t, 0, "", 0, -1, &root);
	for (size_t i = 0; !err && i < out->n_fields; i++) {
		if (!with_containers && gh_is_container_field(out->schema, out->fields[i]))
			continue;
		err = tree_insert(&t, out->schema->fields[out->fields[i]].name, out->fields[i]);
	}
	if (err)
		goto out;
	/* every node but the root is one op; every group also has a close */
	plan->ops = calloc(t.n * 2, sizeof(*plan->ops));
	if (!plan->ops) {
		err = -ENOMEM;
		goto out;
	}
	err = plan_emit(out, plan->ops, &t, root, 0, &n_ops);
	plan->n_ops = n_ops;
out:
	free(t.nodes);
	return err;
}

static void fix_plan(struct gh_out *out, struct gh_out_plan *plan)
{
	for (size_t i = 0; i < plan->n_ops; i++) {
		struct gh_out_op *op = &plan->ops[i];

		op->key = out->keys.p + (uintptr_t)op->key;
		op->json_key = out->keys.p + (uintptr_t)op->json_key;
		op->json_prefix = out->keys.p + (uintptr_t)op->json_prefix;
	}
}

/* The plan of container events, and when container fields are selected,
 * the plan of host events without them (JSON and YAML omit them, as
 * Inspektor Gadget omits empty container metadata). */
static int build_plans(struct gh_out *out)
{
	int err = build_plan(out, true, &out->plan);
	bool any = false;

	for (size_t i = 0; i < out->n_fields; i++)
		any |= gh_is_container_field(out->schema, out->fields[i]);
	if (!err && any) {
		err = build_plan(out, false, &out->host_plan);
		out->has_host_plan = !err;
	}
	if (err)
		return err;
	fix_plan(out, &out->plan);
	fix_plan(out, &out->host_plan);
	return 0;
}

int gh_out_new(struct gh_out **outp, enum gh_out_format fmt, const struct gh_schema *s,
	       const int *fields, size_t n_fields, int fd)
{
	struct gh_out *out;
	int err;

	*outp = NULL;
	if (fmt != GH_OUT_COLUMNS && fmt != GH_OUT_JSON && fmt != GH_OUT_JSONPRETTY &&
	    fmt != GH_OUT_YAML)
		return -EINVAL;
	for (size_t i = 0; i < n_fields; i++)
		if (fields[i] < 0 || (size_t)fields[i] >= s->n_fields)
			return -EINVAL;

	out = calloc(1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	out->fmt = fmt;
	out->schema = s;
	out->fd = fd;
	out->n_fields = n_fields;
	out->fields = malloc((n_fields ? n_fields : 1) * sizeof(*out->fields));
	if (!out->fields) {
		err = -ENOMEM;
		goto err;
	}
	if (n_fields)
		memcpy(out->fields, fields, n_fields * sizeof(*fields));
	/* room for a good batch of rows before the first flush */
	err = gh_buf_reserve(&out->buf, 64 * 1024);
	if (!err)
		err = gh_buf_reserve(&out->scratch, 4096);
	if (err)
		goto err;

	switch (fmt) {
	case GH_OUT_COLUMNS:
		err = gh_out_columns_init(out);
		break;
	case GH_OUT_JSON:
	case GH_OUT_JSONPRETTY:
		err = build_plans(out);
		break;
	case GH_OUT_YAML:
		err = build_plans(out);
		if (!err)
			err = gh_out_yaml_init(out);
		break;
	}
	if (err)
		goto err;
	*outp = out;
	return 0;
err:
	gh_out_free(out);
	return err;
}

const struct gh_out_plan *gh_out_plan_for(const struct gh_out *out, const struct gh_event *ev)
{
	if (out->has_host_plan && !gh_event_container(out->schema, ev))
		return &out->host_plan;
	return &out->plan;
}

void gh_out_set_text_hook(struct gh_out *out, gh_text_hook_fn fn, void *ctx)
{
	out->text_hook = fn;
	out->text_hook_ctx = ctx;
}

int gh_out_header(struct gh_out *out)
{
	size_t start = out->buf.len;
	int err;

	if (out->fmt != GH_OUT_COLUMNS)
		return 0;
	err = gh_out_columns_header(out);
	if (err) {
		out->buf.len = start;
		if (out->buf.p)
			out->buf.p[start] = '\0';
	}
	return err;
}

int gh_out_event(struct gh_out *out, const struct gh_event *ev)
{
	size_t start = out->buf.len;
	int err = -EINVAL;

	switch (out->fmt) {
	case GH_OUT_COLUMNS:
		err = gh_out_columns_event(out, ev);
		break;
	case GH_OUT_JSON:
		err = gh_out_json_event(out, ev, false);
		break;
	case GH_OUT_JSONPRETTY:
		err = gh_out_json_event(out, ev, true);
		break;
	case GH_OUT_YAML:
		err = gh_out_yaml_event(out, ev);
		break;
	}
	if (err) {
		/* no half rows: drop what this event appended */
		out->buf.len = start;
		if (out->buf.p)
			out->buf.p[start] = '\0';
	}
	return err;
}

struct gh_buf *gh_out_buffer(struct gh_out *out)
{
	return &out->buf;
}

size_t gh_out_pending(const struct gh_out *out)
{
	return out->buf.len;
}

/* Wait until fd takes more bytes (it may be non-blocking). */
static int wait_writable(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	int n;

	do {
		n = poll(&pfd, 1, -1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (pfd.revents & POLLERR)
		return -EPIPE;
	return 0;
}

int gh_out_flush(struct gh_out *out)
{
	struct gh_buf *b = &out->buf;
	size_t off = 0;
	int err = 0;

	while (off < b->len) {
		ssize_t n = write(out->fd, b->p + off, b->len - off);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == 0) {
			err = -EIO;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			err = wait_writable(out->fd);
			if (err)
				break;
			continue;
		}
		err = -errno;
		break;
	}
	/* keep what was not written: the caller decides whether to retry */
	if (off == b->len) {
		gh_buf_reset(b);
	} else if (off) {
		memmove(b->p, b->p + off, b->len - off);
		b->len -= off;
		b->p[b->len] = '\0';
	}
	return err;
}

void gh_out_free(struct gh_out *out)
{
	if (!out)
		return;
	gh_out_yaml_free(out);
	gh_buf_free(&out->buf);
	gh_buf_free(&out->scratch);
	gh_buf_free(&out->keys);
	free(out->plan.ops);
	free(out->host_plan.ops);
	free(out->widths);
	free(out->fields);
	free(out);
}

int gh_fmt_double(char *p, size_t size, double d)
{
	int n = snprintf(p, size, "%.15g", d);

	if (strtod(p, NULL) != d)
		n = snprintf(p, size, "%.17g", d);
	return n;
}

uint64_t gh_out_read_uint(const void *p, uint32_t size)
{
	switch (size) {
	case 1: return *(const uint8_t *)p;
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
	case 8: { uint64_t v; memcpy(&v, p, 8); return v; }
	}
	return 0;
}

int64_t gh_out_read_int(const void *p, uint32_t size)
{
	switch (size) {
	case 1: return *(const int8_t *)p;
	case 2: { int16_t v; memcpy(&v, p, 2); return v; }
	case 4: { int32_t v; memcpy(&v, p, 4); return v; }
	case 8: { int64_t v; memcpy(&v, p, 8); return v; }
	}
	return 0;
}
