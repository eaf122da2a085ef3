/* digest.h - SHA-256 content digests as OCI writes them: "sha256:" and 64
 * lowercase hex digits (OpenSSL's EVP SHA-256). */
#ifndef GH_DIGEST_H
#define GH_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define GH_DIGEST_SIZE 72 /* "sha256:" + 64 + NUL */

/* out gets the digest of len bytes of data.  0 or -ENOMEM. */
int gh_digest_of(const void *data, size_t len, char out[GH_DIGEST_SIZE]);
/* Whether s is "sha256:" and 64 lowercase hex digits, nothing more
 * (inline: the daemon's request checks use it without OpenSSL). */
static inline bool gh_digest_valid(const char *s)
{
	size_t i;

	if (strncmp(s, "sha256:", 7))
		return false;
	for (i = 7; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 71;
}
/* Whether data hashes to digest. */
bool gh_digest_matches(const void *data, size_t len, const char *digest);

/* A digest computed piece by piece (a download). */
struct gh_sha256;
struct gh_sha256 *gh_sha256_new(void);
int gh_sha256_update(struct gh_sha256 *h, const void *data, size_t len);
/* Writes the digest and frees h. */
int gh_sha256_final(struct gh_sha256 *h, char out[GH_DIGEST_SIZE]);
void gh_sha256_free(struct gh_sha256 *h);

#endif
