/* test_gadget_images.c - gadget images without a registry: references, the
 * allowlist, manifests (what a hostile one may not do), signatures. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/allowlist.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/signature.h"

static void test_references(void **state)
{
	struct gh_image_ref r;
	char s[1024], err[256];

	assert_int_equal(gh_image_ref_parse("localhost:5000/team/my-tool:1.0", NULL, &r, err,
					    sizeof(err)), 0);
	assert_string_equal(r.registry, "localhost:5000");
	assert_string_equal(r.repository, "team/my-tool");
	assert_string_equal(r.tag, "1.0");
	assert_int_equal(gh_image_ref_parse("team/mytool", "reg.example", &r, err, sizeof(err)), 0);
	gh_image_ref_format(&r, s, sizeof(s));
	assert_string_equal(s, "reg.example/team/mytool:latest");
	assert_int_equal(gh_image_ref_parse("reg.example/x@sha256:"
					    "0000000000000000000000000000000000000000000000000000000000000000",
					    NULL, &r, err, sizeof(err)), 0);
	assert_string_equal(r.tag, "");
	/* no registry and no default: no silent guess */
	assert_int_equal(gh_image_ref_parse("team/mytool:1", NULL, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no default registry"));
	assert_int_equal(gh_image_ref_parse("reg.example/Team/x", NULL, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(gh_image_ref_parse("reg.example/a//b", NULL, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(gh_image_ref_parse("reg.example/a:b:c", NULL, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(gh_image_ref_parse("reg.example/x@sha256:abc", NULL, &r, err, sizeof(err)),
			 -EINVAL);
	assert_true(gh_image_ref_is("reg.example/team/mytool:1.0"));
	assert_false(gh_image_ref_is("trace/exec.lua"));
	assert_false(gh_image_ref_is("../../etc/passwd"));
	assert_false(gh_image_ref_is("/x/mytool"));
	assert_false(gh_image_ref_is("a\nb"));
}

static enum gh_allow judge(const char *entries, const char *ref, const char *digest)
{
	const char *e[] = {entries};
	struct gh_allowlist a = {e, 1};
	struct gh_image_ref r;

	assert_int_equal(gh_allowlist_check(&a, NULL, 0), 0);
	assert_int_equal(gh_image_ref_parse(ref, NULL, &r, NULL, 0), 0);
	return gh_allowlist_judge(&a, &r, digest);
}

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static void test_allowlist(void **state)
{
	const char *bad[] = {"sha256:12"};
	struct gh_allowlist a = {bad, 1};

	assert_int_equal(judge("r.example/team/*", "r.example/team/x:1", NULL), GH_ALLOW_YES);
	assert_int_equal(judge("r.example/team/*", "r.example/other/x:1", NULL), GH_ALLOW_NO);
	assert_int_equal(judge("r.example/team/x:1", "r.example/team/x:2", NULL), GH_ALLOW_NO);
	assert_int_equal(judge("*/team/x:*", "10.0.0.1:5000/team/x:2", NULL), GH_ALLOW_YES);
	/* a digest: undecided by name, decided once resolved */
	assert_int_equal(judge(D1, "r.example/team/x:1", NULL), GH_ALLOW_BY_DIGEST);
	assert_int_equal(judge(D1, "r.example/team/x:1", D1), GH_ALLOW_YES);
	assert_int_equal(judge(D1, "r.example/team/x:1", D2), GH_ALLOW_NO);
	assert_int_equal(judge("r.example/a/*," D1, "r.example/team/x@" D1, NULL), GH_ALLOW_YES);
	assert_int_equal(gh_allowlist_check(&a, NULL, 0), -EINVAL);
}

static const char *manifest_of(const char *layers)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "{\"schemaVersion\":2,\"mediaType\":\"" GH_MT_MANIFEST "\","
		 "\"config\":{\"mediaType\":\"" GH_MT_CONFIG "\",\"digest\":\"" D1 "\",\"size\":2},"
		 "\"layers\":[%s]}", layers);
	return buf;
}

#define LAYER(mt, title) "{\"mediaType\":\"" mt "\",\"digest\":\"" D2 "\",\"size\":5," \
	"\"annotations\":{\"org.opencontainers.image.title\":\"" title "\"}}"

static void test_manifests(void **state)
{
	struct gh_image_manifest m;
	const char *j;
	char err[512];

	j = manifest_of(LAYER(GH_MT_EBPF, "x.bpf.o") "," LAYER(GH_MT_LUA, "x.lua"));
	assert_int_equal(gh_manifest_parse(j, strlen(j), &m, err, sizeof(err)), 0);
	assert_int_equal(m.n_layers, 2);
	assert_string_equal(gh_manifest_layer(&m, GH_LAYER_LUA)->title, "x.lua");
	/* a file name that would leave the run's folder */
	j = manifest_of(LAYER(GH_MT_EBPF, "x.bpf.o") "," LAYER(GH_MT_LUA, "../x.lua"));
	assert_int_equal(gh_manifest_parse(j, strlen(j), &m, err, sizeof(err)), -EINVAL);
	j = manifest_of(LAYER(GH_MT_EBPF, "x.bpf.o") "," LAYER(GH_MT_LUA, "x.bpf.o"));
	assert_int_equal(gh_manifest_parse(j, strlen(j), &m, err, sizeof(err)), -EINVAL);
	/* two scripts, no object, another media type */
	j = manifest_of(LAYER(GH_MT_LUA, "a.lua") "," LAYER(GH_MT_LUA, "b.lua"));
	assert_int_equal(gh_manifest_parse(j, strlen(j), &m, err, sizeof(err)), -EINVAL);
	j = manifest_of(LAYER(GH_MT_LUA, "a.lua"));
	assert_int_equal(gh_manifest_parse(j, strlen(j), &m, err, sizeof(err)), -EINVAL);
	j = manifest_of(LAYER("application/vnd.oci.image.layer.v1.tar", "x.bpf.o"));
	assert_int_equal(gh_manifest_parse(j, strlen(j), &m, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a gadget's file"));
}

static void test_signatures(void **state)
{
	char dir[] = "/tmp/gh-test-keys-XXXXXX", prefix[64], other[64], pub[80], key[80];
	char id[GH_DIGEST_SIZE], err[512];
	const char *paths[1];
	struct gh_keyring *keys;
	struct gh_buf doc = GH_BUF_INIT, doc2 = GH_BUF_INIT;
	struct gh_verdict v;

	assert_non_null(mkdtemp(dir));
	snprintf(prefix, sizeof(prefix), "%s/team", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	assert_int_equal(gh_key_generate(prefix, id, err, sizeof(err)), 0);
	assert_int_equal(gh_key_generate(prefix, id, err, sizeof(err)), -EEXIST); /* never over */
	assert_int_equal(gh_key_generate(other, id, err, sizeof(err)), 0);
	snprintf(key, sizeof(key), "%s.key", prefix);
	snprintf(pub, sizeof(pub), "%s.pub", prefix);
	paths[0] = pub;
	assert_int_equal(gh_keyring_load(&keys, paths, 1, err, sizeof(err)), 0);
	assert_int_equal(gh_sign(key, D1, &doc, id, err, sizeof(err)), 0);
	assert_int_equal(gh_sign(key, D1, &doc2, id, err, sizeof(err)), 0);
	assert_string_equal(doc.p, doc2.p); /* ed25519: deterministic */

	gh_verdict_init(&v, keys, D1);
	gh_verdict_add(&v, doc.p, doc.len);
	assert_int_equal(gh_verdict_result(&v, "x", err, sizeof(err)), 0);
	/* the same signature for another image */
	gh_verdict_init(&v, keys, D2);
	gh_verdict_add(&v, doc.p, doc.len);
	assert_int_equal(gh_verdict_result(&v, "x", err, sizeof(err)), -EPERM);
	/* a flipped bit of the signature */
	doc.p[strstr(doc.p, "\"signature\":\"") - doc.p + 20] ^= 1;
	gh_verdict_init(&v, keys, D1);
	gh_verdict_add(&v, doc.p, doc.len);
	assert_int_equal(gh_verdict_result(&v, "x", err, sizeof(err)), -EPERM);
	/* another key */
	snprintf(key, sizeof(key), "%s.key", other);
	gh_buf_reset(&doc2);
	assert_int_equal(gh_sign(key, D1, &doc2, id, err, sizeof(err)), 0);
	gh_verdict_init(&v, keys, D1);
	gh_verdict_add(&v, doc2.p, doc2.len);
	assert_int_equal(gh_verdict_result(&v, "x", err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "not a verify key"));
	/* none */
	gh_verdict_init(&v, keys, D1);
	assert_int_equal(gh_verdict_result(&v, "x", err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "is not signed"));

	gh_keyring_free(keys);
	gh_buf_free(&doc);
	gh_buf_free(&doc2);
	for (const char *n = "team.key\0team.pub\0other.key\0other.pub\0"; *n; n += strlen(n) + 1) {
		snprintf(key, sizeof(key), "%s/%s", dir, n);
		unlink(key);
	}
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_references),
		cmocka_unit_test(test_allowlist),
		cmocka_unit_test(test_manifests),
		cmocka_unit_test(test_signatures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
