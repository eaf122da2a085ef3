/* digest.c - SHA-256 digests (digest.h). */
#include "image/digest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/openssl_lib.h"

struct gh_sha256 {
	EVP_MD_CTX *ctx;
};

struct gh_sha256 *gh_sha256_new(void)
{
	EVP_MD_CTX *ctx;
	char err[256];

	if (gh_libcrypto_open(err, sizeof(err))) {
		gh_log(GH_LOG_ERROR, "%s", err);
		return NULL;
	}
	ctx = sym_EVP_MD_CTX_new();
	if (!ctx)
		return NULL;
	if (sym_EVP_DigestInit_ex(ctx, sym_EVP_sha256(), NULL) != 1) {
		sym_EVP_MD_CTX_free(ctx);
		return NULL;
	}
	/* the context is the handle: no allocation of our own */
	return (struct gh_sha256 *)ctx;
}

int gh_sha256_update(struct gh_sha256 *h, const void *data, size_t len)
{
	return sym_EVP_DigestUpdate((EVP_MD_CTX *)h, data, len) == 1 ? 0 : -EIO;
}

int gh_sha256_final(struct gh_sha256 *h, char out[GH_DIGEST_SIZE])
{
	unsigned char md[32];
	unsigned int n = 0;
	int ok = sym_EVP_DigestFinal_ex((EVP_MD_CTX *)h, md, &n) == 1 && n == sizeof(md);

	sym_EVP_MD_CTX_free((EVP_MD_CTX *)h);
	if (!ok)
		return -EIO;
	memcpy(out, "sha256:", 7);
	for (size_t i = 0; i < sizeof(md); i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

void gh_sha256_free(struct gh_sha256 *h)
{
	if (h) /* there is one only once libcrypto is open */
		sym_EVP_MD_CTX_free((EVP_MD_CTX *)h);
}

int gh_digest_of(const void *data, size_t len, char out[GH_DIGEST_SIZE])
{
	struct gh_sha256 *h = gh_sha256_new();

	if (!h)
		return -ENOMEM;
	if (gh_sha256_update(h, data, len)) {
		gh_sha256_free(h);
		return -EIO;
	}
	return gh_sha256_final(h, out);
}

bool gh_digest_matches(const void *data, size_t len, const char *digest)
{
	char d[GH_DIGEST_SIZE];

	return !gh_digest_of(data, len, d) && !strcmp(d, digest);
}
