/* registry.h - a client of an OCI distribution registry (the /v2/ API)
 * over HTTPS, with libcurl.
 *
 * TLS is verified against the system's CAs or ca_file; credentials, when
 * the auth file has some for the registry, go as HTTP basic auth (over
 * TLS only; never to another host a redirect names).  Every request has
 * a connect deadline (10 s), a stall deadline (30 s without a byte) and
 * an overall one; every answer has a size cap, and every blob is checked
 * against its digest and size as it arrives.
 *
 * The auth file is in the format of docker's and podman's
 * (~/.docker/config.json, auth.json): {"auths": {"HOST:PORT": {"auth":
 * "BASE64(user:password)"}}}.
 */
#ifndef GH_REGISTRY_H
#define GH_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "image/digest.h"

struct gh_registry;

/* A session with registry (HOST[:PORT]).  ca_file, auth_file: NULL for
 * none. */
int gh_registry_open(struct gh_registry **out, const char *registry, const char *ca_file,
		     const char *auth_file, char *err, size_t errlen);
void gh_registry_close(struct gh_registry *r);

/* GET a manifest by tag or digest into body (at most max bytes); digest
 * gets the SHA-256 of what came.  -ENOENT on 404. */
int gh_registry_get_manifest(struct gh_registry *r, const char *repo, const char *reference,
			     size_t max, struct gh_buf *body, char digest[GH_DIGEST_SIZE],
			     char *err, size_t errlen);
/* GET a blob of size bytes, checked against digest (-EBADMSG). */
int gh_registry_get_blob(struct gh_registry *r, const char *repo, const char *digest,
			 uint64_t size, struct gh_buf *body, char *err, size_t errlen);
/* Upload a blob unless the registry has it. */
int gh_registry_put_blob(struct gh_registry *r, const char *repo, const char *digest,
			 const void *data, size_t len, char *err, size_t errlen);
/* PUT a manifest at reference (a tag). */
int gh_registry_put_manifest(struct gh_registry *r, const char *repo, const char *reference,
			     const char *media_type, const void *data, size_t len, char *err,
			     size_t errlen);

#endif
