/* store.h - the local image store: a content-addressed directory in the
 * OCI image layout (default /var/lib/gadgethost/images).
 *
 *   oci-layout              {"imageLayoutVersion":"1.0.0"}
 *   index.json              the references: an OCI index whose manifests
 *                           carry org.opencontainers.image.ref.name
 *   blobs/sha256/HEX        manifests, configs, layers: named by digest
 *   signatures/HEX/S.json   detached signatures of manifest HEX (S: the
 *                           signature document's own digest)
 *   tmp/                    files being written; a run's unpacked gadget
 *   lock                    flock(2) held while index.json changes
 *
 * Every file is written whole beside its place and renamed there
 * (base/write_file.h): a reader sees it complete or not at all.  A blob
 * is checked against its digest whenever it is read, so a file changed
 * in the store is caught before anything uses it.
 */
#ifndef GH_STORE_H
#define GH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "image/digest.h"

#define GH_STORE_DEFAULT "/var/lib/gadgethost/images"
#define GH_STORE_REF_MAX 600

struct gh_store;

struct gh_store_entry {
	char ref[GH_STORE_REF_MAX];   /* REGISTRY/REPOSITORY:TAG (or @DIGEST) */
	char digest[GH_DIGEST_SIZE];  /* the manifest's */
	uint64_t size;
};

/* Open dir (NULL: the default), creating it when create is set (else
 * -ENOENT when it is not a store). */
int gh_store_open(struct gh_store **out, const char *dir, bool create, char *err, size_t errlen);
void gh_store_close(struct gh_store *s);
const char *gh_store_dir(const struct gh_store *s);

/* Store data as blob digest (checked first: -EBADMSG when it does not
 * match). */
int gh_store_put_blob(struct gh_store *s, const char *digest, const void *data, size_t len,
		      char *err, size_t errlen);
bool gh_store_has_blob(struct gh_store *s, const char *digest);
/* Read blob digest, at most max bytes, checked against its digest:
 * -ENOENT, -EFBIG, -EBADMSG (changed in the store). */
int gh_store_get_blob(struct gh_store *s, const char *digest, size_t max, char **data,
		      size_t *len, char *err, size_t errlen);

/* The references, sorted.  *out is malloc'd. */
int gh_store_list(struct gh_store *s, struct gh_store_entry **out, size_t *n, char *err,
		  size_t errlen);
/* The manifest digest of ref: 0 or -ENOENT. */
int gh_store_resolve(struct gh_store *s, const char *ref, char digest[GH_DIGEST_SIZE],
		     char *err, size_t errlen);
/* Point ref at a manifest already stored (replacing what it named). */
int gh_store_tag(struct gh_store *s, const char *ref, const char *digest, uint64_t size,
		 char *err, size_t errlen);
/* Remove ref, then every blob and signature no reference needs any more.
 * -ENOENT when ref is not there. */
int gh_store_remove(struct gh_store *s, const char *ref, char *err, size_t errlen);

/* Hold the store's lock across several changes (blobs written, then
 * tagged), so a removal's clean-up in between cannot take the blobs.
 * Nested calls count. */
int gh_store_lock(struct gh_store *s, char *err, size_t errlen);
void gh_store_unlock(struct gh_store *s);

/* Signatures of a manifest: add one document; call fn with each. */
int gh_store_put_signature(struct gh_store *s, const char *manifest_digest, const char *doc,
			   size_t len, char *err, size_t errlen);
typedef int (*gh_store_sig_fn)(void *ctx, const char *doc, size_t len);
int gh_store_each_signature(struct gh_store *s, const char *manifest_digest, gh_store_sig_fn fn,
			    void *ctx);

/* A new private directory under tmp/ (mode 0700) into buf: a run's
 * unpacked gadget.  Directories of runs that died are removed first. */
int gh_store_mkdtemp(struct gh_store *s, char *buf, size_t len, char *err, size_t errlen);
/* Remove such a directory and the files in it. */
void gh_store_rmdtemp(const char *dir);

#endif
