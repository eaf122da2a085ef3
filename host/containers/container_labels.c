/* container_labels.c - pod labels from a JSON annotation (see container_labels.h). */
#include "containers/container_labels.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"

int gh_k8s_labels_join(const char *const *keys, const char *const *values, size_t n,
		       char **out)
{
	struct gh_buf b = GH_BUF_INIT;
	int ret = 0;

	*out = NULL;
	for (size_t i = 0; i < n && !ret; i++) {
		if (!keys[i] || !values[i] || strchr(keys[i], ',') || strchr(values[i], ','))
			continue; /* "k=v,k=v" cannot hold a comma */
		if (!strncmp(keys[i], "io.kubernetes.", 14))
			continue;
		if (b.len)
			ret = gh_buf_putc(&b, ',');
		if (!ret)
			ret = gh_buf_printf(&b, "%s=%s", keys[i], values[i]);
	}
	if (ret) {
		gh_buf_free(&b);
		return ret;
	}
	*out = b.p; /* NULL when no label was kept */
	return 0;
}

int gh_k8s_labels_from_json(const char *json, char **out)
{
	struct gh_json *j = NULL;
	const char **keys, **values;
	char err[128];
	size_t n;
	int ret;

	*out = NULL;
	if (!json)
		return 0;
	ret = gh_json_parse(json, strlen(json), &j, err, sizeof(err));
	if (ret)
		return -EINVAL;
	if (gh_json_type(j) != GH_JSON_OBJECT) {
		gh_json_free(j);
		return -EINVAL;
	}
	n = gh_json_len(j);
	keys = calloc(n ? n : 1, sizeof(*keys));
	values = calloc(n ? n : 1, sizeof(*values));
	ret = keys && values ? 0 : -ENOMEM;
	for (size_t i = 0; i < n && !ret; i++) {
		keys[i] = gh_json_key_at(j, i);
		values[i] = gh_json_str(gh_json_at(j, i)); /* NULL: not a string, left out */
	}
	if (!ret)
		ret = gh_k8s_labels_join(keys, values, n, out);
	free(keys);
	free(values);
	gh_json_free(j);
	return ret;
}
