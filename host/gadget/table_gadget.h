/* table_gadget.h - top and snapshot gadgets: a table of rows instead of a
 * stream of events.
 *
 *   top       GADGET_MAPITER(name, map): the eBPF side sums into a hash
 *             map keyed by a struct; every interval the host reads and
 *             empties it; a row is an entry, its key's members then its
 *             value's.  The object's iterator programs, if any, fill the
 *             map: each interval they are read to their end first.
 *   snapshot  GADGET_SNAPSHOTTER(name, struct, prog): BPF iterators write
 *             one struct per item (bpf_seq_write); a row is a record.
 *
 * A row is handed to the usual pipeline (-F, Lua filter/enrich, outputs)
 * as a gh_event whose bytes are the row, laid out as the schema says.
 */
#ifndef GH_TABLE_GADGET_H
#define GH_TABLE_GADGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "schema/field.h"

struct bpf_map;
struct bpf_object;
struct bpf_program;

enum gh_table_kind {
	GH_TABLE_TOP = 1,
	GH_TABLE_SNAPSHOT,
};

struct gh_table_gadget {
	enum gh_table_kind kind;
	char *name;            /* the declaration's: "file", "process" */
	/* top: the map; a row is the key at 0 and the value at value_off */
	struct bpf_map *map;
	uint32_t key_size, value_size, value_off;
	/* snapshot: the iterator programs, in declaration order; top: the
	 * iterators that fill its map (read before it, in object order) */
	struct bpf_program **programs;
	size_t n_programs;
	uint32_t row_size;     /* bytes of one row */
};

/* If obj (opened from path) declares a top or a snapshot, set *out and
 * build schema from BTF: 1.  0 with *out NULL: it declares neither.
 * -errno with a one-line err on a bad declaration. */
int gh_table_gadget_open(struct gh_table_gadget **out, struct bpf_object *obj, const char *path,
			 struct gh_schema *schema, char *err, size_t errlen);
/* Iterator programs are not attached at load: a snapshot opens them. */
bool gh_table_gadget_is_iterator(struct bpf_program *prog);
/* Network iterators see one network namespace: the one they are opened in. */
bool gh_table_gadget_per_netns(struct bpf_program *prog);
/* The "object:" lines of `gadgethost info`: kind, map or programs. */
void gh_table_gadget_describe(const struct gh_table_gadget *t, const char *path,
			      const struct gh_schema *schema, FILE *f);
void gh_table_gadget_free(struct gh_table_gadget *t);

#endif
