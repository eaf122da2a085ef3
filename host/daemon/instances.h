/* instances.h - gadgets left running on the node: instances.
 *
 * An instance is a run the daemon owns instead of a client: `gadgethost
 * run GADGET ... --ready-file /dev/fd/3 [--report-fd 4]` started from an
 * instance request (a run request, run_request.h, with the instance's
 * own fields), named, kept after its client left:
 *
 *   {"name": "execs",            [A-Za-z0-9][A-Za-z0-9_.-]*, unique
 *    "gadget": "trace/exec.lua", ... every field of a run request
 *    "keep": 100,                rows kept for attach (default 100)
 *    "rotate": "10M,5"}          rows also to STATE/rows/NAME.jsonl,
 *                                rotated by size (rotating_file.h)
 *
 * Its output (JSON lines by default) is read by the daemon line by line:
 * the last `keep` rows are kept for attach to replay, then every new row
 * goes to the attached clients as it comes (a client that lets more than
 * client_buffer bytes wait is dropped), and to the rotated file.
 *
 * Instances are written to STATE/instances (one request a line, through
 * gh_write_file_atomic: the file is whole or not there) whenever one is
 * created or deleted, and re-created from it when the daemon starts, so
 * they outlive a restart and a kill -9 (the children of a killed daemon
 * end with it: run's --report-fd asks the kernel for a SIGTERM when its
 * parent dies).  A child that ends on its own is started again after a
 * pause that doubles up to a minute; one that cannot start (its gadget
 * is gone or no longer loads) stays listed, with its error as the
 * reason, and is retried the same way.  Each instance is its own process:
 * a crash or a Lua error in one never stops another.
 */
#ifndef GH_INSTANCES_H
#define GH_INSTANCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base/buf.h"
#include "daemon/http_server.h"
#include "daemon/prom_set.h"
#include "run/run_options.h"

#define GH_INSTANCE_NAME_MAX 63
#define GH_INSTANCES_MAX 1000  /* --max-instances at most */

struct gh_instances_opts {
	const char *exe;            /* the gadgethost binary */
	const char *state_dir;      /* STATE: the instances file, rows/ */
	size_t max_instances;
	size_t client_buffer;       /* bytes an attached client may leave waiting */
	const struct gh_run_remote_policy *policy;
	const char *const *run_args; /* the daemon's own run options, or NULL */
};

struct gh_instances;

/* Make STATE (mode 0700) and read its instances file; nothing runs yet.
 * 0, or -errno with err saying why. */
int gh_instances_new(struct gh_instances **out, uv_loop_t *loop,
		     const struct gh_instances_opts *opts, char *err, size_t errlen);
/* Start every instance read from the state file. */
void gh_instances_restore(struct gh_instances *is);
/* POST /v1/instances: answered once the instance runs (201 and its JSON),
 * or with the reason it cannot (400, 403, 409 for a name in use, 503). */
void gh_instances_create(struct gh_instances *is, struct gh_http_conn *c, const char *body,
			 size_t len, const char *peer);
/* GET /v1/instances: one JSON object per line. */
int gh_instances_list(struct gh_instances *is, struct gh_buf *b);
/* GET /v1/instances/NAME/rows: the kept rows, then the new ones. */
void gh_instances_attach(struct gh_instances *is, struct gh_http_conn *c, const char *name);
/* DELETE /v1/instances/NAME: 0 or -ENOENT. */
int gh_instances_delete(struct gh_instances *is, const char *name);
/* /v1/instances, /v1/instances/NAME[/rows]: whether path was one (then
 * c is answered). */
bool gh_instances_route(struct gh_instances *is, struct gh_http_conn *c,
			const struct gh_http_request *req, const char *peer);
size_t gh_instances_count(const struct gh_instances *is);
/* Each instance's samples: its process, its eBPF programs, what its
 * child reported. */
int gh_instances_metrics(struct gh_instances *is, struct gh_prom_set *p);
/* Stop every child (instances stay in the state file); done(ctx) once
 * the last is gone. */
void gh_instances_shutdown(struct gh_instances *is, void (*done)(void *ctx), void *ctx);
void gh_instances_free(struct gh_instances *is);

#endif
