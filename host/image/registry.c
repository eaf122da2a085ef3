/* registry.c - an OCI distribution client with libcurl (registry.h). */
#include "image/registry.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "base/dlib.h"
#include "base/err.h"
#include "base/json.h"
#include "base/read_file.h"
#include "base/openssl_lib.h"
#include "image/manifest.h"

/* libcurl, opened by gh_registry_open (base/dlib.h) */
#define CURL_FNS(X) \
	X(curl_global_init) X(curl_easy_init) X(curl_easy_cleanup) X(curl_easy_reset) \
	X(curl_easy_setopt) X(curl_slist_append) X(curl_slist_free_all) \
	X(curl_easy_perform) X(curl_easy_getinfo) X(curl_easy_strerror)
CURL_FNS(GH_DLIB_STATIC_FN)
static const struct gh_dlib_sym curl_syms[] = {CURL_FNS(GH_DLIB_SYM)};
GH_DLIB_DEFINE(curl_lib, "libcurl.so.4", "image registries", curl_syms);

#define CONNECT_TIMEOUT_S 10L
#define STALL_S 30L
#define REQUEST_TIMEOUT_S 300L
#define ACCEPT_MANIFEST "Accept: " GH_MT_MANIFEST

struct gh_registry {
	CURL *curl;
	char host[256];
	char *ca_file;
	char user[256];
	char password[512];
	bool has_creds;
};

/* what one request brought back */
struct answer {
	struct gh_buf *body;
	size_t max;
	bool too_big;
	struct gh_sha256 *hash;   /* the body's digest as it comes, or NULL */
	char location[2048];
	char challenge[256];      /* WWW-Authenticate */
	long status;
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct answer *a = ctx;
	size_t len = size * n;

	if (a->body->len + len > a->max) {
		a->too_big = true;
		return 0; /* curl stops: CURLE_WRITE_ERROR */
	}
	if (gh_buf_append(a->body, p, len))
		return 0;
	if (a->hash && gh_sha256_update(a->hash, p, len))
		return 0;
	return len;
}

/* "Name: value\r\n": the value into out when name matches */
static void header_value(const char *line, size_t len, const char *name, char *out,
			 size_t outlen)
{
	size_t nlen = strlen(name);

	if (len <= nlen + 1 || strncasecmp(line, name, nlen) || line[nlen] != ':')
		return;
	line += nlen + 1;
	len -= nlen + 1;
	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	snprintf(out, outlen, "%.*s", (int)(len < outlen ? len : outlen - 1), line);
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct answer *a = ctx;

	header_value(p, size * n, "Location", a->location, sizeof(a->location));
	header_value(p, size * n, "WWW-Authenticate", a->challenge, sizeof(a->challenge));
	return size * n;
}

/* base64 of "user:password" from the auth file's entry for host */
static int read_creds(struct gh_registry *r, const char *auth_file, char *err, size_t errlen)
{
	struct gh_json *j = NULL;
	char *text = NULL, jerr[128];
	unsigned char raw[1024];
	const char *b64, *colon;
	size_t len = 0, blen;
	int n, ret;

	ret = gh_read_file(auth_file, 1 << 20, &text, &len);
	if (ret)
		return gh_err(err, errlen, ret, "--registry-auth %s: %s", auth_file, strerror(-ret));
	ret = gh_json_parse(text, len, &j, jerr, sizeof(jerr));
	free(text);
	if (ret)
		return gh_err(err, errlen, -EINVAL, "--registry-auth %s: %s", auth_file, jerr);
	b64 = gh_json_str(gh_json_get(gh_json_get(gh_json_get(j, "auths"), r->host), "auth"));
	if (!b64) {
		gh_json_free(j);
		return 0; /* nothing for this registry */
	}
	blen = strlen(b64);
	n = blen && blen % 4 == 0 && blen < 4 * sizeof(raw) / 3
		    ? sym_EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)blen) : -1;
	if (n >= 0) {
		n -= (blen && b64[blen - 1] == '=') + (blen > 1 && b64[blen - 2] == '=');
		raw[n] = '\0';
	}
	colon = n > 0 ? memchr(raw, ':', (size_t)n) : NULL;
	if (!colon || strlen((char *)raw) != (size_t)n) {
		gh_json_free(j);
		return gh_err(err, errlen, -EINVAL, "--registry-auth %s: the \"auth\" of %s is not "
			      "base64 of USER:PASSWORD", auth_file, r->host);
	}
	snprintf(r->user, sizeof(r->user), "%.*s", (int)((const char *)colon - (char *)raw), raw);
	snprintf(r->password, sizeof(r->password), "%s", colon + 1);
	r->has_creds = true;
	sym_OPENSSL_cleanse(raw, sizeof(raw));
	gh_json_free(j);
	return 0;
}

