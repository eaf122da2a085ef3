/* suggest.h - "did you mean": the known name closest to a mistyped one. */
#ifndef GH_SUGGEST_H
#define GH_SUGGEST_H

#include <stddef.h>

struct gh_suggest {
	const char *word;  /* what was typed */
	const char *best;  /* the closest candidate so far, or NULL */
	size_t distance;   /* its edit distance */
};

/* Start looking for the name closest to word. */
void gh_suggest_init(struct gh_suggest *s, const char *word);
/* Weigh one candidate: kept when closer than every one before it and
 * close enough to be a typo (an edit or two, fewer for short words). */
void gh_suggest_add(struct gh_suggest *s, const char *candidate);

#endif
