/* transfer.c - pull and push (transfer.h). */
#include "image/transfer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "image/allowlist.h"
#include "image/manifest.h"
#include "image/registry.h"
#include "image/sig_artifact.h"
#include "image/signature.h"

int gh_image_opts_verify(const struct gh_image_opts *o)
{
	if (!o->verify || !strcmp(o->verify, "true"))
		return 1;
	if (!strcmp(o->verify, "false"))
		return 0;
	return -EINVAL;
}

int gh_image_resolve_local(struct gh_store *s, const struct gh_image_ref *ref,
			   char digest[GH_DIGEST_SIZE], char *err, size_t errlen)
{
	char name[GH_STORE_REF_MAX];

	if (ref->digest[0]) {
		if (!gh_store_has_blob(s, ref->digest)) {
			gh_image_ref_format(ref, name, sizeof(name));
			return gh_err(err, errlen, -ENOENT, "%s is not in the image store %s", name,
				      gh_store_dir(s));
		}
		snprintf(digest, GH_DIGEST_SIZE, "%s", ref->digest);
		return 0;
	}
	gh_image_ref_format(ref, name, sizeof(name));
	return gh_store_resolve(s, name, digest, err, errlen);
}

static int load_keys(const struct gh_image_opts *o, struct gh_keyring **keys, char *err,
		     size_t errlen)
{
	return gh_keyring_load(keys, o->verify_keys, o->n_verify_keys, err, errlen);
}

int gh_image_verify_local(const struct gh_image_opts *o, struct gh_store *s, const char *digest,
			  const char *what, char *err, size_t errlen)
{
	struct gh_keyring *keys = NULL;
	struct gh_verdict v;
	int ret = gh_image_opts_verify(o);

	if (ret <= 0)
		return ret ? gh_err(err, errlen, ret, "--verify: true or false") : 0;
	ret = load_keys(o, &keys, err, errlen);
	if (ret)
		return ret;
	gh_verdict_init(&v, keys, digest);
	gh_store_each_signature(s, digest, gh_verdict_add, &v);
	ret = gh_verdict_result(&v, what, err, errlen);
	gh_keyring_free(keys);
	return ret;
}

/* What a pull brings, in memory until everything is checked. */
struct fetched {
	struct gh_buf manifest, config, layers[GH_LAYER_KINDS];
	struct gh_buf sigs[GH_SIG_MAX_LAYERS];
	char sig_digests[GH_SIG_MAX_LAYERS][GH_DIGEST_SIZE];
	size_t n_sigs;
};

static void fetched_free(struct fetched *f)
{
	gh_buf_free(&f->manifest);
	gh_buf_free(&f->config);
	for (size_t i = 0; i < GH_LAYER_KINDS; i++)
		gh_buf_free(&f->layers[i]);
	for (size_t i = 0; i < f->n_sigs; i++)
		gh_buf_free(&f->sigs[i]);
}

/* The signatures the registry holds for digest (none: 0, n_sigs 0). */
static int fetch_sigs(struct gh_registry *r, const struct gh_image_ref *ref, const char *digest,
		      struct fetched *f, char *err, size_t errlen)
{
	struct gh_buf body = GH_BUF_INIT;
	struct gh_sig_artifact a;
	char tag[128], got[GH_DIGEST_SIZE];
	int ret;

	gh_sig_tag(digest, tag, sizeof(tag));
	ret = gh_registry_get_manifest(r, ref->repository, tag, GH_MANIFEST_MAX, &body, got, err,
				       errlen);
	if (ret == -ENOENT) {
		gh_buf_free(&body);
		return 0;
	}
	if (!ret)
		ret = gh_sig_artifact_parse(body.p, body.len, digest, &a, err, errlen);
	gh_buf_free(&body);
	for (size_t i = 0; !ret && i < a.n; i++) {
		ret = gh_registry_get_blob(r, ref->repository, a.sigs[i].digest, a.sigs[i].size,
					   &f->sigs[f->n_sigs], err, errlen);
		if (!ret)
			snprintf(f->sig_digests[f->n_sigs++], GH_DIGEST_SIZE, "%s", a.sigs[i].digest);
	}
	return ret;
}

