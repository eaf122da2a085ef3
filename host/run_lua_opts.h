/* run_lua_opts.h - the Lua options of `gadgethost run`, read before the
 * gadget is opened (its script runs with them):
 *
 *   --lua CODE                 a layer: CODE runs on the gadget table
 *   --lua-file FILE            a layer from a file (repeatable, in order)
 *   --lua-memory-limit SIZE    per script state (64M default; K, M, G; 0: none)
 *   --lua-instruction-limit N  per hook call (10M default; K, M; 0: none)
 */
#ifndef GH_RUN_LUA_OPTS_H
#define GH_RUN_LUA_OPTS_H

#include <stdbool.h>

#include "lua_guard.h"

/* Fill c (and *layers, malloc'd, for c->layers) from argv; installs
 * nothing.  0, or 1 after printing a usage error. */
int gh_run_lua_options(int argc, char **argv, struct gh_lua_config *c,
		       struct gh_lua_layer **layers);
/* Whether opt is one of them (they take a value). */
bool gh_run_is_lua_option(const char *opt);

#endif
