/* unix_socket.h - a client connection to a Unix stream socket. */
#ifndef GH_UNIX_SOCKET_H
#define GH_UNIX_SOCKET_H

/* Connect to path; reads and writes on the socket time out after
 * timeout_ms.  The fd, or -errno (-ENAMETOOLONG for a path too long). */
int gh_unix_connect(const char *path, int timeout_ms);

#endif
