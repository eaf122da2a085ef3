/* row_ring.h - the last rows of an instance, for attach to replay.
 *
 * At most `keep` rows and at most max_bytes of them: a row past either
 * pushes the oldest out.  A row is one line of the run's output, its
 * newline included. */
#ifndef GH_ROW_RING_H
#define GH_ROW_RING_H

#include <stddef.h>

#include "base/buf.h"

struct gh_row_ring {
	char **rows;       /* keep slots, circular */
	size_t *lens;
	size_t keep, first, n, bytes, max_bytes;
};

/* 0 or -ENOMEM; keep 0: nothing is kept. */
int gh_row_ring_init(struct gh_row_ring *r, size_t keep, size_t max_bytes);
void gh_row_ring_free(struct gh_row_ring *r);
/* Keep a copy of the row (a row longer than max_bytes is not kept). */
void gh_row_ring_push(struct gh_row_ring *r, const char *row, size_t len);
/* Every row kept, oldest first, appended to b: 0 or -ENOMEM. */
int gh_row_ring_dump(const struct gh_row_ring *r, struct gh_buf *b);

#endif
