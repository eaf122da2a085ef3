/* decode_fields.c - fields a C decoder computes (decode_fields.h). */
#include "script/decode_fields.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "base/err.h"
#include "script/decode_kinds.h"

#define DECODERS_MAX 4
#define VALUES_PER 256 /* source_attr: decoder * VALUES_PER + value */

static const struct gh_decode_kind *const kinds[] = {&gh_decode_dns, &gh_decode_tls};

struct decoder {
	const struct gh_decode_kind *kind;
	int in[GH_DECODE_INPUTS_MAX];
	void *state;
	/* the record last decoded: a read of the same bytes reuses it */
	uint8_t *seen;
	uint32_t seen_len;
	size_t seen_cap;
	bool valid;
};

struct gh_decoders {
	struct decoder d[DECODERS_MAX];
	size_t n;
	uint64_t runs; /* records decoded */
};

static const struct gh_decode_kind *kind_named(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i]->name) == len && !strncmp(kinds[i]->name, name, len))
			return kinds[i];
	return NULL;
}

/* Decode ev into d unless d holds this very record already. */
static int decode(struct gh_decoders *ds, struct decoder *d, const struct gh_schema *s,
		  const struct gh_event *ev)
{
	if (d->valid && d->seen_len == ev->len && !memcmp(d->seen, ev->data, ev->len))
		return 0;
	if (ev->len > d->seen_cap) {
		uint8_t *p = realloc(d->seen, ev->len);

		if (!p)
			return -ENOMEM;
		d->seen = p;
		d->seen_cap = ev->len;
	}
	memcpy(d->seen, ev->data, ev->len);
	d->seen_len = ev->len;
	d->kind->decode(d->state, s, d->in, ev);
	d->valid = true;
	ds->runs++;
	return 0;
}

static int field_value(void *ctx, const struct gh_schema *s, const struct gh_field *f,
		       const struct gh_event *ev, struct gh_value *v)
{
	struct gh_decoders *ds = ctx;
	struct decoder *d;
	/* the members as the record has them, not as an overlay says */
	struct gh_event raw = {.data = ev->data, .len = ev->len};
	int ret;

	v->type = GH_V_NULL;
	if (!ds || (size_t)(f->source_attr / VALUES_PER) >= ds->n)
		return 0;
	d = &ds->d[f->source_attr / VALUES_PER];
	ret = decode(ds, d, s, &raw);
	if (ret)
		return ret;
	return d->kind->value(d->state, s, d->in, f->source_attr % VALUES_PER, &raw, v);
}

static const struct gh_field_source_ops decoder_source = {
	.name = "decoders",
	.value = field_value,
};

/* decode.<kind> = { input = "member", ... } on top of L */
static int read_one(lua_State *L, struct gh_decoders *ds, struct gh_schema *s, const char *path,
		    const char *name, char *err, size_t errlen)
{
	const struct gh_decode_kind *k = kind_named(name, strlen(name));
	struct decoder *d = &ds->d[ds->n];

	if (!k)
		return gh_err(err, errlen, -EINVAL, "%s: decode.%s: no such decoder (dns, tls)",
			      path, name);
	if (!lua_istable(L, -1))
		return gh_err(err, errlen, -EINVAL, "%s: decode.%s must be a table", path, name);
	if (ds->n == DECODERS_MAX)
		return gh_err(err, errlen, -EINVAL, "%s: decode: at most %d decoders", path,
			      DECODERS_MAX);
	for (size_t i = 0; i < ds->n; i++)
		if (ds->d[i].kind == k)
			return gh_err(err, errlen, -EINVAL, "%s: decode.%s twice", path, name);
	for (size_t i = 0; k->inputs[i]; i++) {
		const char *member;

		d->in[i] = -1;
		if (lua_getfield(L, -1, k->inputs[i]) == LUA_TNIL) {
			lua_pop(L, 1);
			if (!i)
				return gh_err(err, errlen, -EINVAL, "%s: decode.%s.%s is required",
					      path, name, k->inputs[i]);
			continue;
		}
		member = lua_tostring(L, -1);
		d->in[i] = member && lua_type(L, -1) == LUA_TSTRING ? gh_schema_find(s, member)
								      : -1;
		lua_pop(L, 1);
		if (d->in[i] < 0 || s->fields[d->in[i]].kind == GH_KIND_VIRTUAL)
			return gh_err(err, errlen, -EINVAL, "%s: decode.%s.%s: \"%s\" is no member "
				      "of the event struct", path, name, k->inputs[i],
				      member ? member : "?");
		if (!i && (s->fields[d->in[i]].kind != GH_KIND_ARRAY ||
			   s->fields[d->in[i]].elem_size != 1))
			return gh_err(err, errlen, -EINVAL, "%s: decode.%s.%s: \"%s\" is not an "
				      "array of bytes", path, name, k->inputs[i], member);
	}
	/* a key the decoder does not read is a typo */
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		size_t i = 0;

		lua_pop(L, 1);
		while (key && k->inputs[i] && strcmp(k->inputs[i], key))
			i++;
		if (!key || !k->inputs[i]) {
			lua_pop(L, 1);
			return gh_err(err, errlen, -EINVAL, "%s: decode.%s: unknown key \"%s\"",
				      path, name, key ? key : "?");
		}
	}
	d->state = calloc(1, k->state_size);
	if (!d->state)
		return -ENOMEM;
	d->kind = k;
	ds->n++;
	return 0;
}

