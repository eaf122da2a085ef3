/* signature.c - ed25519 signatures with OpenSSL (signature.h). */
#include "image/signature.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/json.h"
#include "base/write_file.h"
#include "base/openssl_lib.h"

#define CONTEXT "gadgethost image signature v1\n"
#define MAX_KEYS 256

struct gh_keyring {
	EVP_PKEY *keys[MAX_KEYS];
	char ids[MAX_KEYS][GH_DIGEST_SIZE];
	size_t n;
};

static const char *ssl_error(void)
{
	static char buf[160];
	unsigned long e = sym_ERR_get_error();

	sym_ERR_clear_error();
	if (!e)
		return "unknown error";
	sym_ERR_error_string_n(e, buf, sizeof(buf));
	return buf;
}

static int key_id(EVP_PKEY *k, char id[GH_DIGEST_SIZE])
{
	unsigned char *der = NULL;
	int len = sym_i2d_PUBKEY(k, &der);
	int ret;

	if (len <= 0)
		return -EINVAL;
	ret = gh_digest_of(der, (size_t)len, id);
	sym_CRYPTO_free(der, __FILE__, __LINE__);
	return ret;
}

static int pem_string(EVP_PKEY *k, int private_key, struct gh_buf *out)
{
	BIO *bio = sym_BIO_new(sym_BIO_s_mem());
	char *p;
	long len;
	int ok, ret;

	if (!bio)
		return -ENOMEM;
	ok = private_key ? sym_PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL)
			 : sym_PEM_write_bio_PUBKEY(bio, k);
	len = sym_BIO_ctrl(bio, BIO_CTRL_INFO, 0, &p); /* BIO_get_mem_data */
	ret = ok && len > 0 ? gh_buf_append(out, p, (size_t)len) : -EIO;
	sym_BIO_free(bio);
	return ret;
}

/* path written whole, refusing to replace a file */
static int write_new(const char *path, const struct gh_buf *b, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	int ret;

	if (fd < 0)
		return -errno;
	ret = gh_write_all(fd, b->p, b->len);
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (ret)
		unlink(path);
	return ret;
}

int gh_key_generate(const char *prefix, char id[GH_DIGEST_SIZE], char *err, size_t errlen)
{
	struct gh_buf priv = GH_BUF_INIT, pub = GH_BUF_INIT;
	char kp[4096], pp[4096];
	EVP_PKEY *k;
	int ret = gh_libcrypto_open(err, errlen);

	if (ret)
		return ret;
	k = sym_EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!k)
		return gh_err(err, errlen, -EIO, "generating an ed25519 key: %s", ssl_error());
	snprintf(kp, sizeof(kp), "%s.key", prefix);
	snprintf(pp, sizeof(pp), "%s.pub", prefix);
	ret = pem_string(k, 1, &priv);
	if (!ret)
		ret = pem_string(k, 0, &pub);
	if (!ret)
		ret = key_id(k, id);
	if (ret) {
		ret = gh_err(err, errlen, ret, "writing the key: %s", ssl_error());
	} else if ((ret = write_new(kp, &priv, 0600))) {
		ret = gh_err(err, errlen, ret, "%s: %s", kp, strerror(-ret));
	} else if ((ret = write_new(pp, &pub, 0644))) {
		unlink(kp);
		ret = gh_err(err, errlen, ret, "%s: %s", pp, strerror(-ret));
	}
	sym_OPENSSL_cleanse(priv.p, priv.len);
	gh_buf_free(&priv);
	gh_buf_free(&pub);
	sym_EVP_PKEY_free(k);
	return ret;
}

static EVP_PKEY *read_key(const char *path, int private_key, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *k;

	if (!f) {
		gh_err(err, errlen, -errno, "%s: %s", path, strerror(errno));
		return NULL;
	}
	k = private_key ? sym_PEM_read_PrivateKey(f, NULL, NULL, NULL)
			: sym_PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!k) {
		gh_err(err, errlen, -EINVAL, "%s: not a PEM %s key: %s", path,
		       private_key ? "private" : "public", ssl_error());
		return NULL;
	}
	if (sym_EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
		sym_EVP_PKEY_free(k);
		gh_err(err, errlen, -EINVAL, "%s: not an ed25519 key (gadgethost keygen makes one)",
		       path);
		return NULL;
	}
	return k;
}

