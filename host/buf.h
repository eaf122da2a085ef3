/* buf.h - a growable byte buffer, the one place output is assembled in. */
#ifndef GH_BUF_H
#define GH_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct gh_buf {
	char *p;
	size_t len;
	size_t cap;
};

#define GH_BUF_INIT {NULL, 0, 0}

/* All return 0 or -ENOMEM.  p stays NUL terminated after any append. */
int gh_buf_reserve(struct gh_buf *b, size_t extra);
int gh_buf_append(struct gh_buf *b, const void *data, size_t len);
int gh_buf_putc(struct gh_buf *b, char c);
int gh_buf_puts(struct gh_buf *b, const char *s);
int gh_buf_printf(struct gh_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int gh_buf_vprintf(struct gh_buf *b, const char *fmt, va_list ap);
void gh_buf_reset(struct gh_buf *b);
void gh_buf_free(struct gh_buf *b);

#endif
