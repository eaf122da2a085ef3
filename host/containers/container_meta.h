/* container_meta.h - what a container is, from what the runtime left:
 * its OCI annotations, its bundle path, its init process.
 *
 * Every runtime here ends in runc, so one reader serves them all; the
 * runtime is told apart by its annotations and where its bundle lives
 * (see docs/containers.md):
 *
 *   io.container.manager=cri-o         CRI-O
 *   io.container.manager=libpod        podman (name: conmon's -n)
 *   bundle .../io.containerd.runtime.v2.task/moby/ID    docker (name: Engine API)
 *   bundle .../io.containerd.runtime.v2.task/NS/ID      containerd (ctr, CRI)
 *   anything else                       runc
 *
 * Kubernetes metadata comes from the annotations CRI runtimes set, on any
 * runtime: io.kubernetes.cri.* (containerd) or io.kubernetes.pod.* (CRI-O).
 */
#ifndef GH_CONTAINER_META_H
#define GH_CONTAINER_META_H

#include <stddef.h>

#include "containers/container.h"

struct gh_json;

/* OCI annotations, "key" -> "value". */
struct gh_annotations {
	char **keys;
	char **values;
	size_t n;
};

void gh_annotations_free(struct gh_annotations *a);
const char *gh_annotation(const struct gh_annotations *a, const char *key);
/* From a JSON object {"k":"v"} (an OCI config's or hook state's
 * "annotations"); non-string values are skipped.  0 or -ENOMEM. */
int gh_annotations_from_object(struct gh_annotations *a, const struct gh_json *obj);
/* From runc's state.json config.labels: ["k=v", ..., "bundle=/dir"]. */
int gh_annotations_from_labels(struct gh_annotations *a, const struct gh_json *labels);
/* From the "annotations" of the OCI config.json in a bundle directory. */
int gh_annotations_from_bundle(struct gh_annotations *a, const char *bundle);

/* Fill runtime, name, image and k8s_* of c from its annotations and
 * bundle (c->bundle, c->pid and c->id must be set).  docker_socket: where
 * to ask Docker for names (NULL: /run/docker.sock). */
int gh_container_classify(struct gh_container *c, const struct gh_annotations *a,
			  const char *docker_socket);

/* A container as a runtime reports it: id, its init process (it must still
 * run, and have started at pid_start when that is not 0: else -ESRCH, the
 * pid was reused), its bundle and annotations; source says who reported
 * it.  Classified (runtime, name, pod) and ready to add. */
int gh_container_from_init(const char *id, pid_t pid, uint64_t pid_start, const char *bundle,
			   const char *source, const struct gh_annotations *a,
			   const char *docker_socket, struct gh_container **out);

/* c->mntns, c->netns and c->pid_start from /proc/PID.  -ESRCH: the
 * process is gone (or its namespaces already are). */
int gh_container_read_proc(struct gh_container *c);

#endif
