/* prom_text.h - pieces of Prometheus's text exposition format (version
 * 0.0.4): metric and label names, escaped label values, sample lines.
 *
 *   # HELP gadgethost_events_read_total Events read from the kernel.
 *   # TYPE gadgethost_events_read_total counter
 *   gadgethost_events_read_total{gadget_instance="execs"} 42
 */
#ifndef GH_PROM_TEXT_H
#define GH_PROM_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

#define GH_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* [a-zA-Z_:][a-zA-Z0-9_:]* */
bool gh_prom_metric_name_ok(const char *name);
/* A field name as a label name: runtime.containerName ->
 * runtime_containerName (every character outside [a-zA-Z0-9_] an _). */
void gh_prom_label_name(const char *field, char *out, size_t len);
/* ,name="value" (no comma when b is empty or ends in '{'): the value
 * escaped (\\, \", \n), invalid UTF-8 and NUL replaced (U+FFFD). */
int gh_prom_label(struct gh_buf *b, const char *name, const char *value, size_t len);
/* A sample's value: integers exactly, others with 17 digits, +Inf, NaN. */
int gh_prom_value(struct gh_buf *b, double v);
/* # HELP and # TYPE lines of a family. */
int gh_prom_family(struct gh_buf *b, const char *name, const char *type, const char *help);

#endif
