/* run_options.h - the options of `gadgethost run`, in one table.
 *
 * Each option is written once, in run_options.c's table: its names, the
 * type of its value, its help line, where its value lands in struct
 * gh_run_config, and whether a remote client may pass it.  Everything
 * else is made from the table:
 *
 *   gh_run_config_parse()        argv -> config: the command line, a
 *                                remote run's child, the Lua options read
 *                                before the gadget opens, a request's "args"
 *   gh_run_options_help()        the option lines of `run GADGET -h`
 *   gh_run_config_set()          one option by name from text (a request's
 *                                typed fields)
 *   gh_run_config_each_value()   config -> text, option by option: the
 *                                child's argv (gh_run_config_argv) and a
 *                                client's request body
 *   remote policy                a config with .remote set refuses, as it
 *                                is filled, every option its policy does
 *                                not allow (-EPERM, naming the option)
 *
 * The parser never touches the file system and never runs anything: it
 * only fills the config.  Strings in the config point into the caller's
 * argv (or JSON): keep those alive as long as the config.
 *
 * A --NAME the table does not have is a gadget param, kept as a key and
 * an optional value; run_params.h checks them against the gadget once it
 * is open.  A bare --KEY followed by a word (an argument that is not an
 * option) may take that word as its value, which only the gadget can
 * tell (a bool param does not): the word is kept, marked as following
 * --KEY, and the gadget is the first word that follows no bare --KEY (or
 * the first word, if every one does).
 */
#ifndef GH_RUN_OPTIONS_H
#define GH_RUN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "gadget/gadget.h"
#include "image/image_opts.h"
#include "output/out.h"
#include "run/run.h"
#include "run/run_containers.h"
#include "script/lua_guard.h"

#define GH_RUN_MAX_OPTIONS 64

enum gh_run_opt_type {
	GH_RUN_FLAG,     /* no value: a bool */
	GH_RUN_STRING,   /* const char * */
	GH_RUN_LIST,     /* repeatable: a NULL terminated const char ** */
	GH_RUN_U32,      /* decimal, 0 to 2^32-1 */
	GH_RUN_SECONDS,  /* a positive number of seconds, kept in ms (uint64_t) */
	GH_RUN_SIZE,     /* bytes: N, NK, NM, NG (powers of 1024) into a size_t */
	GH_RUN_COUNT,    /* N, NK, NM, NG (powers of 1000) into a uint64_t */
	GH_RUN_COMM,     /* at most 15 bytes into a char[16] */
	GH_RUN_MNTNS,    /* ID[,ID...], repeatable: a uint64_t array */
	GH_RUN_DURATION, /* seconds from 0 (none) to max ms, kept in ms (uint64_t) */
	GH_RUN_LAYER,    /* --lua CODE, --lua-file FILE: a Lua layer, in order */
	GH_RUN_SANDBOX,  /* layers|all: to[0] (layers) and to[1] (all too) */
};

/* Who may pass an option in a remote run (POST /v1/runs). */
enum gh_run_remote {
	GH_RUN_REMOTE_NO,       /* refused: 403 naming it */
	GH_RUN_REMOTE_YES,
	GH_RUN_REMOTE_INLINE,   /* only on a daemon started with --allow-inline-lua */
	GH_RUN_REMOTE_LIMIT,    /* a limit: not 0, not above the daemon's */
	GH_RUN_REMOTE_CLIENT,   /* the client's own (it makes the ready file, reads
				   a --lua-file and sends its code); the daemon
				   refuses it */
};

struct gh_run_option {
	const char *name;         /* "--output" */
	const char *alias;        /* "-o", or NULL */
	enum gh_run_opt_type type;
	const char *arg;          /* the value in the help: "FORMAT" */
	const char *help;         /* the help text; '\n' continues it indented */
	enum gh_run_remote remote;
	bool glob;                /* a shell glob: refused when malformed */
	const char *remote_why;   /* refused: why, for the 403 */
	/* where the value goes: up to three places in struct gh_run_config
	 * (0: none), and where a LIST or MNTNS keeps its count, a U32,
	 * SECONDS or COMM a bool set when given (0: none) */
	size_t to[3];
	size_t aux;
	/* SIZE, COUNT, DURATION (ms): the range, and how to say it when out
	 * of it */
	uint64_t min, max;
	bool zero_ok;             /* 0 is allowed below min ("0: none") */
	const char *range;
	/* a remote LIMIT: where the daemon's own is in struct
	 * gh_run_remote_policy (a uint64_t) */
	size_t policy_max;
};

/* A gadget param as given: --KEY=VALUE, or --KEY alone (value NULL). */
struct gh_run_param {
	char *key;                /* without the dashes; owned */
	const char *value;
	int next;                 /* --KEY alone: the word after it, or -1 */
};

/* An argument that is not an option: the gadget, or a param's value. */
struct gh_run_word {
	const char *text;
	int after_param;          /* the bare --KEY it follows, or -1 */
	bool used;                /* taken as that param's value */
};

/* What the remote client may do (gh_run_config.remote); the daemon's.
 * The limits are the daemon's own (0: none), a run's when its client set
 * none (gh_run_config_daemon_limits). */
struct gh_run_remote_policy {
	bool allow_inline_lua;
	uint64_t max_lua_memory;       /* --lua-memory-limit, bytes */
	uint64_t max_lua_instructions; /* --lua-instruction-limit */
	uint64_t max_lua_time_ms;      /* --lua-time-limit */
	/* the daemon's image settings, handed to each run by reference; no
	 * --allowed-gadgets: no run by reference at all */
	const struct gh_image_opts *image;
};

