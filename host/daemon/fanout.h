/* fanout.h - merging the output streams of one run on many nodes.
 *
 * Each source is one node's run output (bytes, as `gadgethost run`
 * prints them); lines are merged as they complete, tagged with the node:
 *   columns  a K8S.NODE column first; the header once
 *   json     "k8s":{"node":NODE,...} in each object
 * Other formats are not merged (one object spans several lines).
 */
#ifndef GH_FANOUT_H
#define GH_FANOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

enum gh_fanout_format { GH_FANOUT_COLUMNS, GH_FANOUT_JSON };

struct gh_fanout {
	enum gh_fanout_format fmt;
	size_t node_width;      /* the K8S.NODE column */
	bool header_printed;
	struct gh_buf out;      /* merged lines waiting for a write */
};

struct gh_fanout_source {
	const char *node;
	struct gh_buf partial;  /* a line not complete yet */
	bool header_seen;
};

/* "columns"/"json" -> fmt; -EINVAL otherwise. */
int gh_fanout_format_parse(const char *name, enum gh_fanout_format *fmt);
/* Take len bytes of src's stream: complete lines go to f->out. */
int gh_fanout_feed(struct gh_fanout *f, struct gh_fanout_source *src, const char *data,
		   size_t len);
/* src's stream ended: a last line without its newline is merged too. */
int gh_fanout_end(struct gh_fanout *f, struct gh_fanout_source *src);
/* One JSON object line with "node" put into its top-level "k8s" object
 * (made when missing). */
int gh_fanout_json_node(struct gh_buf *out, const char *line, size_t len, const char *node);

#endif