int gh_registry_open(struct gh_registry **out, const char *registry, const char *ca_file,
		     const char *auth_file, char *err, size_t errlen)
{
	static bool global_done;
	struct gh_registry *r;
	int ret = 0;

	*out = NULL;
	ret = gh_dlib_open(&curl_lib, err, errlen);
	if (!ret)
		ret = gh_libcrypto_open(err, errlen);
	if (ret)
		return ret;
	if (!global_done) {
		if (sym_curl_global_init(CURL_GLOBAL_DEFAULT))
			return gh_err(err, errlen, -EIO, "libcurl failed to start");
		global_done = true;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	snprintf(r->host, sizeof(r->host), "%s", registry);
	r->curl = sym_curl_easy_init();
	if (!r->curl || (ca_file && !(r->ca_file = strdup(ca_file))))
		ret = gh_err(err, errlen, -ENOMEM, "out of memory");
	if (!ret && auth_file)
		ret = read_creds(r, auth_file, err, errlen);
	if (ret) {
		gh_registry_close(r);
		return ret;
	}
	*out = r;
	return 0;
}

void gh_registry_close(struct gh_registry *r)
{
	if (!r)
		return;
	if (r->curl)
		sym_curl_easy_cleanup(r->curl);
	sym_OPENSSL_cleanse(r->password, sizeof(r->password));
	free(r->ca_file);
	free(r);
}

enum method { GET, HEAD, POST, PUT };

/* One request: url absolute (https://...) or a path on the registry. */
static int request(struct gh_registry *r, enum method m, const char *url, const char *accept,
		   const char *content_type, const void *data, size_t len, struct answer *a,
		   char *err, size_t errlen)
{
	struct curl_slist *h = NULL;
	char full[4096], errbuf[CURL_ERROR_SIZE] = "", hdr[256];
	CURLcode rc;
	CURL *c = r->curl;

	if (url[0] == '/')
		snprintf(full, sizeof(full), "https://%s%s", r->host, url);
	else
		snprintf(full, sizeof(full), "%s", url);
	sym_curl_easy_reset(c);
	sym_curl_easy_setopt(c, CURLOPT_URL, full);
	sym_curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	sym_curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	sym_curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, m == GET || m == HEAD ? 1L : 0L);
	sym_curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	sym_curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	sym_curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	sym_curl_easy_setopt(c, CURLOPT_TIMEOUT, REQUEST_TIMEOUT_S);
	sym_curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	sym_curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, STALL_S);
	sym_curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	sym_curl_easy_setopt(c, CURLOPT_USERAGENT, "gadgethost");
	if (r->ca_file)
		sym_curl_easy_setopt(c, CURLOPT_CAINFO, r->ca_file);
	if (r->has_creds) {
		sym_curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		sym_curl_easy_setopt(c, CURLOPT_USERNAME, r->user);
		sym_curl_easy_setopt(c, CURLOPT_PASSWORD, r->password);
	}
	sym_curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	sym_curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	sym_curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	sym_curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
	if (accept)
		h = sym_curl_slist_append(h, accept);
	if (content_type) {
		snprintf(hdr, sizeof(hdr), "Content-Type: %s", content_type);
		h = sym_curl_slist_append(h, hdr);
	}
	h = sym_curl_slist_append(h, "Expect:");
	sym_curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (m == HEAD)
		sym_curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (m == POST || m == PUT) {
		sym_curl_easy_setopt(c, CURLOPT_POSTFIELDS, data ? data : "");
		sym_curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		if (m == PUT)
			sym_curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	}
	rc = sym_curl_easy_perform(c);
	sym_curl_slist_free_all(h);
	sym_curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	if (a->too_big)
		return gh_err(err, errlen, -EFBIG, "%s: the answer is larger than %zu bytes", full,
			      a->max);
	if (rc != CURLE_OK)
		return gh_err(err, errlen, -EHOSTUNREACH, "registry %s: %s", r->host,
			      errbuf[0] ? errbuf : sym_curl_easy_strerror(rc));
	if (a->status == 401)
		return gh_err(err, errlen, -EACCES, "registry %s: %s (401)%s", r->host,
			      r->has_creds ? "the credentials were refused"
					   : "it asks for credentials (--registry-auth FILE)",
			      strncasecmp(a->challenge, "Bearer", 6) ? ""
				      : "; its token authentication (Bearer) is not supported");
	if (a->status == 403)
		return gh_err(err, errlen, -EACCES, "registry %s: access denied (403)", r->host);
	return 0;
}

