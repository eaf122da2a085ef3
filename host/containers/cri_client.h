/* cri_client.h - a pod's labels from the Kubernetes CRI API on a
 * container runtime's socket (containerd's, the one the kubelet uses).
 *
 * One unary gRPC call, RuntimeService/ListPodSandbox filtered by the
 * sandbox id, over HTTP/2 on the Unix socket: nghttp2 frames it, protobuf-c
 * encodes and decodes the messages (host/containers/cri.proto, compiled by protoc-c
 * at build time).  runtime.v1 first, runtime.v1alpha2 when the runtime
 * does not serve v1.  Synchronous, with a deadline: the callers classify
 * a container when it is found, as they ask Docker for its name.
 */
#ifndef GH_CRI_CLIENT_H
#define GH_CRI_CLIENT_H

#include <stddef.h>

#define GH_CRI_SOCKET "/run/containerd/containerd.sock"

/* The labels of pod sandbox sandbox_id, as "k=v,k=v" (sorted by key, the
 * kubelet's own io.kubernetes.* labels left out) in *labels (malloc'd;
 * NULL: the pod has none).  0; -ESRCH: the runtime has no such sandbox;
 * -ETIMEDOUT: no answer within timeout_ms; -EPROTO: an answer that is no
 * gRPC reply, or a gRPC error (err says what); other -errno (no socket:
 * -ENOENT or -ECONNREFUSED as connect(2) says).  err gets a line for a
 * warning.  socket_path NULL: GH_CRI_SOCKET. */
int gh_cri_pod_labels(const char *socket_path, const char *sandbox_id, int timeout_ms,
		      char **labels, char *err, size_t errlen);

#endif
