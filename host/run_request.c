/* run_request.c - a remote run request (JSON) into a checked argv. */
#include "run_request.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "search_path.h"

#define MAX_ROOTS 32
#define MAX_ARGS 256

/* options of `gadgethost run` that name files on the node */
static const char *const refused_options[] = {
	"--ready-file", "--hook-dir", "--runc-root", "--docker-socket", NULL,
};

static int fail(int ret, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

static bool refused(const char *arg)
{
	for (size_t i = 0; refused_options[i]; i++) {
		size_t n = strlen(refused_options[i]);

		if (!strncmp(arg, refused_options[i], n) && (!arg[n] || arg[n] == '='))
			return true;
	}
	return false;
}

static bool has_dotdot(const char *name)
{
	for (const char *p = name; (p = strstr(p, "..")); p += 2)
		if ((p == name || p[-1] == '/') && (!p[2] || p[2] == '/'))
			return true;
	return false;
}

char *gh_run_request_resolve(const char *name)
{
	const char *roots[MAX_ROOTS];
	size_t n = gh_gadget_roots(roots, MAX_ROOTS);

	if (!*name || name[0] == '/' || has_dotdot(name))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char root[PATH_MAX], joined[PATH_MAX], real[PATH_MAX];
		size_t rlen;

		if (!realpath(roots[i], root))
			continue;
		if (snprintf(joined, sizeof(joined), "%s/%s", root, name) >= (int)sizeof(joined))
			continue;
		if (!realpath(joined, real))
			continue;
		rlen = strlen(root);
		if (!strncmp(real, root, rlen) && real[rlen] == '/')
			return strdup(real);
	}
	return NULL;
}

static int push(struct gh_run_request *r, const char *s, size_t len)
{
	if (r->argc + 1 >= MAX_ARGS)
		return -E2BIG;
	r->argv[r->argc] = strndup(s, len);
	if (!r->argv[r->argc])
		return -ENOMEM;
	r->argc++;
	return 0;
}

static int push_str(struct gh_run_request *r, const char *s)
{
	return push(r, s, strlen(s));
}

/* A JSON string, number or bool as option text. */
static const char *scalar_text(const struct gh_json *v, char *tmp, size_t len)
{
	switch (gh_json_type(v)) {
	case GH_JSON_STRING:
		return strlen(gh_json_str(v)) == gh_json_str_len(v) ? gh_json_str(v) : NULL;
	case GH_JSON_BOOL:
		return gh_json_bool(v) ? "true" : "false";
	case GH_JSON_NUMBER:
		snprintf(tmp, len, "%.17g", gh_json_double(v));
		return tmp;
	default:
		return NULL;
	}
}

static bool param_key_ok(const char *k)
{
	if (!*k)
		return false;
	for (const char *p = k; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '-' && *p != '_' && *p != '.')
			return false;
	return true;
}

