#!/usr/bin/env bash
# test-deb.sh — the Debian package end to end, on this machine, as root (scripts/test.sh runs it when it
# runs as root). From one binary it builds two packages, 0.1.0 and 0.1.1, with scripts/package-deb.sh and:
#   1. lintian on both: any error (E:) fails;
#   2. dpkg -i 0.1.0 on a root that has no trace of postgres-agent: files, owners, modes, the user and its
#      groups, the conffile, the key file, the enabled unit, `/usr/bin/postgres-agent --version`;
#   3. an edited configuration and a key with loose modes, then dpkg -i 0.1.1 with stdin closed: the edit
#      and the key are kept without a prompt (the conffile is the same in both packages, so dpkg keeps the
#      edited one), the key's modes are put right, no .dpkg-* file is left;
#   4. dpkg -r: binary, unit and manual pages gone; configuration, key and state kept;
#   5. dpkg -P: configuration, key, state, ownership overrides and unit links gone; the system user stays,
#      as Debian Policy has it (packaging/debian/postrm says why).
# No systemd runs here (a container), which is what the maintainer scripts must cope with. It leaves the
# machine as it found it: a trap purges the package if a step failed, and the user the package created
# is deleted at the end; a final comparison with the state before the test proves it.
#
# Usage: scripts/test-deb.sh BINARY
#   BINARY: the executable to package. scripts/test.sh passes the test suite's debug build
#   ($PGAGENT_BINARY), not a release build, to keep CI time down; it links the Swift runtime in
#   /opt/swift, which this machine has (package-deb.sh warns about it, and lintian's
#   custom-library-search-path on its RUNPATH is not counted here; a release build has no such RUNPATH).
set -euo pipefail
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "${HERE}/.." && pwd)
[ $# -eq 1 ] || { echo "usage: $0 BINARY" >&2; exit 64; }
binary=$1
user=bitville-agent
conf=/etc/bitville/postgres-agent.ini
key=/etc/bitville/postgres-agent.key
state=/var/lib/bitville-postgres-agent
unit=/lib/systemd/system/postgres-agent.service
wants=/etc/systemd/system/multi-user.target.wants/postgres-agent.service

say() { printf 'test-deb: %s\n' "$*" >&2; }
fail() { printf 'test-deb: FAIL: %s\n' "$*" >&2; exit 1; }
check() { # description, command…
  local what=$1; shift
  if "$@"; then say "ok: ${what}"; else fail "${what}"; fi
}
mode_is() { # path, "mode owner group"
  [ "$(stat -c '%a %U %G' "$1")" = "$2" ] || { say "$1 is $(stat -c '%a %U %G' "$1"), not $2"; return 1; }
}
absent() { [ ! -e "$1" ] && [ ! -L "$1" ]; }
status() { dpkg-query -W -f='${db:Status-Status}' postgres-agent 2>/dev/null || true; }
# Everything of the machine the package or this test could touch.
snapshot() {
  {
    for path in /etc/bitville "${state}" /usr/bin/postgres-agent "${unit}" /usr/share/doc/postgres-agent \
                /usr/share/lintian/overrides/postgres-agent /etc/systemd/system \
                /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked; do
      [ -e "${path}" ] && find "${path}" -printf '%p %m %u %g %y %l\n'
    done
    find /usr/share/man/man1 -name 'postgres-agent*'
    getent passwd "${user}" || true
    getent group "${user}" || true
    getent group adm || true
    dpkg-statoverride --list || true
  } 2>/dev/null | LC_ALL=C sort
}

[ "$(id -u)" -eq 0 ] || fail "run as root: it installs and removes a package"
[ -x "${binary}" ] || fail "no executable at ${binary}"
for tool in dpkg-deb dpkg-shlibdeps lintian help2man runuser; do
  command -v "${tool}" >/dev/null || fail "${tool} is missing (scripts/install-deps.sh installs it)"
done
# A machine with the agent already on it (this package, or scripts/install.sh) is not one to test on:
# purging would take its configuration and key.
case "$(status)" in ""|not-installed) ;; *) fail "postgres-agent is installed here ($(status)); not testing over it" ;; esac
for path in /etc/bitville "${state}" /usr/local/bin/postgres-agent /etc/systemd/system/postgres-agent.service; do
  absent "${path}" || fail "${path} exists: this machine has postgres-agent on it; not testing over it"
done
user_existed=no
getent passwd "${user}" >/dev/null && user_existed=yes
group_existed=no
getent group "${user}" >/dev/null && group_existed=yes
before=$(snapshot)

tmp=$(mktemp -d)
remove_user() {
  if [ "${user_existed}" = no ] && getent passwd "${user}" >/dev/null; then
    deluser --system --quiet "${user}" >/dev/null 2>&1   # (it says it skips crontab removal without cron)
  fi
  if [ "${group_existed}" = no ] && getent group "${user}" >/dev/null; then
    delgroup --system --quiet "${user}" >/dev/null
  fi
}
cleanup() {
  case "$(status)" in
    ""|not-installed) ;;
    *) say "cleaning up: dpkg -P postgres-agent"; dpkg -P postgres-agent >/dev/null 2>&1 || say "dpkg -P failed: clean up by hand" ;;
  esac
  remove_user || true
  rm -rf "${tmp}"
}
trap cleanup EXIT

