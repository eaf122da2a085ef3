/* sig_artifact.h - an image's signatures as an OCI artifact: how they
 * travel to a registry and in an export tarball.
 *
 * The artifact is an OCI image manifest at the tag "sha256-HEX.sig" of
 * the image's repository (HEX: the image's manifest digest; the tag
 * scheme cosign uses, which every registry stores), with
 *   artifactType  application/vnd.gadgethost.signature.v1+json
 *   config        the empty descriptor (application/vnd.oci.empty.v1+json, "{}")
 *   layers        one signature document each (signature.h), by digest
 *   subject       the image's manifest (for registries with the referrers API)
 * Layers are sorted by digest, so the same signatures give the same
 * artifact.
 */
#ifndef GH_SIG_ARTIFACT_H
#define GH_SIG_ARTIFACT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "image/digest.h"

#define GH_MT_EMPTY "application/vnd.oci.empty.v1+json"
#define GH_EMPTY_JSON "{}"
#define GH_EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define GH_SIG_MAX_LAYERS 64

struct gh_sig_desc {
	char digest[GH_DIGEST_SIZE];
	uint64_t size;
};

struct gh_sig_artifact {
	char subject[GH_DIGEST_SIZE];   /* the image's manifest digest */
	uint64_t subject_size;
	struct gh_sig_desc sigs[GH_SIG_MAX_LAYERS];
	size_t n;
};

/* "sha256-HEX.sig" for a manifest digest */
void gh_sig_tag(const char *manifest_digest, char *out, size_t len);
/* Add a signature (no duplicates; -E2BIG past the cap). */
int gh_sig_artifact_add(struct gh_sig_artifact *a, const char *digest, uint64_t size);
int gh_sig_artifact_write(struct gh_sig_artifact *a, struct gh_buf *out);
/* Read an artifact (untrusted).  subject: the manifest it must be of, or
 * NULL to take its own.  0 or -EINVAL. */
int gh_sig_artifact_parse(const char *json, size_t len, const char *subject,
			  struct gh_sig_artifact *a, char *err, size_t errlen);

#endif
