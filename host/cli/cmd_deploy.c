/* cmd_deploy.c - `gadgethost deploy`: the Kubernetes manifests that run
 * `gadgethost daemon` on every node (docs/deploy.md), and `gadgethost
 * undeploy`: the same objects, by name, for kubectl delete -f -. */
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

#include "config.h"

struct deploy_opts {
	const char *ns;
	const char *image;
	const char *pull_policy;
};

static int parse(struct deploy_opts *o, const char *cmd, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: gadgethost %s [-n|--namespace NS] [--image IMAGE] "
			       "[--image-pull-policy POLICY]\n\nPrints the manifests; "
			       "pipe them to kubectl %s -f -\n", cmd,
			       !strcmp(cmd, "deploy") ? "apply" : "delete");
			return -1;
		}
		if (!v) {
			fprintf(stderr, "gadgethost: %s: %s: unknown option or missing value "
					"(--namespace NS, --image IMAGE, --image-pull-policy "
					"Always|IfNotPresent|Never)\n", cmd, argv[i]);
			return 1;
		}
		if (!strcmp(argv[i], "--namespace") || !strcmp(argv[i], "-n")) {
			o->ns = v;
		} else if (!strcmp(argv[i], "--image")) {
			o->image = v;
		} else if (!strcmp(argv[i], "--image-pull-policy")) {
			if (strcmp(v, "Always") && strcmp(v, "IfNotPresent") && strcmp(v, "Never")) {
				fprintf(stderr, "gadgethost: %s: --image-pull-policy: \"%s\" is not "
						"Always, IfNotPresent or Never\n", cmd, v);
				return 1;
			}
			o->pull_policy = v;
		} else {
			fprintf(stderr, "gadgethost: %s: unknown option \"%s\"\n", cmd, argv[i]);
			return 1;
		}
		i++;
	}
	return 0;
}

#define LABELS "    app.kubernetes.io/name: gadgethost\n"

static void print_namespace(const struct deploy_opts *o)
{
	printf("---\n"
	       "apiVersion: v1\n"
	       "kind: Namespace\n"
	       "metadata:\n"
	       "  name: %s\n"
	       "  labels:\n" LABELS, o->ns);
}

static void print_service_account(const struct deploy_opts *o)
{
	printf("---\n"
	       "apiVersion: v1\n"
	       "kind: ServiceAccount\n"
	       "metadata:\n"
	       "  name: gadgethost\n"
	       "  namespace: %s\n"
	       "  labels:\n" LABELS, o->ns);
}

static void print_cluster_role(const struct deploy_opts *o)
{
	printf("---\n"
	       "# the daemon may read pods, nodes and namespaces; it writes nothing\n"
	       "apiVersion: rbac.authorization.k8s.io/v1\n"
	       "kind: ClusterRole\n"
	       "metadata:\n"
	       "  name: gadgethost\n"
	       "  labels:\n" LABELS
	       "rules:\n"
	       "  - apiGroups: [\"\"]\n"
	       "    resources: [\"pods\", \"nodes\", \"namespaces\"]\n"
	       "    verbs: [\"get\", \"list\", \"watch\"]\n");
}

static void print_cluster_role_binding(const struct deploy_opts *o)
{
	printf("---\n"
	       "apiVersion: rbac.authorization.k8s.io/v1\n"
	       "kind: ClusterRoleBinding\n"
	       "metadata:\n"
	       "  name: gadgethost\n"
	       "  labels:\n" LABELS
	       "roleRef:\n"
	       "  apiGroup: rbac.authorization.k8s.io\n"
	       "  kind: ClusterRole\n"
	       "  name: gadgethost\n"
	       "subjects:\n"
	       "  - kind: ServiceAccount\n"
	       "    name: gadgethost\n"
	       "    namespace: %s\n", o->ns);
}

struct mount {
	const char *name, *host_path, *path;
	const char *read_only;   /* "true" or "false" */
	const char *propagation; /* NULL: none */
	const char *type;        /* the hostPath's type; NULL: none (it must exist) */
};

static const struct mount mounts[] = {
	/* runtimes' state (runc roots, containerd and docker sockets and
	 * bundles), the OCI hook sockets, and the daemon's own socket.
	 * HostToContainer: what the node mounts under /run once the pod runs
	 * (a new /run/netns/NAME, a runtime's mounts) is seen in the pod too;
	 * without it a network namespace made later is an empty file there */
	{"run", "/run", "/run", "false", "HostToContainer", NULL},
	/* BPF filesystem, tracefs and debugfs: not in a container's /sys */
	{"bpffs", "/sys/fs/bpf", "/sys/fs/bpf", "false", NULL, NULL},
	{"tracefs", "/sys/kernel/tracing", "/sys/kernel/tracing", "false", NULL, NULL},
	{"debugfs", "/sys/kernel/debug", "/sys/kernel/debug", "false", NULL, NULL},
	/* the kernel's BTF, which every gadget is checked against */
	{"btf", "/sys/kernel/btf", "/sys/kernel/btf", "true", NULL, NULL},
	/* cgroups: container exits and cgroup ids */
	{"cgroup", "/sys/fs/cgroup", "/sys/fs/cgroup", "true", NULL, NULL},
	/* the daemon's state dir: its instances (and rotated rows, and the
	 * image store) outlive the pod, as the systemd unit's
	 * StateDirectory= keeps them on the node; made on first use */
	{"state", GH_DAEMON_STATE_DIR, GH_DAEMON_STATE_DIR, "false", NULL, "DirectoryOrCreate"},
};

