/* remote_run.h - a gadget run on a daemon, as a stream of output bytes:
 * the request body of POST /v1/runs from run's command line, and the
 * stop (DELETE /v1/runs/ID) a Ctrl-C sends.  Shared by `--remote URL run`
 * and `k8s run`, whose fan-out streams are these too. */
#ifndef GH_REMOTE_RUN_H
#define GH_REMOTE_RUN_H

#include <stdbool.h>

#include "buf.h"
#include "remote_client.h"

/* {"gadget":...,"args":[...],"output":"columns"} from run's argv (the
 * gadget found among the options; a local file path ./x.lua or /x.lua
 * is sent inline as "script").  --ready-file is the client's: left out,
 * its path in *ready_file (NULL if none).  0, or 1 after saying why. */
int gh_remote_run_body(int argc, char **argv, struct gh_buf *body, const char **ready_file);
/* Create the client's ready file (once the daemon said the run started). */
int gh_remote_run_ready(const char *path);
/* The output format run's argv asks for: "columns" unless -o says. */
const char *gh_remote_run_format(int argc, char **argv);
/* Ask the daemon to stop run r (its stream then ends by itself). */
int gh_remote_run_stop(const char *url, const char *token, const struct gh_remote *r);

#endif
