/* manifest.c - gadget image manifests and configs (manifest.h). */
#include "image/manifest.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/json.h"
#include "output/out.h"

static const struct {
	const char *media_type;
	const char *suffix;
	const char *what;
} kinds[GH_LAYER_KINDS] = {
	[GH_LAYER_EBPF] = {GH_MT_EBPF, ".bpf.o", "eBPF object"},
	[GH_LAYER_LUA] = {GH_MT_LUA, ".lua", "Lua script"},
	[GH_LAYER_DOC] = {GH_MT_DOC, ".md", "doc"},
};

const char *gh_layer_media_type(enum gh_layer_kind k)
{
	return kinds[k].media_type;
}

int gh_layer_title_ok(enum gh_layer_kind k, const char *name, char *err, size_t errlen)
{
	size_t len = strlen(name), slen = strlen(kinds[k].suffix);

	if (!len || len >= sizeof(((struct gh_image_layer *)0)->title) || name[0] == '.' ||
	    name[0] == '-' || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "0123456789._-") != len)
		return gh_err(err, errlen, -EINVAL, "the %s's file name \"%.100s\" is not a plain "
			      "name (letters, digits, . _ -; at most 127)", kinds[k].what, name);
	if (len <= slen || strcmp(name + len - slen, kinds[k].suffix))
		return gh_err(err, errlen, -EINVAL, "the %s's file name \"%s\" does not end in %s",
			      kinds[k].what, name, kinds[k].suffix);
	return 0;
}

int gh_descriptor_put(struct gh_buf *b, const char *media_type, const char *digest,
		      uint64_t size, const char *title)
{
	int ret = gh_buf_puts(b, "{\"mediaType\":");

	if (!ret)
		ret = gh_json_put_string(b, media_type, strlen(media_type));
	if (!ret)
		ret = gh_buf_printf(b, ",\"digest\":\"%s\",\"size\":%" PRIu64, digest, size);
	if (!ret && title) {
		ret = gh_buf_puts(b, ",\"annotations\":{\"" GH_ANN_TITLE "\":");
		if (!ret)
			ret = gh_json_put_string(b, title, strlen(title));
		if (!ret)
			ret = gh_buf_putc(b, '}');
	}
	return ret ? ret : gh_buf_putc(b, '}');
}

int gh_manifest_write(struct gh_image_manifest *m, const char *arch, struct gh_buf *config,
		      struct gh_buf *manifest)
{
	int ret = gh_buf_printf(config, "{\"architecture\":\"%s\",\"os\":\"linux\",\"config\":"
				"{\"Labels\":{\"" GH_LABEL_GADGET "\":", arch);

