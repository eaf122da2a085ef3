/* tcp_addr.h - TCP addresses as the daemon and its clients write them
 * (HOST:PORT, [IPV6]:PORT), and whether one is a loopback address: plain
 * TCP is allowed only there (docs/security.md). */
#ifndef GH_TCP_ADDR_H
#define GH_TCP_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* "10.0.0.5:7070", "[::1]:7070" -> host ("10.0.0.5", "::1") and port
 * (1..65535).  0, or -EINVAL. */
int gh_tcp_split(const char *hostport, char *host, size_t hlen, int *port);
/* 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool gh_sockaddr_is_loopback(const struct sockaddr *sa);

#endif
