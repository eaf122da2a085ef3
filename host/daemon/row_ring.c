/* row_ring.c - an instance's last rows (row_ring.h). */
#include "daemon/row_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int gh_row_ring_init(struct gh_row_ring *r, size_t keep, size_t max_bytes)
{
	memset(r, 0, sizeof(*r));
	r->keep = keep;
	r->max_bytes = max_bytes;
	if (!keep)
		return 0;
	r->rows = calloc(keep, sizeof(*r->rows));
	r->lens = calloc(keep, sizeof(*r->lens));
	if (!r->rows || !r->lens) {
		gh_row_ring_free(r);
		return -ENOMEM;
	}
	return 0;
}

void gh_row_ring_free(struct gh_row_ring *r)
{
	for (size_t i = 0; r->rows && i < r->keep; i++)
		free(r->rows[i]);
	free(r->rows);
	free(r->lens);
	memset(r, 0, sizeof(*r));
}

static void drop_oldest(struct gh_row_ring *r)
{
	free(r->rows[r->first]);
	r->rows[r->first] = NULL;
	r->bytes -= r->lens[r->first];
	r->first = (r->first + 1) % r->keep;
	r->n--;
}

void gh_row_ring_push(struct gh_row_ring *r, const char *row, size_t len)
{
	char *copy;
	size_t at;

	if (!r->keep || len > r->max_bytes)
		return;
	while (r->n && (r->n == r->keep || r->bytes + len > r->max_bytes))
		drop_oldest(r);
	copy = malloc(len);
	if (!copy)
		return;
	memcpy(copy, row, len);
	at = (r->first + r->n) % r->keep;
	r->rows[at] = copy;
	r->lens[at] = len;
	r->bytes += len;
	r->n++;
}

int gh_row_ring_dump(const struct gh_row_ring *r, struct gh_buf *b)
{
	int ret = 0;

	for (size_t i = 0; i < r->n && !ret; i++) {
		size_t at = (r->first + i) % r->keep;

		ret = gh_buf_append(b, r->rows[at], r->lens[at]);
	}
	return ret;
}
