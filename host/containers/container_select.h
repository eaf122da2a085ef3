/* container_select.h - which containers a run traces: -c NAME (globs,
 * repeatable), --k8s-namespace, --k8s-podname, --k8s-containername.
 * Without any of them, every container is selected; pods' pause
 * (sandbox) containers never are. */
#ifndef GH_CONTAINER_SELECT_H
#define GH_CONTAINER_SELECT_H

#include <stdbool.h>
#include <stddef.h>

#include "containers/container.h"

struct gh_container_select {
	const char **names;        /* -c: any of these globs */
	size_t n_names;
	const char *k8s_namespace; /* globs; NULL: any */
	const char *k8s_pod;
	const char *k8s_container;
};

bool gh_container_selected(const struct gh_container_select *sel, const struct gh_container *c);

#endif
