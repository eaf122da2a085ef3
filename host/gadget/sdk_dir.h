/* sdk_dir.h - where the gadget SDK is: headers, vmlinux.h, the template.
 *
 * $GADGETHOST_SDK if set; from a build tree, the source tree's sdk/;
 * otherwise the installed <prefix>/share/gadgethost/sdk.
 */
#ifndef GH_SDK_DIR_H
#define GH_SDK_DIR_H

const char *gh_sdk_dir(void);

#endif
