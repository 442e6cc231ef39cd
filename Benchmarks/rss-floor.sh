#!/usr/bin/env bash
# rss-floor.sh — the resident memory a Swift process starts from on this machine, whatever it does:
# three trivial programs (no Foundation; FoundationEssentials; full Foundation), each built dynamically
# and with -static-stdlib, run, and read after 2 s of sleeping. A floor for the snapshot benchmark's
# steady RSS (BENCHMARKS.md, "Resident memory"). Builds with swiftc in a temporary directory, not with
# swift build, so it touches no build directory of the package.
#
# Usage: Benchmarks/rss-floor.sh
set -euo pipefail
DIR=$(mktemp -d)
trap 'rm -rf -- "${DIR}"' EXIT
cat >"${DIR}/plain.swift" <<'SWIFT'
import Glibc
@main struct P { static func main() async {
  var d: [Int: String] = [:]; for i in 0..<100 { d[i] = "v\(i)" }
  try? await Task.sleep(nanoseconds: 4_000_000_000); print(d.count) } }
SWIFT
cat >"${DIR}/essentials.swift" <<'SWIFT'
import FoundationEssentials
@main struct P { static func main() async {
  let data = try! JSONEncoder().encode(["a": 1]); let d = Date()
  try? await Task.sleep(nanoseconds: 4_000_000_000); print(data.count, d.timeIntervalSince1970 > 0) } }
SWIFT
cat >"${DIR}/foundation.swift" <<'SWIFT'
import Foundation
@main struct P { static func main() async {
  let data = try! JSONSerialization.data(withJSONObject: ["a": 1]); let d = Date()
  try? await Task.sleep(nanoseconds: 4_000_000_000); print(data.count, d.timeIntervalSince1970 > 0) } }
SWIFT
for name in plain essentials foundation; do
  swiftc -O -parse-as-library "${DIR}/${name}.swift" -o "${DIR}/${name}" 2>/dev/null
  swiftc -O -parse-as-library -static-stdlib "${DIR}/${name}.swift" -o "${DIR}/${name}-static" 2>/dev/null
done
sync # fresh binaries are dirty in the page cache; smaps would count them as Private_Dirty
echo "| program | VmRSS kB | RssAnon kB | RssFile kB | Pss kB | Private_Dirty kB |"
echo "|---|---:|---:|---:|---:|---:|"
for name in plain plain-static essentials essentials-static foundation foundation-static; do
  "${DIR}/${name}" >/dev/null &
  pid=$!
  sleep 2
  status=$(awk '/^(VmRSS|RssAnon|RssFile):/ {printf "%s ", $2}' "/proc/${pid}/status")
  rollup=$(awk '/^(Pss|Private_Dirty):/ {printf "%s ", $2}' "/proc/${pid}/smaps_rollup")
  read -r rss anon file <<<"${status}"
  read -r pss dirty <<<"${rollup}"
  echo "| ${name} | ${rss} | ${anon} | ${file} | ${pss} | ${dirty} |"
  wait "${pid}"
done
