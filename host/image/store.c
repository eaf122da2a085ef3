/* store.c - the local image store (store.h). */
#include "image/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/json.h"
#include "base/read_file.h"
#include "base/write_file.h"
#include "image/manifest.h"
#include "output/out.h"

#define LAYOUT "{\"imageLayoutVersion\":\"1.0.0\"}"
#define MAX_ENTRIES 4096

struct gh_store {
	char *dir;
	int lock_fd;
	int locked; /* depth of gh_store_lock() */
};

static int path_of(const struct gh_store *s, char *buf, size_t len, const char *fmt,
		   const char *a, const char *b)
{
	int n = snprintf(buf, len, "%s/", s->dir);

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if ((size_t)snprintf(buf + n, len - (size_t)n, fmt, a, b) >= len - (size_t)n)
		return -ENAMETOOLONG;
	return 0;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[4096];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

const char *gh_store_dir(const struct gh_store *s)
{
	return s->dir;
}

int gh_store_open(struct gh_store **out, const char *dir, bool create, char *err, size_t errlen)
{
	static const char *const subdirs[] = {"blobs/sha256", "signatures", "tmp"};
	struct gh_store *s;
	char p[4096];
	int ret = 0;

	*out = NULL;
	dir = dir && *dir ? dir : GH_STORE_DEFAULT;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	}
	s->lock_fd = -1;
	path_of(s, p, sizeof(p), "oci-layout%s%s", "", "");
	if (access(p, F_OK)) {
		if (!create) {
			ret = gh_err(err, errlen, -ENOENT, "%s is not an image store (no oci-layout): "
				     "no image was pulled, packed or imported there", dir);
			goto fail;
		}
		ret = mkdir_p(dir, 0755);
		if (!ret)
			ret = gh_write_file_atomic(p, LAYOUT, strlen(LAYOUT), 0644, 0);
		if (ret) {
			ret = gh_err(err, errlen, ret, "%s: cannot create the image store: %s", dir,
				     strerror(-ret));
			goto fail;
		}
	}
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		path_of(s, p, sizeof(p), "%s%s", subdirs[i], "");
		ret = mkdir_p(p, strcmp(subdirs[i], "tmp") ? 0755 : 0700);
		if (ret) {
			ret = gh_err(err, errlen, ret, "%s: %s", p, strerror(-ret));
			goto fail;
		}
	}
	path_of(s, p, sizeof(p), "lock%s%s", "", "");
	s->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lock_fd < 0) {
		ret = gh_err(err, errlen, -errno, "%s: %s", p, strerror(errno));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	gh_store_close(s);
	return ret;
}

void gh_store_close(struct gh_store *s)
{
	if (!s)
		return;
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->dir);
	free(s);
}

int gh_store_lock(struct gh_store *s, char *err, size_t errlen)
{
	if (s->locked++)
		return 0;
	while (flock(s->lock_fd, LOCK_EX)) {
		if (errno != EINTR) {
			s->locked = 0;
			return gh_err(err, errlen, -errno, "%s/lock: %s", s->dir, strerror(errno));
		}
	}
	return 0;
}

void gh_store_unlock(struct gh_store *s)
{
	if (s->locked && !--s->locked)
		flock(s->lock_fd, LOCK_UN);
}

static int blob_path(const struct gh_store *s, const char *digest, char *buf, size_t len)
{
	if (!gh_digest_valid(digest))
		return -EINVAL;
	return path_of(s, buf, len, "blobs/sha256/%s%s", digest + 7, "");
}

bool gh_store_has_blob(struct gh_store *s, const char *digest)
{
	char p[4096];

	return !blob_path(s, digest, p, sizeof(p)) && !access(p, F_OK);
}

int gh_store_put_blob(struct gh_store *s, const char *digest, const void *data, size_t len,
		      char *err, size_t errlen)
{
	char p[4096];
	int ret = blob_path(s, digest, p, sizeof(p));

	if (ret)
		return gh_err(err, errlen, ret, "\"%.80s\" is not a sha256 digest", digest);
	if (!gh_digest_matches(data, len, digest))
		return gh_err(err, errlen, -EBADMSG, "the content of %s does not match its digest",
			      digest);
	if (!access(p, F_OK))
		return 0; /* read back checked whenever used */
	ret = gh_write_file_atomic(p, data, len, 0644, 0);
	return ret ? gh_err(err, errlen, ret, "%s: %s", p, strerror(-ret)) : 0;
}

