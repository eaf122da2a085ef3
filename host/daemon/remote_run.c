/* remote_run.c - run requests for a daemon, from run's command line. */
#include "daemon/remote_run.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/read_file.h"
#include "base/write_file.h"
#include "output/out.h"

#define MAX_INLINE (1 << 20)

static int put_str(struct gh_buf *b, const char *s)
{
	return gh_json_put_string(b, s, strlen(s));
}

static bool is_local_path(const char *name)
{
	return name[0] == '/' || !strncmp(name, "./", 2) || !strncmp(name, "../", 3);
}

int gh_remote_run_parse(struct gh_run_config *c, int argc, char **argv, char *err,
			size_t errlen)
{
	int ret = gh_run_config_parse(c, argc, argv, err, errlen);

	if (!ret)
		ret = gh_run_config_take_words(c, NULL, NULL, err, errlen);
	if (!ret && !c->gadget)
		ret = gh_err(err, errlen, -EINVAL, "run: which gadget? (e.g. trace/exec.lua; "
			     "gadgethost --remote URL list shows the daemon's)");
	return ret;
}

/* One option's values into "options": "NAME":true, "NAME":"V" or
 * "NAME":["V",...] (repeatable options always a list). */
struct option_writer {
	struct gh_buf *b;
	bool first_value;
};

static int put_value(void *ctx, const struct gh_run_option *o, const char *text)
{
	struct option_writer *w = ctx;
	bool list = o->type == GH_RUN_LIST || o->type == GH_RUN_MNTNS;
	int ret = gh_buf_puts(w->b, list && !w->first_value ? "," : "");

	w->first_value = false;
	if (!ret)
		ret = text ? put_str(w->b, text) : gh_buf_puts(w->b, "true");
	return ret;
}

static int put_options(struct gh_buf *b, const struct gh_run_config *c, char *err,
		       size_t errlen)
{
	bool first = true;
	int ret = gh_buf_puts(b, ",\"options\":{");

	for (size_t i = 0; !ret && i < gh_run_n_options; i++) {
		const struct gh_run_option *o = &gh_run_options[i];
		struct option_writer w = {b, true};
		bool list = o->type == GH_RUN_LIST || o->type == GH_RUN_MNTNS;

		/* -o is "output"; the client's own are not sent; layers below */
		if (!c->given[i] || !strcmp(o->name, "--output") || o->type == GH_RUN_LAYER ||
		    o->remote == GH_RUN_REMOTE_CLIENT)
			continue;
		ret = gh_buf_printf(b, "%s\"%s\":%s", first ? "" : ",", o->name + 2, list ? "[" : "");
		if (!ret)
			ret = gh_run_config_each_value(c, o, put_value, &w);
		if (!ret && list)
			ret = gh_buf_putc(b, ']');
		first = false;
	}
	/* the layers in their order, a --lua-file's as its code */
	if (!ret && c->lua.n_layers)
		ret = gh_buf_puts(b, first ? "\"lua\":[" : ",\"lua\":[");
	for (size_t i = 0; !ret && i < c->lua.n_layers; i++) {
		const struct gh_lua_layer *l = &c->layers[i];
		char *text = NULL;
		size_t len = 0;

		if (l->file && (ret = gh_read_file(l->file, MAX_INLINE, &text, &len)))
			return gh_err(err, errlen, ret, "--lua-file %s: %s", l->file, strerror(-ret));
		ret = gh_buf_puts(b, i ? "," : "");
		if (!ret)
			ret = l->file ? gh_json_put_string(b, text, len) : put_str(b, l->code);
		free(text);
	}
	if (!ret && c->lua.n_layers)
		ret = gh_buf_putc(b, ']');
	return ret ? ret : gh_buf_putc(b, '}');
}

static int put_params(struct gh_buf *b, const struct gh_run_config *c)
{
	int ret = gh_buf_puts(b, ",\"params\":{");

	for (size_t i = 0; !ret && i < c->n_params; i++) {
		ret = gh_buf_puts(b, i ? "," : "");
		if (!ret)
			ret = put_str(b, c->params[i].key);
		if (!ret)
			ret = gh_buf_putc(b, ':');
		if (!ret)
			ret = c->params[i].value ? put_str(b, c->params[i].value)
						 : gh_buf_puts(b, "null");
	}
	return ret ? ret : gh_buf_putc(b, '}');
}

