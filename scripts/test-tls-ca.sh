#!/usr/bin/env bash
# test-tls-ca.sh — throwaway certificate authorities and server certificates for
# the PostgreSQL TLS tests (Tests/IntegrationTests/PostgresTLSTests.swift). Test
# material only: the keys are written unencrypted and live for two days.
#
# Usage:
#   scripts/test-tls-ca.sh DIR [OWNER]
#
# Writes into DIR (created, must be empty or absent):
#   ca.crt, ca.key                the test CA ("postgres-agent test CA")
#   other-ca.crt, other-ca.key    a second, unrelated CA ("postgres-agent other CA")
#   server.crt, server.key        a server certificate for DNS:localhost only (no IP
#                                 address), signed by ca.crt
#   other-server.crt, other-server.key
#                                 the same name, signed by other-ca.crt
# Keys are EC P-256, mode 0600. With OWNER (when run as root), the server keys
# and certificates are chowned to OWNER (PostgreSQL refuses a server.key that is
# not owned by its user, or is readable by group or others unless owned by root).
# Needs openssl (1.1.1 or 3.x). Prints nothing on success; errors go to stderr.

set -euo pipefail
umask 077

dir="${1:?usage: test-tls-ca.sh DIR [OWNER]}"
owner="${2:-}"
mkdir -p "$dir"
chmod 0755 "$dir" # the server's user must reach its files (DIR's parents too: not under a 0700 one)
if [ -n "$(ls -A "$dir")" ]; then
    echo "test-tls-ca.sh: $dir is not empty" >&2
    exit 1
fi
cd "$dir"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() { # NAME SUBJECT
    key "$1.key"
    cat >"$1.ext" <<'EOF'
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
    openssl x509 -req -in "$1.csr" -signkey "$1.key" -days 2 -sha256 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}

server() { # NAME CA
    key "$1.key"
    cat >"$1.ext" <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
authorityKeyIdentifier = keyid
EOF
    openssl req -new -key "$1.key" -subj "/CN=localhost" -out "$1.csr"
    openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -set_serial "0x$(openssl rand -hex 8)" \
        -days 2 -sha256 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}

ca ca "/CN=postgres-agent test CA"
ca other-ca "/CN=postgres-agent other CA"
server server ca
server other-server other-ca
chmod 0644 ./*.crt
chmod 0600 ./*.key
openssl verify -CAfile ca.crt server.crt >/dev/null
openssl verify -CAfile other-ca.crt other-server.crt >/dev/null
if [ -n "$owner" ]; then
    chown "$owner" server.crt server.key other-server.crt other-server.key
fi
