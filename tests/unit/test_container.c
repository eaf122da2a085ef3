/* test_container.c - the container collection: ids, reused mount namespace
 * ids, lingering, listeners, the drain before a change; selection; the
 * container fields of an event; annotations and runtime classification. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containers/container.h"
#include "containers/container_fields.h"
#include "containers/container_labels.h"
#include "containers/container_meta.h"
#include "containers/container_select.h"
#include "base/json.h"

static struct gh_container *mk(const char *id, uint64_t mntns, pid_t pid)
{
	struct gh_container *c = gh_container_new(id);

	assert_non_null(c);
	c->mntns = mntns;
	c->pid = pid;
	assert_int_equal(gh_container_set(&c->name, id), 0);
	return c;
}

struct log {
	char lines[16][64];
	int n;
	int syncs;
};

static void on_change(void *ctx, const struct gh_container *c, bool added)
{
	struct log *l = ctx;

	if (l->n < 16)
		snprintf(l->lines[l->n++], 64, "%c%s", added ? '+' : '-', c->id);
}

static void on_sync(void *ctx)
{
	((struct log *)ctx)->syncs++;
}

static void test_add_remove_linger(void **state)
{
	struct gh_containers *cc;
	struct log l = {0};

	(void)state;
	assert_int_equal(gh_containers_new(&cc), 0);
	assert_int_equal(gh_containers_subscribe(cc, on_change, &l), 0);
	gh_containers_set_sync(cc, on_sync, &l);
	assert_int_equal(gh_containers_add(cc, mk("a", 100, 10)), 0);
	assert_int_equal(gh_containers_add(cc, mk("b", 200, 20)), 0);
	assert_int_equal(gh_containers_count(cc), 2);
	assert_string_equal(gh_containers_by_mntns(cc, 200)->id, "b");
	assert_null(gh_containers_by_mntns(cc, 300));
	assert_null(gh_containers_by_mntns(cc, 0));

	/* adds retire nothing: no drain (waiting events may be the new
	 * container's first ones); the same container seen again: no news */
	assert_int_equal(l.syncs, 0);
	assert_int_equal(gh_containers_add(cc, mk("a", 100, 10)), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.syncs, 0);

	/* removed: gone from the live set, still found by mntns until expiry */
	assert_int_equal(gh_containers_remove(cc, "a", 1000), 0);
	assert_int_equal(gh_containers_remove(cc, "a", 1000), -ENOENT);
	assert_int_equal(gh_containers_count(cc), 1);
	assert_null(gh_containers_by_id(cc, "a"));
	assert_string_equal(gh_containers_by_mntns(cc, 100)->id, "a");
	gh_containers_expire(cc, 1000 + GH_CONTAINER_LINGER_MS - 1);
	assert_non_null(gh_containers_by_mntns(cc, 100));
	gh_containers_expire(cc, 1000 + GH_CONTAINER_LINGER_MS);
	assert_null(gh_containers_by_mntns(cc, 100));
	assert_int_equal(l.n, 3);
	assert_string_equal(l.lines[2], "-a");
	assert_int_equal(l.syncs, 2); /* the remove, the expiry */
	gh_containers_free(cc);
}

/* The kernel reuses a dead namespace's id at once: a new container with
 * the old one's mntns means the old one is gone, and events find the new. */
static void test_mntns_reuse(void **state)
{
	struct gh_containers *cc;
	struct log l = {0};

	(void)state;
	assert_int_equal(gh_containers_new(&cc), 0);
	assert_int_equal(gh_containers_subscribe(cc, on_change, &l), 0);
	gh_containers_set_sync(cc, on_sync, &l);
	assert_int_equal(gh_containers_add(cc, mk("old", 4026532176ULL, 10)), 0);
	assert_string_equal(gh_containers_by_mntns(cc, 4026532176ULL)->id, "old"); /* cached */
	assert_int_equal(l.syncs, 0);
	assert_int_equal(gh_containers_add(cc, mk("new", 4026532176ULL, 11)), 0);
	assert_int_equal(l.syncs, 1); /* "old" is retired: its events drained first */
	assert_int_equal(gh_containers_count(cc), 1);
	assert_string_equal(gh_containers_by_mntns(cc, 4026532176ULL)->id, "new");
	assert_int_equal(l.n, 3);
	assert_string_equal(l.lines[0], "+old");
	assert_string_equal(l.lines[1], "-old");
	assert_string_equal(l.lines[2], "+new");
	/* the new one ends: the most recently removed owns late events */
	assert_int_equal(gh_containers_remove(cc, "new", 5), 0);
	assert_string_equal(gh_containers_by_mntns(cc, 4026532176ULL)->id, "new");
	/* and a container that comes back under its id is live again */
	assert_int_equal(gh_containers_add(cc, mk("new", 4026532176ULL, 12)), 0);
	assert_int_equal(gh_containers_count(cc), 1);
	gh_containers_free(cc);
}