static int keyring_add(struct gh_keyring *r, const char *path, char *err, size_t errlen)
{
	EVP_PKEY *k;

	if (r->n >= MAX_KEYS)
		return gh_err(err, errlen, -E2BIG, "more than %d verify keys", MAX_KEYS);
	k = read_key(path, 0, err, errlen);
	if (!k)
		return -EINVAL;
	if (key_id(k, r->ids[r->n])) {
		sym_EVP_PKEY_free(k);
		return gh_err(err, errlen, -EINVAL, "%s: cannot encode the key", path);
	}
	r->keys[r->n++] = k;
	return 0;
}

static int pub_filter(const struct dirent *de)
{
	size_t len = strlen(de->d_name);

	return de->d_name[0] != '.' && len > 4 && !strcmp(de->d_name + len - 4, ".pub");
}

static int keyring_add_path(struct gh_keyring *r, const char *path, bool must_exist,
			    char *err, size_t errlen)
{
	struct dirent **names;
	struct stat st;
	int n, ret = 0;

	if (stat(path, &st))
		return must_exist ? gh_err(err, errlen, -errno, "verify key %s: %s", path,
					   strerror(errno)) : 0;
	if (!S_ISDIR(st.st_mode))
		return keyring_add(r, path, err, errlen);
	n = scandir(path, &names, pub_filter, alphasort);
	if (n < 0)
		return gh_err(err, errlen, -errno, "%s: %s", path, strerror(errno));
	for (int i = 0; i < n; i++) {
		char p[4096];

		snprintf(p, sizeof(p), "%s/%s", path, names[i]->d_name);
		if (!ret)
			ret = keyring_add(r, p, err, errlen);
		free(names[i]);
	}
	free(names);
	return ret;
}

int gh_keyring_load(struct gh_keyring **out, const char *const *paths, size_t n, char *err,
		    size_t errlen)
{
	struct gh_keyring *r = calloc(1, sizeof(*r));
	const char *def = GH_KEYS_DEFAULT;
	int ret = gh_libcrypto_open(err, errlen);

	*out = NULL;
	if (ret) {
		free(r);
		return ret;
	}
	if (!r)
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; !ret && i < (n ? n : 1); i++)
		ret = keyring_add_path(r, n ? paths[i] : def, n > 0, err, errlen);
	if (!ret && !r->n)
		ret = gh_err(err, errlen, -ENOKEY, "no verify key: images are verified against the "
			     "public keys in %s (or --verify-key FILE)", def);
	if (ret) {
		gh_keyring_free(r);
		return ret;
	}
	*out = r;
	return 0;
}

void gh_keyring_free(struct gh_keyring *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		sym_EVP_PKEY_free(k->keys[i]);
	free(k);
}

static int message(const char *manifest_digest, char *buf, size_t len)
{
	int n = snprintf(buf, len, CONTEXT "%s", manifest_digest);

	return n > 0 && (size_t)n < len ? n : -ENAMETOOLONG;
}

int gh_sign(const char *key_file, const char *manifest_digest, struct gh_buf *doc,
	    char id[GH_DIGEST_SIZE], char *err, size_t errlen)
{
	EVP_PKEY *k;
	EVP_MD_CTX *ctx = NULL;
	unsigned char sig[64];
	char msg[128], b64[128];
	size_t siglen = sizeof(sig);
	int mlen = message(manifest_digest, msg, sizeof(msg)), ret = 0;

	if (mlen < 0 || !gh_digest_valid(manifest_digest))
		return gh_err(err, errlen, -EINVAL, "\"%s\" is not a manifest digest", manifest_digest);
	ret = gh_libcrypto_open(err, errlen);
	if (ret)
		return ret;
	k = read_key(key_file, 1, err, errlen);
	if (!k)
		return -EINVAL;
	ctx = sym_EVP_MD_CTX_new();
	if (!ctx || sym_EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) != 1 ||
	    sym_EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)msg, (size_t)mlen) != 1 ||
	    siglen != sizeof(sig))
		ret = gh_err(err, errlen, -EIO, "signing with %s: %s", key_file, ssl_error());
	if (!ret && key_id(k, id))
		ret = gh_err(err, errlen, -EIO, "%s: cannot encode the key", key_file);
	if (!ret) {
		sym_EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
		ret = gh_buf_printf(doc, "{\"mediaType\":\"" GH_MT_SIGNATURE "\",\"manifestDigest\":"
				    "\"%s\",\"keyId\":\"%s\",\"algorithm\":\"ed25519\","
				    "\"signature\":\"%s\"}", manifest_digest, id, b64);
	}
	sym_EVP_MD_CTX_free(ctx);
	sym_EVP_PKEY_free(k);
	return ret;
}

