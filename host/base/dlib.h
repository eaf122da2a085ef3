/* dlib.h - optional shared libraries, opened at their first use.
 *
 * The libraries only some commands need (libcurl for registries, libarchive
 * for image tarballs, OpenSSL for TLS and signatures) are not linked: a
 * trace run then neither maps them nor pays their relocation.  The code
 * keeps their headers; each library's table, next to the code that calls
 * it, lists the functions it uses once, and gh_dlib_open() opens the
 * library by its soname and fills one pointer per function, once:
 *
 *     #define CURL_FNS(X) X(curl_easy_init) X(curl_easy_cleanup)
 *     CURL_FNS(GH_DLIB_STATIC_FN)
 *     static const struct gh_dlib_sym curl_syms[] = {CURL_FNS(GH_DLIB_SYM)};
 *     GH_DLIB_DEFINE(curl_lib, "libcurl.so.4", "image registries", curl_syms);
 *     ...
 *     if ((ret = gh_dlib_open(&curl_lib, err, errlen)))
 *             return ret;
 *     c = sym_curl_easy_init();
 *
 * A macro of a header that stands for a call (SSL_CTX_set_mode) is written
 * out as the call of its function (sym_SSL_CTX_ctrl).
 *
 * A missing library or function is one line naming it: "libcurl.so.4 (for
 * image registries): cannot open shared object file: No such file or
 * directory".  A library once opened stays open. */
#ifndef GH_DLIB_H
#define GH_DLIB_H

#include <stdbool.h>
#include <stddef.h>

struct gh_dlib_sym {
	const char *name;
	void **fn;
};

struct gh_dlib {
	const char *soname;               /* "libcurl.so.4" */
	const char *used_for;             /* for the error line */
	const struct gh_dlib_sym *syms;
	size_t n_syms;
	void *handle;                     /* set once every function resolved */
};

/* For a list of names X(name) X(name)...: the pointer sym_name, of name's
 * own type, declared static, declared extern or defined; its table entry. */
#define GH_DLIB_STATIC_FN(name) static __typeof__(name) *sym_##name;
#define GH_DLIB_EXTERN_FN(name) extern __typeof__(name) *sym_##name;
#define GH_DLIB_FN(name) __typeof__(name) *sym_##name;
#define GH_DLIB_SYM(name) {#name, (void **)&sym_##name},
#define GH_DLIB(soname, used_for, syms) \
	{(soname), (used_for), (syms), sizeof(syms) / sizeof((syms)[0]), NULL}

/* static struct gh_dlib var, its soname also in the binary's section
 * gh_dlopen, so that packaging finds the libraries the binary may open
 * (`readelf -p gh_dlopen gadgethost`; scripts/build-image.sh bundles them) */
#define GH_DLIB_DEFINE(var, soname, used_for, syms) \
	__attribute__((section("gh_dlopen"), used)) static const char var##_soname[] = soname; \
	static struct gh_dlib var = GH_DLIB(var##_soname, used_for, syms)

/* Open lib and resolve its table, unless done: 0, or -ENOENT (library)
 * or -ENOSYS (function) with one line in err.  Safe from any thread. */
int gh_dlib_open(struct gh_dlib *lib, char *err, size_t errlen);

/* Whether lib is open (nothing of it is called before). */
bool gh_dlib_is_open(const struct gh_dlib *lib);

#endif
