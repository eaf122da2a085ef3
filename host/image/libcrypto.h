/* libcrypto.h - OpenSSL's libcrypto for the images (digests, signatures,
 * base64), opened at first use (base/dlib.h).  Call sym_NAME only after
 * gh_libcrypto_open() returned 0. */
#ifndef GH_LIBCRYPTO_H
#define GH_LIBCRYPTO_H

#include <stddef.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/dlib.h"

#define GH_LIBCRYPTO_FNS(X) \
	X(BIO_ctrl) X(BIO_free) X(BIO_new) X(BIO_s_mem) X(CRYPTO_free) X(ERR_clear_error) \
	X(ERR_error_string_n) X(ERR_get_error) X(EVP_DecodeBlock) X(EVP_DigestFinal_ex) \
	X(EVP_DigestInit_ex) X(EVP_DigestSign) X(EVP_DigestSignInit) X(EVP_DigestUpdate) \
	X(EVP_DigestVerify) X(EVP_DigestVerifyInit) X(EVP_EncodeBlock) X(EVP_MD_CTX_free) \
	X(EVP_MD_CTX_new) X(EVP_PKEY_Q_keygen) X(EVP_PKEY_free) X(EVP_PKEY_get_id) \
	X(EVP_sha256) X(OPENSSL_cleanse) X(PEM_read_PUBKEY) X(PEM_read_PrivateKey) \
	X(PEM_write_bio_PUBKEY) X(PEM_write_bio_PrivateKey) X(i2d_PUBKEY)

GH_LIBCRYPTO_FNS(GH_DLIB_EXTERN_FN)

/* 0, or -errno with one line naming the library in err. */
int gh_libcrypto_open(char *err, size_t errlen);

#endif
