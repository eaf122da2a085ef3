/* run_request.h - what a remote client may ask the daemon to run.
 *
 * POST /v1/runs carries a JSON object:
 *
 *   {"gadget": "trace/exec.lua",          installed or built-in, by name
 *    "args": ["--comm", "sh", "-c", "x"], the options of `gadgethost run`
 *    "params": {"ignore-failed": "true"}, gadget params, --KEY=VALUE
 *    "filters": ["pid==1"],               -F, ANDed
 *    "output": "json",                    default json: JSON lines
 *    "timeout": 5,                        seconds
 *    "script": "return {...}"}            inline Lua: only when the daemon
 *                                         allows it; gadget is then its name
 *
 * and becomes the argv of one `gadgethost run` child.  Options that name
 * files on the node (--ready-file, --hook-dir, --runc-root,
 * --docker-socket) are refused, and a gadget must resolve inside the
 * gadget search path: no absolute path, no "..".
 */
#ifndef GH_RUN_REQUEST_H
#define GH_RUN_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

struct gh_run_request {
	char **argv;      /* NULL terminated, after "run"; argv[0] is the gadget */
	size_t argc;
	char *gadget;     /* as asked: "trace/exec.lua" */
	char *script;     /* inline Lua, or NULL */
	size_t script_len;
};

/* Parse and check body.  0; -EINVAL (bad request), -EPERM (not allowed)
 * or -ENOMEM, with err saying why in one line.  The gadget of an inline
 * script is left as its name: the caller writes the script to a file and
 * sets argv[0] to it. */
int gh_run_request_parse(const char *body, size_t len, bool allow_inline,
			 struct gh_run_request *out, char *err, size_t errlen);
void gh_run_request_free(struct gh_run_request *r);

/* The absolute path of an installed gadget (malloc'd), or NULL when name
 * is not one: absolute, "..", or outside every gadget root. */
char *gh_run_request_resolve(const char *name);

#endif