int gh_decoders_read(lua_State *L, int t, struct gh_schema *s, const char *path,
		     struct gh_decoders **out, char *err, size_t errlen)
{
	struct gh_decoders *ds;
	int ret = 0;

	*out = NULL;
	t = lua_absindex(L, t);
	if (lua_getfield(L, t, "decode") == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		return gh_err(err, errlen, -EINVAL, "%s: 'decode' must be a table", path);
	}
	ds = calloc(1, sizeof(*ds));
	if (!ds) {
		lua_pop(L, 1);
		return -ENOMEM;
	}
	lua_pushnil(L);
	while (!ret && lua_next(L, -2)) {
		if (lua_type(L, -2) != LUA_TSTRING)
			ret = gh_err(err, errlen, -EINVAL, "%s: decode: keys are decoder names",
				     path);
		else
			ret = read_one(L, ds, s, path, lua_tostring(L, -2), err, errlen);
		lua_pop(L, ret ? 2 : 1);
	}
	lua_pop(L, 1);
	if (!ret && ds->n) {
		ret = gh_schema_add_source(s, &decoder_source, ds);
		ret = ret < 0 ? gh_err(err, errlen, ret, "%s: decode: too many field sources", path)
			      : 0;
	}
	if (ret) {
		gh_decoders_free(ds);
		return ret;
	}
	*out = ds;
	return 0;
}

int gh_decoders_field(struct gh_decoders *ds, struct gh_schema *s, int idx, const char *from,
		      const char *path, char *err, size_t errlen)
{
	const char *dot = strchr(from, '.');
	struct gh_field *f = &s->fields[idx];
	size_t which = 0;
	int source;

	if (!ds || !dot)
		return 0;
	while (which < ds->n && (strlen(ds->d[which].kind->name) != (size_t)(dot - from) ||
				 strncmp(ds->d[which].kind->name, from, dot - from)))
		which++;
	if (which == ds->n)
		return 0;
	for (int i = 0; ds->d[which].kind->values[i]; i++) {
		if (strcmp(ds->d[which].kind->values[i], dot + 1))
			continue;
		if (f->kind != GH_KIND_VIRTUAL)
			return gh_err(err, errlen, -EINVAL, "%s: fields.%s: 'from' is for new "
				      "fields, but %s is in the event struct", path, f->name,
				      f->name);
		source = gh_schema_source_id(s, &decoder_source);
		f->source = source;
		f->source_attr = (int)which * VALUES_PER + i;
		if (!f->virtual_type) {
			f->virtual_type = strdup(ds->d[which].kind->types[i]);
			if (!f->virtual_type)
				return -ENOMEM;
		}
		return 1;
	}
	return gh_err(err, errlen, -EINVAL, "%s: fields.%s.from: decoder %s gives no \"%s\"",
		      path, f->name, ds->d[which].kind->name, dot + 1);
}

void gh_decoders_free(struct gh_decoders *ds)
{
	if (!ds)
		return;
	for (size_t i = 0; i < ds->n; i++) {
		if (ds->d[i].kind->free_state)
			ds->d[i].kind->free_state(ds->d[i].state);
		free(ds->d[i].state);
		free(ds->d[i].seen);
	}
	free(ds);
}

uint64_t gh_decoders_runs(const struct gh_schema *s)
{
	const struct gh_decoders *ds = gh_schema_source_ctx(s, &decoder_source);

	return ds ? ds->runs : 0;
}