static void test_select(void **state)
{
	const char *names[] = {"web", "api-*"};
	struct gh_container_select all = {0}, named = {.names = names, .n_names = 2},
				   pods = {.k8s_namespace = "shop", .k8s_pod = "api-*"};
	struct gh_container *web = mk("0123abcd", 1, 1), *api = mk("api-1", 2, 2);
	struct gh_container *pause = mk("f00d", 3, 3), *other = mk("db", 4, 4);

	(void)state;
	assert_int_equal(gh_container_set(&web->name, "web"), 0);
	assert_int_equal(gh_container_set(&api->k8s_namespace, "shop"), 0);
	assert_int_equal(gh_container_set(&api->k8s_pod, "api-7d4b9"), 0);
	pause->sandbox = true;
	assert_true(gh_container_selected(&all, web));
	assert_false(gh_container_selected(&all, pause)); /* never a pod's sandbox */
	assert_true(gh_container_selected(&named, web));
	assert_true(gh_container_selected(&named, api));
	assert_false(gh_container_selected(&named, other));
	assert_true(gh_container_selected(&pods, api));
	assert_false(gh_container_selected(&pods, web)); /* no pod at all */
	gh_container_free(web);
	gh_container_free(api);
	gh_container_free(pause);
	gh_container_free(other);
}

struct rec {
	uint64_t mountnsid;
	uint32_t pid;
};

/* runtime.* and k8s.* of an event come from its mntns, at read time */
static void test_fields(void **state)
{
	struct gh_field fields[2] = {
		{.name = (char *)"mountnsid", .kind = GH_KIND_UINT, .special = GH_SPECIAL_MNTNS_ID,
		 .offset = offsetof(struct rec, mountnsid), .size = 8, .map_source = -1},
		{.name = (char *)"pid", .kind = GH_KIND_UINT, .offset = offsetof(struct rec, pid),
		 .size = 4, .map_source = -1},
	};
	struct gh_schema s = {.struct_name = strdup("rec")};
	struct rec r = {.mountnsid = 77, .pid = 1};
	struct gh_event ev = {.data = (const uint8_t *)&r, .len = sizeof(r)};
	struct gh_containers *cc;
	struct gh_container *c = mk("abc", 77, 5);
	struct gh_value v;
	int name, ns, netns;

	(void)state;
	s.fields = malloc(sizeof(fields));
	assert_non_null(s.fields);
	memcpy(s.fields, fields, sizeof(fields));
	s.n_fields = 2;
	for (size_t i = 0; i < 2; i++) /* gh_schema_free frees names */
		s.fields[i].name = strdup(fields[i].name);
	assert_int_equal(gh_container_fields_add(&s), 9); /* 8 container fields + netnsid */
	name = gh_schema_find(&s, "runtime.containerName");
	ns = gh_schema_find(&s, "k8s.namespace");
	netns = gh_schema_find(&s, "netnsid");
	assert_true(name >= 0 && ns >= 0 && netns >= 0);
	assert_false(s.fields[name].hidden); /* a default column */
	assert_true(s.fields[ns].hidden);

	/* no collection: null */
	assert_int_equal(gh_field_value(&s, name, &ev, &v), 0);
	assert_int_equal(v.type, GH_V_NULL);
	assert_int_equal(gh_containers_new(&cc), 0);
	gh_container_fields_bind(&s, cc);
	assert_int_equal(gh_field_value(&s, name, &ev, &v), 0);
	assert_int_equal(v.type, GH_V_NULL); /* a host process */
	c->netns = 88;
	assert_int_equal(gh_container_set(&c->k8s_namespace, "shop"), 0);
	assert_int_equal(gh_containers_add(cc, c), 0);
	assert_int_equal(gh_field_value(&s, name, &ev, &v), 0);
	assert_int_equal(v.type, GH_V_STR);
	assert_memory_equal(v.s.p, "abc", 3);
	assert_int_equal(gh_field_value(&s, ns, &ev, &v), 0);
	assert_memory_equal(v.s.p, "shop", 4);
	assert_int_equal(gh_field_value(&s, netns, &ev, &v), 0);
	assert_int_equal(v.type, GH_V_UINT);
	assert_int_equal(v.u, 88);
	/* a record cut before its mntns: null, no read past its end */
	ev.len = 4;
	assert_int_equal(gh_field_value(&s, name, &ev, &v), 0);
	assert_int_equal(v.type, GH_V_NULL);
	gh_containers_free(cc);
	gh_schema_free(&s);
}

