/* gadget_spec.c - what a gadget's script declares (gadget_spec.h). */
#include "script/gadget_spec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/variants.h"

static void free_strings(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static void free_param(struct gh_param *p)
{
	free(p->key);
	free(p->global);
	free(p->type);
	free(p->def);
	free(p->description);
	free(p->value);
	free_strings(p->values, p->n_values);
}

void gh_gadget_spec_free(struct gh_gadget_spec *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_params; i++)
		free_param(&s->params[i]);
	free(s->params);
	free_strings(s->columns, s->n_columns);
	free_strings(s->optional_programs, s->n_optional_programs);
	free_strings(s->metrics, s->n_metrics);
	free_strings(s->sources, s->n_sources);
	gh_variants_free(s->variants);
	gh_packet_spec_free(&s->packet);
	free(s->name);
	free(s->description);
	free(s->object_name);
	free(s->tracer_name);
	free(s->map_name);
	free(s->struct_name);
	free(s->sort);
	memset(s, 0, sizeof(*s));
}

struct gh_param *gh_spec_param(struct gh_gadget_spec *s, const char *key)
{
	for (size_t i = 0; i < s->n_params; i++)
		if (!strcmp(s->params[i].key, key))
			return &s->params[i];
	return NULL;
}

int gh_spec_add_param(struct gh_gadget_spec *s, const char *key, const char *type,
		      const char *def, const char *description)
{
	struct gh_param *grown, *p;

	if (gh_spec_param(s, key))
		return 0; /* the script's own wins */
	grown = realloc(s->params, (s->n_params + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	s->params = grown;
	p = &grown[s->n_params++];
	memset(p, 0, sizeof(*p));
	p->key = strdup(key);
	p->type = strdup(type);
	p->def = strdup(def);
	p->description = strdup(description);
	return p->key && p->type && p->def && p->description ? 0 : -ENOMEM;
}

unsigned gh_spec_param_uint(struct gh_gadget_spec *s, const char *key, unsigned def)
{
	struct gh_param *p = gh_spec_param(s, key);
	const char *text = p ? (p->value ? p->value : p->def) : NULL;
	char *end;
	unsigned long v;

	if (!text)
		return def;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || *end || v > 1000000 || text[0] == '-')
		return (unsigned)-1;
	return (unsigned)v;
}
