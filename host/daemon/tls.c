/* tls.c - TLS contexts, server connections on the loop, blocking clients
 * (tls.h), on OpenSSL 3. */
#include "daemon/tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>

#include "base/err.h"
#include "base/openssl_lib.h"
#include "base/secret_file.h"

#define MAX_PEM (1u << 20)

struct gh_tls_ctx {
	SSL_CTX *ssl_ctx;
	BIO_METHOD *loop_bio;     /* server: the connections' BIO (below) */
	char *server_name;        /* client: the name to check instead of the URL's */
};

/* The first error OpenSSL queued (the cause; later ones say where it was
 * noticed), as text; the queue is emptied. */
static const char *ssl_reason(char *buf, size_t len)
{
	unsigned long e = sym_ERR_get_error();
	const char *r;

	sym_ERR_clear_error();
	if (!e)
		return NULL;
	if (ERR_SYSTEM_ERROR(e))
		return strerror(ERR_GET_REASON(e));
	r = sym_ERR_reason_error_string(e);
	if (r)
		return r;
	snprintf(buf, len, "OpenSSL error %lx", e);
	return buf;
}

static int file_err(char *err, size_t errlen, const char *file, const char *what)
{
	char buf[64];
	const char *why = ssl_reason(buf, sizeof(buf));

	return gh_err(err, errlen, -EINVAL, "%s: %s%s%s", file, what, why ? ": " : "",
		      why ? why : "");
}

/* The certificate chain and the private key (a secret file) of ctx. */
static int use_cert_and_key(SSL_CTX *ctx, const char *cert_file, const char *key_file,
			    char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	char *pem = NULL;
	size_t len = 0;
	BIO *bio;
	int ret;

	if (sym_SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1)
		return file_err(err, errlen, cert_file, "not a PEM certificate chain");
	ret = gh_read_secret_file(key_file, MAX_PEM, &pem, &len, err, errlen);
	if (ret) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		return gh_err(err, errlen, ret, "%s: %s", key_file, why);
	}
	bio = sym_BIO_new_mem_buf(pem, (int)len);
	if (bio)
		key = sym_PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	sym_BIO_free(bio);
	sym_OPENSSL_cleanse(pem, len);
	free(pem);
	if (!key)
		return file_err(err, errlen, key_file, "not a PEM private key without passphrase");
	ret = sym_SSL_CTX_use_PrivateKey(ctx, key) == 1 && sym_SSL_CTX_check_private_key(ctx) == 1;
	sym_EVP_PKEY_free(key);
	if (!ret)
		return file_err(err, errlen, key_file, "not the key of the certificate");
	return 0;
}

static SSL_CTX *new_ssl_ctx(const SSL_METHOD *method)
{
	SSL_CTX *ctx = sym_SSL_CTX_new(method);

	if (!ctx)
		return NULL;
	sym_SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, NULL);
	sym_SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	sym_SSL_CTX_ctrl(ctx, SSL_CTRL_MODE, SSL_MODE_RELEASE_BUFFERS, NULL);
	return ctx;
}

/* ---- the BIO of a server connection: the loop's bytes, no socket ---- */

struct gh_tls_conn {
	SSL *ssl;
	const char *in;           /* ciphertext read, not yet taken */
	size_t in_len;
	gh_tls_send_fn send;      /* where records go, at once */
	void *send_ctx;
	bool close_notified;
};

static int loop_bio_write(BIO *b, const char *data, int len)
{
	struct gh_tls_conn *t = sym_BIO_get_data(b);

	sym_BIO_clear_flags(b, BIO_FLAGS_RWS | BIO_FLAGS_SHOULD_RETRY);
	return t->send(t->send_ctx, data, (size_t)len) ? -1 : len;
}

