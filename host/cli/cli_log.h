/* cli_log.h - the command line's sink of library messages (base/log.h). */
#ifndef GH_CLI_LOG_H
#define GH_CLI_LOG_H

#include <stdbool.h>

#include "base/log.h"

/* "gadgethost: MESSAGE" on stderr ("gadgethost: warning: MESSAGE" for a
 * warning); INFO messages only when verbose. */
void gh_cli_log_install(bool verbose);

#endif