static int build(struct gh_run_request *r, const struct gh_json *j, bool allow_inline,
		 char *err, size_t errlen)
{
	static const char *const known[] = {"gadget", "args", "params", "filters", "output",
					    "timeout", "script", NULL};
	const struct gh_json *gadget = gh_json_get(j, "gadget");
	const struct gh_json *args = gh_json_get(j, "args");
	const struct gh_json *params = gh_json_get(j, "params");
	const struct gh_json *filters = gh_json_get(j, "filters");
	const struct gh_json *output = gh_json_get(j, "output");
	const struct gh_json *timeout = gh_json_get(j, "timeout");
	const struct gh_json *script = gh_json_get(j, "script");
	char tmp[64];
	int ret;

	if (gh_json_type(j) != GH_JSON_OBJECT)
		return fail(-EINVAL, err, errlen, "the request body is not a JSON object");
	for (size_t i = 0; i < gh_json_len(j); i++) {
		bool ok = false;

		for (size_t k = 0; known[k]; k++)
			ok = ok || !strcmp(gh_json_key_at(j, i), known[k]);
		if (!ok)
			return fail(-EINVAL, err, errlen, "unknown request field \"%s\" (known: "
				    "gadget, args, params, filters, output, timeout, script)",
				    gh_json_key_at(j, i));
	}
	if (gh_json_type(gadget) != GH_JSON_STRING || !gh_json_str_len(gadget) ||
	    strlen(gh_json_str(gadget)) != gh_json_str_len(gadget))
		return fail(-EINVAL, err, errlen, "\"gadget\": a gadget name is required "
			    "(e.g. \"trace/exec.lua\")");
	r->gadget = strdup(gh_json_str(gadget));
	if (!r->gadget)
		return -ENOMEM;
	if (script) {
		const char *base = strrchr(r->gadget, '/');

		if (!allow_inline)
			return fail(-EPERM, err, errlen, "inline Lua is not allowed by this daemon "
				    "(start it with --allow-inline-lua)");
		if (gh_json_type(script) != GH_JSON_STRING)
			return fail(-EINVAL, err, errlen, "\"script\": Lua source text expected");
		base = base ? base + 1 : r->gadget;
		if (!*base || base[0] == '.' || strlen(base) < 5 ||
		    strcmp(base + strlen(base) - 4, ".lua"))
			return fail(-EINVAL, err, errlen, "\"gadget\": an inline script needs a "
				    "file name ending in .lua, not \"%s\"", r->gadget);
		r->script_len = gh_json_str_len(script);
		r->script = malloc(r->script_len + 1);
		if (!r->script)
			return -ENOMEM;
		memcpy(r->script, gh_json_str(script), r->script_len + 1);
		ret = push_str(r, base);
	} else {
		char *path = gh_run_request_resolve(r->gadget);

		if (!path)
			return fail(-EPERM, err, errlen, "gadget \"%s\" is not installed on this "
				    "node (remote runs take gadget names from the search path: "
				    "gadgethost list)", r->gadget);
		ret = push_str(r, path);
		free(path);
	}
	if (!ret) {
		const char *o = output ? scalar_text(output, tmp, sizeof(tmp)) : "json";

		if (!o)
			return fail(-EINVAL, err, errlen, "\"output\": a format name expected");
		ret = push_str(r, "-o");
		if (!ret)
			ret = push_str(r, o);
	}
	if (args && gh_json_type(args) != GH_JSON_ARRAY)
		return fail(-EINVAL, err, errlen, "\"args\": a list of strings expected");
	for (size_t i = 0; !ret && i < gh_json_len(args); i++) {
		const struct gh_json *a = gh_json_at(args, i);

		if (gh_json_type(a) != GH_JSON_STRING ||
		    strlen(gh_json_str(a)) != gh_json_str_len(a))
			return fail(-EINVAL, err, errlen, "\"args\"[%zu]: a string expected", i);
		if (refused(gh_json_str(a)))
			return fail(-EPERM, err, errlen, "\"args\": %s names a file on the node: "
				    "not allowed remotely", gh_json_str(a));
		ret = push_str(r, gh_json_str(a));
	}
	if (params && gh_json_type(params) != GH_JSON_OBJECT)
		return fail(-EINVAL, err, errlen, "\"params\": an object of KEY: VALUE expected");
	for (size_t i = 0; !ret && i < gh_json_len(params); i++) {
		const char *key = gh_json_key_at(params, i);
		const char *val = scalar_text(gh_json_at(params, i), tmp, sizeof(tmp));
		char opt[512];
		int n;

		if (!param_key_ok(key) || !val)
			return fail(-EINVAL, err, errlen, "\"params\": \"%s\" needs a name of letters, "
				    "digits, - _ . and a string, number or bool value", key);
		n = snprintf(opt, sizeof(opt), "--%s=%s", key, val);
		if (n >= (int)sizeof(opt))
			return fail(-EINVAL, err, errlen, "\"params\": \"%s\" is too long", key);
		if (refused(opt))
			return fail(-EPERM, err, errlen, "\"params\": --%s names a file on the node: "
				    "not allowed remotely", key);
		ret = push_str(r, opt);
	}
	if (filters && gh_json_type(filters) != GH_JSON_ARRAY)
		return fail(-EINVAL, err, errlen, "\"filters\": a list of strings expected");
	for (size_t i = 0; !ret && i < gh_json_len(filters); i++) {
		const char *f = gh_json_str(gh_json_at(filters, i));

		if (!f)
			return fail(-EINVAL, err, errlen, "\"filters\"[%zu]: a string expected", i);
		ret = push_str(r, "-F");
		if (!ret)
			ret = push_str(r, f);
	}
	if (!ret && timeout) {
		const char *t = scalar_text(timeout, tmp, sizeof(tmp));

		if (!t || gh_json_type(timeout) == GH_JSON_BOOL)
			return fail(-EINVAL, err, errlen, "\"timeout\": seconds expected");
		ret = push_str(r, "--timeout");
		if (!ret)
			ret = push_str(r, t);
	}
	if (ret == -E2BIG)
		return fail(-EINVAL, err, errlen, "more than %d arguments", MAX_ARGS - 8);
	return ret;
}

int gh_run_request_parse(const char *body, size_t len, bool allow_inline,
			 struct gh_run_request *out, char *err, size_t errlen)
{
	struct gh_json *j = NULL;
	char jerr[256];
	int ret;

	memset(out, 0, sizeof(*out));
	ret = gh_json_parse(body, len, &j, jerr, sizeof(jerr));
	if (ret == -ENOMEM)
		return ret;
	if (ret)
		return fail(-EINVAL, err, errlen, "the request body is not JSON: %s", jerr);
	out->argv = calloc(MAX_ARGS, sizeof(*out->argv));
	ret = out->argv ? build(out, j, allow_inline, err, errlen) : -ENOMEM;
	gh_json_free(j);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (ret)
		gh_run_request_free(out);
	return ret;
}

void gh_run_request_free(struct gh_run_request *r)
{
	for (size_t i = 0; r->argv && i < r->argc; i++)
		free(r->argv[i]);
	free(r->argv);
	free(r->gadget);
	free(r->script);
	memset(r, 0, sizeof(*r));
}
