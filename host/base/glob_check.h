/* glob_check.h - is a shell glob well formed before it is used with
 * fnmatch(3)?  fnmatch reads a broken pattern ("web[") as literal text,
 * which matches nothing a user meant: refuse it instead. */
#ifndef GH_GLOB_CHECK_H
#define GH_GLOB_CHECK_H

/* NULL when glob is well formed, else why not ("an unclosed [" ...). */
const char *gh_glob_problem(const char *glob);

#endif
