#!/usr/bin/env bash
# package-deb.sh — builds the Debian package postgres-agent_<version>_<arch>.deb with dpkg-deb (no
# debhelper, no root needed). It holds:
#   /usr/bin/postgres-agent                      the agent (stripped, unless DEB_BUILD_OPTIONS has nostrip)
#   /lib/systemd/system/postgres-agent.service   packaging/postgres-agent.service, ExecStart in /usr/bin
#   /etc/bitville/postgres-agent.ini             conffile: the example configuration exactly as
#                                                scripts/install.sh writes it (api_key_file set)
#   /var/lib/bitville-postgres-agent             the state directory
#   /usr/share/man/man1/postgres-agent*.1.gz     manual pages, one per command and subcommand
#   /usr/share/doc/postgres-agent/               copyright, changelog, README
# and the maintainer scripts of packaging/debian/: postinst creates the system user bitville-agent (in adm),
# sets owners and modes with dpkg-statoverride (/etc/bitville and the configuration root:bitville-agent
# 0750/0640, the state directory bitville-agent's 0750), creates the empty key file
# /etc/bitville/postgres-agent.key (root:bitville-agent 0640, no part of the package) and enables the
# unit; it starts nothing on a first installation. The same paths, user and modes as scripts/install.sh,
# which stays the route for other distributions.
#
# Usage: scripts/package-deb.sh [--binary PATH] [--version V] [--output DIR] [--man DIR]
#   --binary PATH  package this executable. Without it: the release build of scripts/install.sh
#                  (static Swift standard library, scratch path .build-release), then the manual pages
#                  from swift-argument-parser's generate-manual tool on that binary.
#   --version V    the package version (default: AgentVersion.current in Sources/AgentSchema). A version
#                  without a Debian revision makes a native package (changelog.gz); one with (0.1.0-1)
#                  ships the changelog as changelog.Debian.gz.
#   --output DIR   where the .deb goes (default: the repository)
#   --man DIR      take the manual pages (*.1) from DIR, as generate-manual writes them
# Without --man and without a build, the pages are written by help2man from the binary's own help, one
# per command (the commands are read from the binary's --experimental-dump-help, the description
# ArgumentParser gives generate-manual).
#
# PGAGENT_DEB_COMPRESSION (xz unless set) is dpkg-deb's -Z: scripts/test-deb.sh packs with gzip, which
# takes seconds where xz takes most of a minute.
#
# Needs dpkg-deb and dpkg-shlibdeps (dpkg-dev), strip (binutils), gzip; help2man and python3 for the
# fallback pages. Depends are computed by dpkg-shlibdeps from the binary, plus adduser. A binary that needs
# libraries no Debian package provides (a debug build's Swift runtime in /opt/swift) is packaged with a
# warning: such a package runs only where those libraries are.
set -euo pipefail
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "${HERE}/.." && pwd)
DEB="${REPO}/packaging/debian"
binary=""
version=""
output="${REPO}"
man_dir=""
usage() { echo "usage: $0 [--binary PATH] [--version V] [--output DIR] [--man DIR]" >&2; exit 64; }
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) [ $# -ge 2 ] || usage; binary=$2; shift 2 ;;
    --version) [ $# -ge 2 ] || usage; version=$2; shift 2 ;;
    --output) [ $# -ge 2 ] || usage; output=$2; shift 2 ;;
    --man) [ $# -ge 2 ] || usage; man_dir=$2; shift 2 ;;
    *) usage ;;
  esac
done
say() { printf 'package-deb: %s\n' "$*" >&2; }
die() { printf 'package-deb: %s\n' "$*" >&2; exit 1; }
need() { # command, Debian package that has it
  command -v "$1" >/dev/null || die "$1 is missing: apt-get install $2"
}

if [ -z "${version}" ]; then
  version=$(sed -n 's/.*static let current = "\([^"]*\)".*/\1/p' "${REPO}/Sources/AgentSchema/Support/AgentVersion.swift")
  [ -n "${version}" ] || die "no version in Sources/AgentSchema/Support/AgentVersion.swift"
fi
dpkg --validate-version "${version}" >/dev/null 2>&1 || die "not a Debian version: ${version}"
arch=$(dpkg --print-architecture)
need dpkg-deb dpkg
need dpkg-shlibdeps dpkg-dev
need strip binutils
need readelf binutils
need gzip gzip
mkdir -p "${output}"
output=$(cd -- "${output}" && pwd)
# Every timestamp in the package (files, manual pages, changelog entry): the last commit's, or now.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git -C "${REPO}" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH

