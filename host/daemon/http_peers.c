/* http_peers.c - connections and failed authentications per peer. */
#include "daemon/http_peers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#define BUCKETS 1024
#define FIRST_DELAY_MS 100
#define MAX_DELAY_MS 2000
#define FORGET_MS 60000

struct gh_http_peer {
	struct gh_http_peer *next;    /* in its bucket */
	unsigned char key[17];        /* family, then 4 or 8 address bytes */
	char name[64];
	unsigned conns;
	unsigned failures;            /* in a row */
	uint64_t last_failure_ms;
	uint64_t gate_ms;             /* no token tried before this */
};

struct gh_http_peers {
	struct gh_http_peer *bucket[BUCKETS];
	unsigned count, max;
};

int gh_http_peers_new(struct gh_http_peers **out, unsigned max)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->max = max;
	return 0;
}

void gh_http_peers_free(struct gh_http_peers *ps)
{
	if (!ps)
		return;
	for (unsigned i = 0; i < BUCKETS; i++) {
		while (ps->bucket[i]) {
			struct gh_http_peer *p = ps->bucket[i];

			ps->bucket[i] = p->next;
			free(p);
		}
	}
	free(ps);
}

/* The key and the name of sa's peer; false for another family. */
static bool peer_key(const struct sockaddr *sa, unsigned char key[17], char *name, size_t len)
{
	memset(key, 0, 17);
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		struct in6_addr prefix = {0};

		if (!IN6_IS_ADDR_V4MAPPED(a)) {
			key[0] = 6;
			memcpy(key + 1, a->s6_addr, 8);
			memcpy(prefix.s6_addr, a->s6_addr, 8);
			inet_ntop(AF_INET6, &prefix, name, (socklen_t)len);
			strncat(name, "/64", len - strlen(name) - 1);
			return true;
		}
		key[0] = 4;
		memcpy(key + 1, a->s6_addr + 12, 4);
	} else if (sa->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else {
		return false;
	}
	inet_ntop(AF_INET, key + 1, name, (socklen_t)len);
	return true;
}

static unsigned hash(const unsigned char key[17])
{
	unsigned h = 2166136261u; /* FNV-1a */

	for (int i = 0; i < 17; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % BUCKETS;
}

static bool forgotten(const struct gh_http_peer *p, uint64_t now_ms)
{
	return !p->failures || now_ms >= p->last_failure_ms + FORGET_MS;
}

/* Drop peers without connections whose failures are forgotten; when that
 * is not enough room, those without connections that failed longest ago. */
static void make_room(struct gh_http_peers *ps, uint64_t now_ms)
{
	struct gh_http_peer **oldest = NULL;

	for (unsigned i = 0; i < BUCKETS; i++) {
		for (struct gh_http_peer **pp = &ps->bucket[i]; *pp;) {
			struct gh_http_peer *p = *pp;

			if (!p->conns && forgotten(p, now_ms)) {
				*pp = p->next;
				free(p);
				ps->count--;
				continue;
			}
			if (!p->conns && (!oldest || p->last_failure_ms < (*oldest)->last_failure_ms))
				oldest = pp;
			pp = &p->next;
		}
	}
	if (ps->count >= ps->max && oldest) {
		struct gh_http_peer *p = *oldest;

		*oldest = p->next;
		free(p);
		ps->count--;
	}
}

struct gh_http_peer *gh_http_peer_get(struct gh_http_peers *ps, const struct sockaddr *sa,
				      uint64_t now_ms)
{
	unsigned char key[17];
	char name[64];
	struct gh_http_peer *p;
	unsigned h;

	if (!peer_key(sa, key, name, sizeof(name)))
		return NULL;
	h = hash(key);
	for (p = ps->bucket[h]; p; p = p->next) {
		if (!memcmp(p->key, key, sizeof(key))) {
			p->conns++;
			return p;
		}
	}
	if (ps->count >= ps->max)
		make_room(ps, now_ms);
	if (ps->count >= ps->max)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	memcpy(p->key, key, sizeof(key));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->conns = 1;
	p->next = ps->bucket[h];
	ps->bucket[h] = p;
	ps->count++;
	return p;
}

void gh_http_peer_put(struct gh_http_peers *ps, struct gh_http_peer *p, uint64_t now_ms)
{
	struct gh_http_peer **pp;

	if (--p->conns || !forgotten(p, now_ms))
		return;
	for (pp = &ps->bucket[hash(p->key)]; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	free(p);
	ps->count--;
}

unsigned gh_http_peer_conns(const struct gh_http_peer *p)
{
	return p->conns;
}

const char *gh_http_peer_name(const struct gh_http_peer *p)
{
	return p->name;
}

uint64_t gh_http_peer_wait_ms(const struct gh_http_peer *p, uint64_t now_ms)
{
	return p->gate_ms > now_ms ? p->gate_ms - now_ms : 0;
}

unsigned gh_http_peer_failed(struct gh_http_peer *p, uint64_t now_ms, uint64_t *delay_ms)
{
	uint64_t delay = FIRST_DELAY_MS;

	if (forgotten(p, now_ms))
		p->failures = 0;
	p->failures++;
	for (unsigned i = 1; i < p->failures && delay < MAX_DELAY_MS; i++)
		delay *= 2;
	delay = delay > MAX_DELAY_MS ? MAX_DELAY_MS : delay;
	p->last_failure_ms = now_ms;
	p->gate_ms = now_ms + delay;
	*delay_ms = delay;
	return p->failures;
}

void gh_http_peer_succeeded(struct gh_http_peer *p)
{
	p->failures = 0;
	p->gate_ms = 0;
}
