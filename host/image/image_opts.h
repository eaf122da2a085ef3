/* image_opts.h - a node's settings for gadget images: where the store
 * is, which keys verify, which images may run, whether to pull, how to
 * reach registries.  On the command line of run, pull, import and the
 * daemon; a daemon hands its own to every run it starts, and a remote
 * client can set none of them (run_options.c). */
#ifndef GH_IMAGE_OPTS_H
#define GH_IMAGE_OPTS_H

#include <stdbool.h>
#include <stddef.h>

struct gh_image_opts {
	const char *store;            /* --image-store DIR (default store.h's) */
	const char **verify_keys;     /* --verify-key FILE|DIR, repeatable */
	size_t n_verify_keys;
	const char **allowed;         /* --allowed-gadgets LIST, repeatable */
	size_t n_allowed;
	bool no_pull;                 /* --no-pull: the store only */
	const char *verify;           /* --verify=false turns verification off */
	const char *registry_ca;      /* --registry-ca FILE */
	const char *registry_auth;    /* --registry-auth FILE */
	const char *default_registry; /* --default-registry HOST[:PORT] */
};

/* Whether images are verified: 1, 0 (--verify=false), or -EINVAL for a
 * value that is neither true nor false. */
int gh_image_opts_verify(const struct gh_image_opts *o);

#endif
