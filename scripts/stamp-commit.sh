#!/bin/bash
# stamp-commit.sh — writes the git commit of the work tree into Sources/CBuildInfo/generated/commit.h, which
# `postgres-agent --version` prints. Every script that builds the agent runs it first; a plain
# `swift build` shows the commit of the last stamp (or none).
#
# Usage: scripts/stamp-commit.sh
#
# The file is rewritten only when the commit changed, and then build_info.c is touched so that SwiftPM
# recompiles that one file. Outside a git work tree (a source tarball) the stamp is left empty.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
dir="${REPO}/Sources/CBuildInfo/generated"
commit=""
if git -C "${REPO}" rev-parse --git-dir >/dev/null 2>&1; then
  commit="$(git -C "${REPO}" rev-parse --short=12 HEAD 2>/dev/null || true)"
  if [ -n "${commit}" ] && [ -n "$(git -C "${REPO}" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    commit="${commit}-dirty"
  fi
fi
line="#define PGAGENT_COMMIT \"${commit}\""
if [ "$(cat "${dir}/commit.h" 2>/dev/null)" != "${line}" ]; then
  mkdir -p "${dir}"
  printf '%s\n' "${line}" > "${dir}/commit.h"
  touch "${REPO}/Sources/CBuildInfo/build_info.c"
fi
