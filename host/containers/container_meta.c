/* container_meta.c - runtime, name, image and pod of a container from its
 * annotations, its bundle path and its init process (see container_meta.h). */
#include "containers/container_meta.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "containers/container_labels.h"
#include "containers/cri_client.h"
#include "containers/docker_api.h"
#include "base/json.h"
#include "base/log.h"
#include "base/read_file.h"

#define CRI "io.kubernetes.cri."
#define TASK_DIR "/io.containerd.runtime.v2.task/"

void gh_annotations_free(struct gh_annotations *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->keys[i]);
		free(a->values[i]);
	}
	free(a->keys);
	free(a->values);
	memset(a, 0, sizeof(*a));
}

const char *gh_annotation(const struct gh_annotations *a, const char *key)
{
	/* the last one wins, as in a JSON object read twice */
	for (size_t i = a->n; i > 0; i--)
		if (!strcmp(a->keys[i - 1], key))
			return a->values[i - 1];
	return NULL;
}

static int annotation_add(struct gh_annotations *a, const char *key, size_t key_len,
			  const char *value)
{
	char **keys = realloc(a->keys, (a->n + 1) * sizeof(*keys));
	char **values;

	if (!keys)
		return -ENOMEM;
	a->keys = keys;
	values = realloc(a->values, (a->n + 1) * sizeof(*values));
	if (!values)
		return -ENOMEM;
	a->values = values;
	keys[a->n] = strndup(key, key_len);
	values[a->n] = strdup(value);
	if (!keys[a->n] || !values[a->n]) {
		free(keys[a->n]);
		free(values[a->n]);
		return -ENOMEM;
	}
	a->n++;
	return 0;
}

int gh_annotations_from_object(struct gh_annotations *a, const struct gh_json *obj)
{
	if (gh_json_type(obj) != GH_JSON_OBJECT)
		return 0;
	for (size_t i = 0; i < gh_json_len(obj); i++) {
		const char *key = gh_json_key_at(obj, i);
		const char *value = gh_json_str(gh_json_at(obj, i));
		int ret;

		if (!key || !value)
			continue;
		ret = annotation_add(a, key, strlen(key), value);
		if (ret)
			return ret;
	}
	return 0;
}

int gh_annotations_from_labels(struct gh_annotations *a, const struct gh_json *labels)
{
	if (gh_json_type(labels) != GH_JSON_ARRAY)
		return 0;
	for (size_t i = 0; i < gh_json_len(labels); i++) {
		const char *label = gh_json_str(gh_json_at(labels, i));
		const char *eq = label ? strchr(label, '=') : NULL;
		int ret;

		if (!eq)
			continue;
		ret = annotation_add(a, label, (size_t)(eq - label), eq + 1);
		if (ret)
			return ret;
	}
	return 0;
}

int gh_annotations_from_bundle(struct gh_annotations *a, const char *bundle)
{
	char path[4096], *text = NULL, err[128];
	struct gh_json *spec = NULL;
	size_t len;
	int ret;

	if ((size_t)snprintf(path, sizeof(path), "%s/config.json", bundle) >= sizeof(path))
		return -ENAMETOOLONG;
	ret = gh_read_file(path, GH_READ_FILE_MAX, &text, &len);
	if (!ret)
		ret = gh_json_parse(text, len, &spec, err, sizeof(err));
	if (!ret)
		ret = gh_annotations_from_object(a, gh_json_get(spec, "annotations"));
	gh_json_free(spec);
	free(text);
	return ret;
}

/* The namespace of a containerd bundle .../io.containerd.runtime.v2.task/NS/ID */
static int containerd_namespace(const char *bundle, char *ns, size_t nslen)
{
	const char *p = strstr(bundle, TASK_DIR), *slash;

	if (!p)
		return -ENOENT;
	p += strlen(TASK_DIR);
	slash = strchr(p, '/');
	if (!slash || (size_t)(slash - p) >= nslen)
		return -ENOENT;
	snprintf(ns, nslen, "%.*s", (int)(slash - p), p);
	return 0;
}

/* The parent of pid, from /proc/PID/stat; 0 if unknown. */
static long parent_of(long pid)
{
	char path[64], *stat = NULL;
	const char *p;
	size_t len;
	long ppid = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (gh_read_file(path, 4096, &stat, &len))
		return 0;
	p = strrchr(stat, ')');
	if (!p || sscanf(p + 1, " %*c %ld", &ppid) != 1)
		ppid = 0;
	free(stat);
	return ppid;
}

