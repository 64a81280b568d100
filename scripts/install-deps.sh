#!/usr/bin/env bash
# Installs the system packages the build and tests need, only those missing.
# Idempotent and silent when everything is already present.
set -euo pipefail

# default-libmysqlclient-dev: Debian's mysqlclient.pc and libmysqlclient.so (MariaDB's compat
# package on Debian 12), which Package.swift and the CMySQL module map ask for. openssl: the
# TLS tests make a throwaway CA and server certificate (scripts/tls-test-server.sh).
PACKAGES=(libcurl4-openssl-dev default-libmysqlclient-dev mariadb-server pkg-config openssl)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
((${#missing[@]} == 0)) && exit 0

SUDO=()
if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-deps.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO=(sudo)
fi

echo "install-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# policy-rc.d is not touched: mariadb-server's postinst may start the system service,
# which our tests never use (scripts/mariadb.sh runs its own server on its own dir/port).
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
