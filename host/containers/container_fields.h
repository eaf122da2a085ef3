/* container_fields.h - runtime.* and k8s.* for every gadget's events.
 *
 * A gadget whose event has a mount namespace field (gadget_mntns_id) gets
 * these fields without writing anything: they are virtual, a field
 * source of the schema (schema/field.h), looked up in the container
 * collection by that mount namespace when printed or filtered.  Host
 * processes have them null (empty in columns; left out of JSON and YAML).
 */
#ifndef GH_CONTAINER_FIELDS_H
#define GH_CONTAINER_FIELDS_H

#include "schema/field.h"

enum gh_container_attr {
	GH_CATTR_NONE,
	GH_CATTR_RUNTIME,        /* runtime.runtimeName */
	GH_CATTR_ID,             /* runtime.containerId */
	GH_CATTR_NAME,           /* runtime.containerName */
	GH_CATTR_IMAGE,          /* runtime.containerImageName */
	GH_CATTR_K8S_NAMESPACE,  /* k8s.namespace */
	GH_CATTR_K8S_POD,        /* k8s.podName */
	GH_CATTR_K8S_CONTAINER,  /* k8s.containerName */
	GH_CATTR_K8S_LABELS,     /* k8s.podLabels */
	GH_CATTR_NETNS,          /* netnsid, where the event has none of its own */
};

struct gh_containers;

/* Find s's mount namespace field and add the fields to s (none if it has
 * none): the number added, or -errno. */
int gh_container_fields_add(struct gh_schema *s);
/* Where the fields look their container up (NULL: nowhere, every event
 * is a host process's); kept by the caller. */
void gh_container_fields_bind(struct gh_schema *s, struct gh_containers *cc);
struct gh_containers *gh_container_fields_bound(const struct gh_schema *s);
/* Whether field idx of s is one of them. */
bool gh_is_container_field(const struct gh_schema *s, int idx);
/* The mount namespace id of ev; 0 when the schema has none. */
uint64_t gh_event_mntns(const struct gh_schema *s, const struct gh_event *ev);
/* The container ev comes from, by its mount namespace; NULL for a host
 * process (or a schema without containers). */
const struct gh_container *gh_event_container(const struct gh_schema *s,
					      const struct gh_event *ev);

#endif
