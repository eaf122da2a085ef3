/* field.h - the field model: what an event carries and how to read it.
 *
 * A gadget's event struct is described by its BTF; btf_schema.c turns it
 * into a flat list of gh_field, one per leaf member, with dotted names for
 * nested structs ("src.port").  Nothing is decoded up front: a record stays
 * the raw bytes the eBPF program wrote, and a field is read from it only
 * when a filter, the Lua script or an output format asks for it.
 *
 * Fields that are not in the record ("virtual" fields) come from the Lua
 * script: either mapped in C from another field (an enum or a bit mask
 * table, see gh_field.map) or set by the script's enrich() per event
 * (see gh_event.overlay); or from a field source another layer registers
 * on the schema (gh_field_source: the containers layer's runtime.* and
 * k8s.* fields, looked up by the event's mount namespace).
 */
#ifndef GH_FIELD_H
#define GH_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* How the bytes of a field are laid out. */
enum gh_kind {
	GH_KIND_INT,     /* signed integer, size 1/2/4/8 */
	GH_KIND_UINT,    /* unsigned integer, size 1/2/4/8 */
	GH_KIND_BOOL,    /* one byte, 0 or not */
	GH_KIND_FLOAT,   /* float or double */
	GH_KIND_STRING,  /* char array, NUL terminated or full */
	GH_KIND_STRLIST, /* char array of NUL separated strings (argv) */
	GH_KIND_ENUM,    /* C enum: printed as the enumerator's name */
	GH_KIND_ARRAY,   /* array of integers: count elements of elem_size */
	GH_KIND_VIRTUAL, /* no bytes in the record: from a map or from Lua */
};

/* Types with a meaning of their own, recognised by their BTF typedef
 * name (see sdk/include/gadget/types.h), formatted the same way in every
 * gadget. */
enum gh_special {
	GH_SPECIAL_NONE,
	GH_SPECIAL_TIMESTAMP, /* gadget_timestamp: ns since boot */
	GH_SPECIAL_MNTNS_ID,  /* gadget_mntns_id */
	GH_SPECIAL_NETNS_ID,  /* gadget_netns_id */
	GH_SPECIAL_ERRNO,     /* gadget_errno: 0 or +-errno */
	GH_SPECIAL_SYSCALL,   /* gadget_syscall: syscall number */
	GH_SPECIAL_SIGNAL,    /* gadget_signal: signal number */
	GH_SPECIAL_IPV4,      /* gadget_ipv4_addr: network byte order */
	GH_SPECIAL_IPV6,      /* gadget_ipv6_addr: 16 bytes */
	GH_SPECIAL_L3,        /* struct gadget_l3endpoint_t: addr + version */
	GH_SPECIAL_PORT,      /* gadget_port: host byte order */
	GH_SPECIAL_UID,       /* gadget_uid */
	GH_SPECIAL_GID,       /* gadget_gid */
	GH_SPECIAL_IFINDEX,   /* gadget_ifindex: an interface of the event's netns */
};

enum gh_align { GH_ALIGN_LEFT, GH_ALIGN_RIGHT };

/* A C-side value map for virtual fields: an enum (value == key) or a bit
 * mask (every set bit named, joined with '|'). */
struct gh_map_entry {
	uint64_t value;
	char *name;
};

enum gh_builtin_format {
	GH_FORMAT_NONE,
	GH_FORMAT_FILEMODE, /* permission bits as ls shows them: -rw-r--r-- */
};

struct gh_value_map {
	bool is_flags;
	enum gh_builtin_format builtin; /* when set, entries are unused */
	char *zero_name;      /* flags: name printed for 0 bits in mask (O_RDONLY) */
	uint64_t zero_mask;   /* flags: the bits where zero_name applies */
	struct gh_map_entry *entries;
	size_t n_entries;
	/* flags: the text of the last value formatted (storms repeat them) */
	bool memo_ok;
	uint64_t memo_x;
	size_t memo_len;
	char memo[1024]; /* all 41 capability names take 640 */
};

