/* reference.h - image references: [REGISTRY/]REPOSITORY[:TAG][@DIGEST].
 *
 * The grammar is the OCI distribution one (docker's): REGISTRY is a host
 * name or an address with an optional port, and is taken as such when
 * the first component has a '.' or a ':' or is "localhost"; otherwise the
 * whole name is a repository of the default registry (none unless one is
 * configured: no reference silently goes to a registry on the internet).
 * REPOSITORY is lowercase components ([a-z0-9] with . _ __ - between)
 * separated by '/'.  No tag and no digest means the tag "latest".
 *
 * On the command line a gadget that ends in ".lua" is a script (a path
 * or an installed gadget), and so is one that starts with '.' or '/' or
 * holds a character no reference has; anything else is an image
 * reference.
 */
#ifndef GH_REFERENCE_H
#define GH_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "image/digest.h"

#define GH_REF_MAX 256

struct gh_image_ref {
	char registry[GH_REF_MAX];   /* "localhost:5000" */
	char repository[GH_REF_MAX]; /* "team/mytool" */
	char tag[129];               /* "1.0", or "" with a digest alone */
	char digest[GH_DIGEST_SIZE]; /* "sha256:...", or "" */
};

/* Whether a run's gadget argument names an image rather than a script
 * (it may still fail to parse as one: gh_image_ref_parse says why). */
bool gh_image_ref_is(const char *gadget);
/* gh_image_ref_is(), unless the search path has the gadget under that
 * name with or without ".lua": "trace/exec" is trace/exec.lua, as
 * Inspektor Gadget's users type it, when it is installed. */
bool gh_image_ref_names_image(const char *gadget);

/* Parse text; default_registry (NULL: none) completes a reference
 * without a registry.  0, or -EINVAL with err naming what is wrong. */
int gh_image_ref_parse(const char *text, const char *default_registry, struct gh_image_ref *r,
		       char *err, size_t errlen);

/* REGISTRY/REPOSITORY:TAG, REGISTRY/REPOSITORY@DIGEST, or both. */
void gh_image_ref_format(const struct gh_image_ref *r, char *out, size_t len);
/* REGISTRY/REPOSITORY */
void gh_image_ref_name(const struct gh_image_ref *r, char *out, size_t len);

#endif
