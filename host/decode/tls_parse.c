/* tls_parse.c - SNI of a TLS ClientHello (see tls_parse.h).
 *
 * Done here rather than in eBPF (where Inspektor Gadget does it): the
 * ClientHello's variable-length fields come before the extensions, so an
 * eBPF walk is a chain of data-dependent offsets the verifier must bound
 * one by one; in C it is a short, fuzzed function, and the eBPF side only
 * checks the first bytes and copies a ClientHello, which is rare. */
#include "decode/tls_parse.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#define CONTENT_HANDSHAKE 0x16
#define HANDSHAKE_CLIENT_HELLO 1
#define EXT_SERVER_NAME 0
#define NAME_TYPE_HOST 0

/* A bounded view [off, end) of p.  end is where a length field said the
 * part ends, or the capture's end if that comes first (clipped): running
 * out of a clipped span means the capture was short (-EAGAIN), out of a
 * whole one that the lengths disagree (-EINVAL). */
struct span {
	const uint8_t *p;
	size_t off, end;
	bool clipped;
};

static bool take(struct span *s, size_t n, size_t *at)
{
	if (s->end - s->off < n)
		return false;
	*at = s->off;
	s->off += n;
	return true;
}

static bool get(struct span *s, size_t bytes, size_t *v)
{
	size_t at;

	if (!take(s, bytes, &at))
		return false;
	*v = 0;
	for (size_t i = 0; i < bytes; i++)
		*v = *v << 8 | s->p[at + i];
	return true;
}

/* The next n bytes of s as a span of their own (clipped like s). */
static bool enter(struct span *s, size_t n, struct span *inner)
{
	size_t left = s->end - s->off;

	if (n > left && !s->clipped)
		return false;
	*inner = (struct span){.p = s->p, .off = s->off, .end = s->off + (n < left ? n : left),
			       .clipped = n > left};
	s->off = inner->end;
	return true;
}

static int short_or_bad(const struct span *s, const char **why, const char *text)
{
	*why = s->clipped ? "the capture ends inside the ClientHello" : text;
	return s->clipped ? -EAGAIN : -EINVAL;
}

static void copy_name(const uint8_t *name, size_t n, char *out, size_t outlen)
{
	size_t at = 0;

	for (size_t i = 0; i < n && at + 1 < outlen; i++) {
		uint8_t ch = name[i];
		int w;

		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			w = snprintf(out + at, outlen - at, "%c", ch);
		else
			w = snprintf(out + at, outlen - at, "\\x%02x", ch);
		if (w < 0 || (size_t)w >= outlen - at)
			break;
		at += (size_t)w;
	}
	out[at] = '\0';
}

/* The server_name extension's body: a list of (type, name). */
static int read_server_name(struct span *ext, char *out, size_t outlen, const char **why)
{
	size_t list_len, type, name_len, at;
	struct span list;

	if (!get(ext, 2, &list_len) || !enter(ext, list_len, &list))
		return short_or_bad(ext, why, "bad server_name list length");
	while (list.off < list.end) {
		if (!get(&list, 1, &type) || !get(&list, 2, &name_len) ||
		    !take(&list, name_len, &at))
			return short_or_bad(&list, why, "bad server_name entry");
		if (type == NAME_TYPE_HOST && name_len) {
			copy_name(list.p + at, name_len, out, outlen);
			return 1;
		}
	}
	*why = "no host_name in server_name";
	return 0;
}

/* The ClientHello's fields before its extensions. */
static bool skip_hello_fields(struct span *hs)
{
	size_t n, at;

	return take(hs, 2 + 32, &at) &&                   /* version, random */
	       get(hs, 1, &n) && take(hs, n, &at) &&      /* session id */
	       get(hs, 2, &n) && take(hs, n, &at) &&      /* cipher suites */
	       get(hs, 1, &n) && take(hs, n, &at);        /* compression methods */
}

int gh_tls_sni(const uint8_t *p, size_t len, char *out, size_t outlen, const char **why)
{
	struct span all = {.p = p, .end = len, .clipped = true}, rec, hs, exts;
	size_t content, version, n, hs_type, ext_type;
	const char *local_why = NULL;

	if (!why)
		why = &local_why;
	*why = NULL;
	if (!outlen)
		return -EINVAL;
	out[0] = '\0';
	if (!get(&all, 1, &content) || !get(&all, 2, &version) || !get(&all, 2, &n))
		return short_or_bad(&all, why, "no TLS record header");
	if (content != CONTENT_HANDSHAKE || (version >> 8) != 3) {
		*why = "not a TLS handshake record";
		return -EINVAL;
	}
	enter(&all, n, &rec);
	if (!get(&rec, 1, &hs_type) || !get(&rec, 3, &n))
		return short_or_bad(&rec, why, "no handshake header");
	if (hs_type != HANDSHAKE_CLIENT_HELLO) {
		*why = "not a ClientHello";
		return -EINVAL;
	}
	if (!enter(&rec, n, &hs))
		return short_or_bad(&rec, why, "ClientHello longer than its record");
	if (!skip_hello_fields(&hs))
		return short_or_bad(&hs, why, "ClientHello ends before its extensions");
	if (hs.off == hs.end && !hs.clipped) {
		*why = "no extensions";
		return 0;
	}
	if (!get(&hs, 2, &n) || !enter(&hs, n, &exts))
		return short_or_bad(&hs, why, "bad extensions length");
	while (exts.off < exts.end) {
		struct span ext;

		if (!get(&exts, 2, &ext_type) || !get(&exts, 2, &n) || !enter(&exts, n, &ext))
			return short_or_bad(&exts, why, "bad extension length");
		if (ext_type == EXT_SERVER_NAME)
			return read_server_name(&ext, out, outlen, why);
	}
	if (exts.clipped)
		return short_or_bad(&exts, why, "");
	*why = "no server_name";
	return 0;
}