static int judge(const struct gh_image_opts *o, const struct gh_image_ref *ref,
		 const char *digest, const char *name, char *err, size_t errlen)
{
	struct gh_allowlist list = {o->allowed, o->n_allowed};

	if (gh_allowlist_judge(&list, ref, digest) == GH_ALLOW_YES)
		return 0;
	return gh_err(err, errlen, -EPERM, "%s (%.19s...) is not allowed on this node "
		      "(--allowed-gadgets): refused", name, digest);
}

static int store_all(struct gh_store *s, const struct fetched *f,
		     const struct gh_image_manifest *m, const char *digest, const char *name,
		     char *err, size_t errlen)
{
	int ret = gh_store_lock(s, err, errlen);

	if (!ret)
		ret = gh_store_put_blob(s, m->config_digest, f->config.p, f->config.len, err, errlen);
	for (size_t i = 0; !ret && i < m->n_layers; i++)
		ret = gh_store_put_blob(s, m->layers[i].digest, f->layers[i].p, f->layers[i].len,
					err, errlen);
	if (!ret)
		ret = gh_store_put_blob(s, digest, f->manifest.p, f->manifest.len, err, errlen);
	for (size_t i = 0; !ret && i < f->n_sigs; i++)
		if (!gh_signature_check_format(f->sigs[i].p, f->sigs[i].len, digest))
			ret = gh_store_put_signature(s, digest, f->sigs[i].p, f->sigs[i].len, err,
						     errlen);
	if (!ret)
		ret = gh_store_tag(s, name, digest, f->manifest.len, err, errlen);
	gh_store_unlock(s);
	return ret;
}

int gh_image_pull(const struct gh_image_opts *o, struct gh_store *s,
		  const struct gh_image_ref *ref, char digest[GH_DIGEST_SIZE], char *err,
		  size_t errlen)
{
	struct gh_registry *r = NULL;
	struct gh_image_manifest m;
	struct gh_keyring *keys = NULL;
	struct fetched f = {0};
	char name[GH_STORE_REF_MAX];
	int verify = gh_image_opts_verify(o), ret;

	gh_image_ref_format(ref, name, sizeof(name));
	if (verify < 0)
		return gh_err(err, errlen, -EINVAL, "--verify: true or false");
	if (gh_allowlist_judge(&(struct gh_allowlist){o->allowed, o->n_allowed}, ref, NULL) ==
	    GH_ALLOW_NO)
		return gh_err(err, errlen, -EPERM, "%s is not allowed on this node "
			      "(--allowed-gadgets): refused", name);
	/* the keys first: no network for what could not be verified */
	ret = verify ? load_keys(o, &keys, err, errlen) : 0;
	if (!ret)
		ret = gh_registry_open(&r, ref->registry, o->registry_ca, o->registry_auth, err,
				       errlen);
	if (!ret)
		ret = gh_registry_get_manifest(r, ref->repository, ref->digest[0] ? ref->digest
										   : ref->tag,
					       GH_MANIFEST_MAX, &f.manifest, digest, err, errlen);
	if (ret)
		goto out;
	if (ref->digest[0] && strcmp(ref->digest, digest)) {
		ret = gh_err(err, errlen, -EBADMSG, "%s: the registry's manifest has digest %s: "
			     "refused", name, digest);
		goto out;
	}
	ret = judge(o, ref, digest, name, err, errlen);
	if (!ret)
		ret = gh_manifest_parse(f.manifest.p, f.manifest.len, &m, err, errlen);
	if (ret) {
		if (ret == -EINVAL) {
			char why[512];

			snprintf(why, sizeof(why), "%s", err);
			ret = gh_err(err, errlen, -EINVAL, "%s: %s", name, why);
		}
		goto out;
	}
	ret = fetch_sigs(r, ref, digest, &f, err, errlen);
	if (!ret && verify) {
		struct gh_verdict v;

		gh_verdict_init(&v, keys, digest);
		for (size_t i = 0; i < f.n_sigs; i++)
			gh_verdict_add(&v, f.sigs[i].p, f.sigs[i].len);
		ret = gh_verdict_result(&v, name, err, errlen);
	}
	if (!ret)
		ret = gh_registry_get_blob(r, ref->repository, m.config_digest, m.config_size,
					   &f.config, err, errlen);
	for (size_t i = 0; !ret && i < m.n_layers; i++)
		ret = gh_registry_get_blob(r, ref->repository, m.layers[i].digest, m.layers[i].size,
					   &f.layers[i], err, errlen);
	if (!ret)
		ret = store_all(s, &f, &m, digest, name, err, errlen);
out:
	fetched_free(&f);
	gh_keyring_free(keys);
	gh_registry_close(r);
	return ret;
}