work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
root="${work}/debian/postgres-agent"   # dpkg-shlibdeps wants the package's tree at debian/<package>
mkdir -p "${root}"

built_here=no
if [ -z "${binary}" ]; then
  "${REPO}/scripts/install-deps.sh"
  say "building a release binary (static Swift standard library); the first build takes several minutes"
  "${REPO}/scripts/stamp-commit.sh"
  binary="$("${REPO}/scripts/release-build.sh")/postgres-agent"
  built_here=yes
fi
if [ ! -f "${binary}" ] || [ ! -x "${binary}" ]; then die "no executable at ${binary}"; fi

# --- files -------------------------------------------------------------------------------------------
install -d -m 0755 "${root}/usr/bin" "${root}/lib/systemd/system" "${root}/etc/bitville" \
  "${root}/var/lib/bitville-postgres-agent" "${root}/usr/share/man/man1" \
  "${root}/usr/share/doc/postgres-agent" "${root}/usr/share/lintian/overrides"
install -m 0755 "${binary}" "${root}/usr/bin/postgres-agent"
case " ${DEB_BUILD_OPTIONS:-} " in
  *" nostrip "*) say "DEB_BUILD_OPTIONS=nostrip: the binary keeps its symbols" ;;
  *) strip --remove-section=.comment --remove-section=.note "${root}/usr/bin/postgres-agent" ;;  # as dh_strip does
esac

# The unit as scripts/install.sh installs it, with the binary where the package puts it.
sed 's|/usr/local/bin/postgres-agent|/usr/bin/postgres-agent|g' "${REPO}/packaging/postgres-agent.service" \
  >"${root}/lib/systemd/system/postgres-agent.service"
chmod 0644 "${root}/lib/systemd/system/postgres-agent.service"
grep -q '^ExecStart=/usr/bin/postgres-agent run ' "${root}/lib/systemd/system/postgres-agent.service" \
  || die "packaging/postgres-agent.service: no ExecStart=/usr/local/bin/postgres-agent run … to point at /usr/bin"

# The conffile: the example with the key file filled in, the same bytes scripts/install.sh writes, so that
# a host moved from that route with an unedited configuration is not asked about it. Root's 0644 in the
# archive; postinst gives it to the agent's group (0640) once that group exists.
sed 's|^api_key_file = .*|api_key_file = /etc/bitville/postgres-agent.key  ; root:bitville-agent 0640|' \
  "${REPO}/packaging/postgres-agent.ini.example" >"${root}/etc/bitville/postgres-agent.ini"
chmod 0644 "${root}/etc/bitville/postgres-agent.ini"
grep -q '^api_key_file = /etc/bitville/postgres-agent.key ' "${root}/etc/bitville/postgres-agent.ini" \
  || die "packaging/postgres-agent.ini.example: no api_key_file line to fill in"

