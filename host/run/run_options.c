/* run_options.c - the options of `gadgethost run`: the table and what is
 * made from it (run_options.h). */
#include "run/run_options.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/glob_check.h"

#define OFF(member) offsetof(struct gh_run_config, member)
#define HELP_WIDTH 21 /* "  -o, --output FORMAT " then the help */

/* `gadget` is at offset 0, which the table's `to` uses for "no place". */
_Static_assert(offsetof(struct gh_run_config, gadget) == 0, "gadget must come first");

#define FILE_ON_NODE "it names a file on the node"
#define INSTANCE_FIELD "an instance's own field (POST /v1/instances)"
#define IMAGE_SETTING "the node's image settings are the daemon's"

const struct gh_run_option gh_run_options[] = {
	{.name = "--output", .alias = "-o", .type = GH_RUN_STRING, .arg = "FORMAT",
	 .help = "columns (default), json, jsonpretty, yaml; pcapng\n"
		 "for a gadget whose rows are packets",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(output)}},
	{.name = "--filter", .alias = "-F", .type = GH_RUN_LIST, .arg = "EXPR",
	 .help = "field==value, != >= > <= < ~regex; commas AND",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(filters)}, .aux = OFF(n_filters)},
	{.name = "--pf", .type = GH_RUN_STRING, .arg = "EXPR",
	 .help = "packets (trace/tcpdump): a pcap filter, as tcpdump's\n"
		 "('tcp port 80 and host 10.0.0.1'), by libpcap",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(pf)}},
	{.name = "--fields", .type = GH_RUN_STRING, .arg = "LIST",
	 .help = "a,b,c picks columns; +f,-g edits the defaults",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(fields)}},
	{.name = "--timeout", .type = GH_RUN_SECONDS, .arg = "SECONDS",
	 .help = "stop after this long",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(run.timeout_ms)}},
	{.name = "--sort", .type = GH_RUN_STRING, .arg = "[-]F,[-]G",
	 .help = "top, snapshot: sort rows (-: descending)",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(sort)}, .aux = OFF(table_option)},
	{.name = "--max-rows", .type = GH_RUN_U32, .arg = "N",
	 .help = "top, snapshot: print the first N rows",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(run.max_rows)}, .aux = OFF(table_option)},
	{.name = "--interval", .type = GH_RUN_SECONDS, .arg = "SECONDS",
	 .help = "top: one table this often (default 1); snapshot: a new\n"
		 "look this often (default: one look); profile: print\n"
		 "and start anew; then, every kind: the script's\n"
		 "on_interval, and the --metric's so far",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(run.interval_ms)}, .aux = OFF(interval_given)},
	{.name = "--pid", .type = GH_RUN_U32, .arg = "PID",
	 .help = "only this process, in the kernel",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(kf.pid)}},
	{.name = "--tid", .type = GH_RUN_U32, .arg = "TID",
	 .help = "only this thread, in the kernel",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(kf.tid)}},
	{.name = "--uid", .type = GH_RUN_U32, .arg = "UID",
	 .help = "only this user, in the kernel",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(kf.uid)}, .aux = OFF(kf.uid_on)},
	{.name = "--gid", .type = GH_RUN_U32, .arg = "GID",
	 .help = "only this group, in the kernel",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(kf.gid)}, .aux = OFF(kf.gid_on)},
	{.name = "--comm", .type = GH_RUN_COMM, .arg = "NAME",
	 .help = "only rows whose COMM is NAME, in the kernel (an\n"
		 "exec's: the new program's name)",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(kf.comm)}, .aux = OFF(kf.comm_on)},
	{.name = "--mntnsid", .type = GH_RUN_MNTNS, .arg = "ID[,ID]",
	 .help = "only these mount namespaces, in the kernel",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(mntns)}, .aux = OFF(n_mntns)},
	{.name = "--containername", .alias = "-c", .type = GH_RUN_LIST, .arg = "NAME",
	 .help = "only these containers (globs, repeatable);\n"
		 "default: every container, no host process",
	 .remote = GH_RUN_REMOTE_YES, .glob = true, .to = {OFF(copts.select.names)},
	 .aux = OFF(copts.select.n_names)},
	{.name = "--trace-self", .type = GH_RUN_FLAG,
	 .help = "gadgethost's own activity too (left out by\n"
		 "default, in the kernel)",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(trace_self)}},
	{.name = "--host", .type = GH_RUN_FLAG,
	 .help = "host processes too (no container filter)",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(copts.host)}},
	{.name = "--k8s-namespace", .type = GH_RUN_STRING, .arg = "GLOB",
	 .help = "pods of these namespaces",
	 .remote = GH_RUN_REMOTE_YES, .glob = true, .to = {OFF(copts.select.k8s_namespace)}},
	{.name = "--k8s-podname", .type = GH_RUN_STRING, .arg = "GLOB",
	 .help = "these pods",
	 .remote = GH_RUN_REMOTE_YES, .glob = true, .to = {OFF(copts.select.k8s_pod)}},
	{.name = "--k8s-containername", .type = GH_RUN_STRING, .arg = "GLOB",
	 .help = "these containers of pods",
	 .remote = GH_RUN_REMOTE_YES, .glob = true, .to = {OFF(copts.select.k8s_container)}},
	{.name = "--runc-root", .type = GH_RUN_LIST, .arg = "DIR",
	 .help = "where runtimes keep runc state (repeatable; default:\n"
		 "/run/runc /run/containerd/runc /run/docker/runtime-runc)",
	 .remote = GH_RUN_REMOTE_NO, .remote_why = FILE_ON_NODE,
	 .to = {OFF(copts.runc_roots)}, .aux = OFF(n_runc_roots)},
	{.name = "--docker-socket", .type = GH_RUN_STRING, .arg = "PATH",
	 .help = "Docker Engine API, for names (/run/docker.sock)",
	 .remote = GH_RUN_REMOTE_NO, .remote_why = FILE_ON_NODE, .to = {OFF(copts.docker_socket)}},
	{.name = "--hook-dir", .type = GH_RUN_STRING, .arg = "DIR",
	 .help = "where OCI hooks find this run's socket",
	 .remote = GH_RUN_REMOTE_NO, .remote_why = FILE_ON_NODE, .to = {OFF(copts.hook_dir)}},
	{.name = "--netns", .type = GH_RUN_LIST, .arg = "PATH",
	 .help = "socket programs: also this network namespace\n"
		 "(/run/netns/NAME, /proc/PID/ns/net; repeatable)",
	 .remote = GH_RUN_REMOTE_NO, .remote_why = "it opens a path on the node",
	 .to = {OFF(copts.netns_paths)}, .aux = OFF(n_netns_paths)},
	{.name = "--attach-file", .type = GH_RUN_LIST, .arg = "PATH",
	 .help = "uprobes on a library: also on this file (a program\n"
		 "with the library linked in statically; repeatable)",
	 .remote = GH_RUN_REMOTE_NO, .remote_why = "it opens a path on the node",
	 .to = {OFF(attach_files)}, .aux = OFF(n_attach_files)},
	{.name = "--ready-file", .type = GH_RUN_STRING, .arg = "PATH",
	 .help = "created once the gadget is attached",
	 .remote = GH_RUN_REMOTE_CLIENT, .remote_why = FILE_ON_NODE,
	 .to = {OFF(run.ready_file)}},
	{.name = "--verbose", .alias = "-v", .type = GH_RUN_FLAG,
	 .help = "say what is loaded and attached",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(run.verbose)}},
	{.name = "--watch", .type = GH_RUN_FLAG,
	 .help = "reload the .lua when it changes, rebuild the .bpf.c",
	 .remote = GH_RUN_REMOTE_NO, .remote_why = "it reads and rebuilds files on the node",
	 .to = {OFF(watch)}},
	{.name = "--lua", .type = GH_RUN_LAYER, .arg = "CODE",
	 .help = "Lua run on the gadget table (docs/lua-api.md)",
	 .remote = GH_RUN_REMOTE_INLINE},
	{.name = "--lua-file", .type = GH_RUN_LAYER, .arg = "FILE",
	 .help = "the same, from a file (repeatable, in order)",
	 .remote = GH_RUN_REMOTE_CLIENT, .remote_why = FILE_ON_NODE},
	{.name = "--lua-memory-limit", .type = GH_RUN_SIZE, .arg = "SIZE",
	 .help = "per script (default 64M; 0: none)",
	 .remote = GH_RUN_REMOTE_LIMIT, .to = {OFF(lua.memory_limit)},
	 .min = 1u << 20, .max = SIZE_MAX, .zero_ok = true,
	 .range = "at least 1M (the libraries take hundreds of KiB), or 0 for no limit",
	 .policy_max = offsetof(struct gh_run_remote_policy, max_lua_memory)},
	{.name = "--lua-instruction-limit", .type = GH_RUN_COUNT, .arg = "N",
	 .help = "per hook call (default 10M; 0: none)",
	 .remote = GH_RUN_REMOTE_LIMIT, .to = {OFF(lua.instruction_limit)},
	 .max = 2000000000ULL, .zero_ok = true, .range = "at most 2G",
	 .policy_max = offsetof(struct gh_run_remote_policy, max_lua_instructions)},
	{.name = "--lua-time-limit", .type = GH_RUN_DURATION, .arg = "SECONDS",
	 .help = "per hook call, wall clock (default 5; 0: none)",
	 .remote = GH_RUN_REMOTE_LIMIT, .to = {OFF(lua.time_limit_ms)},
	 .max = 3600 * 1000, .zero_ok = true, .range = "0 to 3600; 0: none",
	 .policy_max = offsetof(struct gh_run_remote_policy, max_lua_time_ms)},
	{.name = "--lua-sandbox", .type = GH_RUN_SANDBOX, .arg = "layers|all",
	 .help = "the daemon's: the Lua a client sent runs sandboxed\n"
		 "(docs/lua-api.md): the layers, or the script too",
	 .remote = GH_RUN_REMOTE_NO, .remote_why = "the daemon sets it",
	 .to = {OFF(lua.sandbox_layers), OFF(lua.sandbox_script)}},
	/* metrics from the kept events (run/event_metrics.h, docs/deploy.md) */
	{.name = "--metric", .type = GH_RUN_LIST, .arg = "SPEC",
	 .help = "NAME=counter [by F,...], NAME=gauge(F) [by ...] or\n"
		 "NAME=histogram(F) [by ...]: a Prometheus metric of the\n"
		 "kept events, served by the daemon; without one,\n"
		 "printed at the end and every --interval (repeatable)",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(run.metrics)}, .aux = OFF(run.n_metrics)},
	{.name = "--metrics-max-series", .type = GH_RUN_U32, .arg = "N",
	 .help = "label sets one metric may have (default 1000); an\n"
		 "event past it is counted as dropped",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(run.metrics_max_series)}},
	{.name = "--report-fd", .type = GH_RUN_U32, .arg = "FD",
	 .help = "the daemon's: the run's numbers to this descriptor",
	 .remote = GH_RUN_REMOTE_NO, .remote_why = "the daemon sets it",
	 .to = {OFF(run.report_fd)}, .aux = OFF(run.report_fd_given)},
	/* an instance on a daemon (docs/deploy.md): the client's own */
	{.name = "--detach", .type = GH_RUN_FLAG,
	 .help = "start it as an instance on the daemon (--remote URL,\n"
		 "default unix:///run/gadgethost.sock) and return",
	 .remote = GH_RUN_REMOTE_CLIENT, .remote_why = INSTANCE_FIELD,
	 .to = {OFF(instance.detach)}},
	{.name = "--name", .type = GH_RUN_STRING, .arg = "NAME",
	 .help = "--detach: the instance's name",
	 .remote = GH_RUN_REMOTE_CLIENT, .remote_why = INSTANCE_FIELD,
	 .to = {OFF(instance.name)}},
	{.name = "--keep", .type = GH_RUN_U32, .arg = "N",
	 .help = "--detach: rows kept for attach to replay (default 100)",
	 .remote = GH_RUN_REMOTE_CLIENT, .remote_why = INSTANCE_FIELD,
	 .to = {OFF(instance.keep)}, .aux = OFF(instance.keep_given)},
	{.name = "--rotate", .type = GH_RUN_STRING, .arg = "SIZE[,COUNT]",
	 .help = "--detach: its rows also to a file on the node, a new\n"
		 "one past SIZE, COUNT old ones kept (default 5)",
	 .remote = GH_RUN_REMOTE_CLIENT, .remote_why = INSTANCE_FIELD,
	 .to = {OFF(instance.rotate)}},
	{.name = "--remote", .type = GH_RUN_STRING, .arg = "URL",
	 .help = "--detach: the daemon (unix:///PATH, tcp://127.0.0.1:PORT)",
	 .remote = GH_RUN_REMOTE_CLIENT, .remote_why = INSTANCE_FIELD,
	 .to = {OFF(instance.remote)}},
	/* gadget images (docs/gadget-images.md): the node's settings */
	{.name = "--image-store", .type = GH_RUN_STRING, .arg = "DIR",
	 .help = "images: the local store (default\n/var/lib/gadgethost/images)",
	 .remote = GH_RUN_REMOTE_NO, .remote_why = IMAGE_SETTING, .to = {OFF(image.store)}},
	{.name = "--verify-key", .type = GH_RUN_LIST, .arg = "FILE",
	 .help = "images: a public key, or a folder of *.pub, that\nsigns what runs (repeatable; "
		 "default /etc/gadgethost/keys)",
	 .remote = GH_RUN_REMOTE_NO, .remote_why = IMAGE_SETTING, .to = {OFF(image.verify_keys)},
	 .aux = OFF(image.n_verify_keys)},
	{.name = "--verify", .type = GH_RUN_STRING, .arg = "true|false",
	 .help = "images: false runs them unverified (default true)",
	 .remote = GH_RUN_REMOTE_NO, .remote_why = IMAGE_SETTING, .to = {OFF(image.verify)}},
	{.name = "--allowed-gadgets", .type = GH_RUN_LIST, .arg = "LIST",
	 .help = "images: only these: digests, references, globs\n(commas, repeatable)",
	 .remote = GH_RUN_REMOTE_NO, .remote_why = IMAGE_SETTING, .to = {OFF(image.allowed)},
	 .aux = OFF(image.n_allowed)},
	{.name = "--no-pull", .type = GH_RUN_FLAG,
	 .help = "images: from the store only, never pull",
	 .remote = GH_RUN_REMOTE_NO, .remote_why = IMAGE_SETTING, .to = {OFF(image.no_pull)}},
	{.name = "--registry-ca", .type = GH_RUN_STRING, .arg = "FILE",
	 .help = "images: CA certificates registries are checked with",
	 .remote = GH_RUN_REMOTE_NO, .remote_why = IMAGE_SETTING, .to = {OFF(image.registry_ca)}},
	{.name = "--registry-auth", .type = GH_RUN_STRING, .arg = "FILE",
	 .help = "images: registry credentials (docker's config.json)",
	 .remote = GH_RUN_REMOTE_NO, .remote_why = IMAGE_SETTING, .to = {OFF(image.registry_auth)}},
	{.name = "--default-registry", .type = GH_RUN_STRING, .arg = "HOST[:PORT]",
	 .help = "images: the registry of a reference without one",
	 .remote = GH_RUN_REMOTE_NO, .remote_why = IMAGE_SETTING,
	 .to = {OFF(image.default_registry)}},
	{.name = "--help", .alias = "-h", .type = GH_RUN_FLAG,
	 .help = "this help, with the gadget's params",
	 .remote = GH_RUN_REMOTE_YES, .to = {OFF(help)}},
};

