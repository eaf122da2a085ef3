/* libcrypto.c - OpenSSL's libcrypto, opened at first use (libcrypto.h). */
#include "image/libcrypto.h"

GH_LIBCRYPTO_FNS(GH_DLIB_FN)

static const struct gh_dlib_sym libcrypto_syms[] = {GH_LIBCRYPTO_FNS(GH_DLIB_SYM)};
GH_DLIB_DEFINE(libcrypto_lib, "libcrypto.so.3", "image digests and signatures",
	       libcrypto_syms);

int gh_libcrypto_open(char *err, size_t errlen)
{
	return gh_dlib_open(&libcrypto_lib, err, errlen);
}