static void test_classify(void **state)
{
	static const char state_json[] =
		"{\"config\":{\"labels\":[\"io.kubernetes.cri.container-type=container\","
		"\"io.kubernetes.cri.sandbox-name=api-7d4b9\","
		"\"io.kubernetes.cri.sandbox-namespace=shop\","
		"\"io.kubernetes.cri.container-name=api\","
		"\"io.kubernetes.cri.image-name=localhost/bb:latest\","
		"\"odd=a=b\",\"noequals\","
		"\"bundle=/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc\"]}}";
	struct gh_annotations a = {0};
	struct gh_json *j = NULL;
	struct gh_container *c = mk("abc", 1, 1);
	char err[128];

	(void)state;
	assert_int_equal(gh_json_parse(state_json, sizeof(state_json) - 1, &j, err, sizeof(err)), 0);
	assert_int_equal(gh_annotations_from_labels(&a, gh_json_path(j, "config.labels")), 0);
	assert_int_equal(a.n, 7); /* "noequals" is skipped */
	assert_string_equal(gh_annotation(&a, "odd"), "a=b");
	assert_int_equal(gh_container_set(&c->bundle, gh_annotation(&a, "bundle")), 0);
	assert_int_equal(gh_container_classify(c, &a, "/nonexistent/docker.sock"), 0);
	assert_string_equal(c->runtime, "containerd");
	assert_string_equal(c->name, "api");
	assert_string_equal(c->k8s_namespace, "shop");
	assert_string_equal(c->k8s_pod, "api-7d4b9");
	assert_string_equal(c->image, "localhost/bb:latest");
	assert_false(c->sandbox);
	gh_container_free(c);

	/* a plain runc bundle, no annotations: runc, named by its id */
	c = mk("web", 1, 1);
	gh_annotations_free(&a);
	assert_int_equal(gh_container_set(&c->bundle, "/srv/bundles/web"), 0);
	assert_int_equal(gh_container_classify(c, &a, NULL), 0);
	assert_string_equal(c->runtime, "runc");
	assert_string_equal(c->name, "web");
	assert_null(c->k8s_namespace);
	gh_container_free(c);
	gh_json_free(j);
}

/* pod labels: CRI-O's io.kubernetes.cri-o.Labels, kubelet's own left out */
static void test_pod_labels(void **state)
{
	static const char state_json[] =
		"{\"annotations\":{\"io.kubernetes.pod.name\":\"web\","
		"\"io.kubernetes.pod.namespace\":\"shop\","
		"\"io.kubernetes.container.name\":\"main\","
		"\"io.kubernetes.cri-o.Labels\":\"{\\\"app\\\":\\\"web\\\","
		"\\\"io.kubernetes.pod.name\\\":\\\"web\\\",\\\"tier\\\":\\\"be\\\"}\"}}";
	struct gh_annotations a = {0};
	struct gh_json *j = NULL;
	struct gh_container *c = mk("abc", 1, 1);
	char err[128], *labels;

	(void)state;
	assert_int_equal(gh_json_parse(state_json, sizeof(state_json) - 1, &j, err, sizeof(err)), 0);
	assert_int_equal(gh_annotations_from_object(&a, gh_json_get(j, "annotations")), 0);
	assert_int_equal(gh_container_classify(c, &a, NULL), 0);
	assert_string_equal(c->k8s_pod, "web");
	assert_string_equal(c->name, "main");
	assert_string_equal(c->k8s_labels, "app=web,tier=be");
	gh_container_free(c);
	gh_annotations_free(&a);
	gh_json_free(j);

	assert_int_equal(gh_k8s_labels_from_json(NULL, &labels), 0);
	assert_null(labels);
	assert_int_equal(gh_k8s_labels_from_json("{}", &labels), 0);
	assert_null(labels);
	assert_int_equal(gh_k8s_labels_from_json("[1]", &labels), -EINVAL);
	assert_int_equal(gh_k8s_labels_from_json("{\"a\":", &labels), -EINVAL);
	/* a comma cannot be held by "k=v,k=v"; a non-string value is no label */
	assert_int_equal(gh_k8s_labels_from_json("{\"a\":\"x,y\",\"b\":1,\"c\":\"d\"}", &labels), 0);
	assert_string_equal(labels, "c=d");
	free(labels);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_remove_linger),
		cmocka_unit_test(test_mntns_reuse),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_pod_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
