/* container_labels.h - pod labels from a runtime's annotation.
 *
 * CRI-O writes a container's CRI labels into the OCI annotation
 * io.kubernetes.cri-o.Labels as a JSON object ({"app":"web",...}); on a
 * pod's sandbox those are the pod's labels.  Runc containers made by hand
 * carry the same annotation to act as pods.  Kubelet's own labels
 * (io.kubernetes.*) are left out: they name the pod, they do not label it.
 */
#ifndef GH_CONTAINER_LABELS_H
#define GH_CONTAINER_LABELS_H

#include <stddef.h>

/* json -> "k=v,k=v" (keys sorted as in the object) in *out (malloc'd; NULL
 * when there is none).  0, -EINVAL (not a JSON object of strings) or
 * -ENOMEM. */
int gh_k8s_labels_from_json(const char *json, char **out);
/* n labels (keys[i] = values[i]), in that order, -> "k=v,k=v" in *out
 * (malloc'd; NULL when none is kept): the kubelet's io.kubernetes.* and
 * any with a comma are left out.  0 or -ENOMEM. */
int gh_k8s_labels_join(const char *const *keys, const char *const *values, size_t n,
		       char **out);

#endif
