/* signature.h - detached ed25519 signatures of gadget images.
 *
 * A signature signs the image's manifest digest (which names the config
 * and every layer by their digests).  It is a small JSON document:
 *
 *   {"mediaType":"application/vnd.gadgethost.signature.v1+json",
 *    "manifestDigest":"sha256:...","keyId":"sha256:...",
 *    "algorithm":"ed25519","signature":"BASE64"}
 *
 * over the bytes "gadgethost image signature v1\n" followed by the
 * manifest digest.  keyId is the SHA-256 of the public key's DER
 * (SubjectPublicKeyInfo): `openssl pkey -pubin -in K.pub -outform DER |
 * sha256sum`.  Keys are PEM files as OpenSSL writes them (gadgethost
 * keygen, or openssl genpkey -algorithm ed25519), so no tool of ours is
 * needed to make or look at one.  ed25519 signs deterministically: the
 * same key and image give the same document.
 */
#ifndef GH_SIGNATURE_H
#define GH_SIGNATURE_H

#include <stddef.h>

#include "base/buf.h"
#include "image/digest.h"

#define GH_MT_SIGNATURE "application/vnd.gadgethost.signature.v1+json"
#define GH_KEYS_DEFAULT "/etc/gadgethost/keys"
#define GH_SIGNATURE_MAX (16u << 10)

struct gh_keyring;

/* PREFIX.key (private, mode 0600) and PREFIX.pub; neither may exist. */
int gh_key_generate(const char *prefix, char key_id[GH_DIGEST_SIZE], char *err, size_t errlen);

/* The public keys of paths: PEM files, or directories whose *.pub files
 * are read (n == 0: GH_KEYS_DEFAULT).  -ENOKEY when none is found. */
int gh_keyring_load(struct gh_keyring **out, const char *const *paths, size_t n, char *err,
		    size_t errlen);
void gh_keyring_free(struct gh_keyring *k);

/* A signature document of manifest_digest made with the private key in
 * key_file, appended to doc; key_id gets the key's id. */
int gh_sign(const char *key_file, const char *manifest_digest, struct gh_buf *doc,
	    char key_id[GH_DIGEST_SIZE], char *err, size_t errlen);

/* The verdict on a manifest's signatures, fed one document at a time. */
struct gh_verdict {
	const struct gh_keyring *keys;
	char manifest_digest[GH_DIGEST_SIZE];
	int n_docs;              /* signatures seen */
	int good;                /* one of them verified with a trusted key */
	char signer[GH_DIGEST_SIZE]; /* its key id */
	char untrusted[GH_DIGEST_SIZE]; /* a key id seen that is not trusted */
	char bad[256];           /* why a trusted key's signature failed */
};

void gh_verdict_init(struct gh_verdict *v, const struct gh_keyring *keys,
		     const char *manifest_digest);
/* Judge one document (a gh_store_sig_fn: ctx is the verdict; 0). */
int gh_verdict_add(void *ctx, const char *doc, size_t len);
/* 0 when a trusted key signed; -EPERM with err saying why not, naming
 * what (a reference) for the reader. */
int gh_verdict_result(const struct gh_verdict *v, const char *what, char *err, size_t errlen);

/* Check a document is a well formed signature of manifest_digest (its
 * format only, not the key): 0 or -EINVAL. */
int gh_signature_check_format(const char *doc, size_t len, const char *manifest_digest);

#endif
