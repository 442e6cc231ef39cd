// The commit comes from generated/commit.h, which scripts/stamp-commit.sh writes before a build (it is not
// in git). A C target, because Swift has no way to take a value from the build command line, and a
// header read here keeps the stamp out of every other target's flags (a changed -Xcc flag would rebuild
// all of the C code of the dependencies).
#include "build_info.h"

#if __has_include("generated/commit.h")
#include "generated/commit.h"
#endif

#ifndef PGAGENT_COMMIT
#define PGAGENT_COMMIT ""
#endif

const char *pgagent_build_commit(void) { return PGAGENT_COMMIT; }