int gh_store_get_blob(struct gh_store *s, const char *digest, size_t max, char **data,
		      size_t *len, char *err, size_t errlen)
{
	char p[4096];
	int ret = blob_path(s, digest, p, sizeof(p));

	*data = NULL;
	if (ret)
		return gh_err(err, errlen, ret, "\"%.80s\" is not a sha256 digest", digest);
	ret = gh_read_file(p, max, data, len);
	if (ret == -ENOENT)
		return gh_err(err, errlen, ret, "blob %s is not in the store %s", digest, s->dir);
	if (ret)
		return gh_err(err, errlen, ret, "%s: %s", p, strerror(-ret));
	if (!gh_digest_matches(*data, *len, digest)) {
		free(*data);
		*data = NULL;
		return gh_err(err, errlen, -EBADMSG, "blob %s in the store %s does not match its "
			      "digest: it was changed after it was stored", digest, s->dir);
	}
	return 0;
}

/* index.json */

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct gh_store_entry *)a)->ref,
		      ((const struct gh_store_entry *)b)->ref);
}

static int index_load(struct gh_store *s, struct gh_store_entry **out, size_t *n, char *err,
		      size_t errlen)
{
	struct gh_json *j = NULL;
	const struct gh_json *ms;
	struct gh_store_entry *e = NULL;
	char p[4096], jerr[128], *text = NULL;
	size_t len = 0, k = 0;
	int ret;

	*out = NULL;
	*n = 0;
	path_of(s, p, sizeof(p), "index.json%s%s", "", "");
	ret = gh_read_file(p, GH_READ_FILE_MAX, &text, &len);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return gh_err(err, errlen, ret, "%s: %s", p, strerror(-ret));
	ret = gh_json_parse(text, len, &j, jerr, sizeof(jerr));
	free(text);
	if (ret)
		return gh_err(err, errlen, ret, "%s: %s", p, jerr);
	ms = gh_json_get(j, "manifests");
	if (gh_json_len(ms) > MAX_ENTRIES) {
		gh_json_free(j);
		return gh_err(err, errlen, -E2BIG, "%s: more than %d references", p, MAX_ENTRIES);
	}
	e = calloc(gh_json_len(ms) + 1, sizeof(*e));
	if (!e) {
		gh_json_free(j);
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < gh_json_len(ms); i++) {
		const struct gh_json *m = gh_json_at(ms, i);
		const char *ref = gh_json_str(gh_json_get(gh_json_get(m, "annotations"),
							  GH_ANN_REF_NAME));
		const char *digest = gh_json_str(gh_json_get(m, "digest"));

		if (!ref || !digest || !gh_digest_valid(digest) || strlen(ref) >= sizeof(e->ref) ||
		    gh_json_uint(gh_json_get(m, "size"), &e[k].size))
			continue; /* not ours: left out */
		snprintf(e[k].ref, sizeof(e[k].ref), "%s", ref);
		snprintf(e[k].digest, sizeof(e[k].digest), "%s", digest);
		k++;
	}
	gh_json_free(j);
	qsort(e, k, sizeof(*e), entry_cmp);
	*out = e;
	*n = k;
	return 0;
}

static int index_save(struct gh_store *s, const struct gh_store_entry *e, size_t n, char *err,
		      size_t errlen)
{
	struct gh_buf b = GH_BUF_INIT;
	char p[4096];
	int ret = gh_buf_puts(&b, "{\"schemaVersion\":2,\"mediaType\":\"" GH_MT_INDEX
			      "\",\"manifests\":[");

	for (size_t i = 0; !ret && i < n; i++) {
		ret = gh_buf_printf(&b, "%s{\"mediaType\":\"" GH_MT_MANIFEST "\",\"digest\":\"%s\","
				    "\"size\":%" PRIu64 ",\"annotations\":{\"" GH_ANN_REF_NAME
				    "\":", i ? "," : "", e[i].digest, e[i].size);
		if (!ret)
			ret = gh_json_put_string(&b, e[i].ref, strlen(e[i].ref));
		if (!ret)
			ret = gh_buf_puts(&b, "}}");
	}
	if (!ret)
		ret = gh_buf_puts(&b, "]}\n");
	path_of(s, p, sizeof(p), "index.json%s%s", "", "");
	if (!ret)
		ret = gh_write_file_atomic(p, b.p, b.len, 0644, 1);
	gh_buf_free(&b);
	return ret ? gh_err(err, errlen, ret, "%s: %s", p, strerror(-ret)) : 0;
}

