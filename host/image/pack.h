/* pack.h - a gadget's files into an image in the local store.
 *
 * The layers are the files as they are (the object, the script, the
 * doc), the config and manifest are written with a fixed key order and no
 * time stamp, so packing the same files gives the same digest on any
 * machine (manifest.h).
 */
#ifndef GH_PACK_H
#define GH_PACK_H

#include <stddef.h>

#include "image/digest.h"
#include "image/reference.h"
#include "image/store.h"

struct gh_pack_files {
	const char *script;   /* the .lua */
	const char *object;   /* the .bpf.o it names */
	const char *doc;      /* a .md, or NULL */
	const char *gadget;   /* the gadget's name (the config's label) */
	const char *arch;     /* OCI architecture: amd64, arm64, ... */
};

/* The OCI name of this machine's architecture (uname). */
const char *gh_pack_arch(void);

int gh_image_pack(struct gh_store *s, const struct gh_pack_files *f,
		  const struct gh_image_ref *ref, char digest[GH_DIGEST_SIZE], char *err,
		  size_t errlen);

#endif
