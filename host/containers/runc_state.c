/* runc_state.c - a container from runc's state.json (see runc_state.h).
 *
 * The keys used (runc 1.1, libcontainer State):
 *   id, init_process_pid, init_process_start (clock ticks since boot, as
 *   in /proc/PID/stat field 22), config.labels ("key=value" for each OCI
 *   annotation, then "bundle=DIR").
 */
#include "containers/runc_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containers/container_meta.h"
#include "base/err.h"
#include "base/json.h"
#include "base/read_file.h"

int gh_runc_state_read(const char *path, const char *docker_socket, struct gh_container **out,
		       char *err, size_t errlen)
{
	struct gh_annotations a = {0};
	struct gh_container *c = NULL;
	struct gh_json *j = NULL;
	const char *id;
	char *text = NULL, why[160];
	uint64_t start = 0;
	int64_t pid = 0;
	size_t len;
	int ret;

	*out = NULL;
	ret = gh_read_file(path, GH_READ_FILE_MAX, &text, &len);
	if (ret)
		return gh_err(err, errlen, ret == -ENOENT ? -ESRCH : ret, "%s", strerror(-ret));
	ret = gh_json_parse(text, len, &j, why, sizeof(why));
	free(text);
	if (ret)
		return gh_err(err, errlen, -EINVAL, "%s", why);
	id = gh_json_str(gh_json_get(j, "id"));
	if (!id || !*id) {
		ret = gh_err(err, errlen, -EINVAL, "no \"id\"");
		goto out;
	}
	if (gh_json_int(gh_json_get(j, "init_process_pid"), &pid) || pid <= 0 || pid > INT32_MAX) {
		ret = gh_err(err, errlen, -EINVAL, "no valid \"init_process_pid\"");
		goto out;
	}
	gh_json_uint(gh_json_get(j, "init_process_start"), &start);
	ret = gh_annotations_from_labels(&a, gh_json_path(j, "config.labels"));
	if (!ret)
		ret = gh_container_from_init(id, (pid_t)pid, start, gh_annotation(&a, "bundle"), path,
					     &a, docker_socket, &c);
	if (ret == -ESRCH)
		gh_err(err, errlen, ret, "its init process is gone");
	if (ret)
		goto out;
	*out = c;
	c = NULL;
out:
	gh_container_free(c);
	gh_annotations_free(&a);
	gh_json_free(j);
	return ret;
}
