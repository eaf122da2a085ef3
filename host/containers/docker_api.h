/* docker_api.h - container names from the Docker Engine API. */
#ifndef GH_DOCKER_API_H
#define GH_DOCKER_API_H

#define GH_DOCKER_SOCKET "/run/docker.sock"

/* GET /containers/ID/json on the Unix socket (NULL: GH_DOCKER_SOCKET):
 * *name (without Docker's leading '/') and *image (as the user named it),
 * both malloc'ed.  -ENOENT: no such container; -errno when Docker cannot
 * be asked (not running), -EPROTO for an answer that makes no sense.
 * Waits at most a second. */
int gh_docker_inspect(const char *socket_path, const char *id, char **name, char **image);

#endif
