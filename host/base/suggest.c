/* suggest.c - the closest known name by edit distance (suggest.h). */
#include "base/suggest.h"

#include <string.h>

#define MAX_LEN 64

/* Levenshtein distance, with a swap of two neighbours counted as one
 * edit (optimal string alignment): "hots" is one edit from "host". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[MAX_LEN + 1][MAX_LEN + 1];

	if (la > MAX_LEN || lb > MAX_LEN)
		return (size_t)-1;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

void gh_suggest_init(struct gh_suggest *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->distance = (size_t)-1;
}

void gh_suggest_add(struct gh_suggest *s, const char *candidate)
{
	size_t len = strlen(s->word);
	size_t limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
	size_t d = distance(s->word, candidate);

	if (d <= limit && d < s->distance) {
		s->best = candidate;
		s->distance = d;
	}
}
