/* daemon_images.h - the daemon's image settings: the same options as
 * run's (--image-store, --verify-key, --allowed-gadgets, --no-pull,
 * --verify, --registry-ca, --registry-auth, --default-registry), read
 * with run's table into a config the daemon keeps; each run by reference
 * gets them (daemon/run_request.c), never a client's. */
#ifndef GH_DAEMON_IMAGES_H
#define GH_DAEMON_IMAGES_H

#include "run/run_options.h"

/* argv[*i] when it is an image option (its value taken, *i moved on): 1;
 * not one: 0; a bad value: -1, said on stderr. */
int gh_daemon_image_option(struct gh_run_config *c, int argc, char **argv, int *i);
/* At start: the allowlist well formed, --verify true or false, and with
 * runs by reference allowed and verification on, keys to verify with.
 * 0, or 1 said on stderr. */
int gh_daemon_images_check(const struct gh_run_config *c);
/* The option lines of `daemon --help`. */
void gh_daemon_images_help(void);

#endif
