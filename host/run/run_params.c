/* run_params.c - a run's options against its gadget (run_params.h). */
#include "run/run_params.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/suggest.h"
#include "gadget/params.h"
#include "gadget/profile.h"
#include "output/out.h"

static bool allowed_value(const struct gh_param *p, const char *val)
{
	for (size_t i = 0; i < p->n_values; i++)
		if (!strcmp(p->values[i], val))
			return true;
	return false;
}

/* "tcp, udp, all" (cut past 200 bytes) */
static const char *values_text(const struct gh_param *p, char *text, size_t len)
{
	size_t at = 0;

	text[0] = '\0';
	for (size_t i = 0; i < p->n_values && at < 200 && at < len; i++)
		at += (size_t)snprintf(text + at, len - at, "%s%s", i ? ", " : "", p->values[i]);
	return text;
}

/* A param takes the word after its bare --KEY; a bool only a bool's
 * word (--ignore-errors false), so "--verbose-thing GADGET" keeps GADGET. */
static bool takes_value(void *ctx, const char *key, const char *word)
{
	struct gh_param *p = gh_gadget_param(ctx, key);

	return p && (strcmp(p->type, "bool") || gh_param_bool_word(word));
}

static int set_param(struct gh_gadget *g, const struct gh_run_param *rp, char *err,
		     size_t errlen)
{
	struct gh_param *p = gh_gadget_param(g, rp->key);
	const char *val = rp->value;
	char text[256];

	if (!val && strcmp(p->type, "bool"))
		return gh_err(err, errlen, -EINVAL, "--%s needs a value", rp->key);
	if (!val)
		val = "true";
	if (p->n_values && !allowed_value(p, val))
		return gh_err(err, errlen, -EINVAL, "--%s: \"%s\" is not one of: %s", rp->key, val,
			      values_text(p, text, sizeof(text)));
	if (p->has_min || p->has_max) {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(val, &end, 0);
		if (!errno && end != val && !*end) { /* else: gh_param_encode() says why */
			if (p->has_min && v < p->min)
				return gh_err(err, errlen, -ERANGE, "--%s: %s is below %lld, the "
					      "least it takes", rp->key, val, p->min);
			if (p->has_max && v > p->max)
				return gh_err(err, errlen, -ERANGE, "--%s: %s is above %lld, the "
					      "most it takes", rp->key, val, p->max);
		}
	}
	free(p->value);
	p->value = strdup(val);
	return p->value ? 0 : gh_err(err, errlen, -ENOMEM, "out of memory");
}

/* --KEY is neither run's option nor the gadget's param: say which one
 * was meant when one is a typo away (--hots: --host). */
static int unknown_param(const struct gh_gadget *g, const char *key, char *err, size_t errlen)
{
	struct gh_suggest s;

	gh_suggest_init(&s, key);
	for (size_t i = 0; i < g->spec.n_params; i++)
		gh_suggest_add(&s, g->spec.params[i].key);
	for (size_t i = 0; i < gh_run_n_options; i++)
		gh_suggest_add(&s, gh_run_options[i].name + 2);
	if (s.best)
		return gh_err(err, errlen, -EINVAL, "unknown option --%s for %s (did you mean "
			      "--%s?)", key, g->spec.name, s.best);
	return gh_err(err, errlen, -EINVAL, "unknown option --%s for %s (see: gadgethost info %s)",
		      key, g->spec.name, g->script_path);
}

int gh_run_config_bind(struct gh_run_config *c, struct gh_gadget *g, char *err, size_t errlen)
{
	int ret;

	c->profile = g->profile != NULL;
	if (c->output && gh_out_format_parse(c->output, &c->fmt) && !c->profile)
		return gh_err(err, errlen, -EINVAL, "-o: unknown output format \"%s\" (columns, "
			      "json, jsonpretty, yaml, pcapng)", c->output);
	if (c->fmt == GH_OUT_PCAPNG && !g->schema.packet.on)
		return gh_err(err, errlen, -EINVAL, "-o pcapng: the rows of %s are not packets (a "
			      "gadget's script declares them: its 'packet' table)", g->spec.name);
	if (c->pf && !g->schema.packet.on)
		return gh_err(err, errlen, -EINVAL, "--pf: the rows of %s are not packets (a "
			      "gadget's script declares them: its 'packet' table)", g->spec.name);
	for (size_t i = 0; i < c->n_params; i++)
		if (!gh_gadget_param(g, c->params[i].key))
			return unknown_param(g, c->params[i].key, err, errlen);
	ret = gh_run_config_take_words(c, takes_value, g, err, errlen);
	for (size_t i = 0; !ret && i < c->n_params; i++)
		ret = set_param(g, &c->params[i], err, errlen);
	if (!ret && g->profile)
		ret = gh_profile_check_output(g->profile, g->spec.name, c->output, err, errlen);
	return ret;
}

int gh_run_help(struct gh_buf *b, const struct gh_gadget *g)
{
	int ret = gh_buf_printf(b, "usage: gadgethost run %s [options]\n\n%s\n\n", g->spec.name,
				g->spec.description ? g->spec.description : "");

	if (!ret)
		ret = gh_run_options_help(b);
	if (!ret && g->spec.n_params)
		ret = gh_buf_puts(b, "\ngadget params:\n");
	for (size_t i = 0; !ret && i < g->spec.n_params; i++) {
		const struct gh_param *p = &g->spec.params[i];

		ret = gh_buf_printf(b, "  --%-20s %s (%s%s%s)\n", p->key,
				    p->description ? p->description : "", p->type,
				    p->def ? ", default " : "", p->def ? p->def : "");
	}
	return ret;
}
