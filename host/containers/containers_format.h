/* containers_format.h - the container collection as text. */
#ifndef GH_CONTAINERS_FORMAT_H
#define GH_CONTAINERS_FORMAT_H

#include <stdbool.h>

#include "base/buf.h"
#include "containers/container.h"

/* Append the table (json false) or one JSON object per container; sandbox
 * (pause) containers only with all.  0 or -ENOMEM. */
int gh_containers_format(const struct gh_containers *cc, bool all, bool json, struct gh_buf *b);

#endif
