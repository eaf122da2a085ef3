/* out_plan.c - the nesting plan of JSON and YAML rows (out_plan.h). */
#include "output/out_plan.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/out.h"

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

/* Offsets into p->keys while the plan is built (the buffer may move),
 * turned into pointers at the end. */
static int plan_emit(struct gh_out_plans *p, struct gh_out_op *ops, const struct plan_tree *t,
		     size_t node, unsigned depth, size_t *n_ops)
{
	bool first = true;
	int err;

	for (size_t c = t->nodes[node].first_child; c; c = t->nodes[c].next) {
		const struct plan_node *n = &t->nodes[c];
		struct gh_out_op *op = &ops[(*n_ops)++];
		size_t key_off, json_off, pre_off;

		key_off = p->keys.len;
		if (gh_buf_append(&p->keys, n->seg, n->seg_len) || gh_buf_putc(&p->keys, '\0'))
			return -ENOMEM;
		json_off = p->keys.len;
		err = gh_json_put_string(&p->keys, n->seg, n->seg_len);
		if (err)
			return err;
		op->json_key_len = p->keys.len - json_off;
		if (gh_buf_putc(&p->keys, '\0'))
			return -ENOMEM;
		/* the compact prefix: [,]"key":[{] (the key copied by offset:
		 * the buffer may move while it grows) */
		pre_off = p->keys.len;
		if (gh_buf_reserve(&p->keys, op->json_key_len + 3))
			return -ENOMEM;
		if (!first)
			gh_buf_putc(&p->keys, ',');
		gh_buf_append(&p->keys, p->keys.p + json_off, op->json_key_len);
		gh_buf_putc(&p->keys, ':');
		if (n->field < 0)
			gh_buf_putc(&p->keys, '{');
		op->json_prefix_len = p->keys.len - pre_off;
		if (gh_buf_putc(&p->keys, '\0'))
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
		err = plan_emit(p, ops, t, c, depth + 1, n_ops);
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

/* Whether field idx belongs to a source that some events lack (only one
 * such source is planned for: the containers'). */
static bool may_be_absent(const struct gh_schema *s, int idx)
{
	return gh_field_is_sourced(s, idx) && s->sources[s->fields[idx].source - 1].ops->present;
}

/* One plan of the selected fields; with_sourced false leaves out the
 * fields of field sources some events lack (the plan of a host process's
 * events, without container fields).  Key strings are offsets into p->keys until
 * fix_plan(). */
static int build_plan(struct gh_out_plans *p, const struct gh_schema *s, const int *fields,
		      size_t n_fields, bool with_sourced, struct gh_out_plan *plan)
{
	struct plan_tree t = {0};
	size_t root, n_ops = 0;
	int err;

	err = tree_add(&t, 0, "", 0, -1, &root);
	for (size_t i = 0; !err && i < n_fields; i++) {
		if (!with_sourced && may_be_absent(s, fields[i]))
			continue;
		err = tree_insert(&t, s->fields[fields[i]].name, fields[i]);
	}
	if (err)
		goto out;
	/* every node but the root is one op; every group also has a close */
	plan->ops = calloc(t.n * 2, sizeof(*plan->ops));
	if (!plan->ops) {
		err = -ENOMEM;
		goto out;
	}
	err = plan_emit(p, plan->ops, &t, root, 0, &n_ops);
	plan->n_ops = n_ops;
out:
	free(t.nodes);
	return err;
}

static void fix_plan(struct gh_out_plans *p, struct gh_out_plan *plan)
{
	for (size_t i = 0; i < plan->n_ops; i++) {
		struct gh_out_op *op = &plan->ops[i];

		op->key = p->keys.p + (uintptr_t)op->key;
		op->json_key = p->keys.p + (uintptr_t)op->json_key;
		op->json_prefix = p->keys.p + (uintptr_t)op->json_prefix;
	}
}

int gh_out_plans_build(struct gh_out_plans *p, const struct gh_schema *s, const int *fields,
		       size_t n_fields)
{
	int err = build_plan(p, s, fields, n_fields, true, &p->plan);

	for (size_t i = 0; i < n_fields && p->sourced < 0; i++)
		if (may_be_absent(s, fields[i]))
			p->sourced = fields[i];
	if (!err && p->sourced >= 0)
		err = build_plan(p, s, fields, n_fields, false, &p->without_sourced);
	if (err)
		return err;
	fix_plan(p, &p->plan);
	fix_plan(p, &p->without_sourced);
	return 0;
}

const struct gh_out_plan *gh_out_plans_for(const struct gh_out_plans *p,
					   const struct gh_schema *s, const struct gh_event *ev)
{
	if (p->sourced >= 0 && !gh_field_source_present(s, p->sourced, ev))
		return &p->without_sourced;
	return &p->plan;
}

void gh_out_plans_free(struct gh_out_plans *p)
{
	free(p->plan.ops);
	free(p->without_sourced.ops);
	gh_buf_free(&p->keys);
	memset(p, 0, sizeof(*p));
	p->sourced = -1;
}
