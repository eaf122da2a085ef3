/* tarball.h - images and their signatures in one tarball, for nodes
 * without a registry (gadgethost images export / import).
 *
 * The tarball is an OCI image layout (the oci-archive format skopeo
 * reads): oci-layout, index.json naming each image by its full reference
 * (org.opencontainers.image.ref.name) and each image's signatures as an
 * artifact (sig_artifact.h), and blobs/sha256/HEX.  It is written with
 * libarchive, entries in a fixed order with no owner or time, so the same
 * images give the same bytes.  An import reads it with libarchive (plain
 * or compressed tar), checks every blob against its name, every manifest
 * against the gadget image rules, verifies the signatures against the
 * node's keys, and only then writes to the store.
 */
#ifndef GH_TARBALL_H
#define GH_TARBALL_H

#include <stddef.h>

#include "image/image_opts.h"
#include "image/store.h"

#define GH_ARCHIVE_MAX_BYTES (512u << 20)
#define GH_ARCHIVE_MAX_ENTRIES 4096

int gh_image_export(struct gh_store *s, const char *const *refs, size_t n, const char *file,
		    char *err, size_t errlen);
/* fn is called with each reference imported. */
int gh_image_import(const struct gh_image_opts *o, struct gh_store *s, const char *file,
		    void (*fn)(void *ctx, const char *ref, const char *digest), void *ctx,
		    char *err, size_t errlen);

#endif
