/* lua_alloc.c - Lua's allocator, counting and limited. */
#include "script/lua_alloc.h"

#include <stdlib.h>

void *gh_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct gh_lua_alloc *a = ud;
	size_t old = ptr ? osize : 0; /* without ptr, osize is a type tag */
	void *p;

	if (nsize == 0) {
		free(ptr);
		a->used -= old;
		return NULL;
	}
	if (a->limit && nsize > old && a->used - old + nsize > a->limit) {
		a->hit = true;
		return NULL;
	}
	p = realloc(ptr, nsize);
	if (!p)
		return NULL;
	a->used = a->used - old + nsize;
	if (a->used > a->peak)
		a->peak = a->used;
	return p;
}
