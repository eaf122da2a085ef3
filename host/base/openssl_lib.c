/* openssl_lib.c - OpenSSL's libcrypto and libssl, opened at first use
 * (openssl_lib.h). */
#include "base/openssl_lib.h"

GH_LIBCRYPTO_FNS(GH_DLIB_FN)
GH_LIBSSL_FNS(GH_DLIB_FN)

static const struct gh_dlib_sym libcrypto_syms[] = {GH_LIBCRYPTO_FNS(GH_DLIB_SYM)};
static const struct gh_dlib_sym libssl_syms[] = {GH_LIBSSL_FNS(GH_DLIB_SYM)};
GH_DLIB_DEFINE(libcrypto_lib, "libcrypto.so.3", "digests, signatures and TLS",
	       libcrypto_syms);
GH_DLIB_DEFINE(libssl_lib, "libssl.so.3", "TLS", libssl_syms);

int gh_libcrypto_open(char *err, size_t errlen)
{
	return gh_dlib_open(&libcrypto_lib, err, errlen);
}

int gh_libssl_open(char *err, size_t errlen)
{
	int ret = gh_libcrypto_open(err, errlen);

	return ret ? ret : gh_dlib_open(&libssl_lib, err, errlen);
}
