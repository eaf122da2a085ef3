/* main.c - gadgethost: run eBPF gadgets described by Lua scripts. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"

static void usage(FILE *to)
{
	fprintf(to,
		"usage: gadgethost COMMAND [args]\n\n"
		"commands:\n"
		"  run GADGET [options]   run a gadget (e.g. trace/exec.lua); run GADGET -h for its options\n"
		"  list                   the gadgets found, with descriptions\n"
		"  info GADGET            a gadget's fields, default columns and params\n"
		"  check [GADGET...]      can this kernel run them? BTF, tracepoints, program types,\n"
		"                         kernel config, the variants chosen (-v: every program)\n"
		"  list-containers        the containers gadgets can be aimed at (-o json, --verbose)\n"
		"  new NAME [DIR]         a new gadget from the SDK's template: NAME.bpf.c + NAME.lua\n"
		"  build FILE.bpf.c       compile a gadget's eBPF side with the SDK -> FILE.bpf.o\n"
		"  hook KIND              an OCI hook (prestart, poststop): tells running hosts\n"
		"  daemon [options]       the node service: HTTP on /run/gadgethost.sock\n"
		"  --remote URL COMMAND   run, list, list-containers, ping on a daemon\n"
		"                         (unix:///run/gadgethost.sock, tcp://HOST:PORT)\n"
		"  k8s run GADGET         run on every node of a cluster, merged\n"
		"  deploy, undeploy       print the Kubernetes manifests (kubectl apply/delete -f -)\n"
		"  traceloop CMD          flight recorder of containers' syscalls (start, list, show)\n"
		"  version                print the version\n\n"
		"Gadgets are searched in $GADGETHOST_PATH, then %s/gadgets.\n",
		GH_DATADIR);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd || !strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(cmd ? stdout : stderr);
		return cmd ? 0 : 1;
	}
	if (!strcmp(cmd, "run"))
		return gh_cmd_run(argc - 2, argv + 2);
	if (!strcmp(cmd, "list"))
		return gh_cmd_list(argc - 2, argv + 2);
	if (!strcmp(cmd, "info"))
		return gh_cmd_info(argc - 2, argv + 2);
	if (!strcmp(cmd, "check"))
		return gh_cmd_check(argc - 2, argv + 2);
	if (!strcmp(cmd, "list-containers"))
		return gh_cmd_containers(argc - 2, argv + 2);
	if (!strcmp(cmd, "new"))
		return gh_cmd_new(argc - 2, argv + 2);
	if (!strcmp(cmd, "build"))
		return gh_cmd_build(argc - 2, argv + 2);
	if (!strcmp(cmd, "hook"))
		return gh_cmd_hook(argc - 1, argv + 1);
	if (!strcmp(cmd, "daemon"))
		return gh_cmd_daemon(argc - 2, argv + 2);
	if (!strncmp(cmd, "--remote", 8))
		return gh_cmd_remote(argc - 1, argv + 1);
	if (!strcmp(cmd, "k8s"))
		return gh_cmd_k8s(argc - 2, argv + 2);
	if (!strcmp(cmd, "deploy"))
		return gh_cmd_deploy(argc - 2, argv + 2);
	if (!strcmp(cmd, "undeploy"))
		return gh_cmd_undeploy(argc - 2, argv + 2);
	if (!strcmp(cmd, "traceloop"))
		return gh_cmd_traceloop(argc - 2, argv + 2);
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("gadgethost %s\n", GH_VERSION);
		return 0;
	}
	fprintf(stderr, "gadgethost: unknown command \"%s\" (try: gadgethost help)\n", cmd);
	return 1;
}
