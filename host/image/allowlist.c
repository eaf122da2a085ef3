/* allowlist.c - --allowed-gadgets (allowlist.h). */
#include "image/allowlist.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"

/* Call fn with each comma separated entry (NUL terminated in buf). */
static int each_entry(const struct gh_allowlist *a, int (*fn)(void *, const char *), void *ctx)
{
	for (size_t i = 0; i < a->n; i++) {
		const char *p = a->entries[i];

		while (*p) {
			size_t len = strcspn(p, ",");
			char buf[GH_REF_MAX * 3];
			int ret;

			snprintf(buf, sizeof(buf), "%.*s", (int)len, p);
			ret = buf[0] ? fn(ctx, buf) : 0;
			if (ret)
				return ret;
			p += len + (p[len] == ',');
		}
	}
	return 0;
}

struct check_ctx {
	char *err;
	size_t errlen;
};

static int check_one(void *ctx, const char *e)
{
	struct check_ctx *c = ctx;

	if (!strncmp(e, "sha256:", 7) && !gh_digest_valid(e))
		return gh_err(c->err, c->errlen, -EINVAL, "--allowed-gadgets: \"%s\" is not a "
			      "digest (sha256: and 64 lowercase hex digits)", e);
	if (strlen(e) >= GH_REF_MAX * 2)
		return gh_err(c->err, c->errlen, -EINVAL, "--allowed-gadgets: an entry is too long");
	if (strspn(e, " \t") || strchr(e, ' '))
		return gh_err(c->err, c->errlen, -EINVAL, "--allowed-gadgets: \"%s\" has a space",
			      e);
	return 0;
}

int gh_allowlist_check(const struct gh_allowlist *a, char *err, size_t errlen)
{
	struct check_ctx c = {err, errlen};

	return each_entry(a, check_one, &c);
}

struct judge_ctx {
	char tagged[GH_REF_MAX * 3];  /* REGISTRY/REPO:TAG, or "" */
	char pinned[GH_REF_MAX * 3];  /* REGISTRY/REPO@DIGEST as given, or "" */
	const char *digest;           /* resolved, or NULL */
	bool by_digest;               /* a digest entry exists */
};

static int judge_one(void *ctx, const char *e)
{
	struct judge_ctx *j = ctx;

	if (gh_digest_valid(e)) {
		j->by_digest = true;
		return j->digest && !strcmp(j->digest, e);
	}
	return (j->tagged[0] && !fnmatch(e, j->tagged, 0)) ||
	       (j->pinned[0] && !fnmatch(e, j->pinned, 0));
}

enum gh_allow gh_allowlist_judge(const struct gh_allowlist *a, const struct gh_image_ref *ref,
				 const char *digest)
{
	struct judge_ctx j = {.digest = digest};

	if (!a->n)
		return GH_ALLOW_YES;
	if (ref->tag[0])
		snprintf(j.tagged, sizeof(j.tagged), "%s/%s:%s", ref->registry, ref->repository,
			 ref->tag);
	if (ref->digest[0]) {
		snprintf(j.pinned, sizeof(j.pinned), "%s/%s@%s", ref->registry, ref->repository,
			 ref->digest);
		if (!j.digest)
			j.digest = ref->digest;
	}
	if (each_entry(a, judge_one, &j) > 0)
		return GH_ALLOW_YES;
	return j.by_digest && !digest && !ref->digest[0] ? GH_ALLOW_BY_DIGEST : GH_ALLOW_NO;
}
