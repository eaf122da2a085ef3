/* tls.h - TLS for the daemon's TCP listener and its clients (OpenSSL 3).
 *
 * A context holds what every connection shares: the server's certificate
 * chain and key, the CA that signs clients' certificates (mutual TLS:
 * a client without a certificate it signed is refused in the handshake),
 * or on a client the CA the server's certificate must chain to.  TLS 1.2
 * and 1.3 only, no renegotiation, no session cache or tickets (nothing
 * is kept per client), buffers released while a connection is idle.
 *
 * Private key files are secrets (secret_file.h: mode 0600 or 0400).
 *
 * The server's connections (gh_tls_conn) run on the libuv loop without
 * blocking: ciphertext read from the socket goes in, plaintext comes out
 * through a callback, and what must be sent goes out through another.  The client (gh_tls_client) is a blocking stream on
 * a connected socket, as remote_client.h reads it.
 */
#ifndef GH_TLS_H
#define GH_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/buf.h"

struct gh_tls_ctx;

struct gh_tls_server_opts {
	const char *cert_file;      /* PEM: the certificate, then its chain */
	const char *key_file;       /* PEM: its private key (a secret file) */
	const char *client_ca_file; /* PEM: clients must show a certificate it signed; NULL: none asked */
};

struct gh_tls_client_opts {
	const char *ca_file;        /* PEM: the CA of the server's certificate; NULL: the system's */
	const char *cert_file;      /* PEM: a client certificate (mutual TLS), or NULL */
	const char *key_file;       /* its key (a secret file) */
	const char *server_name;    /* the name the certificate must carry; NULL: the URL's host */
};

/* 0, or -errno with err naming the file and what is wrong with it. */
int gh_tls_server_ctx(struct gh_tls_ctx **out, const struct gh_tls_server_opts *o, char *err,
		      size_t errlen);
int gh_tls_client_ctx(struct gh_tls_ctx **out, const struct gh_tls_client_opts *o, char *err,
		      size_t errlen);
void gh_tls_ctx_free(struct gh_tls_ctx *ctx);

/* ---- a server connection on the loop ---- */

struct gh_tls_conn;

/* Bytes to write to the socket, in order (the handshake's, records, an
 * alert); nonzero when they cannot be. */
typedef int (*gh_tls_send_fn)(void *ctx, const char *data, size_t len);
/* Plaintext that arrived; nonzero drops the rest of this input. */
typedef int (*gh_tls_plain_fn)(void *ctx, const char *data, size_t len);

int gh_tls_conn_new(struct gh_tls_conn **out, struct gh_tls_ctx *ctx, gh_tls_send_fn send,
		    void *send_ctx);
void gh_tls_conn_free(struct gh_tls_conn *t);
/* Take len bytes read from the socket: the handshake goes on (sending
 * what it must), and records are decrypted and handed to plain(ctx, ...).
 * 0; 1 when the peer ended the session (close_notify); -EPROTO when the
 * handshake or a record failed (err says why: "certificate required",
 * "unknown ca", "http request"...). */
int gh_tls_conn_input(struct gh_tls_conn *t, const char *data, size_t len, gh_tls_plain_fn plain,
		      void *ctx, char *err, size_t errlen);
bool gh_tls_conn_established(const struct gh_tls_conn *t);
/* Encrypt and send len bytes; 0 or -errno (-ENOTCONN before the
 * handshake ended). */
int gh_tls_conn_encrypt(struct gh_tls_conn *t, const char *data, size_t len);
/* Send the close_notify alert, once. */
void gh_tls_conn_close_notify(struct gh_tls_conn *t);

/* ---- a blocking client ---- */

struct gh_tls_client;

/* Handshake on the connected socket fd, within timeout_ms; the server's
 * certificate must chain to the context's CA and name host (a DNS name,
 * or an IP address matched against the certificate's IP addresses), or
 * the context's server_name.  0, or -errno with err saying why. */
int gh_tls_client_connect(struct gh_tls_client **out, struct gh_tls_ctx *ctx, int fd,
			  const char *host, int timeout_ms, char *err, size_t errlen);
/* Bytes read (> 0), 0 at the end, -EAGAIN when what came was not data
 * (read again once the socket is readable), -errno. */
ssize_t gh_tls_client_read(struct gh_tls_client *t, char *buf, size_t len);
/* Why the last read or write failed with -EPROTO (the server's alert:
 * "tlsv13 alert certificate required"), or NULL. */
const char *gh_tls_client_error(const struct gh_tls_client *t);
/* Decrypted bytes waiting in the session (read them before polling). */
size_t gh_tls_client_pending(const struct gh_tls_client *t);
int gh_tls_client_write(struct gh_tls_client *t, const char *data, size_t len);
/* Free the session; the socket is the caller's to close. */
void gh_tls_client_free(struct gh_tls_client *t);

#endif