# --- manual pages --------------------------------------------------------------------------------------
pages="${work}/man"
mkdir -p "${pages}"
man_date=$(date -u -d "@${SOURCE_DATE_EPOCH}" +%Y-%m-%d)
if [ -n "${man_dir}" ]; then
  compgen -G "${man_dir}/*.1" >/dev/null || die "no *.1 manual pages in ${man_dir}"
  cp "${man_dir}"/*.1 "${pages}/"
elif [ "${built_here}" = yes ]; then
  # swift-argument-parser's generate-manual tool (the package's dependency already), built with the same
  # scratch path and flags as the release build, so it reuses that build (about 30 s), run on the binary
  # just built. (`swift package generate-manual`, the plugin, would build everything again in release
  # mode without the static standard library: five more minutes.)
  say "generating the manual pages (swift-argument-parser's generate-manual)"
  "$("${REPO}/scripts/release-build.sh" generate-manual)/generate-manual" "${binary}" --multi-page --date "${man_date}" \
    --output-directory "${pages}" >&2
  compgen -G "${pages}/*.1" >/dev/null || die "generate-manual wrote no pages"
  # generate-manual names a subcommand `.Nm "postgres-agent spool send"`; whatis (lexgrog, and lintian's
  # bad-whatis-entry) cannot parse a name with spaces. The NAME section gets the page's own name
  # (postgres-agent.spool.send) and the SYNOPSIS, which repeated the name with a bare `.Nm`, the command.
  for page in "${pages}"/*.1; do
    perl -0pi -e 'if (/^\.Nm "([^"]+)"$/m) { my $n = $1; (my $d = $n) =~ s/ /./g;
      s/^\.Nm "\Q$n\E"$/.Nm $d/m; s/^(\.Sh SYNOPSIS\n)\.Nm$/$1.Nm "$n"/m; }' "${page}"
  done
else
  # help2man on the binary, one page per command: postgres-agent.1, postgres-agent.logs.tail.1 …, named
  # as generate-manual names them. The commands and their one-line descriptions come from
  # --experimental-dump-help; each page's text is the command's --help.
  need help2man help2man
  need python3 python3
  say "writing the manual pages with help2man (no build here to run generate-manual on; --man DIR takes pages)"
  wrappers="${work}/wrappers"
  mkdir -p "${wrappers}"
  bin_abs=$(cd -- "$(dirname -- "${binary}")" && pwd)/$(basename -- "${binary}")
  "${bin_abs}" --experimental-dump-help >"${work}/dump-help.json"
  python3 - "${work}/dump-help.json" >"${work}/commands.tsv" <<'PY'
import json, sys
def walk(command, path):
    if command.get("shouldDisplay", True) is False or command["commandName"] == "help" and path:
        return
    path = path + [command["commandName"]]
    abstract = " ".join((command.get("abstract") or "").split())
    print("%s\t%s\t%s" % (".".join(path), " ".join(path[1:]), abstract))
    for sub in command.get("subcommands") or []:
        walk(sub, path)
walk(json.load(open(sys.argv[1]))["command"], [])
PY
  all_pages=$(cut -f1 "${work}/commands.tsv" | tr '\n' ' ')
  while IFS=$'\t' read -r page words abstract; do
    printf '#!/bin/sh\nexec "%s" %s "$@"\n' "${bin_abs}" "${words}" >"${wrappers}/${page}"
    chmod 0755 "${wrappers}/${page}"
    see_also=".BR postgres-agent (1)"   # a subcommand's page points at the top one, which lists them all
    if [ "${page}" = postgres-agent ]; then
      see_also=""
      for other in ${all_pages}; do
        [ "${other}" = postgres-agent ] || see_also="${see_also:+${see_also}, }.BR ${other} (1)"
      done
    fi
    printf '[SEE ALSO]\n%s\n' "$(printf '%s' "${see_also}" | sed 's/, \.BR/,\n.BR/g')" >"${work}/${page}.h2m"
    help2man --no-info --section=1 --name="${abstract:-${page}}" --version-string="${version}" \
      --source="postgres-agent ${version}" --manual="User Commands" --include="${work}/${page}.h2m" \
      --output="${pages}/${page}.1" "${wrappers}/${page}"
  done <"${work}/commands.tsv"
fi
for page in "${pages}"/*.1; do
  compressed="${root}/usr/share/man/man1/$(basename -- "${page}").gz"
  gzip -9n <"${page}" >"${compressed}"
done
chmod 0644 "${root}"/usr/share/man/man1/*

# --- documentation, changelog, lintian overrides ---------------------------------------------------------
install -m 0644 "${DEB}/copyright" "${root}/usr/share/doc/postgres-agent/copyright"
gzip -9n <"${REPO}/README.md" >"${root}/usr/share/doc/postgres-agent/README.md.gz"
# The changelog's latest entry names the maintainer; a version it has no entry for gets one here.
maintainer=$(sed -n 's/^ -- \(.*>\)  .*/\1/p' "${DEB}/changelog" | head -n 1)
[ -n "${maintainer}" ] || die "packaging/debian/changelog: no maintainer line"
changelog="${work}/changelog"
if [ "$(sed -n '1s/^postgres-agent (\([^)]*\)).*/\1/p' "${DEB}/changelog")" != "${version}" ]; then
  {
    printf 'postgres-agent (%s) unstable; urgency=medium\n\n' "${version}"
    printf '  * Built by scripts/package-deb.sh; packaging/debian/changelog has no\n'
    printf '    entry of its own for this version.\n\n'
    printf ' -- %s  %s\n\n' "${maintainer}" "$(LC_ALL=C date -u -R -d "@${SOURCE_DATE_EPOCH}")"
    cat "${DEB}/changelog"
  } >"${changelog}"
else
  cp "${DEB}/changelog" "${changelog}"
