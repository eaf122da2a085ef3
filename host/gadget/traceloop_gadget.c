/* traceloop_gadget.c - finding a flight recorder's declaration
 * (traceloop_gadget.h). */
#include "gadget/traceloop_gadget.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "base/err.h"
#include "schema/btf_schema.h"

#define TRACELOOP_PREFIX "gadget_traceloop_"

void gh_traceloop_gadget_free(struct gh_traceloop_gadget *t)
{
	if (!t)
		return;
	free(t->name);
	free(t);
}

/* The map of that name, of that type: NULL with err when it is not. */
static struct bpf_map *find_map(struct bpf_object *obj, const char *name, size_t len,
				enum bpf_map_type type, const char *what, const char *path,
				char *err, size_t errlen)
{
	struct bpf_map *map;
	char *copy = strndup(name, len);

	if (!copy) {
		gh_err(err, errlen, -ENOMEM, "out of memory");
		return NULL;
	}
	map = bpf_object__find_map_by_name(obj, copy);
	if (!map || bpf_map__type(map) != type) {
		gh_err(err, errlen, -EINVAL, "%s: GADGET_TRACELOOP: %s \"%s\" is not a %s map",
		       path, what, copy, type == BPF_MAP_TYPE_HASH_OF_MAPS ? "hash of maps"
				       : type == BPF_MAP_TYPE_HASH ? "hash" : "array");
		map = NULL;
	}
	free(copy);
	return map;
}

int gh_traceloop_gadget_open(struct gh_traceloop_gadget **out, struct bpf_object *obj,
			     const char *path, __u32 *struct_id, char *err, size_t errlen)
{
	struct gh_btf_tracer *decl = NULL;
	struct gh_traceloop_gadget *t = NULL;
	const char *maps, *heads, *args;
	size_t n = 0;
	int ret;

	*out = NULL;
	ret = gh_btf_find_declared(bpf_object__btf(obj), TRACELOOP_PREFIX, &decl, &n);
	if (ret || !n)
		goto out;
	/* the second part: "rings___heads___args" */
	maps = decl[0].map_name;
	heads = strstr(maps, "___");
	args = heads ? strstr(heads + 3, "___") : NULL;
	if (n > 1 || !args || heads == maps || args == heads + 3 || !args[3]) {
		ret = gh_err(err, errlen, -EINVAL, "%s: one GADGET_TRACELOOP(name, rings, heads, "
			     "args, record) per object", path);
		goto out;
	}
	t = calloc(1, sizeof(*t));
	if (!t || !(t->name = strdup(decl[0].name))) {
		ret = gh_err(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	t->rings = find_map(obj, maps, (size_t)(heads - maps), BPF_MAP_TYPE_HASH_OF_MAPS, "rings",
			    path, err, errlen);
	t->heads = t->rings ? find_map(obj, heads + 3, (size_t)(args - heads - 3),
				       BPF_MAP_TYPE_HASH, "heads", path, err, errlen) : NULL;
	t->args = t->heads ? find_map(obj, args + 3, strlen(args + 3), BPF_MAP_TYPE_ARRAY, "args",
				      path, err, errlen) : NULL;
	if (!t->args) {
		ret = -EINVAL;
		goto out;
	}
	*struct_id = decl[0].struct_id;
	*out = t;
	t = NULL;
out:
	gh_traceloop_gadget_free(t);
	gh_btf_tracers_free(decl, n);
	return ret;
}