const size_t gh_run_n_options = sizeof(gh_run_options) / sizeof(gh_run_options[0]);

_Static_assert(sizeof(gh_run_options) / sizeof(gh_run_options[0]) <= GH_RUN_MAX_OPTIONS,
	       "raise GH_RUN_MAX_OPTIONS");

const struct gh_run_option *gh_run_option_find(const char *name)
{
	for (size_t i = 0; i < gh_run_n_options; i++) {
		const struct gh_run_option *o = &gh_run_options[i];

		if (!strcmp(name, o->name) || (o->alias && !strcmp(name, o->alias)))
			return o;
	}
	return NULL;
}

bool gh_run_option_is_image(const struct gh_run_option *o)
{
	return o->to[0] >= OFF(image) && o->to[0] < OFF(image) + sizeof(struct gh_image_opts);
}

size_t gh_run_option_index(const struct gh_run_option *o)
{
	return (size_t)(o - gh_run_options);
}

static void *at(struct gh_run_config *c, size_t off)
{
	return (char *)c + off;
}

static const void *at_const(const struct gh_run_config *c, size_t off)
{
	return (const char *)c + off;
}

/* Lists are read and written through memcpy: their members are declared
 * const char ** or const char *const *, one representation. */
static const char **list_get(const struct gh_run_config *c, size_t off)
{
	const char **l;

	memcpy(&l, at_const(c, off), sizeof(l));
	return l;
}