/* /v2/REPO/KIND/REF */
static int api_path(char *buf, size_t len, const char *repo, const char *kind, const char *ref)
{
	if (snprintf(buf, len, "/v2/%s/%s/%s", repo, kind, ref) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static int unexpected(const struct gh_registry *r, const char *what, const struct answer *a,
		      char *err, size_t errlen)
{
	const char *body = a->body && a->body->p ? a->body->p : "";

	return gh_err(err, errlen, -EPROTO, "registry %s: %s answered %ld%s%.120s", r->host, what,
		      a->status, *body ? ": " : "", body);
}

int gh_registry_get_manifest(struct gh_registry *r, const char *repo, const char *reference,
			     size_t max, struct gh_buf *body, char digest[GH_DIGEST_SIZE],
			     char *err, size_t errlen)
{
	struct answer a = {.body = body, .max = max};
	char path[1024];
	int ret = api_path(path, sizeof(path), repo, "manifests", reference);

	if (ret)
		return gh_err(err, errlen, ret, "reference too long");
	a.hash = gh_sha256_new();
	if (!a.hash)
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	ret = request(r, GET, path, ACCEPT_MANIFEST, NULL, NULL, 0, &a, err, errlen);
	if (!ret && a.status == 404)
		ret = gh_err(err, errlen, -ENOENT, "%s/%s:%s is not in the registry", r->host, repo,
			     reference);
	else if (!ret && a.status != 200)
		ret = unexpected(r, "GET manifest", &a, err, errlen);
	if (ret) {
		gh_sha256_free(a.hash);
		return ret;
	}
	return gh_sha256_final(a.hash, digest);
}

int gh_registry_get_blob(struct gh_registry *r, const char *repo, const char *digest,
			 uint64_t size, struct gh_buf *body, char *err, size_t errlen)
{
	struct answer a = {.body = body, .max = (size_t)size};
	char path[1024], got[GH_DIGEST_SIZE];
	int ret = api_path(path, sizeof(path), repo, "blobs", digest);

	if (ret)
		return gh_err(err, errlen, ret, "reference too long");
	a.hash = gh_sha256_new();
	if (!a.hash)
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	ret = request(r, GET, path, NULL, NULL, NULL, 0, &a, err, errlen);
	if (ret == -EFBIG)
		ret = gh_err(err, errlen, -EBADMSG, "blob %s from registry %s is larger than the "
			     "%" PRIu64 " bytes its manifest says: refused", digest, r->host, size);
	else if (!ret && a.status == 404)
		ret = gh_err(err, errlen, -ENOENT, "blob %s is not in registry %s", digest, r->host);
	else if (!ret && a.status != 200)
		ret = unexpected(r, "GET blob", &a, err, errlen);
	if (ret) {
		gh_sha256_free(a.hash);
		return ret;
	}
	ret = gh_sha256_final(a.hash, got);
	if (!ret && (strcmp(got, digest) || body->len != size))
		ret = gh_err(err, errlen, -EBADMSG, "blob %s from registry %s does not match its "
			     "digest (it is %s): refused", digest, r->host, got);
	return ret;
}

int gh_registry_put_blob(struct gh_registry *r, const char *repo, const char *digest,
			 const void *data, size_t len, char *err, size_t errlen)
{
	struct gh_buf body = GH_BUF_INIT;
	struct answer a = {.body = &body, .max = 64 << 10};
	char path[1024], url[4096];
	int ret = api_path(path, sizeof(path), repo, "blobs", digest);

	if (!ret)
		ret = request(r, HEAD, path, NULL, NULL, NULL, 0, &a, err, errlen);
	if (!ret && a.status == 200)
		goto out; /* there already */
	memset(&a, 0, sizeof(a));
	a.body = &body;
	a.max = 64 << 10;
	gh_buf_reset(&body);
	if (!ret && snprintf(path, sizeof(path), "/v2/%s/blobs/uploads/", repo) >= (int)sizeof(path))
		ret = -ENAMETOOLONG;
	if (!ret)
		ret = request(r, POST, path, NULL, NULL, "", 0, &a, err, errlen);
	if (!ret && (a.status != 202 || !a.location[0]))
		ret = unexpected(r, "starting an upload", &a, err, errlen);
	if (!ret) {
		snprintf(url, sizeof(url), "%s%s%s%sdigest=%s", a.location[0] == '/' ? "https://" : "",
			 a.location[0] == '/' ? r->host : "", a.location,
			 strchr(a.location, '?') ? "&" : "?", digest);
		memset(&a, 0, sizeof(a));
		a.body = &body;
		a.max = 64 << 10;
		gh_buf_reset(&body);
		ret = request(r, PUT, url, NULL, "application/octet-stream", data, len, &a, err,
			      errlen);
	}
	if (!ret && a.status != 201)
		ret = unexpected(r, "uploading a blob", &a, err, errlen);
out:
	gh_buf_free(&body);
	return ret;
}

int gh_registry_put_manifest(struct gh_registry *r, const char *repo, const char *reference,
			     const char *media_type, const void *data, size_t len, char *err,
			     size_t errlen)
{
	struct gh_buf body = GH_BUF_INIT;
	struct answer a = {.body = &body, .max = 64 << 10};
	char path[1024];
	int ret = api_path(path, sizeof(path), repo, "manifests", reference);

	if (!ret)
		ret = request(r, PUT, path, NULL, media_type, data, len, &a, err, errlen);
	if (!ret && a.status != 201)
		ret = unexpected(r, "PUT manifest", &a, err, errlen);
	gh_buf_free(&body);
	return ret;
}
