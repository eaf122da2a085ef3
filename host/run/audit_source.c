/* audit_source.c - audit records as events (audit_source.h). */
#include "run/audit_source.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "run/run_containers.h"

#define MAX_TYPES 16

struct gh_audit_source {
	const struct gh_schema *schema;
	uint16_t types[MAX_TYPES];
	size_t n_types;
	int fd;
	uv_poll_t poll;
	bool polling;
	gh_run_feed_fn feed;
	void *run;             /* feed's first argument */
	uint8_t *rec;
	struct gh_audit_record parsed;
};

/* "audit:1326,1327" -> types */
static int parse_spec(struct gh_audit_source *s, const char *spec, const char *script,
		      char *err, size_t errlen)
{
	const char *p = spec + 6;

	while (*p) {
		char *end;
		unsigned long t = strtoul(p, &end, 10);

		if (end == p || t == 0 || t > 65535 || (*end && *end != ',') ||
		    s->n_types >= MAX_TYPES) {
			return gh_err(err, errlen, -EINVAL, "%s: sources: \"%s\" is not "
				      "audit:TYPE[,TYPE...] (record types, e.g. audit:1326)", script,
				      spec);
		}
		s->types[s->n_types++] = (uint16_t)t;
		p = *end ? end + 1 : end;
	}
	if (!s->n_types)
		return gh_err(err, errlen, -EINVAL, "%s: sources: \"%s\" names no record type",
			      script, spec);
	return 0;
}

int gh_audit_source_open(struct gh_audit_source **out, const struct gh_schema *schema,
			 char *const *sources, size_t n_sources, const char *script, char *err,
			 size_t errlen)
{
	struct gh_audit_source *s = NULL;
	int ret = 0;

	*out = NULL;
	for (size_t i = 0; i < n_sources && !ret; i++) {
		if (strncmp(sources[i], "audit:", 6)) {
			ret = gh_err(err, errlen, -EINVAL, "%s: sources: unknown source \"%s\" "
				     "(audit:TYPE)", script, sources[i]);
			break;
		}
		if (!s) {
			s = calloc(1, sizeof(*s));
			if (!s)
				return -ENOMEM;
			s->fd = -1;
			s->schema = schema;
		}
		ret = parse_spec(s, sources[i], script, err, errlen);
	}
	if (!ret && s) {
		s->rec = calloc(1, schema->struct_size ? schema->struct_size : 1);
		if (!s->rec)
			ret = -ENOMEM;
	}
	if (ret) {
		gh_audit_source_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

static void put_uint(uint8_t *dst, uint32_t size, uint64_t v)
{
	switch (size) {
	case 1: { uint8_t x = (uint8_t)v; memcpy(dst, &x, 1); break; }
	case 2: { uint16_t x = (uint16_t)v; memcpy(dst, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy(dst, &x, 4); break; }
	case 8: memcpy(dst, &v, 8); break;
	}
}

void gh_audit_fill(const struct gh_schema *schema, const struct gh_audit_record *r,
		   uint16_t type, uint8_t *rec)
{
	const struct gh_audit_pair *pid = gh_audit_get(r, "pid");

	memset(rec, 0, schema->struct_size);
	for (size_t i = 0; i < schema->n_fields; i++) {
		const struct gh_field *f = &schema->fields[i];
		const struct gh_audit_pair *p;
		uint64_t v;

		if (f->kind == GH_KIND_VIRTUAL || f->offset + f->size > schema->struct_size)
			continue;
		if (f->special == GH_SPECIAL_TIMESTAMP) {
			put_uint(rec + f->offset, f->size,
				 r->time_ns - (uint64_t)schema->boot_to_wall_ns);
			continue;
		}
		if (f->special == GH_SPECIAL_MNTNS_ID) {
			put_uint(rec + f->offset, f->size, pid ? gh_process_mntns(pid->value) : 0);
			continue;
		}
		if (!strcmp(f->name, "audit_type")) {
			put_uint(rec + f->offset, f->size, type);
			continue;
		}
		p = gh_audit_get(r, f->name);
		if (!p)
			continue;
		switch (f->kind) {
		case GH_KIND_STRING:
			gh_audit_string(p, (char *)rec + f->offset, f->size);
			break;
		case GH_KIND_INT:
		case GH_KIND_UINT:
		case GH_KIND_ENUM:
		case GH_KIND_BOOL:
			if (!gh_audit_number(p->value, &v))
				put_uint(rec + f->offset, f->size, v);
			break;
		default:
			break;
		}
	}
}

static bool wanted(const struct gh_audit_source *s, uint16_t type)
{
	for (size_t i = 0; i < s->n_types; i++)
		if (s->types[i] == type)
			return true;
	return false;
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct gh_audit_source *s = h->data;
	char buf[GH_AUDIT_TEXT_MAX + NLMSG_HDRLEN];

	for (int i = 0; i < 64 && s->polling; i++) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		struct nlmsghdr nh;

		if (n < (ssize_t)NLMSG_HDRLEN)
			return; /* EAGAIN, or nothing usable */
		memcpy(&nh, buf, sizeof(nh));
		if (!wanted(s, nh.nlmsg_type))
			continue;
		/* the multicast copy's nlmsg_len is not always the record's:
		 * the datagram is one record, its text after the header */
		if (gh_audit_parse(buf + NLMSG_HDRLEN, (size_t)n - NLMSG_HDRLEN, &s->parsed))
			continue;
		gh_audit_fill(s->schema, &s->parsed, nh.nlmsg_type, s->rec);
		s->feed(s->run, s->rec, s->schema->struct_size);
	}
}

int gh_audit_source_start(void *ctx, uv_loop_t *loop, gh_run_feed_fn feed, void *run)
{
	struct gh_audit_source *s = ctx;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1)};
	int ret;

	s->feed = feed;
	s->run = run;
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_AUDIT);
	if (s->fd < 0) {
		ret = -errno;
		gh_log(GH_LOG_ERROR, "the audit netlink socket: %s (the kernel needs CONFIG_AUDIT)",
		       strerror(-ret));
		return ret;
	}
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		gh_log(GH_LOG_ERROR, "joining the audit read-log group: %s%s", strerror(-ret),
		       ret == -EPERM ? " (needs CAP_AUDIT_READ, in the initial network namespace)"
				     : "");
		return ret;
	}
	ret = uv_poll_init(loop, &s->poll, s->fd);
	if (ret)
		return ret;
	s->poll.data = s;
	s->polling = true;
	return uv_poll_start(&s->poll, UV_READABLE, on_readable);
}

void gh_audit_source_stop(void *ctx)
{
	struct gh_audit_source *s = ctx;

	if (s->polling)
		uv_poll_stop(&s->poll);
	s->polling = false;
}

static void on_closed(uv_handle_t *h)
{
	struct gh_audit_source *s = h->data;

	close(s->fd);
	free(s->rec);
	free(s);
}

void gh_audit_source_free(struct gh_audit_source *s)
{
	if (!s)
		return;
	if (s->poll.loop) {
		s->polling = false;
		uv_close((uv_handle_t *)&s->poll, on_closed);
		return;
	}
	if (s->fd >= 0)
		close(s->fd);
	free(s->rec);
	free(s);
}
