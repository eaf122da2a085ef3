/* allowlist.h - which images a node runs: --allowed-gadgets.
 *
 * Each entry is a manifest digest ("sha256:..."), allowing that image
 * whatever it is called, or a glob (fnmatch(3), '*' spans '/') on the
 * full reference: "localhost:5000/team/mytool:1.0" (a tag),
 * "localhost:5000/team/" followed by '*' (a prefix).  A reference given with a digest
 * ("REGISTRY/REPO@sha256:...") is matched as written too.  No entry at
 * all: everything is allowed (the daemon refuses runs by reference then
 * unless it was given a list).
 */
#ifndef GH_ALLOWLIST_H
#define GH_ALLOWLIST_H

#include <stddef.h>

#include "image/reference.h"

enum gh_allow {
	GH_ALLOW_NO,
	GH_ALLOW_YES,
	GH_ALLOW_BY_DIGEST, /* only a digest entry may allow it: resolve first */
};

/* Entries may hold several, separated by commas. */
struct gh_allowlist {
	const char *const *entries;
	size_t n;
};

/* Whether entries are well formed: 0, or -EINVAL naming the first that
 * is not. */
int gh_allowlist_check(const struct gh_allowlist *a, char *err, size_t errlen);
/* The verdict on ref before its digest is known (digest NULL), or on ref
 * resolved to digest. */
enum gh_allow gh_allowlist_judge(const struct gh_allowlist *a, const struct gh_image_ref *ref,
				 const char *digest);

#endif
