/* run_params.h - a run's options against its gadget, once it is open.
 *
 * run_options.h reads the command line without the gadget: its params are
 * kept as --KEY[=VALUE] pairs, the words after bare --KEYs as maybe their
 * values, -o as text.  Here the open gadget decides: each param must be
 * one of its own (a bool takes no word, the others take the next one),
 * with a value it allows; -o must be a format of its kind.  And the text
 * of `run GADGET -h`: the options (the table's) and the gadget's params.
 */
#ifndef GH_RUN_PARAMS_H
#define GH_RUN_PARAMS_H

#include <stddef.h>

#include "base/buf.h"
#include "gadget/gadget.h"
#include "run/run_options.h"

/* Set g's params from c, c->fmt and c->profile from g.  0, or -EINVAL /
 * -ENOMEM with err naming the option. */
int gh_run_config_bind(struct gh_run_config *c, struct gh_gadget *g, char *err, size_t errlen);
/* The help of `run GADGET -h`. */
int gh_run_help(struct gh_buf *b, const struct gh_gadget *g);

#endif
