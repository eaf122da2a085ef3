/* fuzz_runc_state.c - libFuzzer target: runc's state.json, as a runtime (or
 * whoever can write in its state folder) leaves it, into
 * gh_runc_state_read().  The bytes are a memfd's, read through
 * /proc/self/fd as the host reads the file. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "containers/container.h"
#include "containers/runc_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct gh_container *c = NULL;
	char path[64], err[256];

	if (fd < 0)
		fd = memfd_create("state.json", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err[0] = '\0';
	if (!gh_runc_state_read(path, NULL, &c, err, sizeof(err)))
		gh_container_free(c);
	return strnlen(err, sizeof(err)) == sizeof(err);
}
