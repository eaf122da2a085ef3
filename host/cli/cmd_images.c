/* cmd_images.c - gadget images: `gadgethost pack`, `sign`, `push`,
 * `pull`, `images [list|inspect|rm|export|import]` and `keygen`
 * (docs/gadget-images.md).  The work is host/image's; this file reads
 * the command lines and prints.  One table (image_cmds) gives each
 * command its help and the options it takes, one parser reads them all:
 * the commands' own options are entries of run's kind (run_options.h),
 * the node's image settings run's own entries. */
#include "cli/commands.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/json.h"
#include "gadget/gadget.h"
#include "image/manifest.h"
#include "image/pack.h"
#include "image/reference.h"
#include "image/signature.h"
#include "image/store.h"
#include "image/tarball.h"
#include "image/transfer.h"
#include "output/out.h"
#include "run/run_options.h"

#define MAX_WORDS 64

/* A command's arguments: its own options, the image settings it takes
 * (read with run's table, so they mean the same everywhere), words. */
struct args {
	const char *cmd;
	const char *sub;          /* images: its subcommand (default list) */
	struct gh_run_config cfg;
	const char *words[MAX_WORDS];
	size_t n_words;
	const char *tag, *key, *doc, *output;
};

/* An image command: its help, the options it takes (its own and run's
 * image settings, by name, in the order of its help), what it does. */
struct image_cmd {
	const char *name;
	const char *usage;
	const char *const *opts;
	bool sub;                 /* a subcommand first: images list|inspect|... */
	int (*run)(struct args *a);
};

#define OWN(member) offsetof(struct args, member)

/* The options of the image commands that are not run's, described as
 * run's table describes its own (run/run_options.h): each a string, at
 * `to` in struct args.  The image settings are run's entries. */
static const struct gh_run_option own_options[] = {
	{.name = "--tag", .alias = "-t", .type = GH_RUN_STRING, .arg = "REF",
	 .help = "the image's reference: REGISTRY/NAME:TAG (required)", .to = {OWN(tag)}},
	{.name = "--doc", .type = GH_RUN_STRING, .arg = "FILE",
	 .help = "the gadget's doc (default: NAME.md beside the script)", .to = {OWN(doc)}},
	{.name = "--key", .type = GH_RUN_STRING, .arg = "FILE",
	 .help = "the ed25519 private key (PEM; gadgethost keygen)", .to = {OWN(key)}},
	{.name = "--output", .alias = "-o", .type = GH_RUN_STRING, .arg = "FORMAT",
	 .help = "list: columns (default) or json", .to = {OWN(output)}},
};
#define N_OWN (sizeof(own_options) / sizeof(own_options[0]))

