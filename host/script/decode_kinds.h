/* decode_kinds.h - the decoders a script can declare (decode_fields.h). */
#ifndef GH_DECODE_KINDS_H
#define GH_DECODE_KINDS_H

#include <stdbool.h>
#include <stdint.h>

#include "schema/field.h"

#define GH_DECODE_INPUTS_MAX 8

struct gh_decode_kind {
	const char *name;
	/* the members it reads, NULL terminated; inputs[0] is required */
	const char *const *inputs;
	/* the values it gives, NULL terminated, with their types */
	const char *const *values;
	const char *const *types;
	size_t state_size; /* zeroed at first, kept across events */
	void (*free_state)(void *st);
	/* decode ev: in[i] is the field of inputs[i], or -1 */
	void (*decode)(void *st, const struct gh_schema *s, const int *in,
		       const struct gh_event *ev);
	/* value `which` (an index of values) of the last decoded event */
	int (*value)(void *st, const struct gh_schema *s, const int *in, int which,
		     const struct gh_event *ev, struct gh_value *v);
};

extern const struct gh_decode_kind gh_decode_dns;
extern const struct gh_decode_kind gh_decode_tls;

/* The bytes of member idx in ev (as many as the record holds). */
const uint8_t *gh_decode_bytes(const struct gh_schema *s, int idx, const struct gh_event *ev,
			       uint32_t *len);
/* An integer or bool member's value; 0 when absent. */
uint64_t gh_decode_uint(const struct gh_schema *s, int idx, const struct gh_event *ev);

#endif