struct gh_enum_name {
	int64_t value;
	char *name;
};

struct gh_field {
	char *name;          /* dotted path: "comm", "src.port" */
	enum gh_kind kind;
	enum gh_special special;
	uint32_t offset;     /* in the record */
	uint32_t size;       /* bytes in the record (whole array for arrays) */
	uint32_t elem_size;  /* arrays: size of one element */
	uint32_t count;      /* arrays: number of elements */
	bool elem_signed;    /* arrays: elements are signed */

	/* enums (GH_KIND_ENUM): the names from BTF */
	struct gh_enum_name *enum_names;
	size_t n_enum_names;
	/* a named enum, on a kernel without BTF to take a kernel enum's names
	 * from: the names are those the object was built with */
	bool enum_unchecked;

	/* virtual fields mapped in C: source field index, or -1 */
	int map_source;
	struct gh_value_map *map;
	/* virtual fields set by Lua: declared type ("string", "int", ...) */
	char *virtual_type;
	/* virtual fields of a field source (gh_field_source): 1 + its index
	 * in the schema's sources, 0 for none; attr says which of its fields
	 * this is, as the source numbers them */
	int source;
	int source_attr;

	/* presentation, from the Lua script's fields table */
	unsigned width;        /* column width; 0: a default from the kind */
	enum gh_align align;
	bool hidden;           /* not in the default columns */
	bool internal;         /* for the script only (ev.x, ev:bytes("x")): never
				* printed, not in JSON/YAML, not selectable */
	int lua_format_ref;    /* Lua registry ref of format(v, ev), or -1 */
	char *description;
};

/* The value of one field of one event, as JSON and YAML see it. */
enum gh_vtype {
	GH_V_NULL,
	GH_V_INT,
	GH_V_UINT,
	GH_V_BOOL,
	GH_V_DOUBLE,
	GH_V_STR,     /* s.p, s.len: not NUL terminated */
	GH_V_STRLIST, /* s.p, s.len: NUL separated strings */
	GH_V_ARRAY,   /* arr: elements of the field's elem_size / elem_signed */
};

struct gh_value {
	enum gh_vtype type;
	union {
		int64_t i;
		uint64_t u;
		double d;
		bool b;
		struct {
			const char *p;
			size_t len;
		} s;
	};
	/* scratch for values formatted on the fly (addresses, names) */
	char tmp[64];
};

struct gh_event;

/* A per-event source of overriding values: the Lua enrich() overlay.
 * Returns 1 and fills *v when the field is overridden, 0 otherwise. */
typedef int (*gh_overlay_fn)(void *ctx, int field_index, struct gh_value *v);

struct gh_event {
	const uint8_t *data;
	uint32_t len;
	gh_overlay_fn overlay;   /* NULL: no overlay */
	void *overlay_ctx;
};

struct gh_schema;

/* A source of virtual fields, computed from the event by a layer above
 * this one (the containers layer: runtime.*, k8s.* by the event's mount
 * namespace).  The schema knows its fields only through these calls. */
struct gh_field_source_ops {
	const char *name;
	/* The value of field f (one of the source's) for ev: 0 or -errno;
	 * GH_V_NULL when the event has none. */
	int (*value)(void *ctx, const struct gh_schema *s, const struct gh_field *f,
		     const struct gh_event *ev, struct gh_value *v);
	/* Whether ev has the source's fields at all (a host process's event
	 * has no container): JSON and YAML leave them out when it has not.
	 * NULL: every event has them. */
	bool (*present)(void *ctx, const struct gh_schema *s, const struct gh_event *ev);
};

#define GH_MAX_FIELD_SOURCES 4
#define GH_PACKET_IFACE_MAX 4
#define GH_PACKET_COMMENT_MAX 8

