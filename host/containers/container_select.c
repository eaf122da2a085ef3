/* container_select.c - does a run trace this container (see
 * container_select.h). */
#include "containers/container_select.h"

#include <fnmatch.h>

static bool glob_ok(const char *glob, const char *value)
{
	return !glob || (value && !fnmatch(glob, value, 0));
}

bool gh_container_selected(const struct gh_container_select *sel, const struct gh_container *c)
{
	bool named = sel->n_names == 0;

	if (c->sandbox)
		return false;
	for (size_t i = 0; i < sel->n_names && !named; i++)
		named = glob_ok(sel->names[i], c->name) || glob_ok(sel->names[i], c->id);
	return named && glob_ok(sel->k8s_namespace, c->k8s_namespace) &&
	       glob_ok(sel->k8s_pod, c->k8s_pod) && glob_ok(sel->k8s_container, c->k8s_container);
}