static void list_put(struct gh_run_config *c, size_t off, const char **l)
{
	memcpy(at(c, off), &l, sizeof(l));
}

/* U32 values land in uint32_t members, but for the run's max_rows (a
 * size_t, as struct gh_run_opts has it). */
static void store_u32(struct gh_run_config *c, size_t off, uint32_t v)
{
	if (off == OFF(run.max_rows))
		c->run.max_rows = v;
	else
		*(uint32_t *)at(c, off) = v;
}

static uint32_t load_u32(const struct gh_run_config *c, size_t off)
{
	if (off == OFF(run.max_rows))
		return (uint32_t)c->run.max_rows;
	return *(const uint32_t *)at_const(c, off);
}

void gh_run_config_init(struct gh_run_config *c)
{
	memset(c, 0, sizeof(*c));
	c->fmt = GH_OUT_COLUMNS;
	c->gadget_word = -1;
	c->lua.memory_limit = GH_LUA_MEMORY_LIMIT_DEFAULT;
	c->lua.instruction_limit = GH_LUA_INSTRUCTION_LIMIT_DEFAULT;
	c->lua.time_limit_ms = GH_LUA_TIME_LIMIT_MS_DEFAULT;
}

void gh_run_config_free(struct gh_run_config *c)
{
	for (size_t i = 0; i < gh_run_n_options; i++)
		if (gh_run_options[i].type == GH_RUN_LIST)
			free(list_get(c, gh_run_options[i].to[0]));
	free(c->mntns);
	for (size_t i = 0; i < c->n_params; i++)
		free(c->params[i].key);
	free(c->params);
	free(c->words);
	free(c->layers);
	for (size_t i = 0; i < c->n_owned; i++)
		free(c->owned[i]);
	free(c->owned);
	gh_run_config_init(c);
}

