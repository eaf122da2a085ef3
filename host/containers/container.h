/* container.h - the container collection: the live set of containers on
 * this host, whoever reported them (a runtime's state seen on disk, an OCI
 * hook), and who wants to hear of changes.
 *
 * A container is keyed by its id.  Events find their container by mount
 * namespace id, which the kernel reuses as soon as a namespace dies: the
 * collection never keeps two live containers with one mntns (the newer
 * wins), and a removed container stays findable for GH_CONTAINER_LINGER_MS
 * so that events sent just before it exited still get its name.
 */
#ifndef GH_CONTAINER_H
#define GH_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GH_CONTAINER_LINGER_MS 2000

struct gh_container {
	char *id;
	char *name;           /* runtime's name; the id where it has none */
	char *runtime;        /* runc, containerd, docker, podman, cri-o */
	char *image;          /* NULL: not known */
	char *k8s_namespace;  /* NULL: not a Kubernetes container */
	char *k8s_pod;
	char *k8s_container;
	char *k8s_pod_uid;
	char *k8s_labels;     /* "k=v,k=v" or NULL */
	bool k8s_labels_known; /* the runtime said (k8s_labels NULL: the pod has none) */
	char *bundle;
	char *source;         /* how it was found: "hook", or the state file */
	pid_t pid;            /* init process, in the host's pid namespace */
	uint64_t pid_start;   /* its start time (clock ticks since boot): pid reuse */
	uint64_t mntns;
	uint64_t netns;
	bool sandbox;         /* a Kubernetes pod's pause container */
	bool gone;            /* removed: lingering for late events */
};

struct gh_containers;

/* A change: added (true) or removed (false).  c is valid during the call. */
typedef void (*gh_container_cb)(void *ctx, const struct gh_container *c, bool added);

/* Called just before the collection changes: the run loop drains the events
 * already sent, so that they are enriched as things stood when they were
 * sent (mount namespace ids are reused at once: a container's last events
 * must not get the next container's name). */
typedef void (*gh_container_sync_fn)(void *ctx);

int gh_containers_new(struct gh_containers **out);
void gh_containers_set_sync(struct gh_containers *cc, gh_container_sync_fn fn, void *ctx);
void gh_containers_free(struct gh_containers *cc);
/* Listeners are called in the order they subscribed. */
int gh_containers_subscribe(struct gh_containers *cc, gh_container_cb cb, void *ctx);
void gh_containers_unsubscribe(struct gh_containers *cc, gh_container_cb cb, void *ctx);

/* Add c (ownership passes, even on error).  A container with the same id
 * is replaced (and reported removed first only if its mntns changed);
 * a live one with the same mntns but another id is removed: the kernel
 * reused the namespace id. */
int gh_containers_add(struct gh_containers *cc, struct gh_container *c);
/* Remove by id; -ENOENT if not there.  now_ms starts its linger time. */
int gh_containers_remove(struct gh_containers *cc, const char *id, uint64_t now_ms);
/* Forget removed containers older than the linger time. */
void gh_containers_expire(struct gh_containers *cc, uint64_t now_ms);

const struct gh_container *gh_containers_by_id(const struct gh_containers *cc, const char *id);
/* Live first, then lingering; NULL: not a known container. */
const struct gh_container *gh_containers_by_mntns(struct gh_containers *cc, uint64_t mntns);
size_t gh_containers_count(const struct gh_containers *cc);
const struct gh_container *gh_containers_at(const struct gh_containers *cc, size_t i);

struct gh_container *gh_container_new(const char *id);
void gh_container_free(struct gh_container *c);
/* Replace *field with a copy of value (NULL clears); 0 or -ENOMEM. */
int gh_container_set(char **field, const char *value);

#endif
