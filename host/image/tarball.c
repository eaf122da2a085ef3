/* tarball.c - export and import tarballs with libarchive (tarball.h). */
#include "image/tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/dlib.h"
#include "base/err.h"
#include "base/json.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/sig_artifact.h"
#include "image/signature.h"
#include "image/transfer.h"
#include "output/out.h"

/* libarchive, opened by export and import (base/dlib.h) */
#define ARCHIVE_FNS(X) \
	X(archive_entry_filetype) X(archive_entry_free) X(archive_entry_new) \
	X(archive_entry_pathname) X(archive_entry_set_filetype) X(archive_entry_set_gid) \
	X(archive_entry_set_mtime) X(archive_entry_set_pathname) X(archive_entry_set_perm) \
	X(archive_entry_set_size) X(archive_entry_set_uid) X(archive_error_string) \
	X(archive_read_data) X(archive_read_free) X(archive_read_new) \
	X(archive_read_next_header) X(archive_read_open_filename) \
	X(archive_read_support_filter_all) X(archive_read_support_format_tar) \
	X(archive_write_close) X(archive_write_data) X(archive_write_free) \
	X(archive_write_header) X(archive_write_new) X(archive_write_open_fd) \
	X(archive_write_set_format_ustar)
ARCHIVE_FNS(GH_DLIB_STATIC_FN)
static const struct gh_dlib_sym archive_syms[] = {ARCHIVE_FNS(GH_DLIB_SYM)};
GH_DLIB_DEFINE(archive_lib, "libarchive.so.13", "image archives (export, import)",
	       archive_syms);

#define LAYOUT "{\"imageLayoutVersion\":\"1.0.0\"}"

/* the blobs of an archive, by digest */
struct blob {
	char digest[GH_DIGEST_SIZE];
	char *data;
	size_t len;
};

struct blobs {
	struct blob *v;
	size_t n;
};

static struct blob *blob_find(const struct blobs *b, const char *digest)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->v[i].digest, digest))
			return &b->v[i];
	return NULL;
}

/* Add data (owned from now on) unless that digest is there. */
static int blob_add(struct blobs *b, const char *digest, char *data, size_t len)
{
	struct blob *grown;

	if (blob_find(b, digest)) {
		free(data);
		return 0;
	}
	grown = realloc(b->v, (b->n + 1) * sizeof(*grown));
	if (!grown) {
		free(data);
		return -ENOMEM;
	}
	b->v = grown;
	snprintf(grown[b->n].digest, GH_DIGEST_SIZE, "%s", digest);
	grown[b->n].data = data;
	grown[b->n++].len = len;
	return 0;
}

static void blobs_free(struct blobs *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].data);
	free(b->v);
}

static int blob_cmp(const void *x, const void *y)
{
	return strcmp(((const struct blob *)x)->digest, ((const struct blob *)y)->digest);
}

/* Export */

static int copy_from_store(struct gh_store *s, struct blobs *b, const char *digest, size_t max,
			   char *err, size_t errlen)
{
	char *data;
	size_t len;
	int ret;

	if (blob_find(b, digest))
		return 0;
	ret = gh_store_get_blob(s, digest, max, &data, &len, err, errlen);
	return ret ? ret : blob_add(b, digest, data, len);
}

struct sig_collect {
	struct blobs *b;
	struct gh_sig_artifact *a;
};

static int collect_sig(void *ctx, const char *doc, size_t len)
{
	struct sig_collect *c = ctx;
	char d[GH_DIGEST_SIZE], *copy;

	if (gh_signature_check_format(doc, len, c->a->subject) || gh_digest_of(doc, len, d))
		return 0;
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, doc, len);
	if (blob_add(c->b, d, copy, len))
		return -ENOMEM;
	return gh_sig_artifact_add(c->a, d, len) ? -E2BIG : 0;
}

static int index_entry(struct gh_buf *idx, const char *digest, size_t size, const char *name)
{
	int ret = gh_buf_printf(idx, "%s{\"mediaType\":\"" GH_MT_MANIFEST "\",\"digest\":\"%s\","
				"\"size\":%zu,\"annotations\":{\"" GH_ANN_REF_NAME "\":",
				idx->p[idx->len - 1] == '[' ? "" : ",", digest, size);

	if (!ret)
		ret = gh_json_put_string(idx, name, strlen(name));
	return ret ? ret : gh_buf_puts(idx, "}}");
}

