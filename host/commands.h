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
/* `gadgethost --remote URL [--token-file F] COMMAND ...` */
int gh_cmd_remote(int argc, char **argv);
int gh_cmd_k8s(int argc, char **argv);
int gh_cmd_deploy(int argc, char **argv);
int gh_cmd_undeploy(int argc, char **argv);
/* run's argv: the gadget (the first argument not an option or its value) */
const char *gh_run_gadget_name(int argc, char **argv);
int gh_cmd_new(int argc, char **argv);
int gh_cmd_build(int argc, char **argv);
int gh_cmd_traceloop(int argc, char **argv);

#endif
