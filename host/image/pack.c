/* pack.c - a gadget's files into an image (pack.h). */
#include "image/pack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "base/err.h"
#include "base/read_file.h"
#include "image/manifest.h"

const char *gh_pack_arch(void)
{
	static const char *const map[][2] = {
		{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"i686", "386"},
		{"armv7l", "arm"},   {"ppc64le", "ppc64le"}, {"s390x", "s390x"},
		{"riscv64", "riscv64"},
	};
	static struct utsname u;

	if (uname(&u))
		return "unknown";
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(u.machine, map[i][0]))
			return map[i][1];
	return u.machine;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int gh_image_pack(struct gh_store *s, const struct gh_pack_files *f,
		  const struct gh_image_ref *ref, char digest[GH_DIGEST_SIZE], char *err,
		  size_t errlen)
{
	const char *paths[GH_LAYER_KINDS] = {f->object, f->script, f->doc};
	char *data[GH_LAYER_KINDS] = {0}, name[GH_STORE_REF_MAX];
	size_t len[GH_LAYER_KINDS] = {0};
	struct gh_image_manifest m = {0};
	struct gh_buf config = GH_BUF_INIT, manifest = GH_BUF_INIT;
	int ret = 0;

	snprintf(m.gadget, sizeof(m.gadget), "%s", f->gadget);
	for (int k = 0; !ret && k < GH_LAYER_KINDS; k++) {
		struct gh_image_layer *l = &m.layers[m.n_layers];

		if (!paths[k])
			continue;
		ret = gh_layer_title_ok((enum gh_layer_kind)k, base_name(paths[k]), err, errlen);
		if (ret)
			break;
		ret = gh_read_file(paths[k], GH_LAYER_MAX, &data[k], &len[k]);
		if (ret) {
			ret = gh_err(err, errlen, ret, "%s: %s", paths[k], strerror(-ret));
			break;
		}
		l->kind = (enum gh_layer_kind)k;
		l->size = len[k];
		snprintf(l->title, sizeof(l->title), "%s", base_name(paths[k]));
		ret = gh_digest_of(data[k], len[k], l->digest);
		m.n_layers++;
	}
	if (!ret && gh_manifest_write(&m, f->arch, &config, &manifest))
		ret = gh_err(err, errlen, -ENOMEM, "out of memory");
	if (!ret)
		ret = gh_digest_of(manifest.p, manifest.len, digest);
	if (!ret)
		ret = gh_store_lock(s, err, errlen);
	if (ret)
		goto out;
	for (size_t i = 0, k = 0; !ret && k < GH_LAYER_KINDS; k++)
		if (data[k])
			ret = gh_store_put_blob(s, m.layers[i++].digest, data[k], len[k], err, errlen);
	if (!ret)
		ret = gh_store_put_blob(s, m.config_digest, config.p, config.len, err, errlen);
	if (!ret)
		ret = gh_store_put_blob(s, digest, manifest.p, manifest.len, err, errlen);
	gh_image_ref_format(ref, name, sizeof(name));
	if (!ret)
		ret = gh_store_tag(s, name, digest, manifest.len, err, errlen);
	gh_store_unlock(s);
out:
	for (int k = 0; k < GH_LAYER_KINDS; k++)
		free(data[k]);
	gh_buf_free(&config);
	gh_buf_free(&manifest);
	return ret;
}