/* Every option of a run.  The member names are cmd_run.c's. */
struct gh_run_config {
	const char *gadget;       /* first: offset 0 is "no place" in the table */
	enum gh_out_format fmt;   /* from output, once the gadget is known */
	const char *output;       /* -o as given: profile gadgets have their own */
	const char **filters;
	size_t n_filters;
	const char *fields;
	const char *pf;           /* --pf: a pcap filter on a gadget's packets */
	struct gh_run_opts run;
	struct gh_kfilter kf;
	uint64_t *mntns;          /* --mntnsid, owned here; kf.mntns points at it */
	size_t n_mntns;
	struct gh_run_containers_opts copts;
	size_t n_runc_roots;
	size_t n_netns_paths;
	const char **attach_files; /* --attach-file: uprobes on a library, there too */
	size_t n_attach_files;
	const char *sort;
	bool table_option;        /* --sort or --max-rows given */
	bool interval_given;      /* --interval given (run.interval_ms) */
	bool help;
	bool trace_self;          /* --trace-self: the tracer's own activity too */
	bool profile;             /* the gadget is a profile gadget (profile.h) */
	bool watch;               /* --watch: reload the script, rebuild the object */
	struct gh_lua_config lua; /* limits and layers; lua.layers is layers */
	struct gh_lua_layer *layers;
	struct gh_image_opts image; /* a gadget image: --image-store, --verify-key... */

	/* --detach and an instance's own fields (the client's) */
	struct {
		bool detach;
		const char *name;
		uint32_t keep;
		bool keep_given;
		const char *remote;
		const char *rotate;
	} instance;

	struct gh_run_param *params;
	size_t n_params;
	struct gh_run_word *words;
	size_t n_words;
	int gadget_word;          /* the word that is the gadget, or -1 */
	unsigned char given[GH_RUN_MAX_OPTIONS]; /* times each option was given */
	char **owned;             /* gh_run_config_keep()'s copies */
	size_t n_owned;
	/* non-NULL: refuse what a remote client may not pass, as it is set */
	const struct gh_run_remote_policy *remote;
};

/* The table, in the order of the help, and its size. */
extern const struct gh_run_option gh_run_options[];
extern const size_t gh_run_n_options;

/* Whether o is one of the image settings (--image-store, --verify-key,
 * ...): the daemon takes them too, and hands its own to its runs. */
bool gh_run_option_is_image(const struct gh_run_option *o);

/* The option named name ("--comm", "-o"), or NULL. */
const struct gh_run_option *gh_run_option_find(const char *name);
size_t gh_run_option_index(const struct gh_run_option *o);

/* Defaults: columns, the Lua limits' defaults, nothing given. */
void gh_run_config_init(struct gh_run_config *c);
void gh_run_config_free(struct gh_run_config *c);

/* Fill c (after init) from argv (after "run").  0; -EINVAL with err naming
 * the option and the value; -EPERM when c->remote refuses an option;
 * -ENOMEM.  Unless c->gadget was set before, sets it (NULL: no word). */
int gh_run_config_parse(struct gh_run_config *c, int argc, char *const *argv, char *err,
			size_t errlen);
/* Set option o from text (NULL for a flag), as the parser does; name is
 * how it was given, for messages. */
int gh_run_config_set(struct gh_run_config *c, const struct gh_run_option *o, const char *name,
		      const char *text, char *err, size_t errlen);
/* A copy of text that lives as long as c (NULL: out of memory), for a
 * value made on the fly (a number's text). */
const char *gh_run_config_keep(struct gh_run_config *c, const char *text);
/* Whether c->remote lets a client pass o (0), or -EPERM naming it; a
 * limit's value is checked when it is set. */
int gh_run_config_allowed(const struct gh_run_config *c, const struct gh_run_option *o,
			  const char *name, char *err, size_t errlen);
/* Each remote LIMIT option the client left out, set to the policy's
 * value (which may be 0: none). */
int gh_run_config_daemon_limits(struct gh_run_config *c, const struct gh_run_remote_policy *p);
/* Add a gadget param (value NULL: --KEY alone). */
int gh_run_config_add_param(struct gh_run_config *c, const char *key, const char *value,
			    char *err, size_t errlen);
/* Give each bare --KEY the word after it when takes_value(ctx, KEY, WORD)
 * says so (takes_value NULL: always, for a remote run whose gadget is not
 * open here), then refuse any other word but the gadget:
 * `unexpected argument "x"`. */
int gh_run_config_take_words(struct gh_run_config *c,
			     bool (*takes_value)(void *ctx, const char *key, const char *word),
			     void *ctx,
			     char *err, size_t errlen);

/* Call fn with each value of option o as text the parser reads back
 * (NULL for a flag), once per time it counts; layers only for the layer
 * option of their kind, in the order given.  Stops at fn's first
 * non-zero return, which it returns. */
typedef int (*gh_run_value_fn)(void *ctx, const struct gh_run_option *o, const char *text);
int gh_run_config_each_value(const struct gh_run_config *c, const struct gh_run_option *o,
			     gh_run_value_fn fn, void *ctx);

/* A NULL terminated argv of malloc'd strings. */
struct gh_run_argv {
	char **v;
	size_t n;
};
int gh_run_argv_push(struct gh_run_argv *a, const char *s);
void gh_run_argv_free(struct gh_run_argv *a);
/* c as run's argv: the gadget, each option given as --NAME=VALUE (a flag
 * as --NAME) in the table's order, layers in theirs, then the params as
 * --KEY=VALUE (--KEY alone stays so).  No value is ever an argument of
 * its own, so none can be read as an option.  Appended to out. */
int gh_run_config_argv(const struct gh_run_config *c, struct gh_run_argv *out);

/* The "options:" part of `run -h`. */
int gh_run_options_help(struct gh_buf *b);

#endif