	if (!ret)
		ret = gh_json_put_string(config, m->gadget, strlen(m->gadget));
	if (!ret)
		ret = gh_buf_puts(config, "}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
	for (size_t i = 0; !ret && i < m->n_layers; i++)
		ret = gh_buf_printf(config, "%s\"%s\"", i ? "," : "", m->layers[i].digest);
	if (!ret)
		ret = gh_buf_puts(config, "]}}");
	if (!ret)
		ret = gh_digest_of(config->p, config->len, m->config_digest);
	m->config_size = config->len;
	if (!ret)
		ret = gh_buf_puts(manifest, "{\"schemaVersion\":2,\"mediaType\":\"" GH_MT_MANIFEST
				  "\",\"config\":");
	if (!ret)
		ret = gh_descriptor_put(manifest, GH_MT_CONFIG, m->config_digest, m->config_size,
					NULL);
	if (!ret)
		ret = gh_buf_puts(manifest, ",\"layers\":[");
	for (size_t i = 0; !ret && i < m->n_layers; i++) {
		const struct gh_image_layer *l = &m->layers[i];

		ret = i ? gh_buf_putc(manifest, ',') : 0;
		if (!ret)
			ret = gh_descriptor_put(manifest, kinds[l->kind].media_type, l->digest,
						l->size, l->title);
	}
	return ret ? ret : gh_buf_puts(manifest, "]}");
}

/* A descriptor of the manifest: media type, digest and size checked. */
static int read_descriptor(const struct gh_json *d, const char *what, const char **media_type,
			   char digest[GH_DIGEST_SIZE], uint64_t *size, uint64_t max, char *err,
			   size_t errlen)
{
	const char *dg = gh_json_str(gh_json_get(d, "digest"));

	*media_type = gh_json_str(gh_json_get(d, "mediaType"));
	if (gh_json_type(d) != GH_JSON_OBJECT || !*media_type)
		return gh_err(err, errlen, -EINVAL, "the manifest's %s has no mediaType", what);
	if (!dg || !gh_digest_valid(dg))
		return gh_err(err, errlen, -EINVAL, "the manifest's %s has no sha256 digest", what);
	if (gh_json_uint(gh_json_get(d, "size"), size) || *size > max)
		return gh_err(err, errlen, -EINVAL, "the manifest's %s has no size, or one above "
			      "%" PRIu64 " bytes", what, max);
	snprintf(digest, GH_DIGEST_SIZE, "%s", dg);
	return 0;
}

static int read_layer(const struct gh_json *d, size_t i, struct gh_image_manifest *m, char *err,
		      size_t errlen)
{
	struct gh_image_layer *l = &m->layers[m->n_layers];
	const char *mt, *title;
	char what[32];
	int k, ret;

	snprintf(what, sizeof(what), "layer %zu", i);
	ret = read_descriptor(d, what, &mt, l->digest, &l->size, GH_LAYER_MAX, err, errlen);
	if (ret)
		return ret;
	for (k = 0; k < GH_LAYER_KINDS && strcmp(mt, kinds[k].media_type); k++)
		;
	if (k == GH_LAYER_KINDS)
		return gh_err(err, errlen, -EINVAL, "layer %zu has media type \"%.100s\": not a "
			      "gadget's file (" GH_MT_EBPF ", " GH_MT_LUA ", " GH_MT_DOC ")", i, mt);
	if (gh_manifest_layer(m, (enum gh_layer_kind)k))
		return gh_err(err, errlen, -EINVAL, "two layers of media type %s", mt);
	title = gh_json_str(gh_json_get(gh_json_get(d, "annotations"), GH_ANN_TITLE));
	if (!title)
		return gh_err(err, errlen, -EINVAL, "layer %zu has no " GH_ANN_TITLE " annotation "
			      "(the file's name)", i);
	ret = gh_layer_title_ok((enum gh_layer_kind)k, title, err, errlen);
	if (ret)
		return ret;
	for (size_t j = 0; j < m->n_layers; j++)
		if (!strcmp(m->layers[j].title, title))
			return gh_err(err, errlen, -EINVAL, "two layers named %s", title);
	l->kind = (enum gh_layer_kind)k;
	snprintf(l->title, sizeof(l->title), "%s", title);
	m->n_layers++;
	return 0;
}

int gh_manifest_parse(const char *json, size_t len, struct gh_image_manifest *m, char *err,
		      size_t errlen)
{
	struct gh_json *j = NULL;
	const struct gh_json *layers;
	const char *mt;
	char jerr[128];
	int64_t version = 0;
	int ret;

	memset(m, 0, sizeof(*m));
	if (len > GH_MANIFEST_MAX)
		return gh_err(err, errlen, -EINVAL, "the manifest is larger than %u bytes",
			      GH_MANIFEST_MAX);
	ret = gh_json_parse(json, len, &j, jerr, sizeof(jerr));
	if (ret)
		return gh_err(err, errlen, ret, "the manifest is not JSON: %s", jerr);
	mt = gh_json_str(gh_json_get(j, "mediaType"));
	if (gh_json_int(gh_json_get(j, "schemaVersion"), &version) || version != 2 ||
	    (mt && strcmp(mt, GH_MT_MANIFEST))) {
		ret = gh_err(err, errlen, -EINVAL, "not an OCI image manifest (schemaVersion 2, "
			     "mediaType " GH_MT_MANIFEST ")");
		goto out;
	}
	ret = read_descriptor(gh_json_get(j, "config"), "config", &mt, m->config_digest,
			      &m->config_size, GH_MANIFEST_MAX, err, errlen);
	if (!ret && strcmp(mt, GH_MT_CONFIG))
		ret = gh_err(err, errlen, -EINVAL, "the config's media type is \"%.100s\", not "
			     GH_MT_CONFIG, mt);
	layers = gh_json_get(j, "layers");
	if (!ret && (gh_json_type(layers) != GH_JSON_ARRAY || gh_json_len(layers) > GH_LAYER_KINDS))
		ret = gh_err(err, errlen, -EINVAL, "the manifest's layers are not a list of at most "
			     "%d", GH_LAYER_KINDS);
	for (size_t i = 0; !ret && i < gh_json_len(layers); i++)
		ret = read_layer(gh_json_at(layers, i), i, m, err, errlen);
	if (!ret && (!gh_manifest_layer(m, GH_LAYER_EBPF) || !gh_manifest_layer(m, GH_LAYER_LUA)))
		ret = gh_err(err, errlen, -EINVAL, "not a gadget image: it needs a layer of media "
			     "type " GH_MT_EBPF " and one of " GH_MT_LUA);
out:
	gh_json_free(j);
	return ret;
}

const struct gh_image_layer *gh_manifest_layer(const struct gh_image_manifest *m,
					       enum gh_layer_kind k)
{
	for (size_t i = 0; i < m->n_layers; i++)
		if (m->layers[i].kind == k)
			return &m->layers[i];
	return NULL;
}
