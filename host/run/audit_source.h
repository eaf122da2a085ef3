/* audit_source.h - the kernel's audit records as a gadget's events.
 *
 * A gadget's script that lists "audit:TYPE[,TYPE...]" in its `sources`
 * (e.g. "audit:1326", AUDIT_SECCOMP) gets, besides its ring buffer's
 * events, one event per audit record of those types: the host joins the
 * audit netlink socket's read-log multicast group (AUDIT_NLGRP_READLOG,
 * CAP_AUDIT_READ; it takes nothing from auditd) on the loop and fills the
 * gadget's own event struct from each record, by field name:
 *
 *   a member named as a record key   its value (pid=, comm=, syscall=,
 *                                    code=: decimal or hex; strings
 *                                    unquoted or hex-decoded)
 *   gadget_timestamp                 the record's time
 *   gadget_mntns_id                  /proc/<pid>/ns/mnt (0: the process is gone)
 *   audit_type                       the record type (0 in the eBPF events)
 *
 * The event then takes the path of any other: the container selection,
 * -F, the script's filter and enrich, the columns.
 */
#ifndef GH_AUDIT_SOURCE_H
#define GH_AUDIT_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "decode/audit_record.h"
#include "schema/field.h"
#include "run/run.h"

struct gh_audit_source;

/* From the script's sources: NULL in *out when it names no audit source.
 * -EINVAL with err naming the bad entry. */
int gh_audit_source_open(struct gh_audit_source **out, const struct gh_schema *schema,
			 char *const *sources, size_t n_sources, const char *script, char *err,
			 size_t errlen);
/* gh_run_opts.sources_start / sources_stop, ctx the source. */
int gh_audit_source_start(void *ctx, uv_loop_t *loop, gh_run_feed_fn feed, void *run);
void gh_audit_source_stop(void *ctx);
/* Close; the loop must run once more. */
void gh_audit_source_free(struct gh_audit_source *s);

/* One record of type into rec (schema->struct_size bytes, zeroed here). */
void gh_audit_fill(const struct gh_schema *schema, const struct gh_audit_record *r,
		   uint16_t type, uint8_t *rec);

#endif