# --- build -----------------------------------------------------------------------------------------
export PGAGENT_DEB_COMPRESSION=gzip   # seconds instead of most of a minute with xz, for a test
mkdir -p "${tmp}/a" "${tmp}/b"
deb_a=$("${REPO}/scripts/package-deb.sh" --binary "${binary}" --version 0.1.0 --output "${tmp}/a")
deb_b=$("${REPO}/scripts/package-deb.sh" --binary "${binary}" --version 0.1.1 --output "${tmp}/b")
check "built $(basename "${deb_a}") and $(basename "${deb_b}")" test -f "${deb_a}" -a -f "${deb_b}"
dpkg-deb -c "${deb_a}" >&2

# --- lintian ---------------------------------------------------------------------------------------------
suppress=()
# The pattern is literal: $ORIGIN is what a RUNPATH entry says, not a shell variable.
# shellcheck disable=SC2016
if readelf -d "${binary}" | grep -E '\((RUNPATH|RPATH)\)' | grep -q -v -E '\[(\$ORIGIN|\$\{ORIGIN\})[^:]*\]'; then
  say "the binary has a RUNPATH into its toolchain (a debug build): lintian's custom-library-search-path is not counted"
  suppress=(--suppress-tags custom-library-search-path)
fi
for deb in "${deb_a}" "${deb_b}"; do
  lintian_status=0
  lintian --pedantic --display-info --tag-display-limit 0 "${suppress[@]}" "${deb}" >"${tmp}/lintian.out" 2>&1 \
    || lintian_status=$?
  grep -v -e 'spelling-error-in-binary' -e 'running with root privileges' "${tmp}/lintian.out" >&2 || true
  say "lintian $(basename "${deb}"): $(grep -c '^E:' "${tmp}/lintian.out" || true) errors, $(grep -c '^W:' "${tmp}/lintian.out" || true) warnings, $(grep -c '^[IP]:' "${tmp}/lintian.out" || true) info/pedantic (exit ${lintian_status})"
  if grep -q '^E:' "${tmp}/lintian.out" || [ "${lintian_status}" -ne 0 ]; then fail "lintian reports errors on $(basename "${deb}")"; fi
done

# --- install 0.1.0 ----------------------------------------------------------------------------------------
DEBIAN_FRONTEND=noninteractive dpkg -i "${deb_a}" </dev/null >"${tmp}/install.out" 2>&1 || { cat "${tmp}/install.out" >&2; fail "dpkg -i 0.1.0"; }
cat "${tmp}/install.out" >&2
check "0.1.0 installed" test "$(dpkg-query -W -f='${Version} ${db:Status-Status}' postgres-agent)" = "0.1.0 installed"
check "/usr/bin/postgres-agent 0755 root:root" mode_is /usr/bin/postgres-agent "755 root root"
expected_version=$("${binary}" --version)
check "/usr/bin/postgres-agent --version prints ${expected_version}" test "$(/usr/bin/postgres-agent --version)" = "${expected_version}"
check "postgres-agent on PATH is /usr/bin's" test "$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v postgres-agent)" = /usr/bin/postgres-agent
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd "${user}")
check "system user ${user} (uid ${uid})" test "${uid}" -lt 1000
check "its home is ${state}, its shell nologin" test "${home}:${shell}" = "${state}:/usr/sbin/nologin"
check "its primary group is ${user}" test "$(id -gn "${user}")" = "${user}"
check "it is in adm" grep -qw adm <<<"$(id -nG "${user}")"
check "/etc/bitville 0750 root:${user}" mode_is /etc/bitville "750 root ${user}"
check "${conf} 0640 root:${user}" mode_is "${conf}" "640 root ${user}"
check "${conf} is a conffile" grep -q " ${conf} " <<<"$(dpkg-query -W -f='${Conffiles}\n' postgres-agent)"
check "${conf} names the key file" grep -q '^api_key_file = /etc/bitville/postgres-agent.key ' "${conf}"
check "${key}: empty, 0640 root:${user}" mode_is "${key}" "640 root ${user}"
check "${key} is empty" test ! -s "${key}"
check "${key} belongs to no package (dpkg never replaces it)" sh -c "! dpkg -S '${key}' >/dev/null 2>&1"
check "${state} 0750 ${user}:${user}" mode_is "${state}" "750 ${user} ${user}"
check "${unit} runs /usr/bin/postgres-agent" grep -q '^ExecStart=/usr/bin/postgres-agent run --config /etc/bitville/postgres-agent.ini$' "${unit}"
check "the unit is enabled (${wants})" test -L "${wants}"
check "manual pages" test -f /usr/share/man/man1/postgres-agent.1.gz -a -f /usr/share/man/man1/postgres-agent.logs.tail.1.gz
check "the manual page is roff" sh -c "gzip -dc /usr/share/man/man1/postgres-agent.1.gz | grep -q '^\.TH'"
if command -v systemd-analyze >/dev/null; then
  check "systemd-analyze verify ${unit}" systemd-analyze verify "${unit}"
