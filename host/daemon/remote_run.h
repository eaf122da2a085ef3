/* remote_run.h - a gadget run on a daemon, as a stream of output bytes:
 * the request body of POST /v1/runs from run's command line, and the
 * stop (DELETE /v1/runs/ID) a Ctrl-C sends.  Shared by `--remote URL run`
 * and `k8s run`, whose fan-out streams are these too.
 *
 * The command line is read with run's own option table (run_options.h)
 * and sent as typed fields (run_request.h): "gadget", "output",
 * "options" {NAME: VALUE}, "params" {KEY: VALUE}, "script".  What is the
 * client's stays here: --ready-file is made by the client once the daemon
 * says the run started, a --lua-file is read here and sent as the code of
 * a --lua layer, a gadget given as a local path (./x.lua, /x/y.lua) is
 * sent inline.  Everything else is sent as given, and the daemon decides
 * (its policy is the table's: a refused option comes back as 403 naming
 * it).
 */
#ifndef GH_REMOTE_RUN_H
#define GH_REMOTE_RUN_H

#include <stdbool.h>

#include "base/buf.h"
#include "daemon/remote_client.h"
#include "run/run_options.h"

/* Read run's argv into c (after gh_run_config_init): the options, the
 * gadget, the words after bare --KEYs as their values (the gadget is not
 * open here).  0, or -EINVAL/-ENOMEM with err saying why. */
int gh_remote_run_parse(struct gh_run_config *c, int argc, char **argv, char *err,
			size_t errlen);
/* The request body from run's argv; *ready_file: the client's ready file
 * (NULL if none; points into argv).  0, or -errno with err saying why. */
int gh_remote_run_body(int argc, char **argv, struct gh_buf *body, const char **ready_file,
		       char *err, size_t errlen);
/* Create the client's ready file (once the daemon said the run started). */
int gh_remote_run_ready(const char *path, char *err, size_t errlen);
/* Ask the daemon to stop run r (its stream then ends by itself): 0;
 * -ENOENT before the daemon named the run; -ESRCH when it did not stop it
 * (it had ended); another -errno when the request failed (err says why). */
int gh_remote_run_stop(const char *url, const char *token, const struct gh_remote *r,
		       char *err, size_t errlen);

#endif