/* one image, its blobs and its signatures' artifact */
static int export_one(struct gh_store *s, const char *ref, struct blobs *b, struct gh_buf *idx,
		      char *err, size_t errlen)
{
	struct gh_image_manifest m;
	struct gh_sig_artifact a = {0};
	struct sig_collect c = {b, &a};
	struct gh_buf art = GH_BUF_INIT;
	char digest[GH_DIGEST_SIZE], tag[128], d[GH_DIGEST_SIZE];
	struct blob *mb;
	size_t mlen;
	int ret = gh_store_resolve(s, ref, digest, err, errlen);

	if (!ret)
		ret = copy_from_store(s, b, digest, GH_MANIFEST_MAX, err, errlen);
	if (ret)
		return ret;
	mb = blob_find(b, digest); /* until the next blob_add, which may move it */
	mlen = mb->len;
	ret = gh_manifest_parse(mb->data, mb->len, &m, err, errlen);
	if (!ret)
		ret = copy_from_store(s, b, m.config_digest, GH_MANIFEST_MAX, err, errlen);
	for (size_t i = 0; !ret && i < m.n_layers; i++)
		ret = copy_from_store(s, b, m.layers[i].digest, GH_LAYER_MAX, err, errlen);
	if (!ret)
		ret = index_entry(idx, digest, mlen, ref);
	if (ret)
		return ret;
	snprintf(a.subject, sizeof(a.subject), "%s", digest);
	a.subject_size = mlen;
	ret = gh_store_each_signature(s, digest, collect_sig, &c);
	if (ret || !a.n)
		return ret ? gh_err(err, errlen, ret, "reading the signatures of %s", ref) : 0;
	ret = gh_sig_artifact_write(&a, &art);
	if (!ret)
		ret = gh_digest_of(art.p, art.len, d);
	if (!ret) {
		char *copy = strdup(GH_EMPTY_JSON);

		ret = copy ? blob_add(b, GH_EMPTY_DIGEST, copy, 2) : -ENOMEM;
	}
	gh_sig_tag(digest, tag, sizeof(tag));
	if (!ret)
		ret = index_entry(idx, d, art.len, tag);
	if (!ret) {
		ret = blob_add(b, d, art.p, art.len);
		art.p = NULL;
	}
	gh_buf_free(&art);
	return ret;
}

static int add_entry(struct archive *a, const char *path, const void *data, size_t len)
{
	struct archive_entry *e = sym_archive_entry_new();
	int ok;

	if (!e)
		return -ENOMEM;
	sym_archive_entry_set_pathname(e, path);
	sym_archive_entry_set_filetype(e, AE_IFREG);
	sym_archive_entry_set_perm(e, 0644);
	sym_archive_entry_set_size(e, (la_int64_t)len);
	sym_archive_entry_set_mtime(e, 0, 0);
	sym_archive_entry_set_uid(e, 0);
	sym_archive_entry_set_gid(e, 0);
	ok = sym_archive_write_header(a, e) == ARCHIVE_OK &&
	     (!len || sym_archive_write_data(a, data, len) == (la_ssize_t)len);
	sym_archive_entry_free(e);
	return ok ? 0 : -EIO;
}

static int write_tar(const char *file, struct blobs *b, const struct gh_buf *idx, char *err,
		     size_t errlen)
{
	struct archive *a;
	char tmp[4200], path[128];
	int fd, ret = gh_dlib_open(&archive_lib, err, errlen);

	if (ret)
		return ret;
	a = sym_archive_write_new();
	if (!a)
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", file);
	fd = mkstemp(tmp);
	if (fd < 0) {
		sym_archive_write_free(a);
		return gh_err(err, errlen, -errno, "%s: %s", tmp, strerror(errno));
	}
	qsort(b->v, b->n, sizeof(b->v[0]), blob_cmp);
	if (sym_archive_write_set_format_ustar(a) != ARCHIVE_OK || sym_archive_write_open_fd(a, fd) != ARCHIVE_OK)
		ret = -EIO;
	if (!ret)
		ret = add_entry(a, "oci-layout", LAYOUT, strlen(LAYOUT));
	if (!ret)
		ret = add_entry(a, "index.json", idx->p, idx->len);
	for (size_t i = 0; !ret && i < b->n; i++) {
		snprintf(path, sizeof(path), "blobs/sha256/%s", b->v[i].digest + 7);
		ret = add_entry(a, path, b->v[i].data, b->v[i].len);
	}
	if (ret)
		gh_err(err, errlen, ret, "%s: %s", file, sym_archive_error_string(a) ?
		       sym_archive_error_string(a) : strerror(-ret));
	if (sym_archive_write_close(a) != ARCHIVE_OK && !ret)
		ret = gh_err(err, errlen, -EIO, "%s: %s", file, sym_archive_error_string(a));
	sym_archive_write_free(a);
	if (!ret && fsync(fd))
		ret = gh_err(err, errlen, -errno, "%s: %s", file, strerror(errno));
	close(fd);
	if (!ret && rename(tmp, file))
		ret = gh_err(err, errlen, -errno, "%s: %s", file, strerror(errno));
	if (ret)
		unlink(tmp);
	return ret;
}

