/* container_labels.c - pod labels from a JSON annotation (see container_labels.h). */
#include "container_labels.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"

int gh_k8s_labels_from_json(const char *json, char **out)
{
	struct gh_json *j = NULL;
	struct gh_buf b = GH_BUF_INIT;
	char err[128];
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
	for (size_t i = 0; i < gh_json_len(j) && !ret; i++) {
		const char *key = gh_json_key_at(j, i);
		const char *value = gh_json_str(gh_json_at(j, i));

		if (!key || !value || strchr(key, ',') || strchr(value, ','))
			continue; /* "k=v,k=v" cannot hold a comma */
		if (!strncmp(key, "io.kubernetes.", 14))
			continue;
		if (b.len)
			ret = gh_buf_putc(&b, ',');
		if (!ret)
			ret = gh_buf_printf(&b, "%s=%s", key, value);
	}
	gh_json_free(j);
	if (ret) {
		gh_buf_free(&b);
		return ret;
	}
	*out = b.p; /* NULL when no label was kept */
	return 0;
}
