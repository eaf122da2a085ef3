/* http_peers.h - the TCP peers of a listener: how many connections each
 * has open, and how often it failed to authenticate.
 *
 * A peer is an IPv4 address, or an IPv6 /64 (one host gets a /64; its
 * 2^64 addresses must not count as that many peers).  Failed
 * authentications slow a peer down: after its k-th failure in a row, its
 * answer waits 100 ms * 2^(k-1), at most 2 s, and until then no token of
 * that peer is tried at all (429), however many connections it opens.
 * A minute without a failure, or a success, forgets them.
 *
 * The table holds at most max peers: those with connections open (the
 * listener's connection cap bounds them) and, while room is left, those
 * that failed lately.
 */
#ifndef GH_HTTP_PEERS_H
#define GH_HTTP_PEERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct gh_http_peers;
struct gh_http_peer;

int gh_http_peers_new(struct gh_http_peers **out, unsigned max);
void gh_http_peers_free(struct gh_http_peers *ps);

/* The peer of address sa, with one more connection counted; NULL when
 * the table is full of peers with connections (or out of memory). */
struct gh_http_peer *gh_http_peer_get(struct gh_http_peers *ps, const struct sockaddr *sa,
				      uint64_t now_ms);
/* One connection of the peer closed. */
void gh_http_peer_put(struct gh_http_peers *ps, struct gh_http_peer *p, uint64_t now_ms);
unsigned gh_http_peer_conns(const struct gh_http_peer *p);
/* "10.1.2.3", "2001:db8:1:2::/64" */
const char *gh_http_peer_name(const struct gh_http_peer *p);

/* Milliseconds until a token of p may be tried again (0: now). */
uint64_t gh_http_peer_wait_ms(const struct gh_http_peer *p, uint64_t now_ms);
/* A failure: its number in a row; *delay_ms: how long its answer waits
 * (no token of p is tried before then). */
unsigned gh_http_peer_failed(struct gh_http_peer *p, uint64_t now_ms, uint64_t *delay_ms);
void gh_http_peer_succeeded(struct gh_http_peer *p);

#endif
