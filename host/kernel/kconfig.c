/* kconfig.c - reading the kernel's config (kconfig.h). */
#include "kernel/kconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <zlib.h>

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct gh_kconfig_entry *)a)->name,
		      ((const struct gh_kconfig_entry *)b)->name);
}

static int add(struct gh_kconfig *cfg, size_t *cap, const char *name, size_t len,
	       const char *value)
{
	struct gh_kconfig_entry *e;

	if (cfg->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 1024;

		e = realloc(cfg->entries, ncap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		cfg->entries = e;
		*cap = ncap;
	}
	e = &cfg->entries[cfg->n];
	e->name = strndup(name, len);
	e->value = value ? strdup(value) : NULL;
	if (!e->name || (value && !e->value)) {
		free(e->name);
		free(e->value);
		return -ENOMEM;
	}
	cfg->n++;
	return 0;
}

static bool is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* One line, its newline stripped: 0, 1 (a comment or blank: nothing) or
 * -EINVAL. */
static int parse_line(struct gh_kconfig *cfg, size_t *cap, char *line)
{
	size_t len;

	if (!strncmp(line, "# CONFIG_", 9)) {
		const char *name = line + 2;

		len = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
		if (!strcmp(name + len, " is not set"))
			return add(cfg, cap, name, len, NULL);
		return 1; /* another comment */
	}
	if (line[0] == '#' || line[0] == '\0')
		return 1;
	if (strncmp(line, "CONFIG_", 7))
		return -EINVAL;
	for (len = 0; is_name_char(line[len]); len++)
		;
	if (line[len] != '=')
		return -EINVAL;
	return add(cfg, cap, line, len, line + len + 1);
}

int gh_kconfig_read(struct gh_kconfig *cfg, const char *path, size_t *bad_line)
{
	char line[4096];
	size_t cap = 0, lineno = 0;
	int ret = 0;
	gzFile f;

	memset(cfg, 0, sizeof(*cfg));
	if (bad_line)
		*bad_line = 0;
	f = gzopen(path, "rb");
	if (!f)
		return errno ? -errno : -ENOMEM;
	while (!ret && gzgets(f, line, sizeof(line))) {
		size_t n = strlen(line);

		lineno++;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		ret = parse_line(cfg, &cap, line);
		if (ret > 0)
			ret = 0;
	}
	if (!ret) {
		int zerr;
		const char *msg = gzerror(f, &zerr);

		if (zerr != Z_OK && zerr != Z_BUF_ERROR)
			ret = zerr == Z_ERRNO ? -errno : -EIO;
		(void)msg;
	}
	gzclose(f);
	if (ret == -EINVAL && bad_line)
		*bad_line = lineno;
	if (!ret) {
		cfg->source = strdup(path);
		if (!cfg->source)
			ret = -ENOMEM;
	}
	if (ret) {
		gh_kconfig_free(cfg);
		return ret;
	}
	qsort(cfg->entries, cfg->n, sizeof(*cfg->entries), cmp_entry);
	return 0;
}

int gh_kconfig_load(struct gh_kconfig *cfg)
{
	struct utsname u;
	char path[sizeof(u.release) + 16];
	int ret = gh_kconfig_read(cfg, "/proc/config.gz", NULL);

	if (ret != -ENOENT || uname(&u))
		return ret;
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	return gh_kconfig_read(cfg, path, NULL);
}

const struct gh_kconfig_entry *gh_kconfig_find(const struct gh_kconfig *cfg, const char *name)
{
	struct gh_kconfig_entry key = { .name = (char *)name };

	if (!cfg->n)
		return NULL;
	return bsearch(&key, cfg->entries, cfg->n, sizeof(*cfg->entries), cmp_entry);
}

const char *gh_kconfig_value(const struct gh_kconfig *cfg, const char *name)
{
	const struct gh_kconfig_entry *e = gh_kconfig_find(cfg, name);

	return e && e->value ? e->value : "is not set";
}

void gh_kconfig_free(struct gh_kconfig *cfg)
{
	for (size_t i = 0; i < cfg->n; i++) {
		free(cfg->entries[i].name);
		free(cfg->entries[i].value);
	}
	free(cfg->entries);
	free(cfg->source);
	memset(cfg, 0, sizeof(*cfg));
}
