/* lua_host.h - the gadget.host Lua module: what a script reaches of the
 * running host besides its events (require("gadget") has all of it too).
 *
 *   gadget.map(name)          a BPF map of the gadget's object (lua_map.h)
 *   gadget.container(mntns)   the container of a mount namespace, or nil
 *   gadget.containers()       every known live container (a list)
 *   gadget.syscall_name(nr)   "openat" for 257 (x86_64); nil if unknown
 *   gadget.syscall_number(s)  the reverse, or nil
 *   gadget.emit(doc)          write a document (a Lua table) to the output:
 *                             JSON, pretty JSON or YAML as -o says (with -o
 *                             columns: the script's document_format)
 *   gadget.warn(msg)          "warning: SCRIPT:LINE: msg" to the log (stderr: the CLI's)
 *   gadget.array(t), gadget.ordered(t, keys), gadget.null   (lua_doc.h)
 *
 * A container is a table: id, name, runtime, image, pid, mntns, netns,
 * bundle, selected (what -c / --k8s-* pick), and for a pod's container
 * k8s = {namespace, podName, containerName, podUid, labels = {k = v}};
 * labels is nil when the runtime did not say (not {}: a pod with none).
 */
#ifndef GH_LUA_HOST_H
#define GH_LUA_HOST_H

#include <stdbool.h>

#include <lua.h>

#include "output/out.h"

struct bpf_object;
struct gh_container;
struct gh_container_select;
struct gh_containers;

struct gh_lua_host {
	struct bpf_object *obj;            /* the maps */
	struct gh_containers *containers;  /* NULL: none known */
	const struct gh_container_select *select; /* NULL: every container selected */
	struct gh_out *out;                /* where gadget.emit writes; NULL: nowhere */
	enum gh_out_format doc_fmt;        /* the documents' format */
};

/* Make require("gadget.host") find the module (package.preload). */
void gh_lua_host_preload(lua_State *L);
/* Point the module at h (kept by the caller; NULL unbinds). */
void gh_lua_host_bind(lua_State *L, const struct gh_lua_host *h);
/* Push the table of container c. */
void gh_lua_host_push_container(lua_State *L, const struct gh_lua_host *h,
				const struct gh_container *c);

#endif
