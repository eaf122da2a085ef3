/* run_request.c - a remote run request (JSON) into a checked argv. */
#include "daemon/run_request.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/text.h"
#include "base/json.h"
#include "base/search_path.h"
#include "image/allowlist.h"
#include "image/reference.h"

#define MAX_ROOTS 32

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
		/* "trace/exec" is trace/exec.lua, as on the command line */
		if (!realpath(joined, real) &&
		    (snprintf(joined, sizeof(joined), "%s/%s.lua", root, name) >= (int)sizeof(joined) ||
		     !realpath(joined, real)))
			continue;
		rlen = strlen(root);
		if (!strncmp(real, root, rlen) && real[rlen] == '/')
			return strdup(real);
	}
	return NULL;
}

/* A JSON string (without NUL), number or bool as option text; tmp holds
 * a number's. */
static const char *scalar_text(const struct gh_json *v, char *tmp, size_t len)
{
	int64_t i;

	switch (gh_json_type(v)) {
	case GH_JSON_STRING:
		return strlen(gh_json_str(v)) == gh_json_str_len(v) ? gh_json_str(v) : NULL;
	case GH_JSON_BOOL:
		return gh_json_bool(v) ? "true" : "false";
	case GH_JSON_NUMBER:
		if (!gh_json_int(v, &i))
			snprintf(tmp, len, "%" PRId64, i);
		else
			snprintf(tmp, len, "%.17g", gh_json_double(v));
		return tmp;
	default:
		return NULL;
	}
}

/* One option from a JSON value: true sets a flag (false: not given), a
 * scalar gives the value, a list one value per element.  The policy is
 * asked first: a refused option is 403 whatever its value. */
static int set_from_json(struct gh_run_config *c, const struct gh_run_option *o,
			 const char *field, const struct gh_json *v, char *err, size_t errlen)
{
	enum gh_json_type t = gh_json_type(v);
	bool list = o->type == GH_RUN_LIST || o->type == GH_RUN_MNTNS || o->type == GH_RUN_LAYER;
	int ret = gh_run_config_allowed(c, o, o->name, err, errlen);
	char tmp[64];
	const char *text;

	if (ret)
		return ret;
	if (t == GH_JSON_ARRAY && list) {
		for (size_t i = 0; i < gh_json_len(v) && !ret; i++) {
			const struct gh_json *e = gh_json_at(v, i);

			if (gh_json_type(e) != GH_JSON_STRING && gh_json_type(e) != GH_JSON_NUMBER)
				return gh_err(err, errlen, -EINVAL, "\"%s\": %s[%zu]: a string "
					      "expected", field, o->name + 2, i);
			ret = set_from_json(c, o, field, e, err, errlen);
		}
		return ret;
	}
	if (o->type == GH_RUN_FLAG && t == GH_JSON_BOOL)
		return gh_json_bool(v) ? gh_run_config_set(c, o, o->name, NULL, err, errlen) : 0;
	text = t == GH_JSON_BOOL ? NULL : scalar_text(v, tmp, sizeof(tmp));
	if (!text || o->type == GH_RUN_FLAG)
		return gh_err(err, errlen, -EINVAL, "\"%s\": %s: %s expected", field, o->name + 2,
			      o->type == GH_RUN_FLAG ? "true" : list ? "a string or a list of them"
			      : "a string or a number");
	text = gh_run_config_keep(c, text);
	if (!text)
		return -ENOMEM;
	return gh_run_config_set(c, o, o->name, text, err, errlen);
}

/* The option whose long name is --key, or NULL. */
static const struct gh_run_option *option_by_key(const char *key)
{
	char name[64];

	if (key[0] == '-' || snprintf(name, sizeof(name), "--%s", key) >= (int)sizeof(name))
		return NULL;
	return gh_run_option_find(name);
}