int gh_store_list(struct gh_store *s, struct gh_store_entry **out, size_t *n, char *err,
		  size_t errlen)
{
	return index_load(s, out, n, err, errlen);
}

int gh_store_resolve(struct gh_store *s, const char *ref, char digest[GH_DIGEST_SIZE],
		     char *err, size_t errlen)
{
	struct gh_store_entry *e;
	size_t n;
	int ret = index_load(s, &e, &n, err, errlen);

	if (ret)
		return ret;
	ret = gh_err(err, errlen, -ENOENT, "%s is not in the image store %s", ref, s->dir);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(e[i].ref, ref)) {
			snprintf(digest, GH_DIGEST_SIZE, "%s", e[i].digest);
			ret = 0;
		}
	}
	free(e);
	return ret;
}

int gh_store_tag(struct gh_store *s, const char *ref, const char *digest, uint64_t size,
		 char *err, size_t errlen)
{
	struct gh_store_entry *e = NULL, *grown;
	size_t n = 0, i;
	int ret;

	if (strlen(ref) >= sizeof(e->ref))
		return gh_err(err, errlen, -ENAMETOOLONG, "reference too long");
	ret = gh_store_lock(s, err, errlen);
	if (!ret)
		ret = index_load(s, &e, &n, err, errlen);
	if (ret)
		goto out;
	for (i = 0; i < n && strcmp(e[i].ref, ref); i++)
		;
	if (i == n) {
		grown = realloc(e, (n + 1) * sizeof(*e));
		if (!grown) {
			ret = gh_err(err, errlen, -ENOMEM, "out of memory");
			goto out;
		}
		e = grown;
		n++;
		snprintf(e[i].ref, sizeof(e[i].ref), "%s", ref);
	}
	snprintf(e[i].digest, sizeof(e[i].digest), "%s", digest);
	e[i].size = size;
	qsort(e, n, sizeof(*e), entry_cmp);
	ret = index_save(s, e, n, err, errlen);
out:
	free(e);
	gh_store_unlock(s);
	return ret;
}

/* signatures/HEX/ */

static int sig_dir(const struct gh_store *s, const char *manifest_digest, char *buf, size_t len)
{
	if (!gh_digest_valid(manifest_digest))
		return -EINVAL;
	return path_of(s, buf, len, "signatures/%s%s", manifest_digest + 7, "");
}

int gh_store_put_signature(struct gh_store *s, const char *manifest_digest, const char *doc,
			   size_t len, char *err, size_t errlen)
{
	char d[4096], p[4200], digest[GH_DIGEST_SIZE];
	int ret = sig_dir(s, manifest_digest, d, sizeof(d));

	if (!ret)
		ret = gh_digest_of(doc, len, digest);
	if (!ret)
		ret = mkdir_p(d, 0755);
	if (!ret && snprintf(p, sizeof(p), "%s/%s.json", d, digest + 7) >= (int)sizeof(p))
		ret = -ENAMETOOLONG;
	if (!ret && access(p, F_OK))
		ret = gh_write_file_atomic(p, doc, len, 0644, 0);
	return ret ? gh_err(err, errlen, ret, "storing a signature in %s: %s", s->dir,
			    strerror(-ret)) : 0;
}

static bool sig_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len == 64 + 5 && !strcmp(name + 64, ".json") && strspn(name, "0123456789abcdef") == 64;
}

int gh_store_each_signature(struct gh_store *s, const char *manifest_digest, gh_store_sig_fn fn,
			    void *ctx)
{
	char d[4096], p[4200];
	struct dirent *de;
	DIR *dir;
	int ret = sig_dir(s, manifest_digest, d, sizeof(d));

	if (ret)
		return ret;
	dir = opendir(d);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (de = readdir(dir))) {
		char *doc;
		size_t len;

		if (!sig_name_ok(de->d_name))
			continue;
		snprintf(p, sizeof(p), "%s/%s", d, de->d_name);
		if (gh_read_file(p, 64 << 10, &doc, &len))
			continue;
		ret = fn(ctx, doc, len);
		free(doc);
	}
	closedir(dir);
	return ret;
}

/* Removal and the clean-up after it */

struct digest_set {
	char (*d)[GH_DIGEST_SIZE];
	size_t n;
};

static int set_add(struct digest_set *set, const char *digest)
{
	char(*grown)[GH_DIGEST_SIZE] = realloc(set->d, (set->n + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	set->d = grown;
	snprintf(set->d[set->n++], GH_DIGEST_SIZE, "%s", digest);
	return 0;
}

static bool set_has_hex(const struct digest_set *set, const char *hex)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->d[i] + 7, hex))
			return true;
	return false;
}

