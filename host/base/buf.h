/* buf.h - a growable byte buffer, the one place output is assembled in. */
#ifndef GH_BUF_H
#define GH_BUF_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct gh_buf {
	char *p;
	size_t len;
	size_t cap;
};

#define GH_BUF_INIT {NULL, 0, 0}

/* All return 0 or -ENOMEM.  p stays NUL terminated after any append.
 * reserve, append and putc are inline: every output byte passes through
 * them, and a call per byte showed in the profile of an event storm. */
int gh_buf_grow(struct gh_buf *b, size_t extra); /* the slow path of reserve */
int gh_buf_puts(struct gh_buf *b, const char *s);
int gh_buf_printf(struct gh_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int gh_buf_vprintf(struct gh_buf *b, const char *fmt, va_list ap);
void gh_buf_reset(struct gh_buf *b);
void gh_buf_free(struct gh_buf *b);

/* Room for extra more bytes and the NUL. */
static inline int gh_buf_reserve(struct gh_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return 0;
	return gh_buf_grow(b, extra);
}

static inline int gh_buf_append(struct gh_buf *b, const void *data, size_t len)
{
	if (gh_buf_reserve(b, len))
		return -ENOMEM;
	if (len) /* data may be NULL then: memcpy may not take it */
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

static inline int gh_buf_putc(struct gh_buf *b, char c)
{
	if (gh_buf_reserve(b, 1))
		return -ENOMEM;
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
	return 0;
}

#endif