fi
case "${version}" in
  *-*) changelog_name=changelog.Debian.gz ;;   # a Debian revision: a non-native package
  *) changelog_name=changelog.gz ;;            # native: upstream ships its own packaging
esac
gzip -9n <"${changelog}" >"${root}/usr/share/doc/postgres-agent/${changelog_name}"
chmod 0644 "${root}"/usr/share/doc/postgres-agent/*
install -m 0644 "${DEB}/lintian-overrides" "${root}/usr/share/lintian/overrides/postgres-agent"

# --- control -----------------------------------------------------------------------------------------------
# Libraries the binary loads that no Debian package provides cannot be depended on: say which.
unpackaged=()
while read -r lib arrow path _; do
  [ "${arrow}" = "=>" ] || continue
  if [ "${path}" = not ]; then unpackaged+=("${lib} (not found)"); continue; fi
  dpkg -S "${path}" >/dev/null 2>&1 || dpkg -S "$(readlink -f "${path}")" >/dev/null 2>&1 \
    || dpkg -S "/usr${path}" >/dev/null 2>&1 || unpackaged+=("${path}")
done < <(ldd "${root}/usr/bin/postgres-agent")
if [ ${#unpackaged[@]} -gt 0 ]; then
  say "warning: the binary needs libraries no Debian package provides; the package runs only where they are:"
  printf 'package-deb:   %s\n' "${unpackaged[@]}" >&2
  say "(a release build with --static-swift-stdlib, as this script makes without --binary, needs none)"
fi
mkdir -p "${root}/DEBIAN"
: >"${work}/debian/control"   # dpkg-shlibdeps reads it; the package's fields come from control.in
shlibs=$(cd "${work}" && dpkg-shlibdeps -O --ignore-missing-info debian/postgres-agent/usr/bin/postgres-agent 2>"${work}/shlibdeps.log" \
  | sed -n 's/^shlibs:Depends=//p') || { cat "${work}/shlibdeps.log" >&2; die "dpkg-shlibdeps failed"; }
grep -v -e "can't extract name and version from library name" -e 'no dependency information found' \
  -e 'binaries to analyze should already be installed' "${work}/shlibdeps.log" >&2 || true
# The binary is linked with packed relative relocations (DT_RELR, Package.swift): the dynamic loader must
# know them, which glibc says with the GLIBC_ABI_DT_RELR version (2.36). dpkg-shlibdeps does not map that
# version to a libc6 release, so a glibc 2.35 system would install a package whose binary cannot start.
if readelf -V "${root}/usr/bin/postgres-agent" | grep -q 'GLIBC_ABI_DT_RELR'; then
  shlibs=$(printf '%s' "${shlibs}" | sed -E 's/libc6 \(>= 2\.([0-9]|[12][0-9]|3[0-5])(\.[0-9]+)?\)/libc6 (>= 2.36)/')
fi
depends="${shlibs:+${shlibs}, }adduser (>= 3.130)"   # 3.130: adduser --comment

# Timestamps before measuring and packing: a package built twice from the same inputs is the same.
find "${root}" -depth -exec touch -h -d "@${SOURCE_DATE_EPOCH}" {} +
installed_size=$(du -s -k --apparent-size --exclude=DEBIAN "${root}" | cut -f1)
sed -e "s|@VERSION@|${version}|" -e "s|@ARCH@|${arch}|" -e "s|@MAINTAINER@|${maintainer}|" \
    -e "s|@INSTALLED_SIZE@|${installed_size}|" -e "s|@DEPENDS@|${depends}|" \
    "${DEB}/control.in" >"${root}/DEBIAN/control"
install -m 0644 "${DEB}/conffiles" "${root}/DEBIAN/conffiles"
for script in postinst prerm postrm; do
  install -m 0755 "${DEB}/${script}" "${root}/DEBIAN/${script}"
done
(cd "${root}" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
  >"${root}/DEBIAN/md5sums"
chmod 0644 "${root}/DEBIAN/md5sums"
find "${root}" -type d -exec chmod 0755 {} +
find "${root}/DEBIAN" -depth -exec touch -h -d "@${SOURCE_DATE_EPOCH}" {} +

deb="${output}/postgres-agent_${version#*:}_${arch}.deb"
dpkg-deb --root-owner-group "-Z${PGAGENT_DEB_COMPRESSION:-xz}" --build "${root}" "${deb}" >&2
say "built ${deb} (Depends: ${depends})"
echo "${deb}"