/* Numbers start with a digit: no sign, no space (strtoul takes both). */
static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

static int parse_u32(const char *opt, const char *text, uint32_t *out, char *err,
		     size_t errlen)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (!digit(text[0]) || *end)
		return gh_err(err, errlen, -EINVAL, "%s: \"%s\" is not a number", opt, text);
	if (errno || v > UINT32_MAX)
		return gh_err(err, errlen, -EINVAL, "%s: %s is out of range (0 to %" PRIu32 ")", opt,
			      text, UINT32_MAX);
	*out = (uint32_t)v;
	return 0;
}

static int parse_seconds(const char *opt, const char *text, uint64_t *ms, char *err,
			 size_t errlen)
{
	char *end;
	double sec;

	errno = 0;
	sec = strtod(text, &end);
	if (errno || end == text || *end || !(sec > 0) || sec > 1e9)
		return gh_err(err, errlen, -EINVAL, "%s: \"%s\" is not a positive number of seconds",
			      opt, text);
	*ms = (uint64_t)(sec * 1000 + 0.5);
	if (!*ms)
		*ms = 1;
	return 0;
}

/* N, NK, NM, NG (powers of unit: 1024 for sizes, 1000 for counts) */
static int parse_amount(const char *opt, const char *text, uint64_t unit, uint64_t *out,
			char *err, size_t errlen)
{
	char *end;
	unsigned long long v;
	uint64_t scale = 1;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || !digit(text[0]))
		goto bad;
	if (*end == 'K' || *end == 'k')
		scale = unit, end++;
	else if (*end == 'M' || *end == 'm')
		scale = unit * unit, end++;
	else if (*end == 'G' || *end == 'g')
		scale = unit * unit * unit, end++;
	if (unit == 1024 && *end == 'i')
		end++;
	if (unit == 1024 && *end == 'B')
		end++;
	if (*end || (v && scale > UINT64_MAX / v))
		goto bad;
	*out = v * scale;
	return 0;
bad:
	return gh_err(err, errlen, -EINVAL, "%s: \"%s\" is not an amount (a number, with K, M or G)",
		      opt, text);
}

/* --mntnsid ID[,ID...]: appended to mntns, which kf.mntns points at (until
 * the containers of the run widen kf's filter: mntns stays the user's) */
