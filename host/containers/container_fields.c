/* container_fields.c - runtime.* and k8s.* virtual fields (see
 * container_fields.h). */
#include "containers/container_fields.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "containers/container.h"

static const struct {
	const char *name;
	enum gh_container_attr attr;
	const char *description;
	unsigned width;
} container_fields[] = {
	{"runtime.runtimeName", GH_CATTR_RUNTIME, "container runtime (runc, containerd, docker, podman, cri-o)", 10},
	{"runtime.containerId", GH_CATTR_ID, "container id", 13},
	{"runtime.containerName", GH_CATTR_NAME, "container name", 16},
	{"runtime.containerImageName", GH_CATTR_IMAGE, "container image, where the runtime says", 24},
	{"k8s.namespace", GH_CATTR_K8S_NAMESPACE, "Kubernetes namespace of the pod", 16},
	{"k8s.podName", GH_CATTR_K8S_POD, "Kubernetes pod name", 20},
	{"k8s.containerName", GH_CATTR_K8S_CONTAINER, "Kubernetes container name", 16},
	{"k8s.podLabels", GH_CATTR_K8S_LABELS, "Kubernetes pod labels, where the runtime has them", 24},
};

static int field_value(void *ctx, const struct gh_schema *s, const struct gh_field *f,
		       const struct gh_event *ev, struct gh_value *v);
static bool has_container(void *ctx, const struct gh_schema *s, const struct gh_event *ev);

static const struct gh_field_source_ops container_source = {
	.name = "containers",
	.value = field_value,
	.present = has_container,
};

static int find_special(const struct gh_schema *s, enum gh_special sp)
{
	for (size_t i = 0; i < s->n_fields; i++)
		if (s->fields[i].special == sp && s->fields[i].kind != GH_KIND_VIRTUAL)
			return (int)i;
	return -1;
}

static int add_one(struct gh_schema *s, int source, const char *name,
		   enum gh_container_attr attr, const char *description, unsigned width,
		   bool hidden)
{
	int idx = gh_schema_add_sourced(s, source, attr, name,
					attr == GH_CATTR_NETNS ? "netns_id" : "string", description,
					width, hidden);

	return idx < 0 ? idx : 0;
}

int gh_container_fields_add(struct gh_schema *s)
{
	int n = 0, ret, source;

	s->mntns_field = find_special(s, GH_SPECIAL_MNTNS_ID);
	if (s->mntns_field < 0)
		return 0;
	source = gh_schema_add_source(s, &container_source, NULL);
	if (source < 0)
		return source;
	for (size_t i = 0; i < sizeof(container_fields) / sizeof(container_fields[0]); i++) {
		if (gh_schema_find(s, container_fields[i].name) >= 0)
			continue; /* the gadget has its own */
		ret = add_one(s, source, container_fields[i].name, container_fields[i].attr,
			      container_fields[i].description, container_fields[i].width,
			      container_fields[i].attr != GH_CATTR_NAME);
		if (ret)
			return ret;
		n++;
	}
	if (find_special(s, GH_SPECIAL_NETNS_ID) < 0 && gh_schema_find(s, "netnsid") < 0) {
		ret = add_one(s, source, "netnsid", GH_CATTR_NETNS,
			      "network namespace of the event's container", 12, true);
		if (ret)
			return ret;
		n++;
	}
	return n;
}

void gh_container_fields_bind(struct gh_schema *s, struct gh_containers *cc)
{
	gh_schema_set_source_ctx(s, &container_source, cc);
}

struct gh_containers *gh_container_fields_bound(const struct gh_schema *s)
{
	return gh_schema_source_ctx(s, &container_source);
}

bool gh_is_container_field(const struct gh_schema *s, int idx)
{
	return gh_field_is_sourced(s, idx) &&
	       s->sources[s->fields[idx].source - 1].ops == &container_source;
}

uint64_t gh_event_mntns(const struct gh_schema *s, const struct gh_event *ev)
{
	const struct gh_field *m;
	uint64_t x = 0;

	if (s->mntns_field < 0)
		return 0;
	m = &s->fields[s->mntns_field];
	if (m->size != 8 || m->offset > ev->len || ev->len - m->offset < 8)
		return 0;
	memcpy(&x, ev->data + m->offset, 8);
	return x;
}

static void set_string(struct gh_value *v, const char *str)
{
	if (!str) {
		v->type = GH_V_NULL;
		return;
	}
	v->type = GH_V_STR;
	v->s.p = str;
	v->s.len = strlen(str);
}

const struct gh_container *gh_event_container(const struct gh_schema *s,
					      const struct gh_event *ev)
{
	struct gh_containers *cc = gh_container_fields_bound(s);

	if (!cc || s->mntns_field < 0)
		return NULL;
	return gh_containers_by_mntns(cc, gh_event_mntns(s, ev));
}

static bool has_container(void *ctx, const struct gh_schema *s, const struct gh_event *ev)
{
	return ctx && s->mntns_field >= 0 && gh_containers_by_mntns(ctx, gh_event_mntns(s, ev));
}

static int field_value(void *ctx, const struct gh_schema *s, const struct gh_field *f,
		       const struct gh_event *ev, struct gh_value *v)
{
	const struct gh_container *c = ctx && s->mntns_field >= 0
					       ? gh_containers_by_mntns(ctx, gh_event_mntns(s, ev))
					       : NULL;

	v->type = GH_V_NULL;
	if (!c)
		return 0;
	switch ((enum gh_container_attr)f->source_attr) {
	case GH_CATTR_RUNTIME: set_string(v, c->runtime); break;
	case GH_CATTR_ID: set_string(v, c->id); break;
	case GH_CATTR_NAME: set_string(v, c->name); break;
	case GH_CATTR_IMAGE: set_string(v, c->image); break;
	case GH_CATTR_K8S_NAMESPACE: set_string(v, c->k8s_namespace); break;
	case GH_CATTR_K8S_POD: set_string(v, c->k8s_pod); break;
	case GH_CATTR_K8S_CONTAINER: set_string(v, c->k8s_container); break;
	case GH_CATTR_K8S_LABELS: set_string(v, c->k8s_labels); break;
	case GH_CATTR_NETNS:
		if (c->netns) {
			v->type = GH_V_UINT;
			v->u = c->netns;
		}
		break;
	case GH_CATTR_NONE:
		break;
	}
	return 0;
}
