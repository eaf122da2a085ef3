/* rec_schema.h - a hand-made event struct and its schema, as btf_schema.c
 * would build it, for the unit tests that feed hand-made events
 * (test_pipeline.c, test_metrics.c).  Include after cmocka.h. */
#ifndef GH_TEST_REC_SCHEMA_H
#define GH_TEST_REC_SCHEMA_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schema/field.h"

struct rec {
	uint32_t pid;
	char comm[16];
};

/* a schema as btf_schema.c would build it for struct rec */
static void make_schema(struct gh_schema *s)
{
	memset(s, 0, sizeof(*s));
	s->struct_name = strdup("rec");
	s->struct_size = sizeof(struct rec);
	s->mntns_field = -1;
	s->fields = calloc(2, sizeof(*s->fields));
	assert_non_null(s->fields);
	s->fields[0] = (struct gh_field){.name = strdup("pid"), .kind = GH_KIND_UINT,
					 .offset = offsetof(struct rec, pid), .size = 4,
					 .map_source = -1, .lua_format_ref = -1};
	s->fields[1] = (struct gh_field){.name = strdup("comm"), .kind = GH_KIND_STRING,
					 .offset = offsetof(struct rec, comm), .size = 16,
					 .map_source = -1, .lua_format_ref = -1};
	s->n_fields = 2;
}

#endif
