/* run_request.h - what a remote client may ask the daemon to run.
 *
 * POST /v1/runs carries a JSON object of typed fields:
 *
 *   {"gadget": "trace/exec.lua",            installed, by name; or an image
 *                                           reference the daemon's
 *                                           --allowed-gadgets allows
 *    "options": {"comm": "sh",              run's options by long name: a
 *                "host": true,              string or number, true for a
 *                "containername": ["a"]},   flag, a list for a repeatable one
 *    "params": {"ignore-failed": true},     gadget params: --KEY=VALUE
 *                                           (null: --KEY alone)
 *    "filters": ["pid==1"],                 -F, ANDed
 *    "output": "json",                      default json: JSON lines
 *    "timeout": 5,                          seconds
 *    "args": ["--comm", "sh"],              options as on a command line,
 *                                           read by the same table
 *    "script": "return {...}"}              inline Lua: only when the daemon
 *                                           allows it; gadget is then its name
 *
 * Every field lands in one struct gh_run_config through run's option
 * table (run_options.h) with the daemon's policy set: an option a remote
 * client may not pass is refused (-EPERM, naming it) before its value is
 * even read; a "params" key that is one of run's options is that option.
 * The child's argv is then built from the config alone: the resolved
 * gadget first, every value as --NAME=VALUE, so nothing a client sends can
 * become an option of its own.  A gadget must resolve inside the gadget
 * search path: no absolute path, no "..".
 */
#ifndef GH_RUN_REQUEST_H
#define GH_RUN_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "run/run_options.h"

#define GH_RUN_REQUEST_MAX_ARGS 256
#define GH_RUN_REQUEST_MAX_ARG (64 << 10) /* bytes of one argument */

struct gh_run_request {
	char **argv;      /* NULL terminated, after "run"; argv[0] is the gadget */
	size_t argc;
	char *gadget;     /* as asked: "trace/exec.lua" */
	char *script;     /* inline Lua, or NULL */
	size_t script_len;
	bool json;        /* the output is JSON lines */
	bool image;       /* the gadget is an image reference (image_run.h) */
};

/* Parse and check body under policy.  0; -EINVAL (bad request), -EPERM
 * (not allowed) or -ENOMEM, with err saying why in one line.  The gadget
 * of an inline script is left as its name: the caller writes the script
 * to a file and sets argv[0] to it.  Options the client left out that the
 * daemon sets (the Lua limits) are in argv too. */
int gh_run_request_parse(const char *body, size_t len, const struct gh_run_remote_policy *policy,
			 struct gh_run_request *out, char *err, size_t errlen);
/* The same from a parsed object, whose members named in also (NULL
 * terminated, or NULL) are the caller's (an instance's "name"...). */
struct gh_json;
int gh_run_request_from_json(const struct gh_json *j, const char *const *also,
			     const struct gh_run_remote_policy *policy, struct gh_run_request *out,
			     char *err, size_t errlen);
void gh_run_request_free(struct gh_run_request *r);

/* The absolute path of an installed gadget (malloc'd), or NULL when name
 * is not one: absolute, "..", or outside every gadget root. */
char *gh_run_request_resolve(const char *name);

#endif
