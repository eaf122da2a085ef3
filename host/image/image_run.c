/* image_run.c - an image made ready for the loader (image_run.h). */
#include "image/image_run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "base/write_file.h"
#include "image/allowlist.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/store.h"
#include "image/transfer.h"

static int write_layer(const char *dir, const char *title, const char *data, size_t len,
		       char *err, size_t errlen)
{
	char p[4300];
	int fd, ret;

	snprintf(p, sizeof(p), "%s/%s", dir, title);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return gh_err(err, errlen, -errno, "%s: %s", p, strerror(errno));
	ret = gh_write_all(fd, data, len);
	if (close(fd) && !ret)
		ret = -errno;
	return ret ? gh_err(err, errlen, ret, "%s: %s", p, strerror(-ret)) : 0;
}

static int unpack(struct gh_store *s, const char *digest, struct gh_image_run *out, char *err,
		  size_t errlen)
{
	struct gh_image_manifest m;
	char *text = NULL;
	size_t len = 0;
	int ret = gh_store_get_blob(s, digest, GH_MANIFEST_MAX, &text, &len, err, errlen);

	if (!ret)
		ret = gh_manifest_parse(text, len, &m, err, errlen);
	free(text);
	if (!ret)
		ret = gh_store_mkdtemp(s, out->dir, sizeof(out->dir), err, errlen);
	for (size_t i = 0; !ret && i < m.n_layers; i++) {
		ret = gh_store_get_blob(s, m.layers[i].digest, GH_LAYER_MAX, &text, &len, err,
					errlen);
		if (!ret)
			ret = write_layer(out->dir, m.layers[i].title, text, len, err, errlen);
		if (!ret && m.layers[i].kind == GH_LAYER_LUA)
			snprintf(out->script, sizeof(out->script), "%s/%s", out->dir,
				 m.layers[i].title);
		free(text);
	}
	return ret;
}

int gh_image_run_prepare(const struct gh_image_opts *o, const char *text,
			 struct gh_image_run *out, char *err, size_t errlen)
{
	struct gh_allowlist list = {o->allowed, o->n_allowed};
	struct gh_store *s = NULL;
	struct gh_image_ref ref;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = gh_image_opts_verify(o) < 0 ? gh_err(err, errlen, -EINVAL, "--verify: true or false")
					  : gh_allowlist_check(&list, err, errlen);
	if (!ret)
		ret = gh_image_ref_parse(text, o->default_registry, &ref, err, errlen);
	if (ret)
		return ret;
	gh_image_ref_format(&ref, out->ref, sizeof(out->ref));
	if (gh_allowlist_judge(&list, &ref, NULL) == GH_ALLOW_NO)
		return gh_err(err, errlen, -EPERM, "%s is not allowed on this node "
			      "(--allowed-gadgets): refused", out->ref);
	ret = gh_store_open(&s, o->store, true, err, errlen);
	if (ret)
		return ret;
	ret = gh_image_resolve_local(s, &ref, out->digest, err, errlen);
	if (ret == -ENOENT && o->no_pull) {
		ret = gh_err(err, errlen, -ENOENT, "%s is not in the image store %s, and pulling is "
			     "off (--no-pull): refused", out->ref, gh_store_dir(s));
	} else if (ret == -ENOENT) {
		gh_log(GH_LOG_INFO, "pulling %s", out->ref);
		ret = gh_image_pull(o, s, &ref, out->digest, err, errlen);
	}
	if (!ret && gh_allowlist_judge(&list, &ref, out->digest) != GH_ALLOW_YES)
		ret = gh_err(err, errlen, -EPERM, "%s (%.19s...) is not allowed on this node "
			     "(--allowed-gadgets): refused", out->ref, out->digest);
	if (!ret)
		ret = gh_image_verify_local(o, s, out->digest, out->ref, err, errlen);
	if (!ret)
		ret = unpack(s, out->digest, out, err, errlen);
	if (ret) {
		gh_store_rmdtemp(out->dir);
		out->dir[0] = '\0';
	}
	gh_store_close(s);
	return ret;
}

void gh_image_run_done(struct gh_image_run *r)
{
	if (r->dir[0])
		gh_store_rmdtemp(r->dir);
	r->dir[0] = '\0';
}
