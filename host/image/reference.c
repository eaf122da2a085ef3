/* reference.c - image references (reference.h). */
#include "image/reference.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/search_path.h"

bool gh_image_ref_is(const char *gadget)
{
	size_t len = strlen(gadget);

	/* what a reference may hold, not starting as a path does */
	return len && !(len >= 4 && !strcmp(gadget + len - 4, ".lua")) && gadget[0] != '.' &&
	       gadget[0] != '/' &&
	       strspn(gadget, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			      "._-:/@[]") == len;
}

bool gh_image_ref_names_image(const char *gadget)
{
	char *local;

	if (!gh_image_ref_is(gadget))
		return false;
	local = gh_find_gadget(gadget);
	free(local);
	return !local;
}

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool alnum(char c)
{
	return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* One repository component: alnum runs joined by ".", "_", "__" or "-"s. */
static bool component_ok(const char *s, size_t len)
{
	size_t i = 0;

	if (!len || !lower_alnum(s[0]) || !lower_alnum(s[len - 1]))
		return false;
	while (i < len) {
		if (lower_alnum(s[i])) {
			i++;
			continue;
		}
		if (s[i] == '.' || (s[i] == '_' && !(i + 1 < len && s[i + 1] == '_')))
			i++;
		else if (s[i] == '_')
			i += 2;
		else if (s[i] == '-')
			while (i < len && s[i] == '-')
				i++;
		else
			return false;
		if (i >= len || !lower_alnum(s[i]))
			return false;
	}
	return true;
}

static bool repository_ok(const char *s)
{
	while (*s) {
		size_t len = strcspn(s, "/");

		if (!component_ok(s, len))
			return false;
		s += len;
		if (*s == '/' && !*++s)
			return false;
	}
	return true;
}

/* host[:port], host: dot-separated labels of [A-Za-z0-9-], or [IPv6] */
static bool registry_ok(const char *s)
{
	const char *colon;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end == s + 1 || strspn(s + 1, "0123456789abcdefABCDEF:.") !=
						    (size_t)(end - s - 1))
			return false;
		colon = end[1] ? end + 1 : NULL;
		if (colon && *colon != ':')
			return false;
	} else {
		colon = strchr(s, ':');
		for (const char *p = s; p < (colon ? colon : s + strlen(s));) {
			size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					       "0123456789-");

			if (!len || !alnum(p[0]) || !alnum(p[len - 1]))
				return false;
			p += len;
			if (*p == '.')
				p++;
			else if (p != (colon ? colon : s + strlen(s)))
				return false;
		}
		if (s[0] == ':' || s[0] == '\0')
			return false;
	}
	if (colon) {
		size_t n = strlen(colon + 1);

		if (!n || n > 5 || strspn(colon + 1, "0123456789") != n)
			return false;
	}
	return true;
}

static bool tag_ok(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > 128 || !(alnum(s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!(alnum(s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return false;
	return true;
}

int gh_image_ref_parse(const char *text, const char *default_registry, struct gh_image_ref *r,
		       char *err, size_t errlen)
{
	char buf[3 * GH_REF_MAX];
	char *name = buf, *at, *slash, *colon;

	memset(r, 0, sizeof(*r));
	if (strlen(text) >= sizeof(buf))
		return gh_err(err, errlen, -EINVAL, "image reference too long");
	snprintf(buf, sizeof(buf), "%s", text);
	at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if (!gh_digest_valid(at + 1))
			return gh_err(err, errlen, -EINVAL, "\"%s\": the digest after @ is not "
				      "sha256: and 64 lowercase hex digits", text);
		snprintf(r->digest, sizeof(r->digest), "%s", at + 1);
	}
	/* a tag: after the last ':' that follows the last '/' */
	slash = strrchr(name, '/');
	colon = strrchr(slash ? slash : name, ':');
	if (colon) {
		*colon = '\0';
		if (!tag_ok(colon + 1))
			return gh_err(err, errlen, -EINVAL, "\"%s\": \"%s\" is not a tag (letters, "
				      "digits, _ . -, at most 128)", text, colon + 1);
		snprintf(r->tag, sizeof(r->tag), "%s", colon + 1);
	}
	slash = strchr(name, '/');
	if (slash && (memchr(name, '.', (size_t)(slash - name)) ||
		      memchr(name, ':', (size_t)(slash - name)) ||
		      (slash - name == 9 && !strncmp(name, "localhost", 9)) || name[0] == '[')) {
		*slash = '\0';
		if (strlen(name) >= sizeof(r->registry) || !registry_ok(name))
			return gh_err(err, errlen, -EINVAL, "\"%s\": \"%s\" is not a registry "
				      "(HOST[:PORT])", text, name);
		snprintf(r->registry, sizeof(r->registry), "%.255s", name);
		name = slash + 1;
	} else if (default_registry && *default_registry) {
		if (!registry_ok(default_registry))
			return gh_err(err, errlen, -EINVAL, "the default registry \"%s\" is not "
				      "HOST[:PORT]", default_registry);
		snprintf(r->registry, sizeof(r->registry), "%s", default_registry);
	} else {
		return gh_err(err, errlen, -EINVAL, "\"%s\" names no registry (REGISTRY/NAME:TAG) "
			      "and no default registry is set (--default-registry)", text);
	}
	if (strlen(r->registry) + 1 + strlen(name) > 255 || !repository_ok(name))
		return gh_err(err, errlen, -EINVAL, "\"%s\": \"%s\" is not a repository name "
			      "(lowercase letters, digits, . _ - and / between)", text, name);
	snprintf(r->repository, sizeof(r->repository), "%s", name);
	if (!r->tag[0] && !r->digest[0])
		snprintf(r->tag, sizeof(r->tag), "latest");
	return 0;
}

void gh_image_ref_name(const struct gh_image_ref *r, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", r->registry, r->repository);
}

void gh_image_ref_format(const struct gh_image_ref *r, char *out, size_t len)
{
	snprintf(out, len, "%s/%s%s%s%s%s", r->registry, r->repository, r->tag[0] ? ":" : "", r->tag,
		 r->digest[0] ? "@" : "", r->digest);
}