/* "options": {NAME: VALUE} by long name */
static int set_options(struct gh_run_config *c, const struct gh_json *opts, char *err,
		       size_t errlen)
{
	if (gh_json_type(opts) != GH_JSON_OBJECT)
		return gh_err(err, errlen, -EINVAL, "\"options\": an object of NAME: VALUE expected");
	for (size_t i = 0; i < gh_json_len(opts); i++) {
		const char *key = gh_json_key_at(opts, i);
		const struct gh_run_option *o = option_by_key(key);
		int ret;

		if (!o)
			return gh_err(err, errlen, -EINVAL, "\"options\": unknown option \"%.64s\" "
				      "(the long names of run's options, without --)", key);
		ret = set_from_json(c, o, "options", gh_json_at(opts, i), err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/* "params": {KEY: VALUE}; a KEY that is one of run's options is that
 * option (as --KEY=VALUE is on a command line), policy and all. */
static int set_params(struct gh_run_config *c, const struct gh_json *params, char *err,
		      size_t errlen)
{
	if (gh_json_type(params) != GH_JSON_OBJECT)
		return gh_err(err, errlen, -EINVAL, "\"params\": an object of KEY: VALUE expected");
	for (size_t i = 0; i < gh_json_len(params); i++) {
		const char *key = gh_json_key_at(params, i);
		const struct gh_json *v = gh_json_at(params, i);
		bool null = gh_json_type(v) == GH_JSON_NULL;
		const struct gh_run_option *o = option_by_key(key);
		char tmp[64];
		const char *val = scalar_text(v, tmp, sizeof(tmp));
		int ret;

		if (o && null)
			ret = gh_run_config_set(c, o, o->name, NULL, err, errlen);
		else if (o)
			ret = set_from_json(c, o, "params", v, err, errlen);
		else if (!val && !null)
			ret = gh_err(err, errlen, -EINVAL, "\"params\": \"%.64s\" needs a string, "
				     "number, bool or null value", key);
		else if (val && !(val = gh_run_config_keep(c, val)))
			ret = -ENOMEM;
		else if ((ret = gh_run_config_add_param(c, key, val, NULL, 0)) == -EINVAL)
			ret = gh_err(err, errlen, -EINVAL, "\"params\": \"%.64s\" is not a param name "
				     "(letters, digits, - _ .)", key);
		if (ret)
			return ret;
	}
	return 0;
}

/* "args": run's options as on a command line, read by the same table;
 * a word may only be the value of a bare --KEY. */
static int set_args(struct gh_run_config *c, const struct gh_json *args, char *err,
		    size_t errlen)
{
	size_t n = gh_json_len(args);
	char **argv;
	int ret;

	if (gh_json_type(args) != GH_JSON_ARRAY)
		return gh_err(err, errlen, -EINVAL, "\"args\": a list of strings expected");
	if (n > GH_RUN_REQUEST_MAX_ARGS)
		return gh_err(err, errlen, -EINVAL, "\"args\": more than %d", GH_RUN_REQUEST_MAX_ARGS);
	argv = calloc(n + 1, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct gh_json *a = gh_json_at(args, i);

		argv[i] = (char *)gh_json_str(a);
		if (!argv[i] || strlen(argv[i]) != gh_json_str_len(a)) {
			free(argv);
			return gh_err(err, errlen, -EINVAL, "\"args\"[%zu]: a string expected", i);
		}
	}
	ret = gh_run_config_parse(c, (int)n, argv, err, errlen);
	free(argv);
	return ret;
}

/* A gadget image: only on a daemon with an allowlist, only a reference
 * it allows (by name here; by digest too in the run, once resolved).
 * argv[0] is the reference in full, the default registry applied. */
static int set_image(struct gh_run_request *r, const struct gh_run_remote_policy *policy,
		     char *err, size_t errlen)
{
	const struct gh_image_opts *o = policy->image;
	struct gh_allowlist list = {o ? o->allowed : NULL, o ? o->n_allowed : 0};
	struct gh_image_ref ref;
	char full[GH_REF_MAX * 3];
	int ret;

	if (!list.n)
		return gh_err(err, errlen, -EPERM, "gadget images are not allowed by this daemon "
			      "(start it with --allowed-gadgets)");
	ret = gh_image_ref_parse(r->gadget, o->default_registry, &ref, err, errlen);
	if (ret)
		return ret;
	gh_image_ref_format(&ref, full, sizeof(full));
	if (gh_allowlist_judge(&list, &ref, NULL) == GH_ALLOW_NO)
		return gh_err(err, errlen, -EPERM, "%s is not allowed on this node "
			      "(--allowed-gadgets): refused", full);
	r->image = true;
	r->argv[0] = strdup(full);
	return r->argv[0] ? 0 : -ENOMEM;
}

/* The gadget: an installed one, an image, or an inline script's name. */
static int set_gadget(struct gh_run_request *r, const struct gh_json *gadget,
		      const struct gh_json *script, const struct gh_run_remote_policy *policy,
		      char *err, size_t errlen)
{
	const char *base;

	if (gh_json_type(gadget) != GH_JSON_STRING || !gh_json_str_len(gadget) ||
	    strlen(gh_json_str(gadget)) != gh_json_str_len(gadget))
		return gh_err(err, errlen, -EINVAL, "\"gadget\": a gadget name is required "
			      "(e.g. \"trace/exec.lua\")");
	r->gadget = strdup(gh_json_str(gadget));
	if (!r->gadget)
		return -ENOMEM;
	if (!script && gh_image_ref_names_image(r->gadget))
		return set_image(r, policy, err, errlen);
	if (!script) {
		char *path = gh_run_request_resolve(r->gadget);

		if (!path)
			return gh_err(err, errlen, -EPERM, "gadget \"%.200s\" is not installed on this "
				      "node (remote runs take gadget names from the search path: "
				      "gadgethost list)", r->gadget);
		r->argv[0] = path;
		return 0;
	}
	if (!policy->allow_inline_lua)
		return gh_err(err, errlen, -EPERM, "inline Lua is not allowed by this daemon "
			      "(start it with --allow-inline-lua)");
	if (gh_json_type(script) != GH_JSON_STRING)
		return gh_err(err, errlen, -EINVAL, "\"script\": Lua source text expected");
	base = strrchr(r->gadget, '/');
	base = base ? base + 1 : r->gadget;
	if (!*base || base[0] == '.' || base[0] == '-' || strlen(base) < 5 ||
	    strcmp(base + strlen(base) - 4, ".lua"))
		return gh_err(err, errlen, -EINVAL, "\"gadget\": an inline script needs a file name "
			      "ending in .lua, not \"%.200s\"", r->gadget);
	r->script_len = gh_json_str_len(script);
	r->script = malloc(r->script_len + 1);
	if (!r->script)
		return -ENOMEM;
	memcpy(r->script, gh_json_str(script), r->script_len + 1);
	r->argv[0] = strdup(base);
	return r->argv[0] ? 0 : -ENOMEM;
}

/* A run by reference gets the daemon's image settings, each option as
 * the daemon was given it (the default registry is applied already). */
static int set_image_opts(struct gh_run_config *c, const struct gh_image_opts *o)
{
	const struct {
		const char *name;
		const char *value;
	} one[] = {
		{"--image-store", o->store},
		{"--verify", o->verify},
		{"--registry-ca", o->registry_ca},
		{"--registry-auth", o->registry_auth},
	};
	int ret = 0;

	for (size_t i = 0; !ret && i < sizeof(one) / sizeof(one[0]); i++)
		if (one[i].value)
			ret = gh_run_config_set(c, gh_run_option_find(one[i].name), one[i].name,
						one[i].value, NULL, 0);
	for (size_t i = 0; !ret && i < o->n_verify_keys; i++)
		ret = gh_run_config_set(c, gh_run_option_find("--verify-key"), "--verify-key",
					o->verify_keys[i], NULL, 0);
	for (size_t i = 0; !ret && i < o->n_allowed; i++)
		ret = gh_run_config_set(c, gh_run_option_find("--allowed-gadgets"),
					"--allowed-gadgets", o->allowed[i], NULL, 0);
	if (!ret && o->no_pull)
		ret = gh_run_config_set(c, gh_run_option_find("--no-pull"), "--no-pull", NULL, NULL,
					0);
	return ret;
}

/* What the daemon sets itself: its Lua limits where the client set none,
 * the sandbox for the Lua a client sent (script/lua_sandbox.h): every
 * layer, and the gadget's script when it came inline; and for a gadget
 * image, its image settings. */
static int set_daemons_own(struct gh_run_config *c, const struct gh_run_remote_policy *policy,
			   bool inline_script, bool image)
{
	const struct gh_run_remote_policy *keep = c->remote;
	int ret = gh_run_config_daemon_limits(c, policy);

	c->remote = NULL; /* the daemon's own, not the client's */
	if (!ret)
		ret = gh_run_config_set(c, gh_run_option_find("--lua-sandbox"), "--lua-sandbox",
					inline_script ? "all" : "layers", NULL, 0);
	if (!ret && image)
		ret = set_image_opts(c, policy->image);
	c->remote = keep;
	return ret;
}

static bool listed(const char *const *names, const char *key)
{
	for (size_t k = 0; names && names[k]; k++)
		if (!strcmp(key, names[k]))
			return true;
	return false;
}

static int build(struct gh_run_request *r, const struct gh_json *j, const char *const *also,
		 const struct gh_run_remote_policy *policy, struct gh_run_config *c, char *err,
		 size_t errlen)
{
	static const char *const known[] = {"gadget", "options", "params", "filters", "output",
					    "timeout", "args", "script", NULL};
	const struct gh_json *v;
	struct gh_run_argv argv = {0};
	int ret;

	if (gh_json_type(j) != GH_JSON_OBJECT)
		return gh_err(err, errlen, -EINVAL, "the request body is not a JSON object");
	for (size_t i = 0; i < gh_json_len(j); i++) {
		const char *key = gh_json_key_at(j, i);

		if (!listed(known, key) && !listed(also, key))
			return gh_err(err, errlen, -EINVAL, "unknown request field \"%.64s\" (known: "
				      "gadget, options, params, filters, output, timeout, args, "
				      "script%s)", key, also ? ", and an instance's" : "");
	}
	r->argv = calloc(2, sizeof(*r->argv));
	if (!r->argv)
		return -ENOMEM;
	ret = set_gadget(r, gh_json_get(j, "gadget"), gh_json_get(j, "script"), policy, err,
			 errlen);
	if (ret)
		return ret;
	r->argc = 1;
	c->gadget = r->argv[0]; /* so no word of "args" is taken for it */
	c->remote = policy;
	if ((v = gh_json_get(j, "args")))
		ret = set_args(c, v, err, errlen);
	if (!ret && (v = gh_json_get(j, "options")))
		ret = set_options(c, v, err, errlen);
	if (!ret && (v = gh_json_get(j, "params")))
		ret = set_params(c, v, err, errlen);
	if (!ret && (v = gh_json_get(j, "filters"))) {
		if (gh_json_type(v) != GH_JSON_ARRAY)
			return gh_err(err, errlen, -EINVAL, "\"filters\": a list of strings expected");
		ret = set_from_json(c, gh_run_option_find("--filter"), "filters", v, err, errlen);
	}
	if (!ret && (v = gh_json_get(j, "output")))
		ret = set_from_json(c, gh_run_option_find("--output"), "output", v, err, errlen);
	if (!ret && (v = gh_json_get(j, "timeout")))
		ret = gh_json_type(v) == GH_JSON_BOOL
			      ? gh_err(err, errlen, -EINVAL, "\"timeout\": seconds expected")
			      : set_from_json(c, gh_run_option_find("--timeout"), "timeout", v, err,
					      errlen);
	if (!ret)
		ret = gh_run_config_take_words(c, NULL, NULL, err, errlen);
	if (!ret && !c->output)
		ret = gh_run_config_set(c, gh_run_option_find("--output"), "--output", "json", err,
					errlen);
	if (!ret)
		ret = set_daemons_own(c, policy, r->script != NULL, r->image);
	if (ret)
		return ret;
	r->json = !strcmp(c->output, "json");
	/* the child's argv: from the config alone */
	ret = gh_run_config_argv(c, &argv);
	if (!ret && argv.n > GH_RUN_REQUEST_MAX_ARGS)
		ret = gh_err(err, errlen, -EINVAL, "more than %d arguments", GH_RUN_REQUEST_MAX_ARGS);
	for (size_t i = 0; !ret && i < argv.n; i++)
		if (strlen(argv.v[i]) > GH_RUN_REQUEST_MAX_ARG)
			ret = gh_err(err, errlen, -EINVAL, "an argument longer than %d bytes: "
				     "%.40s...", GH_RUN_REQUEST_MAX_ARG, argv.v[i]);
	if (ret) {
		gh_run_argv_free(&argv);
		return ret;
	}
	/* argv[0] is the gadget, as set above */
	free(argv.v[0]);
	argv.v[0] = r->argv[0];
	free(r->argv);
	r->argv = argv.v;
	r->argc = argv.n;
	return 0;
}

/* The messages quote what the client sent: keep the answer one line. */
static void one_line(char *err, size_t errlen)
{
	struct gh_buf b = GH_BUF_INIT;

	if (!errlen || gh_text_escape(&b, err, strlen(err)))
		return;
	snprintf(err, errlen, "%s", b.p);
	gh_buf_free(&b);
}

int gh_run_request_parse(const char *body, size_t len, const struct gh_run_remote_policy *policy,
			 struct gh_run_request *out, char *err, size_t errlen)
{
	struct gh_json *j = NULL;
	char jerr[256];
	int ret;

	memset(out, 0, sizeof(*out));
	ret = gh_json_parse(body, len, &j, jerr, sizeof(jerr));
	if (ret == -ENOMEM)
		return gh_err(err, errlen, ret, "out of memory");
	if (ret)
		return gh_err(err, errlen, -EINVAL, "the request body is not JSON: %s", jerr);
	ret = gh_run_request_from_json(j, NULL, policy, out, err, errlen);
	gh_json_free(j);
	return ret;
}

int gh_run_request_from_json(const struct gh_json *j, const char *const *also,
			     const struct gh_run_remote_policy *policy, struct gh_run_request *out,
			     char *err, size_t errlen)
{
	struct gh_run_config c;
	int ret;

	memset(out, 0, sizeof(*out));
	gh_run_config_init(&c);
	ret = build(out, j, also, policy, &c, err, errlen);
	gh_run_config_free(&c);
	if (ret == -ENOMEM)
		gh_err(err, errlen, ret, "out of memory");
	if (ret) {
		gh_run_request_free(out);
		one_line(err, errlen);
	}
	return ret;
}

void gh_run_request_free(struct gh_run_request *r)
{
	for (size_t i = 0; r->argv && r->argv[i]; i++)
		free(r->argv[i]);
	free(r->argv);
	free(r->gadget);
	free(r->script);
	memset(r, 0, sizeof(*r));
}
