/* image_run.h - a gadget image made ready for the loader.
 *
 * `gadgethost run REF` (and each run a daemon starts for a client): the
 * reference is checked against the allowlist, found in the store (or
 * pulled, unless --no-pull), checked against the allowlist again by its
 * digest, its signatures verified against the node's keys (unless
 * --verify=false), and its files, each read back and checked against its
 * digest, written to a private directory under the store's tmp/.  The
 * loader takes the script there as any gadget path: the object is next
 * to it.  The directory is removed when the run ends (and, if the run
 * was killed, by the next run that makes one).
 */
#ifndef GH_IMAGE_RUN_H
#define GH_IMAGE_RUN_H

#include <stddef.h>

#include "image/digest.h"
#include "image/image_opts.h"

struct gh_image_run {
	char dir[4096];                 /* the unpacked files */
	char script[4300];              /* dir/NAME.lua: the gadget to open */
	char ref[600];                  /* the reference, in full */
	char digest[GH_DIGEST_SIZE];
};

int gh_image_run_prepare(const struct gh_image_opts *o, const char *text,
			 struct gh_image_run *out, char *err, size_t errlen);
/* Remove the unpacked files (nothing when prepare failed). */
void gh_image_run_done(struct gh_image_run *r);

#endif