/* The fields that make an event a packet (packet_fields.h), as indexes;
 * -1 for an optional one the script did not name. */
struct gh_packet_fields {
	bool on;
	int data, length, linktype, snaplen, ifname, direction, timestamp;
	int iface[GH_PACKET_IFACE_MAX];
	size_t n_iface;
	int comment[GH_PACKET_COMMENT_MAX];
	size_t n_comment;
};

struct gh_field_source {
	const struct gh_field_source_ops *ops;
	void *ctx;     /* what the source looks in (NULL: nothing yet) */
};

/* The fields of a gadget's event struct, plus the virtual ones. */
struct gh_schema {
	char *struct_name;
	uint32_t struct_size;
	struct gh_field *fields;
	size_t n_fields;
	/* Wall clock minus boot clock, to print gadget_timestamp. */
	int64_t boot_to_wall_ns;
	/* the event's gadget_mntns_id member, or -1 */
	int mntns_field;
	struct gh_field_source sources[GH_MAX_FIELD_SOURCES];
	size_t n_sources;
	/* the script's packet declaration (packet_fields.h); on: false without */
	struct gh_packet_fields packet;
};

/* Schema life cycle and look-up. */
void gh_schema_free(struct gh_schema *s);
int gh_schema_find(const struct gh_schema *s, const char *name);
/* Append a virtual field; returns its index or -errno. */
int gh_schema_add_virtual(struct gh_schema *s, const char *name);

/* Append a virtual field of field source `source` (its id), its `attr`
 * as the source numbers its fields; type as gh_field.virtual_type.  Its
 * index or -errno. */
int gh_schema_add_sourced(struct gh_schema *s, int source, int attr, const char *name,
			  const char *type, const char *description, unsigned width, bool hidden);
/* Register a field source (ops is static; ctx may come later): its id,
 * 1 + its index, for gh_field.source; the same id if ops is there
 * already; -ENOSPC past GH_MAX_FIELD_SOURCES. */
int gh_schema_add_source(struct gh_schema *s, const struct gh_field_source_ops *ops, void *ctx);
/* The id of ops's source, 0 when it is not registered. */
int gh_schema_source_id(const struct gh_schema *s, const struct gh_field_source_ops *ops);
/* Point ops's source at ctx (NULL: nothing to look in); no-op when it is
 * not registered. */
void gh_schema_set_source_ctx(struct gh_schema *s, const struct gh_field_source_ops *ops,
			      void *ctx);
void *gh_schema_source_ctx(const struct gh_schema *s, const struct gh_field_source_ops *ops);
/* Whether field idx comes from a field source. */
bool gh_field_is_sourced(const struct gh_schema *s, int idx);
/* Whether ev has the fields of the source of field idx (true for a field
 * of no source). */
bool gh_field_source_present(const struct gh_schema *s, int idx, const struct gh_event *ev);
/* Whether only the script's enrich (or an overlay) gives field idx a
 * value: a -F condition on it waits until after enrich. */
bool gh_field_needs_enrich(const struct gh_schema *s, int idx);

/* Reading values.  Both return 0 or -errno; neither allocates. */
int gh_field_value(const struct gh_schema *s, int idx, const struct gh_event *ev,
		   struct gh_value *v);
/* A C enum member's number (its value reads as its name): true and *x,
 * or false for a field that is no enum member present in ev. */
bool gh_field_enum_number(const struct gh_schema *s, int idx, const struct gh_event *ev,
			  uint64_t *x);
/* Human text of a field, as a column shows it, appended to b.
 * (Lua format functions are applied by the caller, not here.) */
int gh_field_text(const struct gh_schema *s, int idx, const struct gh_event *ev,
		  struct gh_buf *b);

/* The printable type name of a field, for `gadgethost info`. */
const char *gh_field_type_name(const struct gh_field *f);
/* Default column width for a field without an explicit one. */
unsigned gh_field_default_width(const struct gh_field *f);

#endif
