/* prom_set.h - one Prometheus exposition made of many sources: the
 * daemon's own samples and each instance's block (what its run child
 * reported), grouped by family as the text format wants (one HELP and
 * TYPE per family, its samples together), families sorted by name. */
#ifndef GH_PROM_SET_H
#define GH_PROM_SET_H

#include <stddef.h>

#include "base/buf.h"

struct gh_prom_set;

int gh_prom_set_new(struct gh_prom_set **out);
void gh_prom_set_free(struct gh_prom_set *s);
/* A sample of family (declared by its first sample: type, help); suffix
 * "" or "_bucket", "_sum", "_count"; labels "a=\"x\",b=\"y\"" or "". */
int gh_prom_set_add(struct gh_prom_set *s, const char *family, const char *type,
		    const char *help, const char *suffix, const char *labels, double v);
/* An exposition text (a child's report): its families and samples, each
 * sample's labels after `labels`.  Lines it cannot read are skipped. */
int gh_prom_set_merge(struct gh_prom_set *s, const char *text, size_t len, const char *labels);
/* The whole exposition. */
int gh_prom_set_render(const struct gh_prom_set *s, struct gh_buf *out);

#endif
