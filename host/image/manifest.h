/* manifest.h - a gadget image: an OCI image manifest, an OCI image config
 * and one layer per file of the gadget (docs/gadget-images.md).
 *
 * Each layer is the file itself (no tar), with a media type of our own
 * that says which file it is and the file's name in the annotation
 * org.opencontainers.image.title:
 *
 *   application/vnd.gadgethost.gadget.ebpf.v1   the .bpf.o      exactly one
 *   application/vnd.gadgethost.gadget.lua.v1    the .lua        exactly one
 *   application/vnd.gadgethost.gadget.doc.v1    the doc (.md)   at most one
 *
 * The config is a standard image config (architecture, os, rootfs
 * diff_ids, a label with the gadget's name), so registries and tools such
 * as skopeo take the image as any other.  The documents are written with
 * a fixed key order and no time stamp: the same files give the same
 * digest.
 */
#ifndef GH_MANIFEST_H
#define GH_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "image/digest.h"

#define GH_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define GH_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define GH_MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define GH_MT_EBPF "application/vnd.gadgethost.gadget.ebpf.v1"
#define GH_MT_LUA "application/vnd.gadgethost.gadget.lua.v1"
#define GH_MT_DOC "application/vnd.gadgethost.gadget.doc.v1"
#define GH_ANN_TITLE "org.opencontainers.image.title"
#define GH_ANN_REF_NAME "org.opencontainers.image.ref.name"
#define GH_LABEL_GADGET "io.gadgethost.gadget"

#define GH_MANIFEST_MAX (256u << 10)     /* a manifest or a config */
#define GH_LAYER_MAX (64u << 20)         /* one file of a gadget */

enum gh_layer_kind { GH_LAYER_EBPF, GH_LAYER_LUA, GH_LAYER_DOC, GH_LAYER_KINDS };

struct gh_image_layer {
	enum gh_layer_kind kind;
	char digest[GH_DIGEST_SIZE];
	uint64_t size;
	char title[128];   /* the file's name: [A-Za-z0-9._-], no leading '.' */
};

struct gh_image_manifest {
	char config_digest[GH_DIGEST_SIZE];
	uint64_t config_size;
	struct gh_image_layer layers[GH_LAYER_KINDS];
	size_t n_layers;
	char gadget[128];  /* the config's label: the gadget's name */
};

/* The media type of a kind, and the file name suffix it must have. */
const char *gh_layer_media_type(enum gh_layer_kind k);

/* Whether name can be a layer's file name (no '/', no leading '.'). */
int gh_layer_title_ok(enum gh_layer_kind k, const char *name, char *err, size_t errlen);

/* The config and the manifest of m (layers filled, config_* unset): the
 * config first (its digest lands in m), then the manifest.  0 or
 * -ENOMEM. */
int gh_manifest_write(struct gh_image_manifest *m, const char *arch, struct gh_buf *config,
		      struct gh_buf *manifest);

/* Read a manifest (untrusted: from a registry or an archive) and check it
 * is a gadget image.  0, or -EINVAL with err saying what is wrong. */
int gh_manifest_parse(const char *json, size_t len, struct gh_image_manifest *m, char *err,
		      size_t errlen);

/* The layer of kind k, or NULL. */
const struct gh_image_layer *gh_manifest_layer(const struct gh_image_manifest *m,
					       enum gh_layer_kind k);

/* A descriptor {"mediaType":..,"digest":..,"size":..} appended to b,
 * with the title annotation when title is not NULL. */
int gh_descriptor_put(struct gh_buf *b, const char *media_type, const char *digest,
		      uint64_t size, const char *title);

#endif