static int add_mntns(struct gh_run_config *c, const char *opt, const char *text, char *err,
		     size_t errlen)
{
	const char *p = text;

	while (*p) {
		size_t len = strcspn(p, ",");
		char *end;
		unsigned long long v;
		uint64_t *grown;

		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno || !digit(*p) || (size_t)(end - p) != len || !v)
			return gh_err(err, errlen, -EINVAL, "%s: \"%.*s\" is not a mount namespace id "
				      "(a number, as in mountnsid or ls -l /proc/PID/ns/mnt)", opt,
				      (int)len, p);
		grown = realloc(c->mntns, (c->n_mntns + 1) * sizeof(*grown));
		if (!grown)
			return gh_err(err, errlen, -ENOMEM, "out of memory");
		grown[c->n_mntns++] = v;
		c->mntns = grown;
		c->kf.mntns = grown;
		c->kf.n_mntns = c->n_mntns;
		p += len;
		if (*p == ',')
			p++;
	}
	if (!c->n_mntns)
		return gh_err(err, errlen, -EINVAL, "%s needs a mount namespace id", opt);
	return 0;
}

static int add_to_list(struct gh_run_config *c, const struct gh_run_option *o, const char *val,
		       char *err, size_t errlen)
{
	size_t *n = at(c, o->aux);
	const char **grown = realloc(list_get(c, o->to[0]), (*n + 2) * sizeof(*grown));

	if (!grown)
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	grown[(*n)++] = val;
	grown[*n] = NULL;
	list_put(c, o->to[0], grown);
	return 0;
}

static int add_layer(struct gh_run_config *c, const struct gh_run_option *o, const char *val,
		     char *err, size_t errlen)
{
	struct gh_lua_layer *grown = realloc(c->layers, (c->lua.n_layers + 1) * sizeof(*grown));

	if (!grown)
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	c->layers = grown;
	grown[c->lua.n_layers].code = strcmp(o->name, "--lua") ? NULL : val;
	grown[c->lua.n_layers].file = strcmp(o->name, "--lua") ? val : NULL;
	c->lua.n_layers++;
	c->lua.layers = grown;
	return 0;
}

/* A SIZE (a size_t), COUNT or DURATION (uint64_t) value, in each place. */
static void store_amount(struct gh_run_config *c, const struct gh_run_option *o, uint64_t v)
{
	for (size_t k = 0; k < 3 && o->to[k]; k++) {
		if (o->type == GH_RUN_SIZE)
			*(size_t *)at(c, o->to[k]) = (size_t)v;
		else
			*(uint64_t *)at(c, o->to[k]) = v;
	}
}

/* Such a value as the parser reads it back: bytes, a count, seconds. */
static void amount_text(const struct gh_run_option *o, uint64_t v, char *buf, size_t len)
{
	if (o->type == GH_RUN_DURATION)
		snprintf(buf, len, "%" PRIu64 ".%03" PRIu64, v / 1000, v % 1000);
	else
		snprintf(buf, len, "%" PRIu64, v);
}

/* A number of seconds from 0 into ms; the range is the caller's. */
static int parse_duration(const char *opt, const char *text, const char *range, uint64_t *ms,
			  char *err, size_t errlen)
{
	char *end;
	double sec;

	errno = 0;
	sec = strtod(text, &end);
	if (errno || !digit(text[0]) || *end || sec > 1e9)
		return gh_err(err, errlen, -EINVAL, "%s: \"%s\" is not a number of seconds (%s)", opt,
			      text, range);
	*ms = (uint64_t)(sec * 1000 + 0.5);
	if (sec > 0 && !*ms)
		*ms = 1;
	return 0;
}

static int set_amount(struct gh_run_config *c, const struct gh_run_option *o, const char *name,
		      const char *text, char *err, size_t errlen)
{
	uint64_t v = 0;
	int ret = o->type == GH_RUN_DURATION
			  ? parse_duration(name, text, o->range, &v, err, errlen)
			  : parse_amount(name, text, o->type == GH_RUN_SIZE ? 1024 : 1000, &v, err,
					 errlen);

	if (ret)
		return ret;
	if (((v < o->min && !(o->zero_ok && !v)) || v > o->max) && o->type == GH_RUN_DURATION)
		return gh_err(err, errlen, -EINVAL, "%s: \"%s\" is not a number of seconds (%s)",
			      name, text, o->range);
	if ((v < o->min && !(o->zero_ok && !v)) || v > o->max)
		return gh_err(err, errlen, -EINVAL, "%s: %s", name, o->range);
	store_amount(c, o, v);
	return 0;
}

/* The value of a SIZE, COUNT or DURATION option as set. */
static uint64_t amount_of(const struct gh_run_config *c, const struct gh_run_option *o)
{
	if (o->type == GH_RUN_SIZE)
		return *(const size_t *)at_const(c, o->to[0]);
	return *(const uint64_t *)at_const(c, o->to[0]);
}

