/* dlib.c - optional shared libraries, opened at their first use (dlib.h). */
#include "base/dlib.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>

#include "base/err.h"

/* one lock for every library: opening is rare and quick */
static pthread_mutex_t dlib_lock = PTHREAD_MUTEX_INITIALIZER;

static int resolve(struct gh_dlib *lib, void *handle, char *err, size_t errlen)
{
	for (size_t i = 0; i < lib->n_syms; i++) {
		void *p = dlsym(handle, lib->syms[i].name);

		if (!p)
			return gh_err(err, errlen, -ENOSYS, "%s (for %s) has no function %s: an "
				      "older version than the one gadgethost was built with",
				      lib->soname, lib->used_for, lib->syms[i].name);
		*lib->syms[i].fn = p;
	}
	return 0;
}

int gh_dlib_open(struct gh_dlib *lib, char *err, size_t errlen)
{
	void *handle;
	int ret = 0;

	if (__atomic_load_n(&lib->handle, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&dlib_lock);
	if (lib->handle)
		goto out;
	handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		const char *why = dlerror();

		ret = gh_err(err, errlen, -ENOENT, "%s (for %s) cannot be loaded: %s",
			     lib->soname, lib->used_for, why ? why : "not found");
		goto out;
	}
	ret = resolve(lib, handle, err, errlen);
	if (ret)
		dlclose(handle);
	else
		__atomic_store_n(&lib->handle, handle, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&dlib_lock);
	return ret;
}

bool gh_dlib_is_open(const struct gh_dlib *lib)
{
	return __atomic_load_n(&lib->handle, __ATOMIC_ACQUIRE) != NULL;
}
