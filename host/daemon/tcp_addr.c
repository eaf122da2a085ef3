/* tcp_addr.c - HOST:PORT and loopback addresses (tcp_addr.h). */
#include "daemon/tcp_addr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

int gh_tcp_split(const char *hostport, char *host, size_t hlen, int *port)
{
	const char *colon = strrchr(hostport, ':');
	char *end;
	long v;

	if (!colon || colon == hostport)
		return -EINVAL;
	if (hostport[0] == '[') {
		if (colon[-1] != ']' || colon - hostport < 3)
			return -EINVAL;
		if ((size_t)snprintf(host, hlen, "%.*s", (int)(colon - hostport - 2),
				     hostport + 1) >= hlen)
			return -EINVAL;
	} else if ((size_t)snprintf(host, hlen, "%.*s", (int)(colon - hostport), hostport) >=
		   hlen) {
		return -EINVAL;
	}
	v = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || v <= 0 || v > 65535)
		return -EINVAL;
	*port = (int)v;
	return 0;
}

bool gh_sockaddr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}
