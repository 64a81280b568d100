#!/usr/bin/env bash
# A second throwaway MariaDB that demands TLS, for the TLS tests (started by the tests
# themselves, so `make test` and CI get it without a step of their own).
#   scripts/tls-test-server.sh start DIR   – makes DIR/{ca,server-cert,server-key,other-ca}.pem
#                                             with openssl (a throwaway CA, a server certificate
#                                             for 127.0.0.1 and localhost signed by it, and an
#                                             unrelated CA), starts the server on DIR/data with
#                                             --require-secure-transport=ON and prints its
#                                             settings as shell assignments
#   scripts/tls-test-server.sh stop DIR
# Env: DINGSYNC_TLS_MARIADB_PORT (preferred port, default 33406).
# Nothing here is a secret worth keeping: the keys live as long as the test.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cmd="${1:-}" dir="${2:-}"
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
export DINGSYNC_MARIADB_DIR="$dir/data"
export DINGSYNC_MARIADB_PORT="${DINGSYNC_TLS_MARIADB_PORT:-33406}"

make_certs() {
    [[ -s "$dir/server-cert.pem" ]] && return 0
    command -v openssl >/dev/null || { echo "tls-test-server.sh: openssl not found" >&2; exit 1; }
    (
        cd "$dir"
        umask 077
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=dingsync test CA" \
            -keyout ca-key.pem -out ca.pem
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=dingsync unrelated CA" \
            -keyout other-ca-key.pem -out other-ca.pem
        openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server-key.pem -out server.csr
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >server-ext.cnf
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
            -extfile server-ext.cnf -out server-cert.pem
        chmod 644 ca.pem other-ca.pem server-cert.pem
    ) >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; exit 1; }
}

case "$cmd" in
    start)
        make_certs
        DINGSYNC_MARIADB_SSL_CA="$dir/ca.pem" DINGSYNC_MARIADB_SSL_CERT="$dir/server-cert.pem" \
            DINGSYNC_MARIADB_SSL_KEY="$dir/server-key.pem" "$HERE/mariadb.sh" start
        "$HERE/mariadb.sh" env
        printf 'export DINGSYNC_TEST_TLS_CA=%q\n' "$dir/ca.pem"
        printf 'export DINGSYNC_TEST_TLS_OTHER_CA=%q\n' "$dir/other-ca.pem"
        ;;
    stop) "$HERE/mariadb.sh" stop ;;
    *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
