/* buf.c - growable byte buffer. */
#include "base/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gh_buf_grow(struct gh_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	size_t cap;
	char *p;

	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int gh_buf_puts(struct gh_buf *b, const char *s)
{
	return gh_buf_append(b, s, strlen(s));
}

int gh_buf_vprintf(struct gh_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -EINVAL;
	if (b->p && (size_t)n < b->cap - b->len) {
		b->len += n;
		return 0;
	}
	if (gh_buf_reserve(b, n))
		return -ENOMEM;
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	b->len += n;
	return 0;
}

int gh_buf_printf(struct gh_buf *b, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = gh_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return err;
}

void gh_buf_reset(struct gh_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void gh_buf_free(struct gh_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
