/* audit_record.h - the text of one kernel audit record, as the audit
 * netlink socket delivers it:
 *
 *   audit(1796188615.412:6): auid=4294967295 uid=0 ... pid=18681 comm="sc"
 *   exe="/tmp/sc" sig=0 arch=c000003e syscall=110 compat=0 ip=0x7f... code=0x7ffc0000
 *
 * into its time, serial and key=value pairs.  Values are unquoted; an
 * unquoted value of hex digits where the kernel hex-encodes untrusted
 * strings (comm, exe: a name with spaces or quotes) is decoded on request.
 */
#ifndef GH_AUDIT_RECORD_H
#define GH_AUDIT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GH_AUDIT_MAX_PAIRS 48
#define GH_AUDIT_TEXT_MAX 8192

struct gh_audit_pair {
	const char *key;
	const char *value;
	bool quoted;
};

struct gh_audit_record {
	uint64_t time_ns;   /* wall clock, from audit(SEC.MSEC:...) */
	uint64_t serial;
	char text[GH_AUDIT_TEXT_MAX]; /* the copy the pairs point into */
	struct gh_audit_pair pairs[GH_AUDIT_MAX_PAIRS];
	size_t n_pairs;
};

/* Parse len bytes of text (not NUL terminated).  0, or -EINVAL when it
 * does not start with audit(SEC.MSEC:SERIAL):. */
int gh_audit_parse(const char *text, size_t len, struct gh_audit_record *r);
/* The pair named key, or NULL. */
const struct gh_audit_pair *gh_audit_get(const struct gh_audit_record *r, const char *key);
/* A number: decimal, or hex with or without 0x (arch=c000003e).  0 or -EINVAL. */
int gh_audit_number(const char *value, uint64_t *out);
/* The value as a string into out (size bytes, NUL terminated): quoted as
 * is, unquoted hex decoded (comm=2F62696E2F7368 is "/bin/sh").  Its length. */
size_t gh_audit_string(const struct gh_audit_pair *p, char *out, size_t size);

#endif