/* The value after one of the options names (NULL ended) in pid's
 * command line. */
static int option_value(long pid, const char *const *names, char **value)
{
	char path[64], *cmdline = NULL;
	const char *p, *end;
	size_t len;
	int ret;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	ret = gh_read_file(path, 65536, &cmdline, &len);
	if (ret)
		return ret;
	ret = -ENOENT;
	for (p = cmdline, end = cmdline + len; p < end && ret == -ENOENT; p += strlen(p) + 1) {
		for (size_t i = 0; names[i]; i++) {
			if (strcmp(p, names[i]) || p + strlen(p) + 1 >= end)
				continue;
			*value = strdup(p + strlen(p) + 1);
			ret = *value ? 0 : -ENOMEM;
			break;
		}
	}
	free(cmdline);
	return ret;
}

/* The value of an option of the process that manages the container, a few
 * ancestors up from its init: podman's conmon ("-n NAME -c ID"),
 * containerd's shim ("-address SOCKET").  At a prestart hook the init is
 * still runc's child, later the manager's. */
static int manager_option(pid_t pid, const char *const *names, char **value)
{
	long p = pid;

	for (int depth = 0; depth < 4; depth++) {
		p = parent_of(p);
		if (p <= 1)
			break;
		if (!option_value(p, names, value))
			return 0;
	}
	return -ENOENT;
}

static int podman_name(pid_t pid, char **name)
{
	static const char *const names[] = {"-n", "--name", NULL};

	return manager_option(pid, names, name);
}

/* A containerd CRI pod's labels, from the CRI API on the socket of the
 * containerd whose shim runs the container (its -address), the one the
 * kubelet asks.  Left unknown, with a warning, when it does not answer. */
static int cri_labels(struct gh_container *c, const struct gh_annotations *a)
{
	static const char *const names[] = {"-address", "--address", NULL};
	const char *sandbox_id = gh_annotation(a, CRI "sandbox-id");
	char *socket = NULL, *labels = NULL, err[256];
	int ret;

	if (c->sandbox || !sandbox_id)
		return 0; /* a sandbox is in the CRI's store once it runs: its containers ask */
	manager_option(c->pid, names, &socket);
	ret = gh_cri_pod_labels(socket, sandbox_id, 1000, &labels, err, sizeof(err));
	free(socket);
	if (ret == -ENOMEM)
		return ret;
	if (ret) {
		gh_log(GH_LOG_WARNING, "pod %s/%s: no labels from the CRI (%s): "
		       "k8s.podLabels unknown", c->k8s_namespace ? c->k8s_namespace : "?",
		       c->k8s_pod ? c->k8s_pod : "?", err);
		return 0;
	}
	free(c->k8s_labels);
	c->k8s_labels = labels;
	c->k8s_labels_known = true;
	return 0;
}

static int set_k8s(struct gh_container *c, const char *ns, const char *pod, const char *name,
		   const char *uid)
{
	int ret = gh_container_set(&c->k8s_namespace, ns);

	if (!ret)
		ret = gh_container_set(&c->k8s_pod, pod);
	if (!ret)
		ret = gh_container_set(&c->k8s_container, name);
	if (!ret)
		ret = gh_container_set(&c->k8s_pod_uid, uid);
	return ret;
}

/* Kubernetes metadata, from containerd's CRI plugin or CRI-O. */
static int classify_k8s(struct gh_container *c, const struct gh_annotations *a)
{
	const char *cri_type = gh_annotation(a, CRI "container-type");
	const char *crio_type = gh_annotation(a, "io.kubernetes.cri-o.ContainerType");
	int ret = 0;

	if (cri_type) {
		c->sandbox = !strcmp(cri_type, "sandbox");
		ret = set_k8s(c, gh_annotation(a, CRI "sandbox-namespace"),
			      gh_annotation(a, CRI "sandbox-name"),
			      gh_annotation(a, CRI "container-name"),
			      gh_annotation(a, CRI "sandbox-uid"));
		if (!ret)
			ret = gh_container_set(&c->image, gh_annotation(a, CRI "image-name"));
		if (!ret)
			ret = cri_labels(c, a);
	} else if (gh_annotation(a, "io.kubernetes.pod.name")) {
		c->sandbox = crio_type && !strcmp(crio_type, "sandbox");
		ret = set_k8s(c, gh_annotation(a, "io.kubernetes.pod.namespace"),
			      gh_annotation(a, "io.kubernetes.pod.name"),
			      gh_annotation(a, "io.kubernetes.container.name"),
			      gh_annotation(a, "io.kubernetes.pod.uid"));
		if (!ret)
			ret = gh_container_set(&c->image,
					       gh_annotation(a, "io.kubernetes.cri-o.ImageName"));
		if (!ret) {
			char *labels = NULL;

			const char *json = gh_annotation(a, "io.kubernetes.cri-o.Labels");

			/* an annotation that is no JSON object: labels unknown */
			if (json && !gh_k8s_labels_from_json(json, &labels)) {
				free(c->k8s_labels);
				c->k8s_labels = labels;
				c->k8s_labels_known = true;
			}
		}
	}
	/* as Inspektor Gadget: a pod's container is named as in the pod */
	if (!ret && c->k8s_container)
		ret = gh_container_set(&c->name, c->k8s_container);
	else if (!ret && c->sandbox && c->k8s_pod)
		ret = gh_container_set(&c->name, c->k8s_pod);
	return ret;
}

