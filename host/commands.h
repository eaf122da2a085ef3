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

#endif
