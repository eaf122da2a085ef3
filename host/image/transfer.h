/* transfer.h - images between a registry and the local store.
 *
 * A pull asks for the manifest, checks the reference's digest (when it
 * has one) and the allowlist, reads the signatures (the artifact at tag
 * sha256-HEX.sig, sig_artifact.h) and verifies them against the node's
 * keys, then fetches the config and each layer, each checked against the
 * digest and size the manifest gives.  Only when all of that passed is
 * anything written to the store: blobs, signatures, then the reference.
 *
 * A push sends the layers, the config and the manifest, then the
 * signatures the store holds for it (merged with those the registry
 * already has).
 */
#ifndef GH_TRANSFER_H
#define GH_TRANSFER_H

#include <stddef.h>

#include "image/digest.h"
#include "image/image_opts.h"
#include "image/reference.h"
#include "image/store.h"

int gh_image_pull(const struct gh_image_opts *o, struct gh_store *s,
		  const struct gh_image_ref *ref, char digest[GH_DIGEST_SIZE], char *err,
		  size_t errlen);
/* Push what ref names in the store (to the registry and repository it
 * names); *n_sigs: how many signatures the registry holds after it. */
int gh_image_push(const struct gh_image_opts *o, struct gh_store *s,
		  const struct gh_image_ref *ref, char digest[GH_DIGEST_SIZE], size_t *n_sigs,
		  char *err, size_t errlen);
/* Resolve ref in the store: by its digest, or by name.  -ENOENT. */
int gh_image_resolve_local(struct gh_store *s, const struct gh_image_ref *ref,
			   char digest[GH_DIGEST_SIZE], char *err, size_t errlen);
/* Verify the signatures the store holds for digest (what: the reference,
 * for messages).  0 or -EPERM; verification off (o): 0. */
int gh_image_verify_local(const struct gh_image_opts *o, struct gh_store *s, const char *digest,
			  const char *what, char *err, size_t errlen);

#endif