/* The runtime: from who manages the container, else where its bundle is. */
static int classify_runtime(struct gh_container *c, const struct gh_annotations *a,
			    const char *docker_socket)
{
	const char *manager = gh_annotation(a, "io.container.manager");
	const char *bundle = c->bundle ? c->bundle : "";
	char ns[256];

	if (manager && !strcmp(manager, "cri-o"))
		return gh_container_set(&c->runtime, "cri-o");
	if (manager && !strcmp(manager, "libpod")) {
		char *name = NULL;

		if (!podman_name(c->pid, &name)) {
			free(c->name);
			c->name = name;
		}
		return gh_container_set(&c->runtime, "podman");
	}
	if (strstr(bundle, TASK_DIR "moby/")) {
		char *name = NULL, *image = NULL;
		int ret = gh_docker_inspect(docker_socket, c->id, &name, &image);

		if (!ret) {
			free(c->name);
			c->name = name;
			free(c->image);
			c->image = image;
		} else if (ret == -EPROTO || ret == -EINVAL || ret == -EFBIG) {
			/* Docker answered, but nothing sensible: say so (a daemon
			 * that is not running is not worth a word) */
			gh_log(GH_LOG_WARNING, "docker container %.12s: the Engine API at "
			       "%s gave an answer that makes no sense; named by its id", c->id,
			       docker_socket ? docker_socket : GH_DOCKER_SOCKET);
		}
		return gh_container_set(&c->runtime, "docker");
	}
	if (!containerd_namespace(bundle, ns, sizeof(ns)))
		return gh_container_set(&c->runtime, "containerd");
	return gh_container_set(&c->runtime, "runc");
}

int gh_container_classify(struct gh_container *c, const struct gh_annotations *a,
			  const char *docker_socket)
{
	int ret = classify_runtime(c, a, docker_socket);

	return ret ? ret : classify_k8s(c, a);
}

int gh_container_from_init(const char *id, pid_t pid, uint64_t pid_start, const char *bundle,
			   const char *source, const struct gh_annotations *a,
			   const char *docker_socket, struct gh_container **out)
{
	struct gh_container *c = gh_container_new(id);
	int ret;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->pid = pid;
	ret = gh_container_set(&c->bundle, bundle);
	if (!ret)
		ret = gh_container_set(&c->source, source);
	if (!ret)
		ret = gh_container_set(&c->name, id);
	if (!ret)
		ret = gh_container_read_proc(c);
	if (!ret && pid_start && c->pid_start != pid_start)
		ret = -ESRCH; /* the pid was reused: that container is gone */
	if (!ret)
		ret = gh_container_classify(c, a, docker_socket);
	if (ret) {
		gh_container_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

/* The inode of /proc/PID/ns/NAME, or 0. */
static uint64_t ns_inode(pid_t pid, const char *name)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
	if (stat(path, &st))
		return 0;
	return (uint64_t)st.st_ino;
}

int gh_container_read_proc(struct gh_container *c)
{
	char path[64], *stat = NULL;
	const char *p;
	size_t len;
	unsigned long long start = 0;
	int ret;

	if (c->pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)c->pid);
	ret = gh_read_file(path, 4096, &stat, &len);
	if (ret)
		return -ESRCH;
	/* field 22, starttime; fields 3.. follow the ")" that ends comm */
	p = strrchr(stat, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu", &start) != 1) {
		free(stat);
		return -EINVAL;
	}
	free(stat);
	c->pid_start = start;
	c->mntns = ns_inode(c->pid, "mnt");
	c->netns = ns_inode(c->pid, "net");
	return c->mntns ? 0 : -ESRCH;
}