struct parsed_sig {
	char key_id[GH_DIGEST_SIZE];
	unsigned char sig[64];
};

static int parse_sig(const char *doc, size_t len, const char *manifest_digest,
		     struct parsed_sig *p)
{
	struct gh_json *j = NULL;
	const char *mt, *md, *kid, *alg, *b64;
	unsigned char raw[96];
	int n, ret = -EINVAL;

	if (len > GH_SIGNATURE_MAX || gh_json_parse(doc, len, &j, NULL, 0))
		return -EINVAL;
	mt = gh_json_str(gh_json_get(j, "mediaType"));
	md = gh_json_str(gh_json_get(j, "manifestDigest"));
	kid = gh_json_str(gh_json_get(j, "keyId"));
	alg = gh_json_str(gh_json_get(j, "algorithm"));
	b64 = gh_json_str(gh_json_get(j, "signature"));
	if (mt && md && kid && alg && b64 && !strcmp(mt, GH_MT_SIGNATURE) &&
	    !strcmp(md, manifest_digest) && gh_digest_valid(kid) && !strcmp(alg, "ed25519") &&
	    strlen(b64) == 88) {
		/* 64 bytes: 88 characters, the last two '=' */
		n = sym_EVP_DecodeBlock(raw, (const unsigned char *)b64, 88);
		if (n == 66 && b64[86] == '=' && b64[87] == '=') {
			memcpy(p->sig, raw, 64);
			snprintf(p->key_id, sizeof(p->key_id), "%s", kid);
			ret = 0;
		}
	}
	gh_json_free(j);
	return ret;
}

int gh_signature_check_format(const char *doc, size_t len, const char *manifest_digest)
{
	struct parsed_sig p;
	int ret = gh_libcrypto_open(NULL, 0);

	return ret ? ret : parse_sig(doc, len, manifest_digest, &p);
}

void gh_verdict_init(struct gh_verdict *v, const struct gh_keyring *keys,
		     const char *manifest_digest)
{
	memset(v, 0, sizeof(*v));
	v->keys = keys;
	snprintf(v->manifest_digest, sizeof(v->manifest_digest), "%s", manifest_digest);
}

int gh_verdict_add(void *ctx, const char *doc, size_t len)
{
	struct gh_verdict *v = ctx;
	struct parsed_sig p;
	char msg[128];
	int mlen = message(v->manifest_digest, msg, sizeof(msg));

	v->n_docs++;
	if (v->good || mlen < 0 || gh_libcrypto_open(NULL, 0) ||
	    parse_sig(doc, len, v->manifest_digest, &p))
		return 0;
	for (size_t i = 0; i < v->keys->n; i++) {
		EVP_MD_CTX *c;
		int ok;

		if (strcmp(v->keys->ids[i], p.key_id))
			continue;
		c = sym_EVP_MD_CTX_new();
		ok = c && sym_EVP_DigestVerifyInit(c, NULL, NULL, NULL, v->keys->keys[i]) == 1 &&
		     sym_EVP_DigestVerify(c, p.sig, sizeof(p.sig), (const unsigned char *)msg,
				      (size_t)mlen) == 1;
		sym_EVP_MD_CTX_free(c);
		sym_ERR_clear_error();
		if (ok) {
			v->good = 1;
			snprintf(v->signer, sizeof(v->signer), "%s", p.key_id);
		} else {
			snprintf(v->bad, sizeof(v->bad), "the signature by key %.19s... does not "
				 "verify", p.key_id);
		}
		return 0;
	}
	snprintf(v->untrusted, sizeof(v->untrusted), "%s", p.key_id);
	return 0;
}

int gh_verdict_result(const struct gh_verdict *v, const char *what, char *err, size_t errlen)
{
	if (v->good)
		return 0;
	if (v->bad[0])
		return gh_err(err, errlen, -EPERM, "%s: %s (a changed image or signature): refused",
			      what, v->bad);
	if (v->untrusted[0])
		return gh_err(err, errlen, -EPERM, "%s is signed by key %.19s..., which is not a "
			      "verify key of this node: refused", what, v->untrusted);
	if (v->n_docs)
		return gh_err(err, errlen, -EPERM, "%s: its signatures are not well formed: refused",
			      what);
	return gh_err(err, errlen, -EPERM, "%s (%.19s...) is not signed: refused (gadgethost sign "
		      "REF --key KEY; verification is on by default)", what, v->manifest_digest);
}