int gh_image_export(struct gh_store *s, const char *const *refs, size_t n, const char *file,
		    char *err, size_t errlen)
{
	struct blobs b = {0};
	struct gh_buf idx = GH_BUF_INIT;
	int ret = gh_buf_puts(&idx, "{\"schemaVersion\":2,\"mediaType\":\"" GH_MT_INDEX
			      "\",\"manifests\":[");

	for (size_t i = 0; !ret && i < n; i++)
		ret = export_one(s, refs[i], &b, &idx, err, errlen);
	if (!ret)
		ret = gh_buf_puts(&idx, "]}\n");
	if (!ret)
		ret = write_tar(file, &b, &idx, err, errlen);
	if (ret == -ENOMEM)
		gh_err(err, errlen, ret, "out of memory");
	blobs_free(&b);
	gh_buf_free(&idx);
	return ret;
}

/* Import */

struct tarball {
	struct blobs blobs;
	char *index;
	size_t index_len;
	bool layout;
};

static int read_entry_data(struct archive *a, size_t max, char **out, size_t *len)
{
	struct gh_buf b = GH_BUF_INIT;
	char chunk[65536];
	la_ssize_t n;

	while ((n = sym_archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		if (b.len + (size_t)n > max) {
			gh_buf_free(&b);
			return -EFBIG;
		}
		if (gh_buf_append(&b, chunk, (size_t)n)) {
			gh_buf_free(&b);
			return -ENOMEM;
		}
	}
	if (n < 0) {
		gh_buf_free(&b);
		return -EIO;
	}
	*out = b.p ? b.p : strdup("");
	*len = b.len;
	return *out ? 0 : -ENOMEM;
}

static int read_tarball(const char *file, struct tarball *t, char *err, size_t errlen)
{
	struct archive *a;
	struct archive_entry *e;
	size_t total = 0, count = 0;
	int r, ret = gh_dlib_open(&archive_lib, err, errlen);

	if (ret)
		return ret;
	a = sym_archive_read_new();
	if (!a)
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	sym_archive_read_support_format_tar(a);
	sym_archive_read_support_filter_all(a);
	if (sym_archive_read_open_filename(a, file, 65536) != ARCHIVE_OK) {
		ret = gh_err(err, errlen, -EINVAL, "%s: not a tarball: %s", file,
			     sym_archive_error_string(a));
		goto out;
	}
	while (!ret && (r = sym_archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *p = sym_archive_entry_pathname(e);
		char *data = NULL, digest[GH_DIGEST_SIZE];
		size_t len = 0;

		if (++count > GH_ARCHIVE_MAX_ENTRIES) {
			ret = gh_err(err, errlen, -E2BIG, "%s: more than %d entries", file,
				     GH_ARCHIVE_MAX_ENTRIES);
			break;
		}
		while (p && !strncmp(p, "./", 2))
			p += 2;
		if (!p || sym_archive_entry_filetype(e) != AE_IFREG)
			continue; /* directories */
		ret = read_entry_data(a, GH_LAYER_MAX, &data, &len);
		if (ret) {
			ret = gh_err(err, errlen, ret == -ENOMEM ? ret : -EINVAL, "%s: %s: %s", file, p,
				     ret == -EFBIG ? "larger than a gadget's file may be"
						   : ret == -ENOMEM ? "out of memory"
								    : sym_archive_error_string(a));
			break;
		}
		total += len;
		if (total > GH_ARCHIVE_MAX_BYTES) {
			free(data);
			ret = gh_err(err, errlen, -E2BIG, "%s: more than %u bytes", file,
				     GH_ARCHIVE_MAX_BYTES);
		} else if (!strcmp(p, "index.json") && !t->index) {
			t->index = data;
			t->index_len = len;
		} else if (!strcmp(p, "oci-layout")) {
			t->layout = true;
			free(data);
		} else if (!strncmp(p, "blobs/sha256/", 13)) {
			snprintf(digest, sizeof(digest), "sha256:%.64s", p + 13);
			if (!gh_digest_valid(digest) || strlen(p + 13) != 64 ||
			    !gh_digest_matches(data, len, digest)) {
				free(data);
				ret = gh_err(err, errlen, -EBADMSG, "%s: %s does not match its digest: "
					     "a corrupt or changed archive", file, p);
			} else {
				ret = blob_add(&t->blobs, digest, data, len);
			}
		} else {
			free(data); /* not part of an image layout */
		}
	}
	if (!ret && r != ARCHIVE_EOF)
		ret = gh_err(err, errlen, -EINVAL, "%s: a corrupt tarball: %s", file,
			     sym_archive_error_string(a));
	if (!ret && (!t->layout || !t->index))
		ret = gh_err(err, errlen, -EINVAL, "%s: not an image archive (no oci-layout or "
			     "index.json)", file);
out:
	sym_archive_read_free(a);
	return ret;
}

/* The signature documents of an artifact, fed to v */
static int sigs_of(const struct tarball *t, const char *image_digest, struct gh_verdict *v,
		   struct gh_store *store, char *err, size_t errlen)
{
	const struct gh_json *ms;
	struct gh_json *idx = NULL;
	int ret = 0;

	if (gh_json_parse(t->index, t->index_len, &idx, NULL, 0))
		return -EINVAL;
	ms = gh_json_get(idx, "manifests");
	for (size_t i = 0; !ret && i < gh_json_len(ms); i++) {
		const char *d = gh_json_str(gh_json_get(gh_json_at(ms, i), "digest"));
		struct blob *mb = d ? blob_find(&t->blobs, d) : NULL;
		struct gh_sig_artifact a;

		if (!mb || gh_sig_artifact_parse(mb->data, mb->len, image_digest, &a, NULL, 0))
			continue;
		for (size_t k = 0; !ret && k < a.n; k++) {
			struct blob *sb = blob_find(&t->blobs, a.sigs[k].digest);

			if (!sb || gh_signature_check_format(sb->data, sb->len, image_digest))
				continue;
			if (v)
				gh_verdict_add(v, sb->data, sb->len);
			if (store)
				ret = gh_store_put_signature(store, image_digest, sb->data, sb->len,
							     err, errlen);
		}
	}
	gh_json_free(idx);
	return ret;
}

struct image_in {
	char ref[GH_STORE_REF_MAX];
	char digest[GH_DIGEST_SIZE];
	struct gh_image_manifest m;
	size_t size;
};

/* Each gadget image of the index, checked (manifest, blobs, signatures). */
static int check_images(const struct gh_image_opts *o, const char *file, struct tarball *t,
			struct image_in **out, size_t *n, char *err, size_t errlen)
{
	struct gh_keyring *keys = NULL;
	struct gh_json *idx = NULL;
	const struct gh_json *ms;
	struct image_in *imgs;
	int verify = gh_image_opts_verify(o), ret = 0;
	char jerr[128];

	if (verify < 0)
		return gh_err(err, errlen, -EINVAL, "--verify: true or false");
	if (gh_json_parse(t->index, t->index_len, &idx, jerr, sizeof(jerr)))
		return gh_err(err, errlen, -EINVAL, "%s: index.json: %s", file, jerr);
	ms = gh_json_get(idx, "manifests");
	imgs = calloc(gh_json_len(ms) + 1, sizeof(*imgs));
	if (!imgs) {
		gh_json_free(idx);
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	}
	if (verify)
		ret = gh_keyring_load(&keys, o->verify_keys, o->n_verify_keys, err, errlen);
	for (size_t i = 0; !ret && i < gh_json_len(ms); i++) {
		const struct gh_json *d = gh_json_at(ms, i);
		const char *dg = gh_json_str(gh_json_get(d, "digest"));
		const char *name = gh_json_str(gh_json_get(gh_json_get(d, "annotations"),
							   GH_ANN_REF_NAME));
		struct blob *mb = dg ? blob_find(&t->blobs, dg) : NULL;
		struct image_in *im = &imgs[*n];
		struct gh_image_ref ref;
		struct gh_sig_artifact a;
		char why[512];

		if (!mb) {
			ret = gh_err(err, errlen, -EINVAL, "%s: index.json names a manifest the archive "
				     "does not hold", file);
			break;
		}
		if (!gh_sig_artifact_parse(mb->data, mb->len, NULL, &a, NULL, 0))
			continue; /* signatures: taken with their image */
		if (!name || gh_image_ref_parse(name, NULL, &ref, why, sizeof(why))) {
			ret = gh_err(err, errlen, -EINVAL, "%s: an image without a full reference in "
				     "index.json (" GH_ANN_REF_NAME ")", file);
			break;
		}
		gh_image_ref_format(&ref, im->ref, sizeof(im->ref));
		snprintf(im->digest, sizeof(im->digest), "%s", dg);
		im->size = mb->len;
		if (gh_manifest_parse(mb->data, mb->len, &im->m, why, sizeof(why))) {
			ret = gh_err(err, errlen, -EINVAL, "%s: %s: %s", file, im->ref, why);
			break;
		}
		if (!blob_find(&t->blobs, im->m.config_digest))
			ret = gh_err(err, errlen, -EINVAL, "%s: %s: the config is missing", file,
				     im->ref);
		for (size_t k = 0; !ret && k < im->m.n_layers; k++)
			if (!blob_find(&t->blobs, im->m.layers[k].digest))
				ret = gh_err(err, errlen, -EINVAL, "%s: %s: the layer %s is missing",
					     file, im->ref, im->m.layers[k].title);
		if (!ret && verify) {
			struct gh_verdict v;

			gh_verdict_init(&v, keys, dg);
			sigs_of(t, dg, &v, NULL, NULL, 0);
			ret = gh_verdict_result(&v, im->ref, err, errlen);
		}
		if (!ret)
			(*n)++;
	}
	if (!ret && !*n)
		ret = gh_err(err, errlen, -EINVAL, "%s: no gadget image in the archive", file);
	gh_keyring_free(keys);
	gh_json_free(idx);
	if (ret) {
		free(imgs);
		return ret;
	}
	*out = imgs;
	return 0;
}

static int store_image(struct gh_store *s, const struct tarball *t, const struct image_in *im,
		       char *err, size_t errlen)
{
	const struct blob *b = blob_find(&t->blobs, im->m.config_digest);
	int ret = gh_store_put_blob(s, b->digest, b->data, b->len, err, errlen);

	for (size_t k = 0; !ret && k < im->m.n_layers; k++) {
		b = blob_find(&t->blobs, im->m.layers[k].digest);
		ret = gh_store_put_blob(s, b->digest, b->data, b->len, err, errlen);
	}
	b = blob_find(&t->blobs, im->digest);
	if (!ret)
		ret = gh_store_put_blob(s, b->digest, b->data, b->len, err, errlen);
	if (!ret)
		ret = sigs_of(t, im->digest, NULL, s, err, errlen);
	if (!ret)
		ret = gh_store_tag(s, im->ref, im->digest, im->size, err, errlen);
	return ret;
}

int gh_image_import(const struct gh_image_opts *o, struct gh_store *s, const char *file,
		    void (*fn)(void *ctx, const char *ref, const char *digest), void *ctx,
		    char *err, size_t errlen)
{
	struct tarball t = {0};
	struct image_in *imgs = NULL;
	size_t n = 0;
	int ret = read_tarball(file, &t, err, errlen);

	if (!ret)
		ret = check_images(o, file, &t, &imgs, &n, err, errlen);
	if (!ret)
		ret = gh_store_lock(s, err, errlen);
	for (size_t i = 0; !ret && i < n; i++) {
		ret = store_image(s, &t, &imgs[i], err, errlen);
		if (!ret && fn)
			fn(ctx, imgs[i].ref, imgs[i].digest);
	}
	if (imgs)
		gh_store_unlock(s);
	free(imgs);
	blobs_free(&t.blobs);
	free(t.index);
	return ret;
}
