/* kconfig.h - the running kernel's build configuration.
 *
 * Read from /proc/config.gz (CONFIG_IKCONFIG_PROC) with zlib, or else from
 * /boot/config-RELEASE (plain text, as Debian installs it; gzopen reads
 * both).  Lines are "CONFIG_NAME=value" or "# CONFIG_NAME is not set".
 */
#ifndef GH_KCONFIG_H
#define GH_KCONFIG_H

#include <stddef.h>

struct gh_kconfig_entry {
	char *name;   /* CONFIG_KPROBES */
	char *value;  /* "y", "m", "\"string\"", "42"; NULL: is not set */
};

struct gh_kconfig {
	char *source;  /* the file read */
	struct gh_kconfig_entry *entries; /* sorted by name */
	size_t n;
};

/* Read the running kernel's config: 0, or -ENOENT when it exposes none
 * (no /proc/config.gz, no /boot/config-RELEASE). */
int gh_kconfig_load(struct gh_kconfig *cfg);
/* Read one file, gzip-compressed or not: 0 or -errno (-EINVAL, with
 * *bad_line set, for a line that is neither form). */
int gh_kconfig_read(struct gh_kconfig *cfg, const char *path, size_t *bad_line);
/* The entry for name, or NULL when the config does not mention it.
 * entry->value NULL: "is not set". */
const struct gh_kconfig_entry *gh_kconfig_find(const struct gh_kconfig *cfg, const char *name);
/* "y", "m", a value, "is not set" (also when unmentioned) */
const char *gh_kconfig_value(const struct gh_kconfig *cfg, const char *name);
void gh_kconfig_free(struct gh_kconfig *cfg);

#endif
