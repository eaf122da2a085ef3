/* openssl_lib.h - OpenSSL 3's libcrypto (digests, signatures, base64, the
 * BIOs and errors of TLS) and libssl (TLS), opened at first use
 * (base/dlib.h): the one table of the functions gadgethost calls, for the
 * images (image/) and the daemon's TLS (daemon/tls.c).  Call sym_NAME of
 * libcrypto only after gh_libcrypto_open() returned 0, of libssl only
 * after gh_libssl_open() did. */
#ifndef GH_OPENSSL_LIB_H
#define GH_OPENSSL_LIB_H

#include <stddef.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/dlib.h"

#define GH_LIBCRYPTO_FNS(X) \
	X(BIO_clear_flags) X(BIO_ctrl) X(BIO_free) X(BIO_get_data) X(BIO_get_new_index) \
	X(BIO_meth_free) X(BIO_meth_new) X(BIO_meth_set_create) X(BIO_meth_set_ctrl) \
	X(BIO_meth_set_read) X(BIO_meth_set_write) X(BIO_new) X(BIO_new_mem_buf) X(BIO_s_mem) \
	X(BIO_set_data) X(BIO_set_flags) X(BIO_set_init) X(CRYPTO_free) X(ERR_clear_error) \
	X(ERR_error_string_n) X(ERR_get_error) X(ERR_reason_error_string) X(EVP_DecodeBlock) \
	X(EVP_DigestFinal_ex) X(EVP_DigestInit_ex) X(EVP_DigestSign) X(EVP_DigestSignInit) \
	X(EVP_DigestUpdate) X(EVP_DigestVerify) X(EVP_DigestVerifyInit) X(EVP_EncodeBlock) \
	X(EVP_MD_CTX_free) X(EVP_MD_CTX_new) X(EVP_PKEY_Q_keygen) X(EVP_PKEY_free) \
	X(EVP_PKEY_get_id) X(EVP_sha256) X(OPENSSL_cleanse) X(OPENSSL_sk_pop_free) \
	X(PEM_read_PUBKEY) X(PEM_read_PrivateKey) X(PEM_read_bio_PrivateKey) \
	X(PEM_write_bio_PUBKEY) X(PEM_write_bio_PrivateKey) X(X509_NAME_free) \
	X(X509_VERIFY_PARAM_set1_ip_asc) X(X509_verify_cert_error_string) X(i2d_PUBKEY)

#define GH_LIBSSL_FNS(X) \
	X(SSL_CTX_check_private_key) X(SSL_CTX_ctrl) X(SSL_CTX_free) \
	X(SSL_CTX_load_verify_locations) X(SSL_CTX_new) X(SSL_CTX_set_client_CA_list) \
	X(SSL_CTX_set_default_verify_paths) X(SSL_CTX_set_num_tickets) \
	X(SSL_CTX_set_options) X(SSL_CTX_set_verify) X(SSL_CTX_use_PrivateKey) \
	X(SSL_CTX_use_certificate_chain_file) X(SSL_connect) X(SSL_ctrl) \
	X(SSL_do_handshake) X(SSL_free) X(SSL_get0_param) X(SSL_get_error) \
	X(SSL_get_verify_result) X(SSL_is_init_finished) X(SSL_load_client_CA_file) \
	X(SSL_new) X(SSL_pending) X(SSL_read) X(SSL_set1_host) X(SSL_set_accept_state) \
	X(SSL_set_bio) X(SSL_set_fd) X(SSL_shutdown) X(SSL_write) X(TLS_client_method) \
	X(TLS_server_method)

GH_LIBCRYPTO_FNS(GH_DLIB_EXTERN_FN)
GH_LIBSSL_FNS(GH_DLIB_EXTERN_FN)

/* libcrypto: 0, or -errno with one line naming the library in err. */
int gh_libcrypto_open(char *err, size_t errlen);

/* libcrypto, then libssl (which needs it): 0, or as gh_libcrypto_open. */
int gh_libssl_open(char *err, size_t errlen);

#endif
