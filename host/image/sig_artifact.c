/* sig_artifact.c - signatures as an OCI artifact (sig_artifact.h). */
#include "image/sig_artifact.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/json.h"
#include "image/manifest.h"
#include "image/signature.h"

void gh_sig_tag(const char *manifest_digest, char *out, size_t len)
{
	snprintf(out, len, "sha256-%s.sig", manifest_digest + 7);
}

int gh_sig_artifact_add(struct gh_sig_artifact *a, const char *digest, uint64_t size)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->sigs[i].digest, digest))
			return 0;
	if (a->n >= GH_SIG_MAX_LAYERS)
		return -E2BIG;
	snprintf(a->sigs[a->n].digest, GH_DIGEST_SIZE, "%s", digest);
	a->sigs[a->n++].size = size;
	return 0;
}

static int desc_cmp(const void *x, const void *y)
{
	return strcmp(((const struct gh_sig_desc *)x)->digest, ((const struct gh_sig_desc *)y)->digest);
}

int gh_sig_artifact_write(struct gh_sig_artifact *a, struct gh_buf *out)
{
	int ret;

	qsort(a->sigs, a->n, sizeof(a->sigs[0]), desc_cmp);
	ret = gh_buf_puts(out, "{\"schemaVersion\":2,\"mediaType\":\"" GH_MT_MANIFEST "\","
			  "\"artifactType\":\"" GH_MT_SIGNATURE "\",\"config\":");
	if (!ret)
		ret = gh_descriptor_put(out, GH_MT_EMPTY, GH_EMPTY_DIGEST, 2, NULL);
	if (!ret)
		ret = gh_buf_puts(out, ",\"layers\":[");
	for (size_t i = 0; !ret && i < a->n; i++) {
		ret = i ? gh_buf_putc(out, ',') : 0;
		if (!ret)
			ret = gh_descriptor_put(out, GH_MT_SIGNATURE, a->sigs[i].digest,
						a->sigs[i].size, NULL);
	}
	if (!ret)
		ret = gh_buf_puts(out, "],\"subject\":");
	if (!ret)
		ret = gh_descriptor_put(out, GH_MT_MANIFEST, a->subject, a->subject_size, NULL);
	return ret ? ret : gh_buf_putc(out, '}');
}

int gh_sig_artifact_parse(const char *json, size_t len, const char *subject,
			  struct gh_sig_artifact *a, char *err, size_t errlen)
{
	struct gh_json *j = NULL;
	const struct gh_json *layers;
	const char *at, *sd;
	int ret = 0;

	memset(a, 0, sizeof(*a));
	if (len > GH_MANIFEST_MAX || gh_json_parse(json, len, &j, NULL, 0))
		return gh_err(err, errlen, -EINVAL, "the signatures' manifest is not JSON");
	at = gh_json_str(gh_json_get(j, "artifactType"));
	sd = gh_json_str(gh_json_path(j, "subject.digest"));
	layers = gh_json_get(j, "layers");
	if (!at || strcmp(at, GH_MT_SIGNATURE) || gh_json_type(layers) != GH_JSON_ARRAY)
		ret = gh_err(err, errlen, -EINVAL, "not a signatures' manifest (artifactType "
			     GH_MT_SIGNATURE ")");
	else if (!sd || !gh_digest_valid(sd) || (subject && strcmp(sd, subject)))
		ret = gh_err(err, errlen, -EINVAL, "the signatures' manifest is of another image");
	if (!ret) {
		snprintf(a->subject, sizeof(a->subject), "%s", sd);
		gh_json_uint(gh_json_path(j, "subject.size"), &a->subject_size);
	}
	for (size_t i = 0; !ret && i < gh_json_len(layers); i++) {
		const struct gh_json *l = gh_json_at(layers, i);
		const char *mt = gh_json_str(gh_json_get(l, "mediaType"));
		const char *d = gh_json_str(gh_json_get(l, "digest"));
		uint64_t size = 0;

		if (!mt || strcmp(mt, GH_MT_SIGNATURE) || !d || !gh_digest_valid(d) ||
		    gh_json_uint(gh_json_get(l, "size"), &size) || size > GH_SIGNATURE_MAX)
			ret = gh_err(err, errlen, -EINVAL, "signature %zu of the signatures' manifest "
				     "is not a signature descriptor", i);
		else if (gh_sig_artifact_add(a, d, size))
			ret = gh_err(err, errlen, -E2BIG, "more than %d signatures", GH_SIG_MAX_LAYERS);
	}
	gh_json_free(j);
	return ret;
}
