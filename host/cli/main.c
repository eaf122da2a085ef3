/* main.c - gadgethost: run eBPF gadgets described by Lua scripts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/search_path.h"
#include "cli/cli_log.h"
#include "cli/commands.h"
#include "config.h"

/* Where a gadget is looked for, in the order gh_find_gadget() looks. */
static void print_search_order(FILE *to)
{
	const char *roots[32];
	size_t n = gh_gadget_roots(roots, sizeof(roots) / sizeof(roots[0])), k = 1;

	fprintf(to, "Gadgets (a name with or without .lua; a path starting with /, ./ or ../ is\n"
		    "taken as it is) are searched, in this order, in:\n");
	if (!getenv("GADGETHOST_PATH") || !*getenv("GADGETHOST_PATH"))
		fprintf(to, "  %zu. $GADGETHOST_PATH (colon separated; not set)\n", k++);
	for (size_t i = 0; i < n; i++) {
		const char *why = !strcmp(roots[i], GH_DATADIR "/gadgets") ? " (installed)"
				  : !strcmp(roots[i], GH_SOURCE_DIR "/gadgets")
					  ? " (the source tree: this is its build)"
					  : " ($GADGETHOST_PATH)";

		fprintf(to, "  %zu. %s%s\n", k++, roots[i], why);
	}
	fprintf(to, "  %zu. the current directory\n", k);
	fprintf(to, "A GADGET found nowhere, that does not end in .lua, is an image reference\n"
		    "(REGISTRY/NAME:TAG).\n");
}

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
		"  --remote URL COMMAND   run, list, list-containers, ping, instances on a daemon\n"
		"                         (unix:///run/gadgethost.sock, tls://HOST:PORT with --ca,\n"
		"                         tcp://127.0.0.1:PORT)\n"
		"  instances list|attach NAME|delete NAME   gadgets a daemon keeps running\n"
		"                         (run GADGET --detach --name NAME starts one)\n"
		"  k8s run GADGET         run on every node of a cluster, merged\n"
		"  pack SCRIPT -t REF     a gadget's files into an OCI image in the local store\n"
		"  sign REF --key FILE    sign an image of the store (ed25519)\n"
		"  push, pull REF         to and from a registry (pull verifies)\n"
		"  images [CMD]           the store: list, inspect, rm, export, import\n"
		"  keygen PREFIX          a key pair to sign images with: PREFIX.key, PREFIX.pub\n"
		"  deploy, undeploy       print the Kubernetes manifests (kubectl apply/delete -f -)\n"
		"  traceloop CMD          flight recorder of containers' syscalls (start, list, show)\n"
		"  version                print the version\n\n");
	print_search_order(to);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	gh_cli_log_install(false); /* run -v and others turn the details on */
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
	if (!strcmp(cmd, "instances"))
		return gh_cmd_instances(argc - 2, argv + 2);
	if (!strcmp(cmd, "k8s"))
		return gh_cmd_k8s(argc - 2, argv + 2);
	if (!strcmp(cmd, "deploy"))
		return gh_cmd_deploy(argc - 2, argv + 2);
	if (!strcmp(cmd, "undeploy"))
		return gh_cmd_undeploy(argc - 2, argv + 2);
	if (!strcmp(cmd, "pack"))
		return gh_cmd_pack(argc - 2, argv + 2);
	if (!strcmp(cmd, "sign"))
		return gh_cmd_sign(argc - 2, argv + 2);
	if (!strcmp(cmd, "push"))
		return gh_cmd_push(argc - 2, argv + 2);
	if (!strcmp(cmd, "pull"))
		return gh_cmd_pull(argc - 2, argv + 2);
	if (!strcmp(cmd, "images"))
		return gh_cmd_images(argc - 2, argv + 2);
	if (!strcmp(cmd, "keygen"))
		return gh_cmd_keygen(argc - 2, argv + 2);
	if (!strcmp(cmd, "traceloop"))
		return gh_cmd_traceloop(argc - 2, argv + 2);
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("gadgethost %s\n", GH_VERSION);
		return 0;
	}
	fprintf(stderr, "gadgethost: unknown command \"%s\" (try: gadgethost help)\n", cmd);
	return 1;
}
