/* commands.h - the subcommands of gadgethost.  Each returns an exit code. */
#ifndef GH_COMMANDS_H
#define GH_COMMANDS_H

int gh_cmd_run(int argc, char **argv);
int gh_cmd_list(int argc, char **argv);
int gh_cmd_info(int argc, char **argv);
int gh_cmd_containers(int argc, char **argv);
int gh_cmd_hook(int argc, char **argv);
int gh_cmd_check(int argc, char **argv);

#include <stddef.h>
/* Every gadget found ("trace/exec.lua"), sorted, NULL-terminated; free
 * each and the array.  *n: the count. */
char **gh_gadget_names(size_t *n);
int gh_cmd_daemon(int argc, char **argv);
/* the daemon's --state-dir: its instances (and, below it, the image store);
 * the DaemonSet of `gadgethost deploy` keeps it on the node */
#define GH_DAEMON_STATE_DIR "/var/lib/gadgethost"
/* `gadgethost --remote URL [--token-file F] COMMAND ...` */
int gh_cmd_remote(int argc, char **argv);
/* cmd_instances.c: instances on a daemon; run --detach (url NULL: run's
 * --remote, or the local daemon; token NULL: none or $GADGETHOST_TOKEN) */
int gh_cmd_instances(int argc, char **argv);
int gh_cmd_instances_on(const char *url, const char *token, int argc, char **argv);
int gh_cli_detach(const char *url, const char *token, int argc, char **argv);
int gh_cmd_k8s(int argc, char **argv);
int gh_cmd_deploy(int argc, char **argv);
int gh_cmd_undeploy(int argc, char **argv);
int gh_cmd_new(int argc, char **argv);
int gh_cmd_build(int argc, char **argv);
int gh_cmd_traceloop(int argc, char **argv);
/* gadget images (cmd_images.c) */
int gh_cmd_pack(int argc, char **argv);
int gh_cmd_sign(int argc, char **argv);
int gh_cmd_push(int argc, char **argv);
int gh_cmd_pull(int argc, char **argv);
int gh_cmd_images(int argc, char **argv);
int gh_cmd_keygen(int argc, char **argv);

#include <stdbool.h>
#include <string.h>
/* `gadgethost COMMAND -h|--help`: the command prints its usage on stdout
 * and exits 0 (the man pages are checked against it: tests/package) */
static inline bool gh_help_asked(int argc, char **argv)
{
	return argc > 0 && (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help"));
}

#endif