/* --name and --keep go with --detach, which needs a name */
static int check_instance(const struct gh_run_config *c, char *err, size_t errlen)
{
	if (c->instance.detach && !c->instance.name)
		return gh_err(err, errlen, -EINVAL, "--detach needs --name NAME: the instance's "
			      "name on the daemon");
	if (!c->instance.detach && (c->instance.name || c->instance.keep_given ||
				    c->instance.remote || c->instance.rotate))
		return gh_err(err, errlen, -EINVAL, "--%s: only with --detach",
			      c->instance.name ? "name" : c->instance.remote ? "remote" :
			      c->instance.rotate ? "rotate" : "keep");
	return 0;
}

/* an instance's own fields: "name", "keep", "rotate" */
static int put_instance(struct gh_buf *b, const struct gh_run_config *c)
{
	int ret = gh_buf_puts(b, ",\"name\":");

	ret = ret ? ret : put_str(b, c->instance.name);
	if (!ret && c->instance.keep_given)
		ret = gh_buf_printf(b, ",\"keep\":%u", c->instance.keep);
	if (!ret && c->instance.rotate) {
		ret = gh_buf_puts(b, ",\"rotate\":");
		ret = ret ? ret : put_str(b, c->instance.rotate);
	}
	return ret;
}

int gh_remote_run_body(int argc, char **argv, struct gh_buf *body, const char **ready_file,
		       char *err, size_t errlen)
{
	struct gh_run_config c;
	char *script = NULL;
	size_t script_len = 0;
	const char *base;
	int ret;

	gh_run_config_init(&c);
	*ready_file = NULL;
	ret = gh_remote_run_parse(&c, argc, argv, err, errlen);
	if (!ret && is_local_path(c.gadget)) {
		ret = gh_read_file(c.gadget, MAX_INLINE, &script, &script_len);
		if (ret)
			gh_err(err, errlen, ret, "%s: %s", c.gadget, strerror(-ret));
	}
	if (ret) {
		gh_run_config_free(&c);
		return ret;
	}
	*ready_file = c.run.ready_file;
	ret = check_instance(&c, err, errlen);
	if (ret) {
		free(script);
		gh_run_config_free(&c);
		return ret;
	}
	base = strrchr(c.gadget, '/');
	ret = gh_buf_puts(body, "{\"gadget\":");
	if (!ret)
		ret = put_str(body, script && base ? base + 1 : c.gadget);
	if (!ret)
		ret = gh_buf_puts(body, ",\"output\":");
	if (!ret)
		ret = put_str(body, c.output ? c.output : c.instance.detach ? "json" : "columns");
	if (!ret)
		ret = put_options(body, &c, err, errlen);
	if (!ret)
		ret = put_params(body, &c);
	if (!ret && c.instance.detach)
		ret = put_instance(body, &c);
	if (!ret && script) {
		ret = gh_buf_puts(body, ",\"script\":");
		if (!ret)
			ret = gh_json_put_string(body, script, script_len);
	}
	if (!ret)
		ret = gh_buf_putc(body, '}');
	if (ret == -ENOMEM)
		gh_err(err, errlen, ret, "out of memory");
	free(script);
	gh_run_config_free(&c);
	return ret;
}

int gh_remote_run_ready(const char *path, char *err, size_t errlen)
{
	int ret = gh_write_ready_file(path);

	if (ret)
		return gh_err(err, errlen, ret, "--ready-file %s: %s", path, strerror(-ret));
	return 0;
}

int gh_remote_run_stop(const char *url, const char *token, const struct gh_remote *r,
		       char *err, size_t errlen)
{
	char path[64];
	int status;

	if (!r->run_id)
		return -ENOENT;
	snprintf(path, sizeof(path), "/v1/runs/%" PRIu64, r->run_id);
	status = gh_remote_simple(url, token, "DELETE", path, NULL, err, errlen);
	if (status < 0)
		return status;
	return status == 204 ? 0 : -ESRCH;
}