static int fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "gadgethost: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static bool listed(const char *const *names, const char *name)
{
	for (size_t i = 0; names && names[i]; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

static bool is_own(const struct gh_run_option *o)
{
	return o >= own_options && o < own_options + N_OWN;
}

/* The option name ("--tag", "-t") stands for, if c takes it, or NULL. */
static const struct gh_run_option *find_option(const struct image_cmd *c, const char *name)
{
	const struct gh_run_option *o = NULL;

	for (size_t i = 0; i < N_OWN && !o; i++)
		if (!strcmp(name, own_options[i].name) ||
		    (own_options[i].alias && !strcmp(name, own_options[i].alias)))
			o = &own_options[i];
	if (!o) {
		o = gh_run_option_find(name);
		if (o && !gh_run_option_is_image(o))
			o = NULL;
	}
	return o && listed(c->opts, o->name) ? o : NULL;
}

static int parse(struct args *a, const struct image_cmd *c, int argc, char **argv)
{
	char err[512];

	memset(a, 0, sizeof(*a));
	a->cmd = c->name;
	gh_run_config_init(&a->cfg);
	if (c->sub) {
		a->sub = argc && argv[0][0] != '-' ? argv[0] : "list";
		if (argc && argv[0][0] != '-') {
			argc--;
			argv++;
		}
	}
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq = strchr(arg, '='), *val = eq ? eq + 1 : NULL;
		const struct gh_run_option *o;
		char name[64];

		if (arg[0] != '-' || !arg[1]) {
			if (a->n_words == MAX_WORDS)
				return fail(c->name, "more than %d arguments", MAX_WORDS);
			a->words[a->n_words++] = arg;
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
		o = find_option(c, name);
		if (!o)
			return fail(c->name, "unknown option %s (gadgethost %s --help)", name, c->name);
		if (o->type != GH_RUN_FLAG && !val) {
			if (i + 1 >= argc)
				return fail(c->name, "%s needs a value", name);
			val = argv[++i];
		}
		if (is_own(o))
			*(const char **)((char *)a + o->to[0]) = val;
		else if (gh_run_config_set(&a->cfg, o, name, val, err, sizeof(err)))
			return fail(c->name, "%s", err);
	}
	return 0;
}

static void print_help(const struct image_cmd *c)
{
	printf("%s\noptions:\n", c->usage);
	for (size_t i = 0; c->opts && c->opts[i]; i++) {
		const struct gh_run_option *o = find_option(c, c->opts[i]);
		char left[64];

		snprintf(left, sizeof(left), "%s%s%s%s%s", o->alias ? o->alias : "",
			 o->alias ? ", " : "", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		printf("  %-26s ", left);
		for (const char *h = o->help; *h; h++)
			putchar(*h == '\n' ? ' ' : *h);
		putchar('\n');
	}
}

/* gadgethost COMMAND ARGS: its help, or its arguments read and c->run. */
static int image_command(const struct image_cmd *c, int argc, char **argv)
{
	struct args a;
	int ret;

	if (gh_help_asked(argc, argv)) {
		print_help(c);
		return 0;
	}
	ret = parse(&a, c, argc, argv);
	if (!ret)
		ret = c->run(&a);
	gh_run_config_free(&a.cfg);
	return ret;
}

static int open_store(struct args *a, bool create, struct gh_store **s)
{
	char err[512];

	if (gh_store_open(s, a->cfg.image.store, create, err, sizeof(err)))
		return fail(a->cmd, "%s", err);
	return 0;
}

static int parse_ref(struct args *a, const char *text, struct gh_image_ref *ref)
{
	char err[512];

	if (gh_image_ref_parse(text, a->cfg.image.default_registry, ref, err, sizeof(err)))
		return fail(a->cmd, "%s", err);
	return 0;
}

/* One reference argument: parsed, and the store opened. */
static int one_ref(struct args *a, const char *usage, struct gh_image_ref *ref,
		   struct gh_store **s, bool create)
{
	if (a->n_words != 1)
		return fail(a->cmd, "%s", usage);
	if (parse_ref(a, a->words[0], ref))
		return 1;
	return open_store(a, create, s);
}

/* gadgethost pack */

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int pack(struct args *a)
{
	struct gh_pack_files files = {0};
	struct gh_image_ref ref;
	struct gh_gadget *g = NULL;
	struct gh_store *s = NULL;
	char err[1024], digest[GH_DIGEST_SIZE], name[128], doc[4096], full[GH_STORE_REF_MAX];
	struct stat st;
	int ret = 0;

	if (a->n_words != 1 || !a->tag)
		ret = fail("pack", "which gadget, and which reference? (gadgethost pack ./mytool.lua "
			   "-t localhost:5000/team/mytool:1.0)");
	if (!ret && parse_ref(a, a->tag, &ref))
		ret = 1;
	if (!ret && ref.digest[0])
		ret = fail("pack", "-t %s: a tag, not a digest (the digest is the image's)", a->tag);
	if (!ret && gh_gadget_open(&g, a->words[0], err, sizeof(err)))
		ret = fail("pack", "%s", err);
	if (!ret) {
		snprintf(name, sizeof(name), "%s", base_of(g->script_path));
		name[strlen(name) > 4 ? strlen(name) - 4 : 0] = '\0'; /* .lua */
		snprintf(doc, sizeof(doc), "%.*s.md", (int)(strlen(g->script_path) - 4),
			 g->script_path);
		files = (struct gh_pack_files){
			.script = g->script_path,
			.object = g->object_path,
			.doc = a->doc ? a->doc : (!stat(doc, &st) && S_ISREG(st.st_mode) ? doc : NULL),
			.gadget = name,
			.arch = gh_pack_arch(),
		};
		ret = open_store(a, true, &s);
	}
	if (!ret && gh_image_pack(s, &files, &ref, digest, err, sizeof(err)))
		ret = fail("pack", "%s", err);
	if (!ret) {
		gh_image_ref_format(&ref, full, sizeof(full));
		printf("%s %s\n", full, digest);
	}
	gh_store_close(s);
	gh_gadget_close(g);
	return ret;
}

/* gadgethost sign */

static int sign(struct args *a)
{
	struct gh_image_ref ref;
	struct gh_store *s = NULL;
	struct gh_buf doc = GH_BUF_INIT;
	char err[1024], digest[GH_DIGEST_SIZE], id[GH_DIGEST_SIZE], full[GH_STORE_REF_MAX];
	int ret = 0;

	if (!a->key)
		ret = fail("sign", "--key FILE: which private key?");
	if (!ret)
		ret = one_ref(a, "which image? (gadgethost sign REF --key FILE)", &ref, &s, false);
	if (!ret && gh_image_resolve_local(s, &ref, digest, err, sizeof(err)))
		ret = fail("sign", "%s", err);
	if (!ret && gh_sign(a->key, digest, &doc, id, err, sizeof(err)))
		ret = fail("sign", "%s", err);
	if (!ret && gh_store_put_signature(s, digest, doc.p, doc.len, err, sizeof(err)))
		ret = fail("sign", "%s", err);
	if (!ret) {
		gh_image_ref_format(&ref, full, sizeof(full));
		printf("%s %s signed by key %s\n", full, digest, id);
	}
	gh_buf_free(&doc);
	gh_store_close(s);
	return ret;
}

/* gadgethost push, pull */

static int push(struct args *a)
{
	struct gh_image_ref ref;
	struct gh_store *s = NULL;
	char err[1024], digest[GH_DIGEST_SIZE], full[GH_STORE_REF_MAX];
	size_t n_sigs = 0;
	int ret = one_ref(a, "which image? (gadgethost push REF)", &ref, &s, false);

	if (!ret && gh_image_push(&a->cfg.image, s, &ref, digest, &n_sigs, err, sizeof(err)))
		ret = fail("push", "%s", err);
	if (!ret) {
		gh_image_ref_format(&ref, full, sizeof(full));
		printf("%s %s pushed, %zu signature%s\n", full, digest, n_sigs, n_sigs == 1 ? "" : "s");
	}
	gh_store_close(s);
	return ret;
}

static int pull(struct args *a)
{
	struct gh_image_ref ref;
	struct gh_store *s = NULL;
	char err[1024], digest[GH_DIGEST_SIZE], full[GH_STORE_REF_MAX];
	int ret = one_ref(a, "which image? (gadgethost pull REF)", &ref, &s, true);

	if (!ret && gh_image_pull(&a->cfg.image, s, &ref, digest, err, sizeof(err)))
		ret = fail("pull", "%s", err);
	if (!ret) {
		gh_image_ref_format(&ref, full, sizeof(full));
		printf("%s %s%s\n", full, digest,
		       gh_image_opts_verify(&a->cfg.image) ? " verified" : " (not verified)");
	}
	gh_store_close(s);
	return ret;
}

/* gadgethost keygen */

static int keygen(struct args *a)
{
	char err[1024], id[GH_DIGEST_SIZE];

	if (a->n_words != 1 || a->words[0][0] == '-')
		return fail("keygen", "usage: gadgethost keygen PREFIX");
	if (gh_key_generate(a->words[0], id, err, sizeof(err)))
		return fail("keygen", "%s", err);
	printf("%s.key %s.pub %s\n", a->words[0], a->words[0], id);
	return 0;
}

/* gadgethost images */

struct count_ctx {
	size_t n;
};

static int count_sig(void *ctx, const char *doc, size_t len)
{
	((struct count_ctx *)ctx)->n++;
	return 0;
}

static int images_list(struct args *a)
{
	struct gh_store *s = NULL;
	struct gh_store_entry *e = NULL;
	size_t n = 0;
	char err[512];
	bool json = a->output && !strcmp(a->output, "json");
	int ret;

	if (a->output && !json && strcmp(a->output, "columns"))
		return fail("images", "-o: columns or json");
	if (gh_store_open(&s, a->cfg.image.store, false, err, sizeof(err)) == -ENOENT)
		return json ? 0 : (printf("REFERENCE DIGEST SIGNATURES\n"), 0);
	if (!s)
		return fail("images", "%s", err);
	ret = gh_store_list(s, &e, &n, err, sizeof(err)) ? fail("images", "%s", err) : 0;
	if (!ret && !json)
		printf("%-50s %-19s %s\n", "REFERENCE", "DIGEST", "SIGNATURES");
	for (size_t i = 0; !ret && i < n; i++) {
		struct count_ctx c = {0};

		gh_store_each_signature(s, e[i].digest, count_sig, &c);
		if (json) {
			struct gh_buf b = GH_BUF_INIT;

			gh_json_put_string(&b, e[i].ref, strlen(e[i].ref));
			printf("{\"reference\":%s,\"digest\":\"%s\",\"size\":%llu,\"signatures\":%zu}\n",
			       b.p, e[i].digest, (unsigned long long)e[i].size, c.n);
			gh_buf_free(&b);
		} else {
			printf("%-50s %.19s %zu\n", e[i].ref, e[i].digest, c.n);
		}
	}
	free(e);
	gh_store_close(s);
	return ret;
}

struct key_ids {
	struct gh_buf *b;
	const char *digest;
};

static int put_key_id(void *ctx, const char *doc, size_t len)
{
	struct key_ids *k = ctx;
	struct gh_json *j = NULL;
	const char *id;

	if (gh_signature_check_format(doc, len, k->digest) || gh_json_parse(doc, len, &j, NULL, 0))
		return 0;
	id = gh_json_str(gh_json_get(j, "keyId"));
	gh_buf_printf(k->b, "%s\"%s\"", k->b->p[k->b->len - 1] == '[' ? "" : ",", id);
	gh_json_free(j);
	return 0;
}

static int images_inspect(struct args *a)
{
	struct gh_image_ref ref;
	struct gh_image_manifest m;
	struct gh_store *s = NULL;
	struct gh_buf b = GH_BUF_INIT;
	char err[1024], digest[GH_DIGEST_SIZE], full[GH_STORE_REF_MAX], *text = NULL;
	size_t len = 0;
	int ret = one_ref(a, "which image? (gadgethost images inspect REF)", &ref, &s, false);

	if (!ret && (gh_image_resolve_local(s, &ref, digest, err, sizeof(err)) ||
		     gh_store_get_blob(s, digest, GH_MANIFEST_MAX, &text, &len, err, sizeof(err)) ||
		     gh_manifest_parse(text, len, &m, err, sizeof(err))))
		ret = fail("images", "%s", err);
	if (!ret) {
		struct key_ids k = {&b, digest};
		static const char *const kind[] = {"ebpf", "lua", "doc"};

		gh_image_ref_format(&ref, full, sizeof(full));
		gh_buf_puts(&b, "{\"reference\":");
		gh_json_put_string(&b, full, strlen(full));
		gh_buf_printf(&b, ",\"digest\":\"%s\",\"config\":\"%s\",\"layers\":[", digest,
			      m.config_digest);
		for (size_t i = 0; i < m.n_layers; i++)
			gh_buf_printf(&b, "%s{\"kind\":\"%s\",\"file\":\"%s\",\"mediaType\":\"%s\","
				      "\"digest\":\"%s\",\"size\":%llu}", i ? "," : "",
				      kind[m.layers[i].kind], m.layers[i].title,
				      gh_layer_media_type(m.layers[i].kind), m.layers[i].digest,
				      (unsigned long long)m.layers[i].size);
		gh_buf_puts(&b, "],\"signedBy\":[");
		gh_store_each_signature(s, digest, put_key_id, &k);
		gh_buf_puts(&b, "]}\n");
		fputs(b.p, stdout);
	}
	gh_buf_free(&b);
	free(text);
	gh_store_close(s);
	return ret;
}

static int images_rm(struct args *a)
{
	struct gh_store *s = NULL;
	char err[1024], full[GH_STORE_REF_MAX];
	int ret = a->n_words ? open_store(a, false, &s) : fail("images", "rm: which images?");

	for (size_t i = 0; !ret && i < a->n_words; i++) {
		struct gh_image_ref ref;

		ret = parse_ref(a, a->words[i], &ref);
		gh_image_ref_format(&ref, full, sizeof(full));
		if (!ret && gh_store_remove(s, full, err, sizeof(err)))
			ret = fail("images", "%s", err);
		if (!ret)
			printf("removed %s\n", full);
	}
	gh_store_close(s);
	return ret;
}

static int images_export(struct args *a)
{
	struct gh_store *s = NULL;
	char err[1024], full[MAX_WORDS][GH_STORE_REF_MAX];
	const char *refs[MAX_WORDS];
	int ret = a->n_words >= 2 ? open_store(a, false, &s)
				  : fail("images", "export FILE REF...: which file, which images?");

	for (size_t i = 1; !ret && i < a->n_words; i++) {
		struct gh_image_ref ref;

		ret = parse_ref(a, a->words[i], &ref);
		gh_image_ref_format(&ref, full[i - 1], sizeof(full[0]));
		refs[i - 1] = full[i - 1];
	}
	if (!ret && gh_image_export(s, refs, a->n_words - 1, a->words[0], err, sizeof(err)))
		ret = fail("images", "export: %s", err);
	if (!ret)
		printf("%s: %zu image%s\n", a->words[0], a->n_words - 1, a->n_words == 2 ? "" : "s");
	gh_store_close(s);
	return ret;
}

static void print_imported(void *ctx, const char *ref, const char *digest)
{
	printf("%s %s imported\n", ref, digest);
}

static int images_import(struct args *a)
{
	struct gh_store *s = NULL;
	char err[1024];
	int ret = a->n_words == 1 ? open_store(a, true, &s)
				  : fail("images", "import FILE: which file?");

	if (!ret && gh_image_import(&a->cfg.image, s, a->words[0], print_imported, NULL, err,
				    sizeof(err)))
		ret = fail("images", "import: %s", err);
	gh_store_close(s);
	return ret;
}

static int images(struct args *a)
{
	if (!strcmp(a->sub, "list") || !strcmp(a->sub, "ls"))
		return a->n_words ? fail("images", "list takes no argument") : images_list(a);
	if (!strcmp(a->sub, "inspect"))
		return images_inspect(a);
	if (!strcmp(a->sub, "rm"))
		return images_rm(a);
	if (!strcmp(a->sub, "export"))
		return images_export(a);
	if (!strcmp(a->sub, "import"))
		return images_import(a);
	return fail("images", "unknown command \"%s\" (list, inspect, rm, export, import)", a->sub);
}

/* The image commands: each one's help and options. */

static const char *const pack_opts[] = {"--tag", "--doc", "--image-store", "--default-registry",
					NULL};
static const char *const sign_opts[] = {"--key", "--image-store", "--default-registry", NULL};
static const char *const push_opts[] = {"--image-store", "--registry-ca", "--registry-auth",
					"--default-registry", NULL};
static const char *const pull_opts[] = {"--image-store", "--verify-key", "--verify",
					"--allowed-gadgets", "--registry-ca", "--registry-auth",
					"--default-registry", NULL};
static const char *const images_opts[] = {"--output", "--image-store", "--default-registry",
					  "--verify-key", "--verify", NULL};

enum { PACK, SIGN, PUSH, PULL, KEYGEN, IMAGES };

static const struct image_cmd image_cmds[] = {
	[PACK] = {"pack", "usage: gadgethost pack SCRIPT.lua -t REGISTRY/NAME:TAG [options]\n\n"
		"Packs a gadget (its script, the eBPF object the script names, its doc) into an\n"
		"OCI image in the local store.  The gadget is opened first: what does not load\n"
		"as a gadget is not packed.  The same files give the same digest.\n",
		pack_opts, false, pack},
	[SIGN] = {"sign", "usage: gadgethost sign REF --key FILE [options]\n\n"
		"Signs the image REF names in the local store: a detached signature of its\n"
		"manifest digest, stored beside it (pushed with it, exported with it).\n",
		sign_opts, false, sign},
	[PUSH] = {"push", "usage: gadgethost push REF [options]\n\n"
		"Pushes the image REF names from the local store to its registry, with its\n"
		"signatures (an artifact at the tag sha256-DIGEST.sig).\n",
		push_opts, false, push},
	[PULL] = {"pull", "usage: gadgethost pull REF [options]\n\n"
		"Pulls an image into the local store, verified first: its signatures against\n"
		"the verify keys, every blob against its digest; nothing is stored otherwise.\n",
		pull_opts, false, pull},
	[KEYGEN] = {"keygen", "usage: gadgethost keygen PREFIX\n\n"
		"Makes an ed25519 key pair: PREFIX.key (private, mode 0600: for gadgethost\n"
		"sign) and PREFIX.pub (for the nodes' --verify-key, or /etc/gadgethost/keys).\n",
		NULL, false, keygen},
	[IMAGES] = {"images",
		"usage: gadgethost images [list|inspect REF|rm REF...|export FILE REF...|import FILE]\n\n"
		"The local image store: its references, an image's files and signers, removal,\n"
		"and tarballs that carry images with their signatures to nodes without a\n"
		"registry (import verifies them as pull does).\n",
		images_opts, true, images},
};

/* gh_cmd_pack() ... (commands.h): that command of the table */
#define IMAGE_CMD(fn, i) \
	int fn(int argc, char **argv) { return image_command(&image_cmds[i], argc, argv); }
IMAGE_CMD(gh_cmd_pack, PACK)
IMAGE_CMD(gh_cmd_sign, SIGN)
IMAGE_CMD(gh_cmd_push, PUSH)
IMAGE_CMD(gh_cmd_pull, PULL)
IMAGE_CMD(gh_cmd_keygen, KEYGEN)
IMAGE_CMD(gh_cmd_images, IMAGES)
