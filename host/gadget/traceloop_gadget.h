/* traceloop_gadget.h - the flight recorder kind, as an object declares it:
 *
 *   GADGET_TRACELOOP(name, rings, heads, args, record)
 *
 * (sdk/include/gadget/macros.h): rings, a hash of maps from a mount
 * namespace to a container's ring (an array of struct record); heads, the
 * records written per mount namespace; args, what the host tells the
 * eBPF side of each system call's arguments.  The gadget's schema is the
 * record's, so a dump's records go through the pipeline as events do.
 * host/traceloop/ runs it (gadgethost traceloop start).
 */
#ifndef GH_TRACELOOP_GADGET_H
#define GH_TRACELOOP_GADGET_H

#include <stddef.h>
#include <stdint.h>

#include <bpf/btf.h>

struct bpf_map;
struct bpf_object;

struct gh_traceloop_gadget {
	char *name;
	struct bpf_map *rings;  /* BPF_MAP_TYPE_HASH_OF_MAPS, key: mount namespace */
	struct bpf_map *heads;  /* BPF_MAP_TYPE_HASH, mount namespace -> records written */
	struct bpf_map *args;   /* BPF_MAP_TYPE_ARRAY, syscall number -> argument kinds */
};

/* 0 with *out NULL: obj (opened from path) declares no flight recorder.
 * 0 with *out set and *struct_id the record's BTF id.  -errno with err on
 * a bad declaration. */
int gh_traceloop_gadget_open(struct gh_traceloop_gadget **out, struct bpf_object *obj,
			     const char *path, __u32 *struct_id, char *err, size_t errlen);
void gh_traceloop_gadget_free(struct gh_traceloop_gadget *t);

#endif