/* The remote policy, before the value is read (a limit: after). */
static int remote_check(const struct gh_run_config *c, const struct gh_run_option *o,
			const char *name, bool value_set, char *err, size_t errlen)
{
	const struct gh_run_remote_policy *p = c->remote;
	uint64_t v, max;

	if (!p)
		return 0;
	switch (o->remote) {
	case GH_RUN_REMOTE_YES:
		return 0;
	case GH_RUN_REMOTE_NO:
	case GH_RUN_REMOTE_CLIENT:
		return gh_err(err, errlen, -EPERM, "%s is not allowed in a remote run: %s", name,
			      o->remote_why);
	case GH_RUN_REMOTE_INLINE:
		if (p->allow_inline_lua)
			return 0;
		return gh_err(err, errlen, -EPERM, "%s is not allowed in a remote run: inline Lua "
			      "is not allowed by this daemon (start it with --allow-inline-lua)",
			      name);
	case GH_RUN_REMOTE_LIMIT:
		if (!value_set)
			return 0;
		v = amount_of(c, o);
		memcpy(&max, (const char *)p + o->policy_max, sizeof(max));
		if (!v)
			return gh_err(err, errlen, -EPERM, "%s is not allowed in a remote run: 0 (no "
				      "limit) is not allowed remotely", name);
		if (max && v > max) {
			char given[32], limit[32];

			amount_text(o, v, given, sizeof(given));
			amount_text(o, max, limit, sizeof(limit));
			return gh_err(err, errlen, -EPERM, "%s is not allowed in a remote run: %s is "
				      "above this daemon's %s", name, given, limit);
		}
		return 0;
	}
	return gh_err(err, errlen, -EPERM, "%s is not allowed in a remote run", name);
}

int gh_run_config_daemon_limits(struct gh_run_config *c, const struct gh_run_remote_policy *p)
{
	for (size_t i = 0; i < gh_run_n_options; i++) {
		const struct gh_run_option *o = &gh_run_options[i];
		uint64_t v;

		if (o->remote != GH_RUN_REMOTE_LIMIT || c->given[i])
			continue;
		memcpy(&v, (const char *)p + o->policy_max, sizeof(v));
		store_amount(c, o, v);
		c->given[i] = 1;
	}
	return 0;
}

const char *gh_run_config_keep(struct gh_run_config *c, const char *text)
{
	char **grown = realloc(c->owned, (c->n_owned + 1) * sizeof(*grown));

	if (!grown)
		return NULL;
	c->owned = grown;
	grown[c->n_owned] = strdup(text);
	return grown[c->n_owned] ? grown[c->n_owned++] : NULL;
}

int gh_run_config_allowed(const struct gh_run_config *c, const struct gh_run_option *o,
			  const char *name, char *err, size_t errlen)
{
	return remote_check(c, o, name, false, err, errlen);
}

int gh_run_config_set(struct gh_run_config *c, const struct gh_run_option *o, const char *name,
		      const char *text, char *err, size_t errlen)
{
	size_t idx = gh_run_option_index(o);
	int ret = remote_check(c, o, name, false, err, errlen);

	if (ret)
		return ret;
	if (o->type != GH_RUN_FLAG && !text)
		return gh_err(err, errlen, -EINVAL, "%s needs a value", name);
	if (o->type == GH_RUN_FLAG && text)
		return gh_err(err, errlen, -EINVAL, "%s takes no value", name);
	if (o->glob && gh_glob_problem(text))
		return gh_err(err, errlen, -EINVAL, "%s \"%s\": %s", name, text,
			      gh_glob_problem(text));
	switch (o->type) {
	case GH_RUN_FLAG:
		for (size_t k = 0; k < 3 && o->to[k]; k++)
			*(bool *)at(c, o->to[k]) = true;
		break;
	case GH_RUN_STRING:
		for (size_t k = 0; k < 3 && o->to[k]; k++)
			*(const char **)at(c, o->to[k]) = text;
		break;
	case GH_RUN_LIST:
		ret = add_to_list(c, o, text, err, errlen);
		break;
	case GH_RUN_U32: {
		uint32_t v = 0;

		ret = parse_u32(name, text, &v, err, errlen);
		for (size_t k = 0; !ret && k < 3 && o->to[k]; k++)
			store_u32(c, o->to[k], v);
		break;
	}
	case GH_RUN_SECONDS: {
		uint64_t ms = 0;

		ret = parse_seconds(name, text, &ms, err, errlen);
		for (size_t k = 0; !ret && k < 3 && o->to[k]; k++)
			*(uint64_t *)at(c, o->to[k]) = ms;
		break;
	}
	case GH_RUN_SIZE:
	case GH_RUN_COUNT:
	case GH_RUN_DURATION:
		ret = set_amount(c, o, name, text, err, errlen);
		if (!ret)
			ret = remote_check(c, o, name, true, err, errlen);
		break;
	case GH_RUN_SANDBOX:
		if (strcmp(text, "layers") && strcmp(text, "all"))
			return gh_err(err, errlen, -EINVAL, "%s: \"%s\" is not layers or all", name,
				      text);
		*(bool *)at(c, o->to[0]) = true;
		*(bool *)at(c, o->to[1]) = *(bool *)at(c, o->to[1]) || !strcmp(text, "all");
		break;
	case GH_RUN_COMM:
		if (strlen(text) >= sizeof(c->kf.comm))
			return gh_err(err, errlen, -EINVAL, "%s: \"%s\" is longer than 15 bytes (the "
				      "kernel keeps 15)", name, text);
		snprintf(c->kf.comm, sizeof(c->kf.comm), "%s", text);
		break;
	case GH_RUN_MNTNS:
		ret = add_mntns(c, name, text, err, errlen);
		break;
	case GH_RUN_LAYER:
		ret = add_layer(c, o, text, err, errlen);
		break;
	}
	if (ret)
		return ret;
	if (o->aux && o->type != GH_RUN_LIST && o->type != GH_RUN_MNTNS)
		*(bool *)at(c, o->aux) = true;
	if (c->given[idx] < 255)
		c->given[idx]++;
	return 0;
}

