#ifndef PGAGENT_BUILD_INFO_H
#define PGAGENT_BUILD_INFO_H

/// The git commit this binary was built from (`abc123def456`, with `-dirty` when the tree had changes),
/// or an empty string when the build was not stamped (see scripts/stamp-commit.sh).
const char *pgagent_build_commit(void);

#endif
