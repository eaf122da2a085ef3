/* cmd_sdk.c - `gadgethost new NAME [DIR]` and `gadgethost build FILE.bpf.c`. */
#include "cli/commands.h"
#include "cli/cli_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gadget/bpf_build.h"
#include "base/buf.h"
#include "base/read_file.h"
#include "gadget/sdk_dir.h"

/* C identifier: it names the tracer (GADGET_TRACER) and the files */
static bool valid_name(const char *name)
{
	if (!*name || strlen(name) > 64 || (*name >= '0' && *name <= '9'))
		return false;
	for (const char *p = name; *p; p++)
		if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

/* The template file with every @NAME@ replaced by name, into buf. */
static int expand(const char *text, size_t len, const char *name, struct gh_buf *b)
{
	static const char mark[] = "@NAME@";
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *at = memmem(p, end - p, mark, sizeof(mark) - 1);
		size_t chunk = at ? (size_t)(at - p) : (size_t)(end - p);

		if (gh_buf_append(b, p, chunk))
			return -ENOMEM;
		if (!at)
			break;
		if (gh_buf_append(b, name, strlen(name)))
			return -ENOMEM;
		p = at + sizeof(mark) - 1;
	}
	return 0;
}

static int write_new(const char *path, const struct gh_buf *b)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, b->p, b->len);
	close(fd);
	if (n != (ssize_t)b->len) {
		unlink(path);
		return -EIO;
	}
	return 0;
}

static int instantiate(const char *tmpl, const char *out, const char *name)
{
	char path[4096];
	struct gh_buf b = {0};
	char *text = NULL;
	size_t len = 0;
	int ret;

	snprintf(path, sizeof(path), "%s/template/%s", gh_sdk_dir(), tmpl);
	ret = gh_read_file(path, 1 << 20, &text, &len);
	if (ret) {
		fprintf(stderr, "gadgethost: new: the SDK's template %s: %s\n", path,
			strerror(-ret));
		return 1;
	}
	ret = expand(text, len, name, &b);
	if (!ret)
		ret = write_new(out, &b);
	if (ret)
		fprintf(stderr, "gadgethost: new: %s: %s\n", out,
			ret == -EEXIST ? "exists already (not overwritten)" : strerror(-ret));
	free(text);
	gh_buf_free(&b);
	return ret ? 1 : 0;
}

int gh_cmd_new(int argc, char **argv)
{
	const char *name = argc > 0 ? argv[0] : NULL;
	const char *dir = argc > 1 ? argv[1] : ".";
	char c_path[4096], lua_path[4096];

	if (!name || !strcmp(name, "-h") || !strcmp(name, "--help") || argc > 2) {
		fprintf(name ? stdout : stderr,
			"usage: gadgethost new NAME [DIR]\n\n"
			"Writes DIR/NAME.bpf.c and DIR/NAME.lua (DIR: the current directory)\n"
			"from the SDK's template (%s/template): a working gadget to edit.\n",
			gh_sdk_dir());
		return name && argc <= 2 ? 0 : 1;
	}
	if (!valid_name(name)) {
		fprintf(stderr, "gadgethost: new: \"%s\" is not a valid gadget name (letters, digits "
			"and _, not starting with a digit: it names the C tracer)\n", name);
		return 1;
	}
	snprintf(c_path, sizeof(c_path), "%s/%s.bpf.c", dir, name);
	snprintf(lua_path, sizeof(lua_path), "%s/%s.lua", dir, name);
	if (!access(c_path, F_OK) || !access(lua_path, F_OK)) {
		fprintf(stderr, "gadgethost: new: %s exists already (not overwritten)\n",
			access(c_path, F_OK) ? lua_path : c_path);
		return 1;
	}
	if (instantiate("gadget.bpf.c", c_path, name))
		return 1;
	if (instantiate("gadget.lua", lua_path, name)) {
		unlink(c_path);
		return 1;
	}
	printf("created %s and %s\n\n"
	       "next:\n"
	       "  gadgethost build %s\n"
	       "  sudo gadgethost run %s%s --host --watch\n",
	       c_path, lua_path, c_path, lua_path[0] == '/' || !strncmp(lua_path, "./", 2) ||
	       !strncmp(lua_path, "../", 3) ? "" : "./", lua_path);
	return 0;
}

int gh_cmd_build(int argc, char **argv)
{
	const char *src = NULL, *out = NULL;
	const char *extra[32];
	size_t n_extra = 0;
	bool verbose = false;
	char *obj, err[512] = "";
	int ret;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			printf("usage: gadgethost build FILE.bpf.c [-o FILE.bpf.o] [-I DIR] [-D X] "
			       "[-v]\n\nclang -target bpf with the SDK's headers (%s); the object "
			       "goes next to the source unless -o says where.\n", gh_sdk_dir());
			return 0;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			verbose = true;
		} else if (!strcmp(a, "-o") && i + 1 < argc) {
			out = argv[++i];
		} else if ((!strncmp(a, "-I", 2) || !strncmp(a, "-D", 2)) && n_extra < 30) {
			extra[n_extra++] = a;
			if (!a[2] && i + 1 < argc)
				extra[n_extra++] = argv[++i];
		} else if (a[0] == '-' || src) {
			fprintf(stderr, "gadgethost: build: unexpected argument \"%s\" (gadgethost "
				"build -h)\n", a);
			return 1;
		} else {
			src = a;
		}
	}
	if (!src) {
		fprintf(stderr, "gadgethost: build: which file? (gadgethost build NAME.bpf.c)\n");
		return 1;
	}
	if (access(src, R_OK)) {
		fprintf(stderr, "gadgethost: build: %s: %s\n", src, strerror(errno));
		return 1;
	}
	obj = out ? strdup(out) : gh_bpf_object_for(src);
	if (!obj) {
		fprintf(stderr, "gadgethost: build: %s: not a .c file (or use -o)\n", src);
		return 1;
	}
	gh_cli_log_install(verbose);
	ret = gh_bpf_build(src, obj, extra, n_extra, verbose, err, sizeof(err));
	if (!ret)
		fprintf(stderr, "gadgethost: built %s\n", obj);
	else if (ret == -EINVAL)
		fprintf(stderr, "gadgethost: build: %s did not compile (clang's errors above)\n",
			src);
	else
		fprintf(stderr, "gadgethost: build: %s\n", err);
	free(obj);
	return ret ? 1 : 0;
}