/* A param's key: a letter or digit, then letters, digits, - _ . */
static bool param_key_ok(const char *k, size_t len)
{
	if (!len || !((k[0] >= 'a' && k[0] <= 'z') || (k[0] >= 'A' && k[0] <= 'Z') ||
		      (k[0] >= '0' && k[0] <= '9')))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!(k[i] >= 'a' && k[i] <= 'z') && !(k[i] >= 'A' && k[i] <= 'Z') &&
		    !(k[i] >= '0' && k[i] <= '9') && k[i] != '-' && k[i] != '_' && k[i] != '.')
			return false;
	return true;
}

static int add_param(struct gh_run_config *c, const char *key, size_t len, const char *value,
		     char *err, size_t errlen)
{
	struct gh_run_param *grown;

	if (!param_key_ok(key, len))
		return gh_err(err, errlen, -EINVAL, "unknown option --%.*s", (int)(len > 64 ? 64 : len),
			      key);
	grown = realloc(c->params, (c->n_params + 1) * sizeof(*grown));
	if (!grown)
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	c->params = grown;
	grown[c->n_params].key = strndup(key, len);
	grown[c->n_params].value = value;
	grown[c->n_params].next = -1;
	if (!grown[c->n_params].key)
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	c->n_params++;
	return 0;
}

int gh_run_config_add_param(struct gh_run_config *c, const char *key, const char *value,
			    char *err, size_t errlen)
{
	return add_param(c, key, strlen(key), value, err, errlen);
}

static int add_word(struct gh_run_config *c, const char *text, char *err, size_t errlen)
{
	struct gh_run_word *grown = realloc(c->words, (c->n_words + 1) * sizeof(*grown));
	int after = -1;

	if (!grown)
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	c->words = grown;
	/* right after a bare --KEY: maybe its value */
	if (c->n_params && !c->params[c->n_params - 1].value &&
	    c->params[c->n_params - 1].next == -2) {
		after = (int)c->n_params - 1;
		c->params[after].next = (int)c->n_words;
	}
	grown[c->n_words].text = text;
	grown[c->n_words].after_param = after;
	grown[c->n_words].used = false;
	c->n_words++;
	return 0;
}

int gh_run_config_parse(struct gh_run_config *c, int argc, char *const *argv, char *err,
			size_t errlen)
{
	bool gadget_given = c->gadget != NULL;
	int ret = 0;

	for (int i = 0; i < argc && !ret; i++) {
		const char *arg = argv[i], *eq, *val = NULL;
		const struct gh_run_option *o;
		bool pending = c->n_params && c->params[c->n_params - 1].next == -2;
		char name[64];

		eq = strchr(arg, '=');
		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
		if (eq)
			val = eq + 1;
		o = arg[0] == '-' ? gh_run_option_find(name) : NULL;
		/* after a bare --KEY, what is no option (a word, or "-1") may be
		 * its value: the gadget decides (run_params.c) */
		if (arg[0] != '-' || (pending && !o && strncmp(arg, "--", 2))) {
			ret = add_word(c, arg, err, errlen);
			continue;
		}
		if (pending)
			c->params[c->n_params - 1].next = -1;
		if (o) {
			if (o->type != GH_RUN_FLAG && !val) {
				if (i + 1 >= argc) {
					ret = remote_check(c, o, name, false, err, errlen);
					if (!ret)
						ret = gh_err(err, errlen, -EINVAL, "%s needs a value", name);
					break;
				}
				val = argv[++i];
			}
			ret = gh_run_config_set(c, o, name, val, err, errlen);
			continue;
		}
		if (strncmp(arg, "--", 2) || !arg[2])
			return gh_err(err, errlen, -EINVAL, "unknown option %s", name);
		ret = add_param(c, arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2), val, err,
				errlen);
		if (!ret && !val)
			c->params[c->n_params - 1].next = -2; /* the next argument decides */
	}
	if (c->n_params && c->params[c->n_params - 1].next == -2)
		c->params[c->n_params - 1].next = -1;
	if (ret || gadget_given)
		return ret;
	/* the gadget: the first word that follows no bare --KEY, else the first */
	for (size_t i = 0; i < c->n_words && c->gadget_word < 0; i++)
		if (c->words[i].after_param < 0)
			c->gadget_word = (int)i;
	for (size_t i = 0; i < c->n_words && c->gadget_word < 0; i++)
		if (c->words[i].text[0] != '-')
			c->gadget_word = (int)i;
	c->gadget = c->gadget_word >= 0 ? c->words[c->gadget_word].text : NULL;
	return 0;
}

int gh_run_config_take_words(struct gh_run_config *c,
			     bool (*takes_value)(void *ctx, const char *key, const char *word),
			     void *ctx,
			     char *err, size_t errlen)
{
	for (size_t i = 0; i < c->n_params; i++) {
		struct gh_run_param *p = &c->params[i];

		if (p->value || p->next < 0 || p->next == c->gadget_word)
			continue;
		if (takes_value && !takes_value(ctx, p->key, c->words[p->next].text))
			continue;
		p->value = c->words[p->next].text;
		c->words[p->next].used = true;
	}
	for (size_t i = 0; i < c->n_words; i++)
		if (!c->words[i].used && (int)i != c->gadget_word)
			return gh_err(err, errlen, -EINVAL, "unexpected argument \"%s\"",
				      c->words[i].text);
	return 0;
}

