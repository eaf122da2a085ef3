/* sdk_dir.c - locating the gadget SDK. */
#include "gadget/sdk_dir.h"

#include <stdlib.h>

#include "config.h"
#include "base/search_path.h"

const char *gh_sdk_dir(void)
{
	const char *env = getenv("GADGETHOST_SDK");

	if (env && *env)
		return env;
	if (gh_running_from_build_tree())
		return GH_SOURCE_DIR "/sdk";
	return GH_DATADIR "/sdk";
}
