/* fuzz_run_request.c - libFuzzer target: a remote run request (the body of
 * POST /v1/runs) into the child's argv, run_request.c with run's option
 * table.  The first byte chooses the daemon's policy (bit 0: inline Lua
 * allowed, bit 1: no Lua time limit, bit 2: gadget images allowed under
 * reg.example/team/), the rest is the body.
 *
 * Besides memory errors, what must hold for every input that is taken:
 * the gadget comes first and every other argument is one --NAME[=VALUE]
 * (no value stands alone, so none can be read as an option); that argv,
 * read back by the run's own parser, builds the very same argv; no option
 * the policy refuses a client is in it but the daemon's own (--lua-sandbox:
 * all for an inline script, layers otherwise; the image settings, for a
 * run by reference only, and only the daemon's values), and no limit above
 * the daemon's or removed where the daemon has one.  And every refusal says
 * why in one line. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/run_request.h"
#include "run/run_options.h"

/* An image setting: only in a run by reference, only the daemon's value. */
static int daemons_image_value(const struct gh_run_request *r,
			       const struct gh_run_remote_policy *p, const struct gh_run_option *o,
			       const char *text)
{
	if (!r->image || !p->image)
		return 0;
	if (!strcmp(o->name, "--image-store"))
		return !strcmp(text, p->image->store);
	if (!strcmp(o->name, "--verify-key"))
		return !strcmp(text, p->image->verify_keys[0]);
	if (!strcmp(o->name, "--allowed-gadgets"))
		return !strcmp(text, p->image->allowed[0]);
	return 0;
}

/* What the daemon lets through, option by option, as the child reads it. */
static int allowed(void *ctx, const struct gh_run_option *o, const char *text)
{
	const struct gh_run_request *r = ((const void **)ctx)[0];
	const struct gh_run_remote_policy *p = ((const void **)ctx)[1];
	const struct gh_run_config *c = ((const void **)ctx)[2];
	uint64_t max, v;

	switch (o->remote) {
	case GH_RUN_REMOTE_YES:
		return 0;
	case GH_RUN_REMOTE_INLINE:
		return p->allow_inline_lua ? 0 : -1;
	case GH_RUN_REMOTE_LIMIT:
		memcpy(&max, (const char *)p + o->policy_max, sizeof(max));
		if (o->type == GH_RUN_SIZE)
			v = *(const size_t *)((const char *)c + o->to[0]);
		else
			v = *(const uint64_t *)((const char *)c + o->to[0]);
		return (max && (!v || v > max)) ? -1 : 0;
	case GH_RUN_REMOTE_NO:
	case GH_RUN_REMOTE_CLIENT:
		if (gh_run_option_is_image(o))
			return daemons_image_value(r, p, o, text) ? 0 : -1;
		if (!strcmp(o->name, "--lua-sandbox"))
			return strcmp(text, r->script ? "all" : "layers") ? -1 : 0;
		return -1;
	}
	return -1;
}

static void check_argv(const struct gh_run_request *r, const struct gh_run_remote_policy *p)
{
	struct gh_run_config c;
	struct gh_run_argv again = {0};
	const void *ctx[3] = {r, p, &c};
	char err[512];

	if (!r->argv || !r->argv[0] || r->argc < 1 || r->argv[r->argc] || !r->argv[0][0] ||
	    r->argv[0][0] == '-')
		__builtin_trap();

	for (size_t i = 1; i < r->argc; i++)
		if (strncmp(r->argv[i], "--", 2))
			__builtin_trap(); /* a value standing alone */
	/* the child reads it back: the same options, the same argv */
	gh_run_config_init(&c);
	c.gadget = r->argv[0];
	if (gh_run_config_parse(&c, (int)r->argc - 1, r->argv + 1, err, sizeof(err)) ||
	    gh_run_config_take_words(&c, NULL, NULL, err, sizeof(err)) ||
	    gh_run_config_argv(&c, &again))
		__builtin_trap();
	for (size_t i = 0; i < gh_run_n_options; i++)
		if (gh_run_config_each_value(&c, &gh_run_options[i], allowed, ctx))
			__builtin_trap(); /* an option the daemon must not let through */
	if (!c.given[gh_run_option_index(gh_run_option_find("--lua-sandbox"))])
		__builtin_trap();
	if (again.n != r->argc)
		__builtin_trap();
	for (size_t i = 0; i < again.n; i++)
		if (strcmp(again.v[i], r->argv[i]))
			__builtin_trap();
	gh_run_argv_free(&again);
	gh_run_config_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gh_run_remote_policy p = {.max_lua_memory = 64 << 20,
					 .max_lua_instructions = 10000000,
					 .max_lua_time_ms = 5000};
	static const char *keys[] = {"/etc/gadgethost/keys/team.pub", NULL};
	static const char *allow[] = {"reg.example/team/*", NULL};
	static const struct gh_image_opts image = {
		.store = "/var/lib/gadgethost/images", .verify_keys = keys, .n_verify_keys = 1,
		.allowed = allow, .n_allowed = 1};
	struct gh_run_request r;
	char err[512];
	int ret;

	if (!size)
		return 0;
	if (data[0] & 4)
		p.image = &image;
	p.allow_inline_lua = data[0] & 1;
	if (data[0] & 2)
		p.max_lua_time_ms = 0; /* a daemon without a time limit */
	err[0] = '\0';
	ret = gh_run_request_parse((const char *)data + 1, size - 1, &p, &r, err, sizeof(err));
	if (ret == 0) {
		check_argv(&r, &p);
		gh_run_request_free(&r);
	} else if (ret != -EINVAL && ret != -EPERM && ret != -ENOMEM) {
		__builtin_trap();
	} else if (!err[0] || strchr(err, '\n')) {
		__builtin_trap(); /* every refusal says why, in one line */
	}
	return 0;
}
