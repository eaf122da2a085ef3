/* btf_schema.h - event layouts and gadget metadata from an object's BTF. */
#ifndef GH_BTF_SCHEMA_H
#define GH_BTF_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "schema/field.h"

struct btf;

/* A GADGET_TRACER(name, map, struct) declaration found in the BTF. */
struct gh_btf_tracer {
	char *name;
	char *map_name;
	__u32 struct_id;
};

/* Build the schema of the struct with BTF id struct_id.  On error returns
 * -errno with a one-line reason (naming the member) in err. */
int gh_btf_schema(const struct btf *btf, __u32 struct_id, struct gh_schema *s, char *err,
		  size_t errlen);
int gh_btf_find_struct(const struct btf *btf, const char *name, __u32 *struct_id);
/* All tracers the object declares (possibly none). */
int gh_btf_find_tracers(const struct btf *btf, struct gh_btf_tracer **out, size_t *n_out);
/* Every variable prefix<name>___<second> pointing at a struct: the SDK's
 * declarations (GADGET_MAPITER, GADGET_SNAPSHOTTER), as tracers: second
 * goes in map_name. */
int gh_btf_find_declared(const struct btf *btf, const char *prefix, struct gh_btf_tracer **out,
			 size_t *n_out);
void gh_btf_tracers_free(struct gh_btf_tracer *list, size_t n);
/* Offset and size of global variable name in data section datasec
 * (".rodata", ".bss", ...); -ENOENT when there is none. */
int gh_btf_find_var(const struct btf *btf, const char *datasec, const char *name,
		    uint32_t *offset, uint32_t *size, __u32 *type_id);

#endif