static int loop_bio_read(BIO *b, char *buf, int len)
{
	struct gh_tls_conn *t = sym_BIO_get_data(b);
	size_t n = t->in_len < (size_t)len ? t->in_len : (size_t)len;

	sym_BIO_clear_flags(b, BIO_FLAGS_RWS | BIO_FLAGS_SHOULD_RETRY);
	if (!n) {
		sym_BIO_set_flags(b, BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY);
		return -1;
	}
	memcpy(buf, t->in, n);
	t->in += n;
	t->in_len -= n;
	return (int)n;
}

static long loop_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int loop_bio_create(BIO *b)
{
	sym_BIO_set_init(b, 1);
	return 1;
}

int gh_tls_server_ctx(struct gh_tls_ctx **out, const struct gh_tls_server_opts *o, char *err,
		      size_t errlen)
{
	struct gh_tls_ctx *c;
	int ret = gh_libssl_open(err, errlen);

	*out = NULL;
	if (ret)
		return ret;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ssl_ctx = new_ssl_ctx(sym_TLS_server_method());
	c->loop_bio = sym_BIO_meth_new(sym_BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "gadgethost loop");
	if (!c->ssl_ctx || !c->loop_bio) {
		gh_tls_ctx_free(c);
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	}
	sym_BIO_meth_set_write(c->loop_bio, loop_bio_write);
	sym_BIO_meth_set_read(c->loop_bio, loop_bio_read);
	sym_BIO_meth_set_ctrl(c->loop_bio, loop_bio_ctrl);
	sym_BIO_meth_set_create(c->loop_bio, loop_bio_create);
	/* nothing kept per client between connections */
	sym_SSL_CTX_ctrl(c->ssl_ctx, SSL_CTRL_SET_SESS_CACHE_MODE, SSL_SESS_CACHE_OFF, NULL);
	sym_SSL_CTX_set_num_tickets(c->ssl_ctx, 0);
	sym_SSL_CTX_set_options(c->ssl_ctx, SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE);
	ret = use_cert_and_key(c->ssl_ctx, o->cert_file, o->key_file, err, errlen);
	if (!ret && o->client_ca_file) {
		STACK_OF(X509_NAME) *names = sym_SSL_load_client_CA_file(o->client_ca_file);

		if (!names || sym_SSL_CTX_load_verify_locations(c->ssl_ctx, o->client_ca_file, NULL) != 1) {
			sym_OPENSSL_sk_pop_free((OPENSSL_STACK *)names,
					    (OPENSSL_sk_freefunc)sym_X509_NAME_free);
			ret = file_err(err, errlen, o->client_ca_file, "not a PEM CA certificate");
		} else {
			sym_SSL_CTX_set_client_CA_list(c->ssl_ctx, names);
			sym_SSL_CTX_set_verify(c->ssl_ctx,
					   SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		}
	}
	if (ret) {
		gh_tls_ctx_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

int gh_tls_client_ctx(struct gh_tls_ctx **out, const struct gh_tls_client_opts *o, char *err,
		      size_t errlen)
{
	struct gh_tls_ctx *c;
	int ret = gh_libssl_open(err, errlen);

	*out = NULL;
	if (ret)
		return ret;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ssl_ctx = new_ssl_ctx(sym_TLS_client_method());
	c->server_name = o->server_name ? strdup(o->server_name) : NULL;
	if (!c->ssl_ctx || (o->server_name && !c->server_name)) {
		gh_tls_ctx_free(c);
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	}
	/* the answer's own framing (length, chunks) tells a cut stream */
	sym_SSL_CTX_set_options(c->ssl_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	sym_SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_PEER, NULL);
	if (o->ca_file && sym_SSL_CTX_load_verify_locations(c->ssl_ctx, o->ca_file, NULL) != 1)
		ret = file_err(err, errlen, o->ca_file, "not a PEM CA certificate");
	else if (!o->ca_file && sym_SSL_CTX_set_default_verify_paths(c->ssl_ctx) != 1)
		ret = file_err(err, errlen, "the system's CA certificates", "not loaded");
	if (!ret && (o->cert_file || o->key_file)) {
		if (!o->cert_file || !o->key_file)
			ret = gh_err(err, errlen, -EINVAL, "a client certificate needs both its "
				     "certificate and its key");
		else
			ret = use_cert_and_key(c->ssl_ctx, o->cert_file, o->key_file, err, errlen);
	}
	if (ret) {
		gh_tls_ctx_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

void gh_tls_ctx_free(struct gh_tls_ctx *c)
{
	if (!c)
		return;
	sym_SSL_CTX_free(c->ssl_ctx);
	sym_BIO_meth_free(c->loop_bio);
	free(c->server_name);
	free(c);
}

/* ---- server connections ---- */

int gh_tls_conn_new(struct gh_tls_conn **out, struct gh_tls_ctx *ctx, gh_tls_send_fn send,
		    void *send_ctx)
{
	struct gh_tls_conn *t = calloc(1, sizeof(*t));
	BIO *bio;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->send = send;
	t->send_ctx = send_ctx;
	t->ssl = sym_SSL_new(ctx->ssl_ctx);
	bio = t->ssl ? sym_BIO_new(ctx->loop_bio) : NULL;
	if (!bio) {
		sym_SSL_free(t->ssl);
		free(t);
		return -ENOMEM;
	}
	sym_BIO_set_data(bio, t);
	sym_SSL_set_bio(t->ssl, bio, bio);
	sym_SSL_set_accept_state(t->ssl);
	*out = t;
	return 0;
}

void gh_tls_conn_free(struct gh_tls_conn *t)
{
	if (!t)
		return;
	sym_SSL_free(t->ssl);
	free(t);
}

bool gh_tls_conn_established(const struct gh_tls_conn *t)
{
	return sym_SSL_is_init_finished(t->ssl);
}

/* Why a session failed: the peer's alert or our own check. */
static int session_err(SSL *ssl, int r, char *err, size_t errlen)
{
	char buf[64];
	int e = sym_SSL_get_error(ssl, r);
	const char *why = ssl_reason(buf, sizeof(buf));

	if (!why)
		why = e == SSL_ERROR_SYSCALL ? "the connection ended in the handshake"
					     : "the handshake failed";
	return gh_err(err, errlen, -EPROTO, "%s", why);
}

int gh_tls_conn_input(struct gh_tls_conn *t, const char *data, size_t len, gh_tls_plain_fn plain,
		      void *ctx, char *err, size_t errlen)
{
	char buf[16384];
	int ret = 0;

	t->in = data;
	t->in_len = len;
	if (!sym_SSL_is_init_finished(t->ssl)) {
		int r = sym_SSL_do_handshake(t->ssl);

		if (r <= 0 && sym_SSL_get_error(t->ssl, r) != SSL_ERROR_WANT_READ)
			ret = session_err(t->ssl, r, err, errlen);
		if (r <= 0)
			goto out;
	}
	for (;;) {
		int n = sym_SSL_read(t->ssl, buf, sizeof(buf));
		int e;

		if (n > 0) {
			if (plain(ctx, buf, (size_t)n))
				break;
			continue;
		}
		e = sym_SSL_get_error(t->ssl, n);
		if (e == SSL_ERROR_ZERO_RETURN)
			ret = 1;
		else if (e != SSL_ERROR_WANT_READ)
			ret = session_err(t->ssl, n, err, errlen);
		break;
	}
out:
	sym_ERR_clear_error();
	t->in = NULL;
	t->in_len = 0;
	return ret;
}

int gh_tls_conn_encrypt(struct gh_tls_conn *t, const char *data, size_t len)
{
	int ret = 0;

	if (!sym_SSL_is_init_finished(t->ssl))
		return -ENOTCONN;
	if (len && sym_SSL_write(t->ssl, data, len > INT32_MAX ? INT32_MAX : (int)len) != (int)len)
		ret = -EIO;
	sym_ERR_clear_error();
	return ret;
}

void gh_tls_conn_close_notify(struct gh_tls_conn *t)
{
	if (t->close_notified || !sym_SSL_is_init_finished(t->ssl))
		return;
	t->close_notified = true;
	sym_SSL_shutdown(t->ssl);
	sym_ERR_clear_error();
}

/* ---- blocking clients ---- */

struct gh_tls_client {
	SSL *ssl;
	char why[160];            /* why the last read or write failed */
};

static void set_timeouts(int fd, int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static bool is_ip_address(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

int gh_tls_client_connect(struct gh_tls_client **out, struct gh_tls_ctx *ctx, int fd,
			  const char *host, int timeout_ms, char *err, size_t errlen)
{
	const char *name = ctx->server_name ? ctx->server_name : host;
	struct gh_tls_client *t = calloc(1, sizeof(*t));
	long verify;
	int r;

	*out = NULL;
	if (!t || !(t->ssl = sym_SSL_new(ctx->ssl_ctx))) {
		free(t);
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	}
	sym_SSL_set_fd(t->ssl, fd);
	sym_SSL_ctrl(t->ssl, SSL_CTRL_CLEAR_MODE, SSL_MODE_AUTO_RETRY, NULL); /* a poll()ing caller must not block */
	if (is_ip_address(name)) {
		sym_X509_VERIFY_PARAM_set1_ip_asc(sym_SSL_get0_param(t->ssl), name);
	} else {
		sym_SSL_ctrl(t->ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
			 (void *)name);
		sym_SSL_set1_host(t->ssl, name);
	}
	set_timeouts(fd, timeout_ms);
	errno = 0;
	r = sym_SSL_connect(t->ssl);
	set_timeouts(fd, 0);
	if (r == 1) {
		*out = t;
		return 0;
	}
	verify = sym_SSL_get_verify_result(t->ssl);
	if (verify != X509_V_OK) {
		sym_ERR_clear_error();
		r = gh_err(err, errlen, -EPROTO, "the server's certificate is refused: %s "
			   "(checked against %s)", sym_X509_verify_cert_error_string(verify), name);
	} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
		sym_ERR_clear_error();
		r = gh_err(err, errlen, -ETIMEDOUT, "no TLS handshake within %d s",
			   timeout_ms / 1000);
	} else {
		char why[160];

		session_err(t->ssl, r, why, sizeof(why));
		r = gh_err(err, errlen, -EPROTO, "TLS handshake: %s", why);
	}
	gh_tls_client_free(t);
	return r;
}

ssize_t gh_tls_client_read(struct gh_tls_client *t, char *buf, size_t len)
{
	int n = sym_SSL_read(t->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	int e;

	if (n > 0)
		return n;
	e = sym_SSL_get_error(t->ssl, n);
	if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		sym_ERR_clear_error();
		return e == SSL_ERROR_ZERO_RETURN ? 0 : -EAGAIN;
	}
	if (e == SSL_ERROR_SYSCALL && errno) {
		sym_ERR_clear_error();
		return -errno;
	}
	return session_err(t->ssl, n, t->why, sizeof(t->why));
}

const char *gh_tls_client_error(const struct gh_tls_client *t)
{
	return t->why[0] ? t->why : NULL;
}

size_t gh_tls_client_pending(const struct gh_tls_client *t)
{
	return (size_t)sym_SSL_pending(t->ssl);
}

int gh_tls_client_write(struct gh_tls_client *t, const char *data, size_t len)
{
	while (len) {
		int n = sym_SSL_write(t->ssl, data, len > INT32_MAX ? INT32_MAX : (int)len);
		int e;

		if (n > 0) {
			data += n;
			len -= (size_t)n;
			continue;
		}
		e = sym_SSL_get_error(t->ssl, n);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			sym_ERR_clear_error();
			continue;
		}
		if (e == SSL_ERROR_SYSCALL && errno) {
			sym_ERR_clear_error();
			return -errno;
		}
		return session_err(t->ssl, n, t->why, sizeof(t->why));
	}
	return 0;
}

void gh_tls_client_free(struct gh_tls_client *t)
{
	if (!t)
		return;
	sym_SSL_free(t->ssl);
	free(t);
}
