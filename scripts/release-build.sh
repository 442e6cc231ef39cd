#!/usr/bin/env bash
# release-build.sh — builds a product the way the agent ships: release, the Swift standard library linked
# statically, every function in a section of its own; prints the directory of the built products.
#
# Why function sections: lld lays the release binary's functions out in the order of
# Sources/postgres-agent/symbol-order.txt (see Package.swift and scripts/make-symbol-order.sh), and it can
# move only whole sections. Without -function-sections a Swift module is one .text section, so the
# code the daemon runs stayed spread over the 35 MB of the executable's code and the page faults kept
# about 20 MiB of it resident. Swift and C targets alike, the dependencies included (swiftc's
# `-function-sections` is a frontend flag, passed without the driver's "unknown flag" warning).
#
# Usage: scripts/release-build.sh [PRODUCT]   (default postgres-agent; e.g. generate-manual)
# Environment: RELEASE_SCRATCH (default REPO/.build-release), the build's scratch path;
#   RELEASE_LINK_MAP, a path: the linker also writes its map there (scripts/make-symbol-order.sh reads it).
set -euo pipefail
REPO=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
product=${1:-postgres-agent}
scratch=${RELEASE_SCRATCH:-${REPO}/.build-release}
flags=(-c release --static-swift-stdlib
       -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections
       --scratch-path "${scratch}")
if [ -n "${RELEASE_LINK_MAP:-}" ]; then flags+=(-Xlinker "-Map=${RELEASE_LINK_MAP}"); fi
cd -- "${REPO}"
# SwiftPM does not know the ordering file is an input of the link: relink when it changed since.
binary="${scratch}/release/postgres-agent"
if [ -e "${binary}" ] && [ Sources/postgres-agent/symbol-order.txt -nt "${binary}" ]; then rm -f -- "${binary}"; fi
swift build "${flags[@]}" --product "${product}" >&2
swift build "${flags[@]}" --show-bin-path
