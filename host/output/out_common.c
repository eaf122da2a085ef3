/* out_common.c - the output object: format choice, dispatch of events to
 * the format's writer (a table of gh_out_format_ops, each format in a file
 * of its own), the buffer and its flushing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "output/out_private.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int gh_out_format_parse(const char *name, enum gh_out_format *fmt)
{
	static const struct {
		const char *name;
		enum gh_out_format fmt;
	} formats[] = {
		{"columns", GH_OUT_COLUMNS},
		{"json", GH_OUT_JSON},
		{"jsonpretty", GH_OUT_JSONPRETTY},
		{"yaml", GH_OUT_YAML},
		{"pcapng", GH_OUT_PCAPNG},
	};

	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (strcmp(name, formats[i].name) == 0) {
			*fmt = formats[i].fmt;
			return 0;
		}
	}
	return -EINVAL;
}

static const struct gh_out_format_ops *const formats[] = {
	[GH_OUT_COLUMNS] = &gh_out_columns_ops,
	[GH_OUT_JSON] = &gh_out_json_ops,
	[GH_OUT_JSONPRETTY] = &gh_out_jsonpretty_ops,
	[GH_OUT_YAML] = &gh_out_yaml_ops,
	[GH_OUT_PCAPNG] = &gh_out_pcapng_ops,
};

int gh_out_new(struct gh_out **outp, enum gh_out_format fmt, const struct gh_schema *s,
	       const int *fields, size_t n_fields, int fd)
{
	struct gh_out *out;
	int err;

	*outp = NULL;
	if ((unsigned)fmt >= sizeof(formats) / sizeof(formats[0]) || !formats[fmt])
		return -EINVAL;
	for (size_t i = 0; i < n_fields; i++)
		if (fields[i] < 0 || (size_t)fields[i] >= s->n_fields)
			return -EINVAL;

	out = calloc(1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	out->fmt = fmt;
	out->ops = formats[fmt];
	out->plans = (struct gh_out_plans)GH_OUT_PLANS_INIT;
	out->schema = s;
	out->fd = fd;
	out->n_fields = n_fields;
	out->fields = malloc((n_fields ? n_fields : 1) * sizeof(*out->fields));
	if (!out->fields) {
		err = -ENOMEM;
		goto err;
	}
	if (n_fields)
		memcpy(out->fields, fields, n_fields * sizeof(*fields));
	/* room for a good batch of rows before the first flush */
	err = gh_buf_reserve(&out->buf, 64 * 1024);
	if (!err)
		err = gh_buf_reserve(&out->scratch, 4096);
	if (err)
		goto err;

	if (out->ops->init)
		err = out->ops->init(out);
	if (err)
		goto err;
	*outp = out;
	return 0;
err:
	gh_out_free(out);
	return err;
}

void gh_out_set_text_hook(struct gh_out *out, gh_text_hook_fn fn, void *ctx)
{
	out->text_hook = fn;
	out->text_hook_ctx = ctx;
}

int gh_out_header(struct gh_out *out)
{
	size_t start = out->buf.len;
	int err;

	if (!out->ops->header)
		return 0;
	err = out->ops->header(out);
	if (err) {
		out->buf.len = start;
		if (out->buf.p)
			out->buf.p[start] = '\0';
	}
	return err;
}

int gh_out_event(struct gh_out *out, const struct gh_event *ev)
{
	size_t start = out->buf.len;
	int err = out->ops->event(out, ev);

	if (err) {
		/* no half rows: drop what this event appended */
		out->buf.len = start;
		if (out->buf.p)
			out->buf.p[start] = '\0';
	}
	return err;
}

struct gh_buf *gh_out_buffer(struct gh_out *out)
{
	return &out->buf;
}

size_t gh_out_pending(const struct gh_out *out)
{
	return out->buf.len;
}

/* Wait until fd takes more bytes (it may be non-blocking). */
static int wait_writable(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	int n;

	do {
		n = poll(&pfd, 1, -1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (pfd.revents & POLLERR)
		return -EPIPE;
	return 0;
}

int gh_out_flush(struct gh_out *out)
{
	struct gh_buf *b = &out->buf;
	size_t off = 0;
	int err = 0;

	while (off < b->len) {
		ssize_t n = write(out->fd, b->p + off, b->len - off);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == 0) {
			err = -EIO;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			err = wait_writable(out->fd);
			if (err)
				break;
			continue;
		}
		err = -errno;
		break;
	}
	/* keep what was not written: the caller decides whether to retry */
	if (off == b->len) {
		gh_buf_reset(b);
	} else if (off) {
		memmove(b->p, b->p + off, b->len - off);
		b->len -= off;
		b->p[b->len] = '\0';
	}
	return err;
}

void gh_out_free(struct gh_out *out)
{
	if (!out)
		return;
	if (out->ops && out->ops->free)
		out->ops->free(out);
	gh_buf_free(&out->buf);
	gh_buf_free(&out->scratch);
	gh_out_plans_free(&out->plans);
	free(out->widths);
	free(out->fields);
	free(out);
}
