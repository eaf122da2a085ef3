/* containers_format.c - the container collection as a table or JSON lines
 * (list-containers, and the daemon's GET /v1/containers). */
#include "containers/containers_format.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "base/text.h"
#include "output/out.h"

/* s escaped for a terminal (base/text.h) into e, or "-" */
static const char *shown(char e[256], const char *s)
{
	return s && *s ? gh_text_escape_to(e, 256, s) : "-";
}

static int format_table(const struct gh_containers *cc, bool all, struct gh_buf *b)
{
	int ret = gh_buf_printf(b, "%-13s %-20s %-11s %8s %-11s %-16s %-20s %s\n", "ID", "NAME",
				"RUNTIME", "PID", "MNTNS", "K8S.NAMESPACE", "K8S.PODNAME",
				"K8S.CONTAINERNAME");

	for (size_t i = 0; !ret && i < gh_containers_count(cc); i++) {
		const struct gh_container *c = gh_containers_at(cc, i);
		char e[6][256];

		if (c->sandbox && !all)
			continue;
		/* names come from whoever made the container: escaped, so a
		 * row stays one line and shows what is there */
		ret = gh_buf_printf(b, "%-13.12s %-20s %-11s %8d %-11" PRIu64 " %-16s %-20s %s\n",
				    shown(e[0], c->id), shown(e[1], c->name), shown(e[2], c->runtime),
				    (int)c->pid, c->mntns, shown(e[3], c->k8s_namespace),
				    shown(e[4], c->k8s_pod), shown(e[5], c->k8s_container));
	}
	return ret;
}

static void json_field(struct gh_buf *b, const char *key, const char *value, bool *first)
{
	if (!value)
		return;
	gh_buf_printf(b, "%s\"%s\":", *first ? "" : ",", key);
	gh_json_put_string(b, value, strlen(value));
	*first = false;
}

/* One JSON list, as a snapshot's (an empty one when there are none), of
 * objects with the field names of the events' enrichment. */
static int format_json(const struct gh_containers *cc, bool all, struct gh_buf *out)
{
	struct gh_buf b = GH_BUF_INIT;
	bool listed = false;
	int ret = 0;

	gh_buf_putc(&b, '[');
	for (size_t i = 0; i < gh_containers_count(cc); i++) {
		const struct gh_container *c = gh_containers_at(cc, i);
		bool first = true;

		if (c->sandbox && !all)
			continue;
		gh_buf_puts(&b, listed ? ",{" : "{");
		listed = true;
		gh_buf_puts(&b, "\"runtime\":{");
		json_field(&b, "runtimeName", c->runtime, &first);
		json_field(&b, "containerId", c->id, &first);
		json_field(&b, "containerName", c->name, &first);
		json_field(&b, "containerImageName", c->image, &first);
		gh_buf_puts(&b, "},\"k8s\":{");
		first = true;
		json_field(&b, "namespace", c->k8s_namespace, &first);
		json_field(&b, "podName", c->k8s_pod, &first);
		json_field(&b, "containerName", c->k8s_container, &first);
		json_field(&b, "podUID", c->k8s_pod_uid, &first);
		json_field(&b, "podLabels", c->k8s_labels, &first);
		gh_buf_printf(&b, "},\"pid\":%d,\"mntns\":%" PRIu64 ",\"netns\":%" PRIu64, (int)c->pid,
			      c->mntns, c->netns);
		if (c->sandbox)
			gh_buf_puts(&b, ",\"sandbox\":true");
		gh_buf_putc(&b, '}');
	}
	gh_buf_puts(&b, "]\n");
	ret = b.p ? gh_buf_append(out, b.p, b.len) : -ENOMEM;
	gh_buf_free(&b);
	return ret;
}

int gh_containers_format(const struct gh_containers *cc, bool all, bool json, struct gh_buf *b)
{
	return json ? format_json(cc, all, b) : format_table(cc, all, b);
}