static void print_daemonset(const struct deploy_opts *o)
{
	size_t n = sizeof(mounts) / sizeof(mounts[0]);

	printf("---\n"
	       "apiVersion: apps/v1\n"
	       "kind: DaemonSet\n"
	       "metadata:\n"
	       "  name: gadgethost\n"
	       "  namespace: %s\n"
	       "  labels:\n" LABELS
	       "spec:\n"
	       "  selector:\n"
	       "    matchLabels:\n"
	       "      app.kubernetes.io/name: gadgethost\n"
	       "  updateStrategy:\n"
	       "    type: RollingUpdate\n"
	       "  template:\n"
	       "    metadata:\n"
	       "      labels:\n"
	       "        app.kubernetes.io/name: gadgethost\n"
	       "    spec:\n"
	       "      serviceAccountName: gadgethost\n"
	       "      # the host's processes (their /proc/PID/ns/*) and network\n"
	       "      hostPID: true\n"
	       "      hostNetwork: true\n"
	       "      dnsPolicy: ClusterFirstWithHostNet\n"
	       "      priorityClassName: system-node-critical\n"
	       "      terminationGracePeriodSeconds: 30\n"
	       "      tolerations:\n"
	       "        - operator: Exists\n"
	       "      nodeSelector:\n"
	       "        kubernetes.io/os: linux\n"
	       "      containers:\n"
	       "        - name: gadgethost\n"
	       "          image: %s\n"
	       "          imagePullPolicy: %s\n"
	       "          command: [\"gadgethost\", \"daemon\", \"--socket\", \"/run/gadgethost.sock\"]\n"
	       "          securityContext:\n"
	       "            # loading eBPF, setns() into containers, reading every /proc\n"
	       "            privileged: true\n"
	       "          readinessProbe:\n"
	       "            exec:\n"
	       "              command: [\"gadgethost\", \"--remote\", \"unix:///run/gadgethost.sock\", \"ping\"]\n"
	       "            initialDelaySeconds: 2\n"
	       "            periodSeconds: 10\n"
	       "            timeoutSeconds: 5\n"
	       "          livenessProbe:\n"
	       "            exec:\n"
	       "              command: [\"gadgethost\", \"--remote\", \"unix:///run/gadgethost.sock\", \"ping\"]\n"
	       "            initialDelaySeconds: 10\n"
	       "            periodSeconds: 30\n"
	       "            timeoutSeconds: 5\n"
	       "          resources:\n"
	       "            requests:\n"
	       "              cpu: 50m\n"
	       "              memory: 64Mi\n"
	       "          volumeMounts:\n",
	       o->ns, o->image, o->pull_policy);
	for (size_t i = 0; i < n; i++) {
		printf("            - name: %s\n"
		       "              mountPath: %s\n"
		       "              readOnly: %s\n", mounts[i].name, mounts[i].path,
		       mounts[i].read_only);
		if (mounts[i].propagation)
			printf("              mountPropagation: %s\n", mounts[i].propagation);
	}
	printf("      volumes:\n");
	for (size_t i = 0; i < n; i++) {
		printf("        - name: %s\n"
		       "          hostPath:\n"
		       "            path: %s\n", mounts[i].name, mounts[i].host_path);
		if (mounts[i].type)
			printf("            type: %s\n", mounts[i].type);
	}
}

static void (*const documents[])(const struct deploy_opts *) = {
	print_namespace, print_service_account, print_cluster_role, print_cluster_role_binding,
	print_daemonset,
};
#define N_DOCUMENTS (sizeof(documents) / sizeof(documents[0]))

int gh_cmd_deploy(int argc, char **argv)
{
	struct deploy_opts o = {.ns = "gadgethost", .image = "gadgethost:" GH_VERSION,
				.pull_policy = "IfNotPresent"};
	int ret = parse(&o, "deploy", argc, argv);

	if (ret)
		return ret < 0 ? 0 : ret;
	printf("# gadgethost %s: gadgethost deploy | kubectl apply -f -\n", GH_VERSION);
	for (size_t i = 0; i < N_DOCUMENTS; i++)
		documents[i](&o);
	return fflush(stdout) ? 1 : 0;
}

/* The same documents, last first: kubectl delete -f - removes the
 * DaemonSet before the account and namespace it runs in. */
int gh_cmd_undeploy(int argc, char **argv)
{
	struct deploy_opts o = {.ns = "gadgethost", .image = "gadgethost:" GH_VERSION,
				.pull_policy = "IfNotPresent"};
	int ret = parse(&o, "undeploy", argc, argv);

	if (ret)
		return ret < 0 ? 0 : ret;
	printf("# gadgethost %s: gadgethost undeploy | kubectl delete -f -\n", GH_VERSION);
	for (size_t i = N_DOCUMENTS; i-- > 0;)
		documents[i](&o);
	return fflush(stdout) ? 1 : 0;
}