fi
check "the agent reads the key" runuser -u "${user}" -- cat "${key}"
check "the agent cannot change the key" sh -c "! runuser -u '${user}' -- sh -c ': >>${key}' 2>/dev/null"
check "the agent reads the configuration" runuser -u "${user}" -- test -r "${conf}"
check "others cannot read the configuration" sh -c "! runuser -u nobody -- cat '${conf}' >/dev/null 2>&1"
check "the agent writes its state directory" runuser -u "${user}" -- sh -c "echo state >${state}/probe"

# --- edit, then upgrade to 0.1.1 --------------------------------------------------------------------------
conffile_of() { dpkg-deb --fsys-tarfile "$1" | tar -xO ".${conf}" | md5sum | cut -d' ' -f1; }
check "the conffile is the same in 0.1.0 and 0.1.1" test "$(conffile_of "${deb_a}")" = "$(conffile_of "${deb_b}")"
printf '\n; edited by test-deb.sh\n' >>"${conf}"
printf 'test-key\n' >"${key}"
chmod 0666 "${key}"
# stdin closed: a conffile prompt would fail the upgrade instead of waiting.
DEBIAN_FRONTEND=noninteractive dpkg -i "${deb_b}" </dev/null >"${tmp}/upgrade.out" 2>&1 || { cat "${tmp}/upgrade.out" >&2; fail "dpkg -i 0.1.1 over 0.1.0"; }
cat "${tmp}/upgrade.out" >&2
check "0.1.1 installed" test "$(dpkg-query -W -f='${Version} ${db:Status-Status}' postgres-agent)" = "0.1.1 installed"
check "no conffile prompt" sh -c "! grep -q 'Configuration file' '${tmp}/upgrade.out'"
check "the edited configuration is kept" grep -q '^; edited by test-deb.sh$' "${conf}"
check "no .dpkg-* file next to it" sh -c "! ls /etc/bitville | grep -q dpkg-"
check "${conf} still 0640 root:${user}" mode_is "${conf}" "640 root ${user}"
check "the key is kept" test "$(cat "${key}")" = test-key
check "the key's loose modes are put right (0640)" mode_is "${key}" "640 root ${user}"
check "the state is kept" test -f "${state}/probe"

# --- remove ----------------------------------------------------------------------------------------------
DEBIAN_FRONTEND=noninteractive dpkg -r postgres-agent </dev/null >"${tmp}/remove.out" 2>&1 || { cat "${tmp}/remove.out" >&2; fail "dpkg -r"; }
cat "${tmp}/remove.out" >&2
check "dpkg -r leaves config-files" test "$(status)" = config-files
check "the binary is gone" absent /usr/bin/postgres-agent
check "the unit is gone" absent "${unit}"
check "the manual pages are gone" absent /usr/share/man/man1/postgres-agent.1.gz
check "the configuration is kept, edited" grep -q '^; edited by test-deb.sh$' "${conf}"
check "the key is kept" test "$(cat "${key}")" = test-key
check "the state is kept" test -f "${state}/probe"

# --- purge -----------------------------------------------------------------------------------------------
DEBIAN_FRONTEND=noninteractive dpkg -P postgres-agent </dev/null >"${tmp}/purge.out" 2>&1 || { cat "${tmp}/purge.out" >&2; fail "dpkg -P"; }
cat "${tmp}/purge.out" >&2
check "dpkg -P: the package is gone" test -z "$(status | grep -v not-installed)"
check "no dpkg warning on purge" sh -c "! grep -qi warning '${tmp}/purge.out'"
check "/etc/bitville is gone (configuration and key)" absent /etc/bitville
check "${state} is gone" absent "${state}"
check "no ownership overrides left" sh -c "! dpkg-statoverride --list | grep -q bitville"
check "no unit links left" sh -c "! ls /etc/systemd/system/postgres-agent.service '${wants}' /var/lib/systemd/deb-systemd-helper-enabled/postgres-agent.service.dsh-also /var/lib/systemd/deb-systemd-helper-masked/postgres-agent.service >/dev/null 2>&1"
check "the system user stays (Debian Policy; see packaging/debian/postrm)" getent passwd "${user}"

# --- the machine as it was ---------------------------------------------------------------------------------
remove_user
after=$(snapshot)
if [ "${before}" != "${after}" ]; then
  diff <(printf '%s\n' "${before}") <(printf '%s\n' "${after}") >&2 || true
  fail "the machine is not as the test found it"
fi
say "ok: the machine is as the test found it"
say "all checks passed"