int gh_run_config_each_value(const struct gh_run_config *c, const struct gh_run_option *o,
			     gh_run_value_fn fn, void *ctx)
{
	size_t idx = gh_run_option_index(o);
	char text[64];
	int ret = 0;

	if (!c->given[idx])
		return 0;
	switch (o->type) {
	case GH_RUN_FLAG:
		return fn(ctx, o, NULL);
	case GH_RUN_STRING:
		return fn(ctx, o, *(const char *const *)at_const(c, o->to[0]));
	case GH_RUN_LIST: {
		const char **l = list_get(c, o->to[0]);

		for (size_t i = 0; l && l[i] && !ret; i++)
			ret = fn(ctx, o, l[i]);
		return ret;
	}
	case GH_RUN_U32:
		snprintf(text, sizeof(text), "%" PRIu32, load_u32(c, o->to[0]));
		return fn(ctx, o, text);
	case GH_RUN_SECONDS: {
		uint64_t ms = *(const uint64_t *)at_const(c, o->to[0]);

		snprintf(text, sizeof(text), "%" PRIu64 ".%03" PRIu64, ms / 1000, ms % 1000);
		return fn(ctx, o, text);
	}
	case GH_RUN_SIZE:
	case GH_RUN_COUNT:
	case GH_RUN_DURATION:
		amount_text(o, amount_of(c, o), text, sizeof(text));
		return fn(ctx, o, text);
	case GH_RUN_SANDBOX:
		return fn(ctx, o, *(const bool *)at_const(c, o->to[1]) ? "all" : "layers");
	case GH_RUN_COMM:
		return fn(ctx, o, c->kf.comm);
	case GH_RUN_MNTNS:
		for (size_t i = 0; i < c->n_mntns && !ret; i++) {
			snprintf(text, sizeof(text), "%" PRIu64, c->mntns[i]);
			ret = fn(ctx, o, text);
		}
		return ret;
	case GH_RUN_LAYER: {
		bool code = !strcmp(o->name, "--lua");

		for (size_t i = 0; i < c->lua.n_layers && !ret; i++)
			if ((c->layers[i].code != NULL) == code)
				ret = fn(ctx, o, code ? c->layers[i].code : c->layers[i].file);
		return ret;
	}
	}
	return 0;
}

int gh_run_argv_push(struct gh_run_argv *a, const char *s)
{
	char **grown = realloc(a->v, (a->n + 2) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	a->v = grown;
	grown[a->n] = strdup(s);
	if (!grown[a->n])
		return -ENOMEM;
	grown[++a->n] = NULL;
	return 0;
}

void gh_run_argv_free(struct gh_run_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

/* --NAME=VALUE, or --NAME */
static int push_option(struct gh_run_argv *a, const char *name, const char *text)
{
	struct gh_buf b = GH_BUF_INIT;
	int ret = text ? gh_buf_printf(&b, "%s=%s", name, text) : gh_buf_puts(&b, name);

	if (!ret)
		ret = gh_run_argv_push(a, b.p);
	gh_buf_free(&b);
	return ret;
}

static int push_value(void *ctx, const struct gh_run_option *o, const char *text)
{
	return push_option(ctx, o->name, text);
}

int gh_run_config_argv(const struct gh_run_config *c, struct gh_run_argv *out)
{
	int ret = c->gadget ? gh_run_argv_push(out, c->gadget) : 0;

	for (size_t i = 0; !ret && i < gh_run_n_options; i++) {
		const struct gh_run_option *o = &gh_run_options[i];

		if (o->type != GH_RUN_LAYER)
			ret = gh_run_config_each_value(c, o, push_value, out);
	}
	/* layers in their own order: --lua and --lua-file interleave */
	for (size_t i = 0; !ret && i < c->lua.n_layers; i++)
		ret = c->layers[i].code ? push_option(out, "--lua", c->layers[i].code)
					: push_option(out, "--lua-file", c->layers[i].file);
	for (size_t i = 0; !ret && i < c->n_params; i++) {
		struct gh_buf b = GH_BUF_INIT;

		ret = gh_buf_printf(&b, "--%s", c->params[i].key);
		if (!ret)
			ret = push_option(out, b.p, c->params[i].value);
		gh_buf_free(&b);
	}
	return ret;
}

int gh_run_options_help(struct gh_buf *b)
{
	int ret = gh_buf_puts(b, "options:\n");

	for (size_t i = 0; !ret && i < gh_run_n_options; i++) {
		const struct gh_run_option *o = &gh_run_options[i];
		char left[64];
		const char *h = o->help;

		snprintf(left, sizeof(left), "%s%s%s%s%s", o->alias ? o->alias : "",
			 o->alias ? ", " : "", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		if (strlen(left) > HELP_WIDTH)
			ret = gh_buf_printf(b, "  %s\n  %-*s ", left, HELP_WIDTH, "");
		else
			ret = gh_buf_printf(b, "  %-*s ", HELP_WIDTH, left);
		while (!ret && h) {
			const char *nl = strchr(h, '\n');

			ret = gh_buf_printf(b, "%.*s\n", nl ? (int)(nl - h) : (int)strlen(h), h);
			if (!ret && nl)
				ret = gh_buf_printf(b, "  %-*s ", HELP_WIDTH, "");
			h = nl ? nl + 1 : NULL;
		}
	}
	return ret;
}