/* The blobs each reference needs: its manifest, config and layers. */
static int needed_blobs(struct gh_store *s, const struct gh_store_entry *e, size_t n,
			struct digest_set *blobs, struct digest_set *manifests)
{
	int ret = 0;

	for (size_t i = 0; !ret && i < n; i++) {
		struct gh_image_manifest m;
		char *text;
		size_t len;

		ret = set_add(blobs, e[i].digest);
		if (!ret)
			ret = set_add(manifests, e[i].digest);
		if (ret || gh_store_get_blob(s, e[i].digest, GH_MANIFEST_MAX, &text, &len, NULL, 0))
			continue; /* gone or changed: nothing of it is kept for it */
		if (!gh_manifest_parse(text, len, &m, NULL, 0)) {
			ret = set_add(blobs, m.config_digest);
			for (size_t k = 0; !ret && k < m.n_layers; k++)
				ret = set_add(blobs, m.layers[k].digest);
		}
		free(text);
	}
	return ret;
}

static void remove_tree(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	char p[4400];

	while (dir && (de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		if (unlink(p) && errno == EISDIR)
			remove_tree(p);
	}
	if (dir)
		closedir(dir);
	rmdir(path);
}

static void sweep(struct gh_store *s, const char *sub, const struct digest_set *keep)
{
	char d[4096], p[4200];
	struct dirent *de;
	DIR *dir;

	path_of(s, d, sizeof(d), "%s%s", sub, "");
	dir = opendir(d);
	while (dir && (de = readdir(dir))) {
		if (strlen(de->d_name) != 64 || strspn(de->d_name, "0123456789abcdef") != 64 ||
		    set_has_hex(keep, de->d_name))
			continue;
		snprintf(p, sizeof(p), "%s/%s", d, de->d_name);
		if (unlink(p) && errno == EISDIR)
			remove_tree(p);
	}
	if (dir)
		closedir(dir);
}

int gh_store_remove(struct gh_store *s, const char *ref, char *err, size_t errlen)
{
	struct gh_store_entry *e = NULL;
	struct digest_set blobs = {0}, manifests = {0};
	size_t n = 0, k = 0;
	int ret = gh_store_lock(s, err, errlen);

	if (!ret)
		ret = index_load(s, &e, &n, err, errlen);
	if (ret)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (strcmp(e[i].ref, ref))
			e[k++] = e[i];
	if (k == n) {
		ret = gh_err(err, errlen, -ENOENT, "%s is not in the image store %s", ref, s->dir);
		goto out;
	}
	ret = index_save(s, e, k, err, errlen);
	if (!ret && needed_blobs(s, e, k, &blobs, &manifests))
		ret = gh_err(err, errlen, -ENOMEM, "out of memory");
	if (!ret) {
		sweep(s, "blobs/sha256", &blobs);
		sweep(s, "signatures", &manifests);
	}
out:
	free(blobs.d);
	free(manifests.d);
	free(e);
	gh_store_unlock(s);
	return ret;
}

/* tmp/run-PID-XXXXXX */

static void sweep_dead_runs(struct gh_store *s)
{
	char d[4096], p[4400];
	struct dirent *de;
	DIR *dir;

	path_of(s, d, sizeof(d), "tmp%s%s", "", "");
	dir = opendir(d);
	while (dir && (de = readdir(dir))) {
		char *end;
		long pid;

		if (strncmp(de->d_name, "run-", 4))
			continue;
		pid = strtol(de->d_name + 4, &end, 10);
		if (*end != '-' || pid <= 0 || !kill((pid_t)pid, 0) || errno != ESRCH)
			continue;
		snprintf(p, sizeof(p), "%s/%s", d, de->d_name);
		remove_tree(p);
	}
	if (dir)
		closedir(dir);
}

int gh_store_mkdtemp(struct gh_store *s, char *buf, size_t len, char *err, size_t errlen)
{
	char pid[32];

	sweep_dead_runs(s);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (path_of(s, buf, len, "tmp/run-%s-%sXXXXXX", pid, ""))
		return gh_err(err, errlen, -ENAMETOOLONG, "%s: path too long", s->dir);
	if (!mkdtemp(buf))
		return gh_err(err, errlen, -errno, "%s: %s", buf, strerror(errno));
	return 0;
}

void gh_store_rmdtemp(const char *dir)
{
	if (dir && *dir)
		remove_tree(dir);
}
