/* daemon_images.c - the daemon's image settings (daemon_images.h). */
#include "cli/daemon_images.h"

#include <stdio.h>
#include <string.h>

#include "image/allowlist.h"
#include "image/signature.h"

int gh_daemon_image_option(struct gh_run_config *c, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *eq = strchr(arg, '='), *val = eq ? eq + 1 : NULL;
	const struct gh_run_option *o;
	char name[64], err[512];

	snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
	o = gh_run_option_find(name);
	if (!o || !gh_run_option_is_image(o))
		return 0;
	if (o->type != GH_RUN_FLAG && !val) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "gadgethost: daemon: %s needs a value\n", name);
			return -1;
		}
		val = argv[++*i];
	}
	if (gh_run_config_set(c, o, name, val, err, sizeof(err))) {
		fprintf(stderr, "gadgethost: daemon: %s\n", err);
		return -1;
	}
	return 1;
}

int gh_daemon_images_check(const struct gh_run_config *c)
{
	const struct gh_image_opts *o = &c->image;
	struct gh_allowlist list = {o->allowed, o->n_allowed};
	struct gh_keyring *keys = NULL;
	int verify = gh_image_opts_verify(o);
	char err[512];

	if (verify < 0) {
		fprintf(stderr, "gadgethost: daemon: --verify: true or false, not \"%s\"\n", o->verify);
		return 1;
	}
	if (gh_allowlist_check(&list, err, sizeof(err))) {
		fprintf(stderr, "gadgethost: daemon: %s\n", err);
		return 1;
	}
	if (list.n && verify) {
		if (gh_keyring_load(&keys, o->verify_keys, o->n_verify_keys, err, sizeof(err))) {
			fprintf(stderr, "gadgethost: daemon: %s\n", err);
			return 1;
		}
		gh_keyring_free(keys);
	}
	return 0;
}

void gh_daemon_images_help(void)
{
	fputs("  gadget images (runs by reference; docs/gadget-images.md):\n"
	      "  --allowed-gadgets LIST  the images clients may run: digests, references,\n"
	      "                        globs (commas, repeatable); none: no runs by reference\n"
	      "  --image-store DIR     the local store (default /var/lib/gadgethost/images)\n"
	      "  --verify-key FILE     a public key, or a folder of *.pub (repeatable;\n"
	      "                        default /etc/gadgethost/keys)\n"
	      "  --verify true|false   false: run images unverified (default true)\n"
	      "  --no-pull             from the store only, never pull\n"
	      "  --registry-ca FILE    CA certificates registries are checked with\n"
	      "  --registry-auth FILE  registry credentials (docker's config.json)\n"
	      "  --default-registry HOST[:PORT]   the registry of a reference without one\n",
	      stdout);
}