/* the signatures of the store, for a push */
struct push_sigs {
	struct gh_registry *r;
	const char *repo;
	struct gh_sig_artifact *a;
	char *err;
	size_t errlen;
	int ret;
};

static int push_one_sig(void *ctx, const char *doc, size_t len)
{
	struct push_sigs *p = ctx;
	char d[GH_DIGEST_SIZE];

	if (gh_signature_check_format(doc, len, p->a->subject) || gh_digest_of(doc, len, d))
		return 0;
	p->ret = gh_registry_put_blob(p->r, p->repo, d, doc, len, p->err, p->errlen);
	if (!p->ret && gh_sig_artifact_add(p->a, d, len))
		p->ret = gh_err(p->err, p->errlen, -E2BIG, "more than %d signatures",
				GH_SIG_MAX_LAYERS);
	return p->ret;
}

static int push_sigs(struct gh_registry *r, struct gh_store *s, const struct gh_image_ref *ref,
		     const char *digest, uint64_t size, size_t *n_sigs, char *err, size_t errlen)
{
	struct gh_sig_artifact a = {0};
	struct gh_buf body = GH_BUF_INIT;
	struct push_sigs p = {r, ref->repository, &a, err, errlen, 0};
	char tag[128], got[GH_DIGEST_SIZE];
	int ret;

	gh_sig_tag(digest, tag, sizeof(tag));
	/* the registry's own first: a push adds, never drops one */
	ret = gh_registry_get_manifest(r, ref->repository, tag, GH_MANIFEST_MAX, &body, got, err,
				       errlen);
	if (!ret)
		ret = gh_sig_artifact_parse(body.p, body.len, digest, &a, err, errlen);
	else if (ret == -ENOENT)
		ret = 0;
	snprintf(a.subject, sizeof(a.subject), "%s", digest);
	a.subject_size = size;
	if (!ret)
		ret = gh_store_each_signature(s, digest, push_one_sig, &p);
	*n_sigs = a.n;
	if (!ret && a.n) {
		gh_buf_reset(&body);
		ret = gh_registry_put_blob(r, ref->repository, GH_EMPTY_DIGEST, GH_EMPTY_JSON, 2, err,
					   errlen);
		if (!ret)
			ret = gh_sig_artifact_write(&a, &body);
		if (!ret)
			ret = gh_registry_put_manifest(r, ref->repository, tag, GH_MT_MANIFEST, body.p,
						       body.len, err, errlen);
	}
	gh_buf_free(&body);
	return ret;
}

int gh_image_push(const struct gh_image_opts *o, struct gh_store *s,
		  const struct gh_image_ref *ref, char digest[GH_DIGEST_SIZE], size_t *n_sigs,
		  char *err, size_t errlen)
{
	struct gh_registry *r = NULL;
	struct gh_image_manifest m = {0};
	char *manifest = NULL, *blob = NULL, name[GH_STORE_REF_MAX];
	size_t mlen = 0, blen = 0;
	int ret = gh_image_resolve_local(s, ref, digest, err, errlen);

	gh_image_ref_format(ref, name, sizeof(name));
	if (!ret)
		ret = gh_store_get_blob(s, digest, GH_MANIFEST_MAX, &manifest, &mlen, err, errlen);
	if (!ret)
		ret = gh_manifest_parse(manifest, mlen, &m, err, errlen);
	if (!ret)
		ret = gh_registry_open(&r, ref->registry, o->registry_ca, o->registry_auth, err,
				       errlen);
	for (size_t i = 0; !ret && i <= m.n_layers; i++) {
		const char *d = i < m.n_layers ? m.layers[i].digest : m.config_digest;

		ret = gh_store_get_blob(s, d, GH_LAYER_MAX, &blob, &blen, err, errlen);
		if (!ret)
			ret = gh_registry_put_blob(r, ref->repository, d, blob, blen, err, errlen);
		free(blob);
		blob = NULL;
	}
	if (!ret)
		ret = gh_registry_put_manifest(r, ref->repository, ref->tag[0] ? ref->tag : digest,
					       GH_MT_MANIFEST, manifest, mlen, err, errlen);
	if (!ret)
		ret = push_sigs(r, s, ref, digest, mlen, n_sigs, err, errlen);
	free(manifest);
	gh_registry_close(r);
	return ret;
}
