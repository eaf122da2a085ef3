/* commands.h - the subcommands of gadgethost.  Each returns an exit code. */
#ifndef GH_COMMANDS_H
#define GH_COMMANDS_H

int gh_cmd_run(int argc, char **argv);
int gh_cmd_list(int argc, char **argv);
int gh_cmd_info(int argc, char **argv);
int gh_cmd_containers(int argc, char **argv);
int gh_cmd_hook(int argc, char **argv);
int gh_cmd_traceloop(int argc, char **argv);

#endif
